"""The timer queue against a model: any interleaving of schedule, cancel and pop loses nothing."""

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from engine.time.timers import COMPACT_ABOVE, TimerQueue

T0 = datetime(2026, 11, 23, tzinfo=UTC)
OWNERS = ("a", "b", "c", "d", "e")


class TimerQueueMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.queue: TimerQueue[int] = TimerQueue()
        self.pending: dict[int, tuple[datetime, str]] = {}
        """Payload → (due, owner); payloads count up, so they are also the order of scheduling."""
        self.popped_until = T0
        self.next_payload = 0

    @rule(offset=st.integers(min_value=0, max_value=1_000), owner=st.sampled_from(OWNERS))
    def schedule(self, offset: int, owner: str) -> None:
        due = self.popped_until + timedelta(minutes=offset)
        self.queue.schedule(due, owner, self.next_payload)
        self.pending[self.next_payload] = (due, owner)
        self.next_payload += 1

    @precondition(lambda self: bool(self.pending))
    @rule(data=st.data())
    def cancel_one(self, data: st.DataObject) -> None:
        payload = data.draw(st.sampled_from(sorted(self.pending)))
        _, owner = self.pending.pop(payload)
        assert self.queue.cancel(owner, lambda p: p == payload) == 1

    @rule(owner=st.sampled_from(OWNERS))
    def cancel_owner(self, owner: str) -> None:
        held = [p for p, (_, o) in self.pending.items() if o == owner]
        assert self.queue.pending(owner) == tuple(held)
        for payload in held:
            del self.pending[payload]
        assert self.queue.cancel(owner) == len(held)

    @rule(step=st.integers(min_value=0, max_value=600))
    def pop(self, step: int) -> None:
        until = self.popped_until + timedelta(minutes=step)
        fired = list(self.queue.pop_due(until))
        expected = sorted(
            ((due, owner, payload) for payload, (due, owner) in self.pending.items() if due <= until),
            key=lambda timer: (timer[0], timer[2]),
        )
        assert fired == expected
        assert all(a[0] <= b[0] for a, b in itertools.pairwise(fired))
        for _, _, payload in fired:
            del self.pending[payload]
        self.popped_until = until

    @precondition(lambda self: len(self.pending) > 10)
    @rule(data=st.data())
    def cancel_most(self, data: st.DataObject) -> None:
        kept = data.draw(st.integers(min_value=0, max_value=len(self.pending) // 10))
        for payload in sorted(self.pending)[kept:]:
            _, owner = self.pending.pop(payload)
            assert self.queue.cancel(owner, lambda p, payload=payload: p == payload) == 1

    @invariant()
    def counts_agree(self) -> None:
        assert len(self.queue) == len(self.pending)
        soonest = min((due for due, _ in self.pending.values()), default=None)
        assert self.queue.next_due() == soonest

    @invariant()
    def cancelled_timers_do_not_pile_up(self) -> None:
        assert len(self.queue._heap) <= 2 * len(self.pending) + COMPACT_ABOVE


TestTimerQueue = TimerQueueMachine.TestCase

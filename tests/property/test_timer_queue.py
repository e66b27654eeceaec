"""The timer queue against a model: any interleaving of schedule, cancel and pop loses nothing."""

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from engine.time.timers import COMPACT_ABOVE, Timer, TimerQueue

T0 = datetime(2026, 11, 23, tzinfo=UTC)


class TimerQueueMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.queue: TimerQueue[int] = TimerQueue()
        self.pending: dict[int, Timer[int]] = {}
        self.popped_until = T0
        self.next_payload = 0

    @rule(offset=st.integers(min_value=0, max_value=1_000))
    def schedule(self, offset: int) -> None:
        due = self.popped_until + timedelta(minutes=offset)
        self.pending[self.next_payload] = self.queue.schedule(due, self.next_payload)
        self.next_payload += 1

    @precondition(lambda self: bool(self.pending))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        payload = data.draw(st.sampled_from(sorted(self.pending)))
        assert self.queue.cancel(self.pending.pop(payload))

    @rule(step=st.integers(min_value=0, max_value=600))
    def pop(self, step: int) -> None:
        until = self.popped_until + timedelta(minutes=step)
        fired = list(self.queue.pop_due(until))
        expected = sorted(
            (timer for timer in self.pending.values() if timer.due <= until),
            key=lambda t: (t.due, t.sequence),
        )
        assert [t.payload for t in fired] == [t.payload for t in expected]
        assert all(a.due <= b.due for a, b in itertools.pairwise(fired))
        for timer in fired:
            del self.pending[timer.payload]
        self.popped_until = until

    @precondition(lambda self: len(self.pending) > 10)
    @rule(data=st.data())
    def cancel_most(self, data: st.DataObject) -> None:
        kept = data.draw(st.integers(min_value=0, max_value=len(self.pending) // 10))
        for payload in sorted(self.pending)[kept:]:
            assert self.queue.cancel(self.pending.pop(payload))

    @invariant()
    def counts_agree(self) -> None:
        assert len(self.queue) == len(self.pending)

    @invariant()
    def cancelled_timers_do_not_pile_up(self) -> None:
        assert len(self.queue._heap) <= 2 * len(self.pending) + COMPACT_ABOVE


TestTimerQueue = TimerQueueMachine.TestCase

from datetime import UTC, datetime, timedelta

import pytest

from engine.errors import NaiveDatetimeError, TimeError
from engine.time.clock import SystemClock, VirtualClock
from engine.time.timers import TimerQueue

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_virtual_clock_moves_only_when_told() -> None:
    clock = VirtualClock(T0)
    assert clock.now() == T0
    clock.advance(timedelta(minutes=5))
    assert clock.now() == T0 + timedelta(minutes=5)
    clock.set(T0 + timedelta(hours=1))
    assert clock.now() == T0 + timedelta(hours=1)


def test_virtual_clock_refuses_to_go_back_and_naive_times() -> None:
    clock = VirtualClock(T0)
    with pytest.raises(TimeError, match="cannot go back"):
        clock.set(T0 - timedelta(seconds=1))
    with pytest.raises(TimeError, match="negative"):
        clock.advance(timedelta(seconds=-1))
    with pytest.raises(NaiveDatetimeError, match="has no timezone"):
        clock.set(datetime(2026, 11, 24, 10, 0))  # noqa: DTZ001
    with pytest.raises(NaiveDatetimeError):
        VirtualClock(datetime(2026, 11, 24, 10, 0))  # noqa: DTZ001


def test_system_clock_is_aware() -> None:
    assert SystemClock().now().tzinfo is not None


def test_timers_pop_in_due_then_schedule_order() -> None:
    queue: TimerQueue[str] = TimerQueue()
    queue.schedule(T0 + timedelta(minutes=10), "one", "b")
    queue.schedule(T0 + timedelta(minutes=5), "two", "a")
    queue.schedule(T0 + timedelta(minutes=10), "one", "c")
    queue.schedule(T0 + timedelta(minutes=20), "two", "d")
    assert list(queue.pop_due(T0 + timedelta(minutes=10))) == [
        (T0 + timedelta(minutes=5), "two", "a"),
        (T0 + timedelta(minutes=10), "one", "b"),
        (T0 + timedelta(minutes=10), "one", "c"),
    ]
    assert len(queue) == 1
    assert queue.next_due() == T0 + timedelta(minutes=20)
    assert queue.pending("one") == ()
    assert queue.pending("two") == ("d",)


def test_cancelled_timers_never_fire_and_cancel_after_firing_is_a_no_op() -> None:
    queue: TimerQueue[str] = TimerQueue()
    queue.schedule(T0, "case", "kept")
    queue.schedule(T0, "case", "dropped")
    assert queue.cancel("case", lambda payload: payload == "dropped") == 1
    assert queue.cancel("case", lambda payload: payload == "dropped") == 0
    assert queue.pending("case") == ("kept",)
    assert [payload for _, _, payload in queue.pop_due(T0)] == ["kept"]
    assert queue.cancel("case") == 0
    assert len(queue) == 0
    assert queue.next_due() is None


def test_cancelling_an_owners_timers_leaves_the_others() -> None:
    queue: TimerQueue[int] = TimerQueue()
    for n in range(6):
        queue.schedule(T0 + timedelta(minutes=n), "even" if n % 2 == 0 else "odd", n)
    assert queue.cancel("odd") == 3
    assert queue.next_due() == T0
    assert [payload for _, _, payload in queue.pop_due(T0 + timedelta(hours=1))] == [0, 2, 4]


def test_a_due_instant_is_exclusive_when_asked() -> None:
    queue: TimerQueue[str] = TimerQueue()
    queue.schedule(T0, "case", "at")
    assert list(queue.pop_due(T0, inclusive=False)) == []
    assert list(queue.pop_due(T0)) == [(T0, "case", "at")]


def test_timers_scheduled_while_popping_fire_in_the_same_pass_when_due() -> None:
    queue: TimerQueue[int] = TimerQueue()
    queue.schedule(T0, "case", 0)
    fired = []
    for due, owner, payload in queue.pop_due(T0 + timedelta(hours=1)):
        fired.append((due, payload))
        if payload < 3:
            queue.schedule(due + timedelta(minutes=20), owner, payload + 1)
    assert fired == [(T0 + timedelta(minutes=20 * i), i) for i in range(4)]


def test_naive_due_instants_are_refused() -> None:
    with pytest.raises(NaiveDatetimeError):
        TimerQueue[str]().schedule(datetime(2026, 1, 1), "case", "x")  # noqa: DTZ001


def test_timers_cancelled_while_others_fire_never_fire_and_the_rest_keep_their_order() -> None:
    """Each firing cancels the next nine timers: enough cancels to rebuild the heap while it is
    being popped. Every tenth timer fires, in order."""
    start = datetime(2026, 11, 23, tzinfo=UTC)
    queue: TimerQueue[int] = TimerQueue()
    for n in range(1_000):
        queue.schedule(start + timedelta(minutes=n), f"case-{n}", n)
    fired = []
    for _, _, payload in queue.pop_due(start + timedelta(days=1)):
        fired.append(payload)
        for later in range(payload + 1, payload + 10):
            queue.cancel(f"case-{later}")
    assert fired == list(range(0, 1_000, 10))
    assert len(queue) == 0

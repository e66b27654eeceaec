"""All pending timers of all instances in one priority queue.

Advancing time costs O(k log n) for the k timers that fall due among n pending: the queue is a binary
heap ordered by (due instant, sequence), and a cancelled timer is only flagged (lazy deletion), to be
dropped when it reaches the top, or when cancelled timers come to outnumber the pending ones (then
the heap is rebuilt without them, so memory follows the timers pending, not all ever cancelled).
The sequence number makes the order total and deterministic: two timers due at the same instant
fire in the order they were scheduled.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from datetime import datetime
from typing import Generic, TypeVar

from engine.time.clock import require_aware

P = TypeVar("P")


class Timer(Generic[P]):
    """A scheduled timer; keep it to cancel the timer later."""

    __slots__ = ("cancelled", "due", "fired", "payload", "sequence")

    def __init__(self, due: datetime, sequence: int, payload: P) -> None:
        self.due = due
        self.sequence = sequence
        self.payload = payload
        self.cancelled = False
        self.fired = False

    def __repr__(self) -> str:
        state = " cancelled" if self.cancelled else ""
        return f"Timer({self.due.isoformat()}, #{self.sequence}{state}, {self.payload!r})"


class TimerQueue(Generic[P]):
    __slots__ = ("_heap", "_live", "_sequence")

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Timer[P]]] = []
        self._sequence = 0
        self._live = 0

    def __len__(self) -> int:
        """Timers scheduled and neither cancelled nor popped."""
        return self._live

    def schedule(self, due: datetime, payload: P) -> Timer[P]:
        require_aware(due, "timer due instant")
        self._sequence += 1
        timer = Timer(due, self._sequence, payload)
        heapq.heappush(self._heap, (due.timestamp(), self._sequence, timer))
        self._live += 1
        return timer

    def cancel(self, timer: Timer[P]) -> bool:
        """Cancel `timer`; False if it had already fired or been cancelled."""
        if timer.cancelled or timer.fired:
            return False
        timer.cancelled = True
        self._live -= 1
        if len(self._heap) > 2 * self._live + COMPACT_ABOVE:
            self._heap[:] = [entry for entry in self._heap if not entry[2].cancelled]  # in place: see pop_due
            heapq.heapify(self._heap)
        return True

    def next_due(self) -> datetime | None:
        self._drop_cancelled()
        return self._heap[0][2].due if self._heap else None

    def pop_due(self, until: datetime, *, inclusive: bool = True) -> Iterator[Timer[P]]:
        """Yield the timers due at or before `until` (strictly before it with `inclusive=False`) in
        (due, sequence) order, removing each.

        Timers scheduled while iterating are seen too if they are due by `until`, so a timer that
        re-arms itself (a recurring duty) fires at every instant up to `until`.
        """
        limit = require_aware(until, "until").timestamp()
        heap = self._heap
        while heap:
            key, _, timer = heap[0]
            if timer.cancelled:
                heapq.heappop(heap)
                continue
            if key > limit or (key == limit and not inclusive):
                return
            heapq.heappop(heap)
            timer.fired = True
            self._live -= 1
            yield timer

    def _drop_cancelled(self) -> None:
        while self._heap and self._heap[0][2].cancelled:
            heapq.heappop(self._heap)


COMPACT_ABOVE = 64
"""Cancelled timers the heap may hold beyond the pending ones before it is rebuilt without them."""

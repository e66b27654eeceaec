"""All pending timers of all instances in one priority queue, each timer held by an owner.

Advancing time costs O(k log n) for the k timers that fall due among n pending: the queue is a binary
heap of plain tuples ordered by (due instant, sequence). An owner (an instance) holds a few timers and
cancels them by owner, so the queue keeps each owner's pending entries beside the heap; a cancelled
entry only leaves that list (lazy deletion), to be dropped from the heap when it reaches the top, or
when cancelled entries come to outnumber the pending ones (then the heap is rebuilt from the owners'
lists, so memory follows the timers pending, not all ever cancelled). No object is made a timer but
its tuple: a million pending timers are a million tuples. The sequence number makes the order total
and deterministic: two timers due at the same instant fire in the order they were scheduled.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Generic, TypeVar

from engine.time.clock import require_aware

P = TypeVar("P")

_Entry = tuple[float, int, str, P, datetime]
"""(due as a timestamp, sequence, owner, payload, due)."""


def _every(_: object) -> bool:
    return True


class TimerQueue(Generic[P]):
    __slots__ = ("_heap", "_live", "_owned", "_sequence")

    def __init__(self) -> None:
        self._heap: list[_Entry[P]] = []
        self._owned: dict[str, list[_Entry[P]]] = {}
        """Owner → its pending entries, in the order they were scheduled."""
        self._sequence = 0
        self._live = 0

    def __len__(self) -> int:
        """Timers scheduled and neither cancelled nor popped."""
        return self._live

    def schedule(self, due: datetime, owner: str, payload: P) -> None:
        require_aware(due, "timer due instant")
        self._sequence += 1
        entry = (due.timestamp(), self._sequence, owner, payload, due)
        heapq.heappush(self._heap, entry)
        owned = self._owned.get(owner)
        if owned is None:
            self._owned[owner] = [entry]
        else:
            owned.append(entry)
        self._live += 1

    def pending(self, owner: str) -> tuple[P, ...]:
        """The payloads of the owner's pending timers, in the order they were scheduled."""
        return tuple([entry[3] for entry in self._owned.get(owner, ())])

    def cancel(self, owner: str, which: Callable[[P], bool] = _every) -> int:
        """Cancel the owner's pending timers whose payload `which` accepts (all by default); how
        many were cancelled."""
        owned = self._owned.get(owner)
        if not owned:
            return 0
        kept = [entry for entry in owned if not which(entry[3])]
        cancelled = len(owned) - len(kept)
        if kept:
            self._owned[owner] = kept
        else:
            del self._owned[owner]
        self._live -= cancelled
        if cancelled and len(self._heap) > 2 * self._live + COMPACT_ABOVE:
            # in place: pop_due may be iterating over it
            self._heap[:] = [entry for entries in self._owned.values() for entry in entries]
            heapq.heapify(self._heap)
        return cancelled

    def next_due(self) -> datetime | None:
        heap = self._heap
        while heap and not self._is_pending(heap[0]):
            heapq.heappop(heap)
        return heap[0][4] if heap else None

    def pop_due(self, until: datetime, *, inclusive: bool = True) -> Iterator[tuple[datetime, str, P]]:
        """Yield (due, owner, payload) of the timers due at or before `until` (strictly before it
        with `inclusive=False`) in (due, sequence) order, removing each.

        Timers scheduled while iterating are seen too if they are due by `until`, so a timer that
        re-arms itself (a recurring duty) fires at every instant up to `until`.
        """
        limit = require_aware(until, "until").timestamp()
        heap = self._heap
        while heap:
            entry = heap[0]
            if not self._is_pending(entry):
                heapq.heappop(heap)
                continue
            if entry[0] > limit or (entry[0] == limit and not inclusive):
                return
            heapq.heappop(heap)
            owned = self._owned[entry[2]]
            owned.remove(entry)
            if not owned:
                del self._owned[entry[2]]
            self._live -= 1
            yield entry[4], entry[2], entry[3]

    def _is_pending(self, entry: _Entry[P]) -> bool:
        """Not cancelled: still in its owner's list (sequences are unique, so == is identity)."""
        owned = self._owned.get(entry[2])
        return owned is not None and entry in owned


COMPACT_ABOVE = 64
"""Cancelled timers the heap may hold beyond the pending ones before it is rebuilt without them."""

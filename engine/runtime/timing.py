"""The engine's timers: when a duty warns, when it falls due, when a recurring duty opens again, when a
self-starting process starts.

Timers are derived from instance state (a durable store keeps a copy, to list them, to let workers
claim due instances and to arm them after a restart before any journal is read): `track` arms and
disarms them as events are appended, and `reset` re-derives an instance's timers from its state
(after a rebuild from the journal or a rolled-back command). A timer that fires is checked against
the state before it acts, so a stale timer does nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from enum import Enum
from typing import NamedTuple

from engine.runtime.events import Event, EventType, instant
from engine.runtime.instance import Instance
from engine.runtime.store import StoredTimer
from engine.time.timers import TimerQueue


class WakeKind(Enum):
    WARN = "warn"
    DUE = "due"
    OPEN = "open"
    START = "start"
    RETRY = "retry"
    """An instance's timers held back by an incident are armed again."""


class Wake(NamedTuple):
    """A timer that fell due (a tuple: one is made for every firing)."""

    kind: WakeKind
    target: str
    """The instance id (the process id for START)."""
    ref: str
    """The duty key (WARN, DUE) or the recurring duty's id (OPEN)."""
    at: datetime


def series_ref(duty: str) -> str:
    return f"series:{duty}"


_KINDS = {kind.value: kind for kind in WakeKind}


class Wakeups:
    """Every pending timer, held by its instance in the form a store keeps (each commit lists the
    instance's timers, so that form is the timer itself: nothing is made again a commit)."""

    def __init__(self) -> None:
        self._queue: TimerQueue[StoredTimer] = TimerQueue()

    def __len__(self) -> int:
        return len(self._queue)

    def arm(self, kind: WakeKind, target: str, ref: str, at: datetime) -> None:
        self._queue.schedule(at, target, StoredTimer(kind.value, ref, at))

    def next_due(self) -> datetime | None:
        return self._queue.next_due()

    def due(self, until: datetime, *, inclusive: bool = True) -> Iterator[Wake]:
        """The wakes due by `until` (before it, not inclusive), in time order, including those
        scheduled while iterating."""
        for at, target, timer in self._queue.pop_due(until, inclusive=inclusive):
            yield Wake(_KINDS[timer.kind], target, timer.ref, at)

    def pending(self, target: str) -> tuple[StoredTimer, ...]:
        """The timers armed for an instance, as a store keeps them."""
        return self._queue.pending(target)

    def disarm(self, instance: str, ref: str) -> None:
        self._queue.cancel(instance, lambda timer: timer.ref == ref)

    def track(self, event: Event, instance: Instance) -> None:
        """Arm or disarm what `event`, just applied to `instance`, calls for (the instants are the
        state's own, not parsed again from the event's text)."""
        data = event.data
        if event.type is EventType.DUTY_OPENED:
            duty = instance.duties[data["key"]]
            if duty.warn_at is not None:
                self.arm(WakeKind.WARN, event.instance, duty.key, duty.warn_at)
            self.arm(WakeKind.DUE, event.instance, duty.key, duty.due)
        elif event.type is EventType.DUTY_SCHEDULED:
            self.disarm(event.instance, series_ref(data["duty"]))
            following = instance.series[data["duty"]].next_at
            if following is not None:
                self.arm(WakeKind.OPEN, event.instance, series_ref(data["duty"]), following)
        elif (
            event.type in (EventType.DUTY_SATISFIED, EventType.DUTY_CANCELLED)
            or event.type is EventType.DUTY_PAUSED
        ):
            self.disarm(event.instance, data["key"])
        elif event.type in (EventType.DUTY_DUE_CHANGED, EventType.DUTY_RESUMED):
            self.disarm(event.instance, data["key"])
            duty = instance.duties[data["key"]]
            if duty.paused_at is not None:
                return
            if duty.warn_at is not None and duty.warned_at is None:
                self.arm(WakeKind.WARN, event.instance, duty.key, duty.warn_at)
            self.arm(WakeKind.DUE, event.instance, duty.key, duty.due)
        elif event.type is EventType.INSTANCE_COMPLETED:
            self.forget(event.instance)
        elif event.type is EventType.INCIDENT:
            self.reset(instance)

    def forget(self, instance: str) -> None:
        self._queue.cancel(instance)

    def reset(self, instance: Instance, *, retrying: bool = False) -> None:
        """Derive the instance's timers from its state alone: while it has an open incident, only
        the timer of its retry (`retrying` arms the others again, for the retry)."""
        self.forget(instance.id)
        if instance.finished:
            return
        if instance.incident is not None and not retrying:
            self.arm(WakeKind.RETRY, instance.id, "", instant(instance.incident["retry_at"]))
            return
        for duty in instance.open_duties():
            if duty.paused_at is not None:
                continue
            if duty.warn_at is not None and duty.warned_at is None:
                self.arm(WakeKind.WARN, instance.id, duty.key, duty.warn_at)
            if duty.breached_at is None:
                self.arm(WakeKind.DUE, instance.id, duty.key, duty.due)
        for series in instance.series.values():
            if series.next_at is not None:
                self.arm(WakeKind.OPEN, instance.id, series_ref(series.duty), series.next_at)

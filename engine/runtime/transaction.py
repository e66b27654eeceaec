"""One command (or one timer firing) as a unit: its events are applied as they are made, and either
all of them are kept or, on a refusal, every touched instance is rebuilt from its journal as it was
before, so a refused command changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from engine.runtime.events import Actor, Event, EventType, iso
from engine.runtime.instance import Instance


class Transaction:
    def __init__(
        self, at: datetime, actor: Actor, key: str = "", *, fired_at: datetime | None = None
    ) -> None:
        self.at = at
        self.actor = actor
        self.key = key
        self.roles = tuple(sorted(actor.roles))
        self.fired_at = fired_at
        """When a timer due at `at` actually fired, if later (the engine was down): noted in its events."""
        self.schedules: list[tuple[str, datetime, datetime | None]] = []
        """(process id, the self-start made, the next one) for each self-start in this transaction."""
        self.events: list[Event] = []
        self.before: dict[str, tuple[Instance, int]] = {}
        """Instance id → (the instance, its journal length when the transaction first touched it)."""
        self.undo: list[Callable[[], None]] = []

    def emit(self, instance: Instance, event_type: EventType, data: dict[str, Any]) -> Event:
        length = len(instance.journal)
        if instance.id not in self.before:
            self.before[instance.id] = (instance, length)
        at = self.at if instance.updated_at is None else max(self.at, instance.updated_at)
        event = Event(
            instance=instance.id,
            sequence=length + 1,
            at=at,
            actor=self.actor.id,
            roles=self.roles,
            type=event_type,
            data=data if self.fired_at is None else {**data, "fired_at": iso(self.fired_at)},
            key=self.key,
        )
        instance.apply(event)
        self.events.append(event)
        return event

    def absorb(self, other: Transaction) -> None:
        """Take in what another transaction did, to be committed with this one's: timer firings are
        stored together, each event keeping its own instant."""
        for instance_id, touched in other.before.items():
            self.before.setdefault(instance_id, touched)
        self.events += other.events
        self.undo += other.undo
        self.schedules += other.schedules

    def rolled_back(self) -> dict[str, Instance | None]:
        """Each touched instance as it was before (None for one this transaction created)."""
        for undo in reversed(self.undo):
            undo()
        return {
            instance_id: Instance.replay(instance.journal[:length]) if length else None
            for instance_id, (instance, length) in self.before.items()
        }

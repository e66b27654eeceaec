"""The journal's vocabulary: who acts (`Actor`) and what happened (`Event`).

Every change to an instance is one `Event` appended to its journal; an instance's state is the fold
of its events (see `instance.py`). Event data holds only JSON values (instants as ISO 8601 text in
UTC), so a journal can be stored and read back without loss.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any, NamedTuple


class EventType(Enum):
    INSTANCE_STARTED = "instance_started"
    STAGE_ENTERED = "stage_entered"
    VARIABLES_SET = "variables_set"
    RECORD_SUBMITTED = "record_submitted"
    RECORD_SIGNED = "record_signed"
    EVENT_RAISED = "event_raised"
    DUTY_SCHEDULED = "duty_scheduled"
    """A recurring duty's next occurrence is planned (`next_at`), or the series ended (null)."""
    DUTY_OPENED = "duty_opened"
    DUTY_WARNED = "duty_warned"
    DUTY_SATISFIED = "duty_satisfied"
    DUTY_BREACHED = "duty_breached"
    DUTY_DUE_CHANGED = "duty_due_changed"
    """An open duty's deadline moved: its decision table's inputs changed (`due`, `warn_at`)."""
    DUTY_PAUSED = "duty_paused"
    """An open duty's clock stopped (`paused_while`)."""
    DUTY_RESUMED = "duty_resumed"
    """Its clock runs again; the deadline moved by the paused span (`due`, `warn_at`, `stopped`)."""
    DUTY_ESCALATED = "duty_escalated"
    DUTY_CANCELLED = "duty_cancelled"
    NOTIFIED = "notified"
    CHILD_STARTED = "child_started"
    CHILD_COMPLETED = "child_completed"
    INSTANCE_COMPLETED = "instance_completed"
    COMMAND_REFUSED = "command_refused"
    INCIDENT = "incident"
    """Acting on the instance failed (`error`, `attempt`); its timers wait until `retry_at`."""
    INCIDENT_RESOLVED = "incident_resolved"
    """A retry succeeded: the instance runs as before."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Actor:
    """Who issues a command: an id for the audit trail and the roles it acts in."""

    id: str
    roles: frozenset[str]

    @classmethod
    def of(cls, actor_id: str, *roles: str) -> Actor:
        return cls(id=actor_id, roles=frozenset(roles))


ENGINE = Actor(id="sopflow", roles=frozenset())
"""The actor of everything the engine does by itself: deadlines, warnings, scheduled starts."""


class Event(NamedTuple):
    """One entry of an instance's journal; `sequence` counts from 1 within the instance. A named
    tuple: immutable, and made (or read back) in half the time of a frozen dataclass, for every
    event of every command, firing and journal read."""

    instance: str
    sequence: int
    at: datetime
    actor: str
    type: EventType
    data: Mapping[str, Any]
    roles: tuple[str, ...] = ()
    key: str = ""
    """The idempotency key of the command that caused the event, if it had one."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "instance": self.instance,
            "sequence": self.sequence,
            "at": iso(self.at),
            "actor": self.actor,
            "roles": list(self.roles),
            "type": self.type.value,
            "data": dict(self.data),
            "key": self.key,
        }


ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?\+00:00$")
"""The text `iso` makes of an instant, to recognise instants in event data."""


def iso(moment: datetime) -> str:
    """An instant as ISO 8601 text in UTC, the form every instant takes in event data."""
    return (moment if moment.tzinfo is UTC else moment.astimezone(UTC)).isoformat()


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)

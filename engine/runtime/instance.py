"""A running instance of a process: plain state, changed only by folding journal events into it.

The engine decides (which duty opens, when it is due, which exit is taken) and writes each decision
as an event; `Instance.apply` only records what the event says. So the live state and the state
rebuilt from the journal alone (`Instance.replay`) are the same by construction, and a test compares
`snapshot()`s to prove it. This module knows nothing of specs, clocks or timers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from engine.runtime.events import Event, EventType, instant


class Status(Enum):
    RUNNING = "running"
    COMPLETED = "completed"


class DutyStatus(Enum):
    OPEN = "open"
    SATISFIED = "satisfied"
    CANCELLED = "cancelled"


@dataclass(slots=True, kw_only=True)
class Duty:
    """One occurrence of a duty. A breached duty stays open until it is done late or its scope ends."""

    key: str
    id: str
    stage: str
    """The stage whose visit it belongs to; empty for an instance-wide duty."""
    role: str
    opened_at: datetime
    start: datetime
    """What the deadline counts from: a new due, if its table's inputs change, counts from here."""
    due: datetime
    warn_at: datetime | None
    occurrence: int
    status: DutyStatus = DutyStatus.OPEN
    warned_at: datetime | None = None
    breached_at: datetime | None = None
    satisfied_at: datetime | None = None
    cancelled_at: datetime | None = None
    escalated_to: tuple[str, ...] = ()
    paused_at: datetime | None = None
    """Since when its clock is stopped, while it is."""
    stopped: timedelta = timedelta(0)
    """How long its clock has been stopped, over all its pauses."""

    @property
    def is_open(self) -> bool:
        return self.status is DutyStatus.OPEN

    @property
    def met(self) -> bool:
        """Done by its deadline."""
        return self.status is DutyStatus.SATISFIED and self.breached_at is None

    @property
    def outcome(self) -> str:
        """What became of it, each occurrence one of: `met` (done by its deadline), `late` (done
        after it), `breached` (open past it), `missed` (breached, then its scope ended: never done),
        `open` (not yet due) or `cancelled` (its scope ended before it was due)."""
        if self.status is DutyStatus.OPEN:
            return "open" if self.breached_at is None else "breached"
        if self.status is DutyStatus.SATISFIED:
            return "met" if self.breached_at is None else "late"
        return "cancelled" if self.breached_at is None else "missed"


@dataclass(frozen=True, slots=True, kw_only=True)
class Signature:
    role: str
    actor: str
    at: datetime


@dataclass(slots=True, kw_only=True)
class Record:
    """A submitted form; a new submission of the same form is its next version."""

    form: str
    version: int
    data: dict[str, Any]
    submitted_by: str
    submitted_at: datetime
    visit: int
    """Which stage visit it was submitted in (exits that `require` it need one from the current visit)."""
    signatures: list[Signature] = field(default_factory=list)
    complete: bool = True
    """Signed by every role the form names (true at once for a form that needs no signatures)."""


@dataclass(slots=True, kw_only=True)
class Series:
    """A recurring duty: where it counts from, how many occurrences opened, when the next one opens."""

    duty: str
    stage: str
    anchor: datetime
    opened: int
    next_at: datetime | None


class Instance:
    """State of one instance; read it freely, change it only through the engine's commands."""

    def __init__(self, instance_id: str) -> None:
        self.id = instance_id
        self.process = ""
        self.version = 0
        self.parent = ""
        self.status = Status.RUNNING
        self.stage = ""
        self.visit = 0
        self.started_at: datetime | None = None
        self.stage_entered_at: datetime | None = None
        self.completed_at: datetime | None = None
        self.updated_at: datetime | None = None
        self.variables: dict[str, Any] = {}
        self.records: dict[str, list[Record]] = {}
        self.duties: dict[str, Duty] = {}
        self._open: dict[str, Duty] = {}
        """The open ones among `duties`, in the order they opened: a year-long instance has hundreds
        of duties, and every action asks which are open."""
        self.opened: dict[str, int] = {}
        self.series: dict[str, Series] = {}
        self.rounds: dict[str, int] = {}
        self.children: dict[str, bool] = {}
        self.incident: dict[str, Any] | None = None
        """The open incident (`error`, `attempt`, `retry_at`), while its timers wait to be retried."""
        self.journal: list[Event] = []

    @classmethod
    def replay(cls, events: Iterable[Event]) -> Instance:
        """The instance as its journal describes it."""
        instance: Instance | None = None
        for event in events:
            if instance is None:
                instance = cls(event.instance)
            instance.apply(event)
        if instance is None:
            raise ValueError("an instance's journal cannot be empty")
        return instance

    # Queries

    @property
    def finished(self) -> bool:
        return self.status is Status.COMPLETED

    def open_duties(self) -> list[Duty]:
        return list(self._open.values())

    def open_duty(self, duty_id: str) -> Duty | None:
        """The oldest open occurrence of a duty."""
        return next((d for d in self._open.values() if d.id == duty_id), None)

    def latest_duty(self, duty_id: str) -> Duty | None:
        """The latest occurrence of a duty, whatever its state."""
        count = self.opened.get(duty_id)
        return self.duties[f"{duty_id}#{count}"] if count else None

    def breaches(self) -> list[Duty]:
        return [d for d in self.duties.values() if d.breached_at is not None]

    def latest(self, form: str) -> Record | None:
        versions = self.records.get(form)
        return versions[-1] if versions else None

    def record_gap(self, form: str, signers: tuple[str, ...]) -> str:
        """What is missing for a complete (fully signed by `signers`) record of `form` submitted
        during the current stage visit, in words; empty when there is one."""
        record = self.latest(form)
        if record is None:
            return f"a record of {form}"
        if record.visit != self.visit:
            before = f"version {record.version} is from before"
            return f"a new record of {form} in this visit to the stage ({before})"
        if not record.complete:
            signed = {s.role for s in record.signatures}
            waiting = ", ".join(role for role in signers if role not in signed)
            return f"{form} version {record.version} signed by {waiting}"
        return ""

    def snapshot(self) -> dict[str, Any]:
        """Every piece of state as plain data, for comparing two instances."""
        state = {name: value for name, value in vars(self).items() if name not in ("journal", "_open")}
        state["duties"] = {key: asdict(duty) for key, duty in self.duties.items()}
        state["records"] = {form: [asdict(r) for r in versions] for form, versions in self.records.items()}
        state["series"] = {key: asdict(s) for key, s in self.series.items()}
        state["journal_length"] = len(self.journal)
        return state

    # The fold

    def apply(self, event: Event) -> None:
        if event.sequence != len(self.journal) + 1:
            raise ValueError(f"{self.id}: event {event.sequence} out of order after {len(self.journal)}")
        _APPLY[event.type](self, event)
        self.journal.append(event)
        self.updated_at = event.at

    def _started(self, event: Event) -> None:
        data = event.data
        self.process = data["process"]
        self.version = data["version"]
        self.parent = data.get("parent", "")
        self.variables = dict(data["variables"])
        self.started_at = event.at

    def _stage_entered(self, event: Event) -> None:
        data = event.data
        self.stage = data["stage"]
        self.stage_entered_at = event.at
        self.visit += 1
        if data.get("exit"):
            self.rounds[data["exit"]] = self.rounds.get(data["exit"], 0) + 1
        self.series = {key: s for key, s in self.series.items() if not s.stage}

    def _variables_set(self, event: Event) -> None:
        self.variables.update(event.data["values"])

    def _record_submitted(self, event: Event) -> None:
        data = event.data
        versions = self.records.setdefault(data["form"], [])
        versions.append(
            Record(
                form=data["form"],
                version=data["version"],
                data=dict(data["data"]),
                submitted_by=event.actor,
                submitted_at=event.at,
                visit=self.visit,
                complete=data["complete"],
            )
        )

    def _record_signed(self, event: Event) -> None:
        data = event.data
        record = self.records[data["form"]][data["version"] - 1]
        record.signatures.append(Signature(role=data["role"], actor=event.actor, at=event.at))
        record.complete = data["complete"]

    def _duty_scheduled(self, event: Event) -> None:
        data = event.data
        next_at = instant(data["next_at"]) if data["next_at"] else None
        self.series[data["duty"]] = Series(
            duty=data["duty"],
            stage=data["stage"],
            anchor=instant(data["anchor"]),
            opened=data["opened"],
            next_at=next_at,
        )

    def _duty_opened(self, event: Event) -> None:
        data = event.data
        self.opened[data["duty"]] = self.opened.get(data["duty"], 0) + 1
        self.duties[data["key"]] = self._open[data["key"]] = Duty(
            key=data["key"],
            id=data["duty"],
            stage=data["stage"],
            role=data["role"],
            opened_at=event.at,
            start=instant(data["start"]),
            due=instant(data["due"]),
            warn_at=instant(data["warn_at"]) if data["warn_at"] else None,
            occurrence=data["occurrence"],
        )

    def _duty_warned(self, event: Event) -> None:
        self.duties[event.data["key"]].warned_at = event.at

    def _duty_satisfied(self, event: Event) -> None:
        duty = self.duties[event.data["key"]]
        duty.status = DutyStatus.SATISFIED
        duty.satisfied_at = event.at
        self._open.pop(duty.key, None)

    def _duty_due_changed(self, event: Event) -> None:
        duty = self.duties[event.data["key"]]
        duty.due = instant(event.data["due"])
        duty.warn_at = instant(event.data["warn_at"]) if event.data["warn_at"] else None

    def _duty_paused(self, event: Event) -> None:
        self.duties[event.data["key"]].paused_at = event.at

    def _duty_resumed(self, event: Event) -> None:
        duty = self.duties[event.data["key"]]
        duty.stopped += timedelta(seconds=event.data["stopped"])
        duty.paused_at = None
        duty.due = instant(event.data["due"])
        duty.warn_at = instant(event.data["warn_at"]) if event.data["warn_at"] else None

    def _duty_breached(self, event: Event) -> None:
        self.duties[event.data["key"]].breached_at = event.at

    def _duty_escalated(self, event: Event) -> None:
        duty = self.duties[event.data["key"]]
        duty.escalated_to = (*duty.escalated_to, event.data["role"])

    def _duty_cancelled(self, event: Event) -> None:
        duty = self.duties[event.data["key"]]
        duty.status = DutyStatus.CANCELLED
        duty.cancelled_at = event.at
        self._open.pop(duty.key, None)

    def _child_started(self, event: Event) -> None:
        self.children[event.data["child"]] = False

    def _child_completed(self, event: Event) -> None:
        self.children[event.data["child"]] = True

    def _completed(self, event: Event) -> None:
        self.status = Status.COMPLETED
        self.completed_at = event.at
        self.series = {}

    def _incident(self, event: Event) -> None:
        self.incident = {**event.data, "at": event.at.isoformat()}

    def _incident_resolved(self, event: Event) -> None:
        self.incident = None

    def _history_only(self, event: Event) -> None:
        """Notifications and refusals are part of the history but change no state."""


_APPLY: dict[EventType, Callable[[Instance, Event], None]] = {
    EventType.INSTANCE_STARTED: Instance._started,
    EventType.STAGE_ENTERED: Instance._stage_entered,
    EventType.VARIABLES_SET: Instance._variables_set,
    EventType.RECORD_SUBMITTED: Instance._record_submitted,
    EventType.RECORD_SIGNED: Instance._record_signed,
    EventType.EVENT_RAISED: Instance._history_only,
    EventType.DUTY_SCHEDULED: Instance._duty_scheduled,
    EventType.DUTY_OPENED: Instance._duty_opened,
    EventType.DUTY_WARNED: Instance._duty_warned,
    EventType.DUTY_SATISFIED: Instance._duty_satisfied,
    EventType.DUTY_BREACHED: Instance._duty_breached,
    EventType.DUTY_DUE_CHANGED: Instance._duty_due_changed,
    EventType.DUTY_PAUSED: Instance._duty_paused,
    EventType.DUTY_RESUMED: Instance._duty_resumed,
    EventType.DUTY_ESCALATED: Instance._duty_escalated,
    EventType.DUTY_CANCELLED: Instance._duty_cancelled,
    EventType.NOTIFIED: Instance._history_only,
    EventType.CHILD_STARTED: Instance._child_started,
    EventType.CHILD_COMPLETED: Instance._child_completed,
    EventType.INSTANCE_COMPLETED: Instance._completed,
    EventType.COMMAND_REFUSED: Instance._history_only,
    EventType.INCIDENT: Instance._incident,
    EventType.INCIDENT_RESOLVED: Instance._incident_resolved,
}

"""Frozen dataclasses describing a process definition.

JSON Schemas carried by variables and fields are stored as canonical JSON text: immutable, hashable
and cheap to compare; `schema()` returns a fresh dict for validators.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from engine.expressions import Condition, Expression
from engine.time.calendar import BusinessCalendar, CalendarSpec, calendar_for
from engine.time.durations import Duration
from engine.time.recurrence import OnNonWorking, RecurrenceSpec


class Scope(Enum):
    """How long a duty lives: while its stage lasts, or for the whole instance."""

    STAGE = "stage"
    INSTANCE = "instance"


class AnchorKind(Enum):
    SCOPE_START = "scope_start"
    INSTANCE_START = "instance_start"
    RECORD = "record"
    EVENT = "event"
    FIELD = "field"
    DUTY = "duty"
    BREACH = "breach"


@dataclass(frozen=True, slots=True, kw_only=True)
class AnchorSpec:
    """What a deadline counts from; for every kind but the first two, also what creates the duty."""

    kind: AnchorKind
    ref: str = ""
    field: str = ""

    def __str__(self) -> str:
        if self.kind is AnchorKind.FIELD:
            return f"{self.ref}.{self.field}"
        return f"{self.kind.value}: {self.ref}" if self.ref else self.kind.value


@dataclass(frozen=True, slots=True, kw_only=True)
class RoleSpec:
    id: str
    title: str
    title_en: str = ""
    description: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class VariableSpec:
    id: str
    title: str
    schema_json: str
    input: str = "none"
    derive_table: str = ""
    """A derived variable: the value the decision table gives for the instance's data."""
    derive: Expression | None = None
    """A derived variable: the value of this expression."""
    value_titles: tuple[tuple[str, str], ...] = ()
    """What its allowed values are called (value, title), where the process names them."""
    title_en: str = ""
    description: str = ""

    def schema(self) -> dict[str, Any]:
        return _decode(self.schema_json)

    @property
    def derived(self) -> bool:
        return bool(self.derive_table) or self.derive is not None

    @property
    def is_instant(self) -> bool:
        """A date-time, which expressions see as an instant."""
        return self.schema().get("format") == "date-time"


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldSpec:
    id: str
    title: str
    schema_json: str
    required: bool = True
    default: Expression | None = None
    """What the engine fills in when the field is left out (an instant it knows, a variable)."""
    value_titles: tuple[tuple[str, str], ...] = ()
    """What its allowed values are called (value, title), where the process names them."""
    title_en: str = ""
    description: str = ""

    def schema(self) -> dict[str, Any]:
        return _decode(self.schema_json)


DUTY_INSTANTS = ("opened_at", "due_at", "done_at", "breached_at")


def engine_names(duties: Iterable[str]) -> tuple[str, ...]:
    """The names of the engine's own instants in expressions: `now`, `instance.started_at`,
    `stage.entered_at`, and `duties.<id>.opened_at` (`.due_at`, `.done_at`, `.breached_at`) of the
    latest occurrence of each duty."""
    return (
        "now",
        "instance.started_at",
        "stage.entered_at",
        *(f"duties.{duty}.{what}" for duty in duties for what in DUTY_INSTANTS),
    )


def _decode(schema_json: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(schema_json)
    return schema


@dataclass(frozen=True, slots=True, kw_only=True)
class FormSpec:
    id: str
    title: str
    fields: tuple[FieldSpec, ...]
    filled_by: tuple[str, ...]
    signed_by: tuple[str, ...] = ()
    distinct_signers: bool = True
    """Each signature from a different person: one who holds two signing roles gives only one."""
    sets: tuple[tuple[str, str], ...] = ()
    """(variable, field) pairs copied into the instance's variables on submission."""
    rules: tuple[str, ...] = ()
    title_en: str = ""
    description: str = ""


def fields_schema(fields: tuple[FieldSpec, ...]) -> dict[str, Any]:
    """A JSON Schema for an object made of `fields` and nothing else."""
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {f.id: f.schema() for f in fields},
        "required": [f.id for f in fields if f.required],
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class ChildSpec:
    process: str
    inputs: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class EventSpec:
    id: str
    title: str
    by: tuple[str, ...]
    data: tuple[FieldSpec, ...] = ()
    sets: tuple[tuple[str, str], ...] = ()
    start_child: ChildSpec | None = None
    rules: tuple[str, ...] = ()
    title_en: str = ""
    description: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionRowSpec:
    when: tuple[tuple[str, tuple[Any, ...]], ...]
    """(input, allowed values); an input left out matches anything."""
    then: Any
    """A duration's text for a deadline table, else a value of the variable the table derives."""
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionTableSpec:
    id: str
    title: str
    inputs: tuple[str, ...]
    rows: tuple[DecisionRowSpec, ...]
    default: Any = None
    """The result while an input is unset (None: no result then)."""
    rules: tuple[str, ...] = ()
    title_en: str = ""
    description: str = ""

    def lookup(self, variables: Mapping[str, Any]) -> Any:
        """The result of the row matching `variables`, or the default when an input is unset."""
        if any(variables.get(name) is None for name in self.inputs):
            return self.default
        for row in self.rows:
            if all(variables.get(name) in values for name, values in row.when):
                return row.then
        return self.default


@dataclass(frozen=True, slots=True, kw_only=True)
class DueSpec:
    """Either a fixed duration or the name of a decision table that gives one."""

    duration: Duration | None = None
    table: str = ""

    def __str__(self) -> str:
        return str(self.duration) if self.duration is not None else f"per table {self.table}"


@dataclass(frozen=True, slots=True, kw_only=True)
class BreachActionSpec:
    escalate: tuple[str, ...] = ()
    """The roles the breached duty is escalated to, in order."""
    notify: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class DutySpec:
    id: str
    title: str
    role: str
    due: DueSpec
    scope: Scope
    stage: str = ""
    """The stage a stage-scoped duty belongs to."""
    anchor: AnchorSpec = field(default_factory=lambda: AnchorSpec(kind=AnchorKind.SCOPE_START))
    when: Condition | None = None
    satisfied_by_form: str = ""
    satisfied_by_event: str = ""
    satisfied_by_trigger: str = ""
    needs_signatures: bool = False
    repeat: RecurrenceSpec | None = None
    warn: Duration | None = None
    """Warn this long (wall-clock time) before the deadline."""
    warn_share: int | None = None
    """Or warn when this percentage of the allowed time has run (working time for a working-time duty)."""
    on_breach: tuple[BreachActionSpec, ...] = ()
    paused_in: tuple[str, ...] = ()
    """Its clock stops while the instance is in one of these stages."""
    paused_when: Condition | None = None
    """Its clock stops while this condition holds."""
    rule: str = ""
    title_en: str = ""

    @property
    def pausable(self) -> bool:
        return bool(self.paused_in) or self.paused_when is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class ExitSpec:
    to: str
    trigger: str = ""
    on_record: str = ""
    on_signed: str = ""
    """Taken when a record of this form is fully signed."""
    on_event: str = ""
    """Taken when this event is raised."""
    when: Condition | None = None
    by: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    max_rounds: int | None = None
    fallback: str = ""
    id: str = ""
    title: str = ""

    @property
    def engine_taken(self) -> bool:
        """Taken by the engine when something happens, rather than fired by someone."""
        return not self.trigger


@dataclass(frozen=True, slots=True, kw_only=True)
class WindowSpec:
    start: Duration | None
    end: Duration
    anchor: str = "instance_start"


@dataclass(frozen=True, slots=True, kw_only=True)
class StageSpec:
    id: str
    title: str
    owner: str = ""
    assist: tuple[str, ...] = ()
    window: WindowSpec | None = None
    produces: tuple[str, ...] = ()
    notify_on_entry: tuple[str, ...] = ()
    duties: tuple[DutySpec, ...] = ()
    exits: tuple[ExitSpec, ...] = ()
    end: bool = False
    rules: tuple[str, ...] = ()
    title_en: str = ""
    description: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleSpec:
    cron: str
    on_non_working: OnNonWorking = OnNonWorking.KEEP
    inputs_json: str = "{}"
    """The start inputs of every instance it starts, as canonical JSON."""

    def inputs(self) -> dict[str, Any]:
        return _decode(self.inputs_json)

    def recurrence(self) -> RecurrenceSpec:
        return RecurrenceSpec(cron=self.cron, on_non_working=self.on_non_working)


@dataclass(frozen=True, slots=True, kw_only=True)
class CountSpec:
    of: str
    form: str = ""
    stage: str = ""
    event: str = ""
    exit: str = ""
    duty: str = ""
    """With breaches, duties_due or duties_met: only the occurrences of this duty."""
    rule: str = ""
    """With breaches, duties_due or duties_met: only the occurrences of duties implementing this rule."""
    where: Condition | None = None
    group_by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class MetricSpec:
    id: str
    title: str
    count: CountSpec | None = None
    rate: tuple[CountSpec, CountSpec] | None = None
    mean: tuple[str, tuple[str, ...]] | None = None
    top: tuple[tuple[str, str], str, int] | None = None
    """(("form" or "event", its id), field, how many values)."""
    funnel: tuple[str, ...] = ()
    on_time: CountSpec | None = None
    """The share of duty occurrences due in the period that were met (the count says which)."""
    rules: tuple[str, ...] = ()
    title_en: str = ""
    description: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportSpec:
    title: str
    period: str
    title_en: str = ""
    rules: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcessSpec:
    id: str
    version: int
    title: str
    calendar: CalendarSpec
    roles: tuple[RoleSpec, ...]
    stages: tuple[StageSpec, ...]
    initial: str
    variables: tuple[VariableSpec, ...] = ()
    forms: tuple[FormSpec, ...] = ()
    events: tuple[EventSpec, ...] = ()
    decision_tables: tuple[DecisionTableSpec, ...] = ()
    duties: tuple[DutySpec, ...] = ()
    """Instance-scoped duties."""
    start_by: tuple[str, ...] = ()
    schedule: ScheduleSpec | None = None
    metrics: tuple[MetricSpec, ...] = ()
    report: ReportSpec | None = None
    title_en: str = ""
    locale: str = "en"
    """The language of the process's texts, and so of every output made from it."""
    description: str = ""
    source: str = ""
    path: str = ""
    text: str = field(default="", compare=False, repr=False)
    """The YAML the definition was read from, kept so a durable store can hand it to other engines."""
    _index: _Index = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", _Index(self))

    def stage(self, stage_id: str) -> StageSpec:
        return self._index.stages[stage_id]

    def form(self, form_id: str) -> FormSpec:
        return self._index.forms[form_id]

    def role(self, role_id: str) -> RoleSpec:
        return self._index.roles[role_id]

    def event(self, event_id: str) -> EventSpec:
        return self._index.events[event_id]

    def decision_table(self, table_id: str) -> DecisionTableSpec:
        return self._index.tables[table_id]

    def duty(self, duty_id: str) -> DutySpec:
        """A duty by id, instance-wide or of any stage (ids are unique within a process)."""
        return self._index.duties[duty_id]

    def all_duties(self) -> tuple[DutySpec, ...]:
        """Instance-scoped duties first, then each stage's, in document order."""
        return self.duties + tuple(d for s in self.stages for d in s.duties)

    def duties_in(self, stage_id: str) -> tuple[DutySpec, ...]:
        """The instance-scoped duties and those of stage `stage_id` ("" for none)."""
        return self._index.duties_in[stage_id]

    def derived_variables(self) -> tuple[VariableSpec, ...]:
        """The variables the engine computes, in the order they are declared (and computed)."""
        return self._index.derived

    def has_pausable_duties(self) -> bool:
        """Whether any duty's clock can stop (`paused_while`): asked at the end of every step."""
        return self._index.pausable

    def instant_variables(self) -> frozenset[str]:
        """The variables holding date-times, which expressions see as instants."""
        return self._index.instants

    def business_calendar(self) -> BusinessCalendar:
        """The evaluated calendar, shared with every definition of the same calendar; asked for at
        every deadline, so it is found once rather than by hashing the calendar each time."""
        index = self._index
        if index.calendar is None:
            index.calendar = calendar_for(self.calendar)
        return index.calendar


class _Index:
    """A definition's parts by id: commands name them, and each would otherwise be a linear search."""

    __slots__ = (
        "calendar", "derived", "duties", "duties_in", "events",
        "forms", "instants", "pausable", "roles", "stages", "tables",
    )  # fmt: skip

    def __init__(self, spec: ProcessSpec) -> None:
        self.stages = {s.id: s for s in spec.stages}
        self.forms = {f.id: f for f in spec.forms}
        self.roles = {r.id: r for r in spec.roles}
        self.events = {e.id: e for e in spec.events}
        self.tables = {t.id: t for t in spec.decision_tables}
        self.duties = {d.id: d for d in spec.all_duties()}
        self.duties_in = {"": spec.duties} | {s.id: spec.duties + s.duties for s in spec.stages}
        self.derived = tuple(v for v in spec.variables if v.derived)
        self.instants = frozenset(v.id for v in spec.variables if v.is_instant)
        self.pausable = any(d.pausable for d in self.duties.values())
        self.calendar: BusinessCalendar | None = None

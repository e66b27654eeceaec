"""Duty arithmetic: which duties an anchor creates, when each is due, what satisfies it.

Pure functions of the definition, the instance's state and the calendar; the engine turns their
answers into journal events.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from engine.runtime.instance import Instance
from engine.spec.model import AnchorKind, DutySpec, ProcessSpec
from engine.time.calendar import BusinessCalendar
from engine.time.durations import Duration, parse_duration
from engine.time.recurrence import series

SCOPE_ANCHORS = (AnchorKind.SCOPE_START, AnchorKind.INSTANCE_START)
"""Duties with these anchors are created when their scope (the stage or the instance) starts."""


def visible(spec: ProcessSpec, instance: Instance) -> tuple[DutySpec, ...]:
    """The duties that can be created or satisfied now: the instance's and the current stage's."""
    return spec.duties_in("" if instance.finished else instance.stage)


def anchored_on(spec: ProcessSpec, instance: Instance, kind: AnchorKind, ref: str) -> list[DutySpec]:
    return [d for d in visible(spec, instance) if d.anchor.kind is kind and d.anchor.ref == ref]


def applies(duty: DutySpec, scope: Mapping[str, Any]) -> bool:
    return duty.when is None or duty.when(scope)


def scope_start(duty: DutySpec, instance: Instance) -> datetime:
    """The instant a scope-anchored duty counts from."""
    if duty.anchor.kind is AnchorKind.INSTANCE_START or not duty.stage:
        assert instance.started_at is not None
        return instance.started_at
    assert instance.stage_entered_at is not None
    return instance.stage_entered_at


def allowance(spec: ProcessSpec, duty: DutySpec, variables: Mapping[str, Any]) -> Duration:
    """The time the duty allows, fixed or from its decision table (whose inputs the loader has
    proven to be set when the duty is created, or covered by the table's default)."""
    if duty.due.duration is not None:
        return duty.due.duration
    answer = spec.decision_table(duty.due.table).lookup(variables)
    if answer is None:
        raise LookupError(f"decision table '{duty.due.table}' has no row for these values")
    return _duration(answer)


@functools.lru_cache(maxsize=1024)
def _duration(text: str) -> Duration:
    """A deadline table's answer, read once (the loader has checked that it reads)."""
    return parse_duration(text)


def warning(
    duty: DutySpec,
    allowed: Duration,
    start: datetime,
    due: datetime,
    opened: datetime,
    calendar: BusinessCalendar,
) -> datetime | None:
    """When to warn that the duty is due soon: a wall-clock time before `due`, or once a share of
    the time `allowed` from `start` has run (working time when it is working time); None when
    there is no warning or it would come too late."""
    if duty.warn is not None:
        moment = due - duty.warn.as_timedelta()
    elif duty.warn_share is not None:
        share = duty.warn_share / 100
        if allowed.is_working:
            moment = calendar.add_working_time(start, calendar.elapsed_working(start, due) * share)
        else:
            moment = start + (due - start) * share
    else:
        return None
    return moment if moment > opened else None


def field_instant(value: Any, calendar: BusinessCalendar) -> datetime | None:
    """A date field counts from the start of that day in the calendar's timezone."""
    if not isinstance(value, str):
        return None
    if "T" in value or " " in value:
        return datetime.fromisoformat(value)
    return calendar.at_local(date.fromisoformat(value), 0)


def nth_occurrence(
    duty: DutySpec, anchor: datetime, calendar: BusinessCalendar, index: int
) -> datetime | None:
    """The `index`-th (0-based) instant of a recurring duty's series, or None past its end."""
    assert duty.repeat is not None
    return series(duty.repeat, anchor, calendar).nth(index)


def satisfied_by(
    duty: DutySpec, *, form: str = "", signed: bool = False, event: str = "", trigger: str = ""
) -> bool:
    if form:
        return duty.satisfied_by_form == form and duty.needs_signatures == signed
    if event:
        return duty.satisfied_by_event == event
    return bool(trigger) and duty.satisfied_by_trigger == trigger

"""What expressions see of an instance: its variables (date-times as instants) and the engine's own
instants, so that nobody types into a form what the engine already knows: now, when the instance
started and its stage was entered, and when each duty's latest occurrence opened, falls due, was done
or was breached. A name with no value yet (a duty never done) is null."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from engine.runtime.instance import Instance
from engine.spec.model import FieldSpec
from engine.time.calendar import BusinessCalendar


class Scope(Mapping[str, Any]):
    """The names an expression may use, for one instance; `calendar` serves the working-time
    functions, and `variables`, when given, stands for the instance's (values being derived)."""

    __slots__ = ("_instance", "_instants", "_now", "_variables", "calendar")

    def __init__(
        self,
        instance: Instance,
        instants: frozenset[str],
        *,
        now: datetime | None = None,
        calendar: BusinessCalendar | None = None,
        variables: Mapping[str, Any] | None = None,
    ) -> None:
        self._instance = instance
        self._instants = instants
        self._now = now
        self._variables = instance.variables if variables is None else variables
        self.calendar = calendar

    def __getitem__(self, name: str) -> Any:
        instance = self._instance
        if name in self._variables:
            value = self._variables[name]
            return _instant(value) if name in self._instants else value
        if name == "now" and self._now is not None:
            return self._now
        if name == "instance.started_at":
            return instance.started_at
        if name == "stage.entered_at":
            return instance.stage_entered_at
        if name.startswith("duties."):
            _, duty_id, what = name.split(".")
            latest = instance.latest_duty(duty_id)
            if latest is None:
                return None
            return {
                "opened_at": latest.opened_at,
                "due_at": latest.due,
                "done_at": latest.satisfied_at,
                "breached_at": latest.breached_at,
            }[what]
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._variables)

    def __len__(self) -> int:
        return len(self._variables)


def _instant(value: Any) -> datetime | None:
    """A date-time variable's text as an instant (the schema has checked it, so it parses)."""
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def as_json(value: Any, calendar: BusinessCalendar) -> Any:
    """A computed value as instance data holds it: an instant as ISO 8601 text in the calendar's
    timezone, a number JSON cannot hold as null."""
    if isinstance(value, datetime):
        return value.astimezone(calendar.tz).isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def with_defaults(fields: tuple[FieldSpec, ...], data: Any, scope: Scope) -> Any:
    """`data` with each field it leaves out that has a default, and whose default has a value now,
    filled in: what the engine knows nobody types."""
    if not isinstance(data, Mapping) or scope.calendar is None:
        return data
    filled = dict(data)
    for field in fields:
        if field.default is not None and field.id not in filled:
            value = as_json(field.default.value(scope), scope.calendar)
            if value is not None:
                filled[field.id] = value
    return filled

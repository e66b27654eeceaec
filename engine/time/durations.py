"""Durations of the process language: `5m`, `2h`, `1d`, `8 working hours`, `3 working days`, `3 months`.

A duration is a value (amount, unit); what it means depends on its kind:
- wall units (minutes, hours, days, weeks) are elapsed physical time: `1d` is exactly 24 hours;
- working units consume the business calendar's working time (`working minutes`, `working hours`) or
  count its working days (`working days`: the end of working time on the N-th working day after the
  day of the start; the start day itself is not counted);
- calendar units (`months`, `years`) move the local date and keep the local time of day; a day past the
  end of the target month is clamped (Jan 31 + 1 month = Feb 28, or 29 in a leap year).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING

from engine.errors import TimeError
from engine.time.clock import require_aware

if TYPE_CHECKING:
    from engine.time.calendar import BusinessCalendar

MAX_AMOUNT = 100_000


class Unit(Enum):
    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"
    WORKING_MINUTE = "working minute"
    WORKING_HOUR = "working hour"
    WORKING_DAY = "working day"
    MONTH = "month"
    YEAR = "year"

    @property
    def is_wall(self) -> bool:
        return self in _WALL_MINUTES

    @property
    def is_working(self) -> bool:
        return self in (Unit.WORKING_MINUTE, Unit.WORKING_HOUR, Unit.WORKING_DAY)


_WALL_MINUTES = {Unit.MINUTE: 1, Unit.HOUR: 60, Unit.DAY: 1440, Unit.WEEK: 10080}

_UNIT_WORDS: dict[str, Unit] = {}
for _unit, _words in {
    Unit.MINUTE: ("m", "min", "mins", "minute", "minutes"),
    Unit.HOUR: ("h", "hr", "hrs", "hour", "hours"),
    Unit.DAY: ("d", "day", "days"),
    Unit.WEEK: ("w", "week", "weeks"),
    Unit.WORKING_MINUTE: ("working minute", "working minutes"),
    Unit.WORKING_HOUR: ("working hour", "working hours"),
    Unit.WORKING_DAY: ("working day", "working days"),
    Unit.MONTH: ("month", "months"),
    Unit.YEAR: ("year", "years"),
}.items():
    for _word in _words:
        _UNIT_WORDS[_word] = _unit

_DURATION = re.compile(r"\s*(\d+)\s*([a-z]+(?: [a-z]+)?)\s*", re.IGNORECASE)

SYNTAX_HELP = (
    "a whole number and a unit: 5m, 2h, 24h, 1d, 2w, 8 working hours, 3 working days, 3 months, 1 year"
)


@dataclass(frozen=True, slots=True)
class Duration:
    amount: int
    unit: Unit

    @property
    def is_wall(self) -> bool:
        return self.unit.is_wall

    @property
    def is_working(self) -> bool:
        return self.unit.is_working

    def as_timedelta(self) -> timedelta:
        """Only wall durations have a fixed length; the others depend on where they start."""
        if not self.is_wall:
            raise TimeError(f"'{self}' has no fixed length; only wall-clock durations do")
        return timedelta(minutes=self.amount * _WALL_MINUTES[self.unit])

    def __str__(self) -> str:
        short = {Unit.MINUTE: "m", Unit.HOUR: "h", Unit.DAY: "d", Unit.WEEK: "w"}
        if self.unit in short:
            return f"{self.amount}{short[self.unit]}"
        word = self.unit.value
        return f"{self.amount} {word}" + ("" if self.amount == 1 else "s")


def parse_duration(text: str) -> Duration:
    """Parse `text` or raise TimeError saying what the syntax is."""
    if not isinstance(text, str):
        raise TimeError(f"a duration must be text such as '2h', not {text!r}")
    match = _DURATION.fullmatch(text)
    unit = _UNIT_WORDS.get(match.group(2).lower()) if match else None
    if match is None or unit is None:
        raise TimeError(f"'{text}' is not a duration; write {SYNTAX_HELP}")
    amount = int(match.group(1))
    if amount > MAX_AMOUNT:
        raise TimeError(f"'{text}' is too long: at most {MAX_AMOUNT:,} {unit.value}s")
    return Duration(amount, unit)


def add(start: datetime, duration: Duration, calendar: BusinessCalendar) -> datetime:
    """The instant `duration` after `start`; working and calendar units use `calendar`. An instant
    outside what a calendar can count (years 1 to 9999) is refused with a TimeError."""
    require_aware(start, "start")
    try:
        return _add(start, duration, calendar)
    except (OverflowError, ValueError) as error:
        raise TimeError(
            f"{start.isoformat()} + {duration} falls outside the instants a calendar can count "
            "(years 1 to 9999)"
        ) from error


def _add(start: datetime, duration: Duration, calendar: BusinessCalendar) -> datetime:
    if duration.is_wall:  # elapsed time: add in UTC, or Python adds wall-clock time within one zone
        return (start.astimezone(UTC) + duration.as_timedelta()).astimezone(start.tzinfo)
    if duration.unit is Unit.WORKING_DAY:
        return calendar.add_working_days(start, duration.amount)
    if duration.unit is Unit.WORKING_HOUR:
        return calendar.add_working_time(start, timedelta(hours=duration.amount))
    if duration.unit is Unit.WORKING_MINUTE:
        return calendar.add_working_time(start, timedelta(minutes=duration.amount))
    months = duration.amount * (12 if duration.unit is Unit.YEAR else 1)
    return calendar.add_months(start, months)

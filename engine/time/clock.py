"""The clock every part of the engine reads time from.

Production code uses `SystemClock`; simulation and tests use `VirtualClock`, which moves only when told
to. No other module may call `datetime.now` (enforced by ruff's banned-api rule), so a whole scenario
replays deterministically on a virtual clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from engine.errors import NaiveDatetimeError, TimeError


def require_aware(moment: datetime, what: str = "instant") -> datetime:
    """Refuse naive datetimes: a deadline without a timezone is a silent wrong answer waiting to happen."""
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        raise NaiveDatetimeError(
            f"{what} {moment.isoformat()} has no timezone; give an offset such as +08:00 or Z"
        )
    return moment


class Clock(Protocol):
    """Anything that can say what time it is, always timezone-aware."""

    def now(self) -> datetime: ...


class SystemClock:
    """Wall-clock time in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class VirtualClock:
    """A clock that stands still until set or advanced; it never goes backwards."""

    __slots__ = ("_now",)

    def __init__(self, start: datetime) -> None:
        self._now = require_aware(start, "clock start").astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        moment = require_aware(moment, "clock time").astimezone(UTC)
        if moment < self._now:
            raise TimeError(
                f"the virtual clock cannot go back from {self._now.isoformat()} to {moment.isoformat()}"
            )
        self._now = moment

    def advance(self, delta: timedelta) -> None:
        if delta < timedelta(0):
            raise TimeError(f"cannot advance the clock by a negative amount ({delta})")
        self._now = self._now + delta

"""Recurrence: the instants at which a recurring duty opens.

Four kinds, each starting from an anchor instant:
- `every`: the anchor itself, then every interval after it (wall or working time, any duration unit);
- `cron`: the cron expression's instants strictly after the anchor, in the calendar's timezone;
- `offsets`: the anchor plus each offset (`[3 months, 6 months, 12 months]`);
- `after_done`: the anchor itself; each later instant depends on when the previous occurrence was done
  (`again_after`), so the series holds only the anchor.
`on_non_working` moves an instant that falls on a non-working day to the same local time on the next
(or previous) working day; an instant moved onto or before its predecessor is dropped, so the series
stays strictly increasing. A series ends after `count` instants or at `until`, whichever comes first.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum

from engine.errors import TimeError
from engine.time.calendar import BusinessCalendar
from engine.time.clock import require_aware
from engine.time.durations import Duration, add

_CRON_LIMIT = 100_000
"""Cron instants examined without yielding one before the rule is declared empty."""


class OnNonWorking(Enum):
    KEEP = "keep"
    NEXT_WORKING_DAY = "next_working_day"
    PREVIOUS_WORKING_DAY = "previous_working_day"


@dataclass(frozen=True, slots=True, kw_only=True)
class RecurrenceSpec:
    every: Duration | None = None
    cron: str | None = None
    offsets: tuple[Duration, ...] = ()
    after_done: Duration | None = None
    on_non_working: OnNonWorking = OnNonWorking.KEEP
    count: int | None = None
    until: datetime | None = None


def check_cron(expression: str) -> None:
    """Raise TimeError with croniter's reason when `expression` is not a valid cron expression."""
    from croniter import croniter

    try:
        croniter(expression)
    except (ValueError, KeyError) as error:
        raise TimeError(f"'{expression}' is not a valid cron expression: {error}") from error


def occurrences(rule: RecurrenceSpec, anchor: datetime, calendar: BusinessCalendar) -> Iterator[datetime]:
    """The instants of `rule` from `anchor`, strictly increasing, in the calendar's timezone."""
    require_aware(anchor, "anchor")
    produced = 0
    previous: datetime | None = None
    for raw in _raw_instants(rule, anchor, calendar):
        if rule.count is not None and produced >= rule.count:
            return
        moment = _adjust(raw, rule.on_non_working, calendar)
        if rule.until is not None and moment > rule.until:
            return
        if previous is not None and moment.astimezone(UTC) <= previous.astimezone(UTC):
            continue  # compared as instants: within one zone Python compares wall times, fold unseen
        previous = moment
        produced += 1
        yield moment


class Series:
    """The instants of one rule from one anchor, walked forward once: a recurring duty asks for its
    next instant at every occurrence, and recomputing the series from the anchor each time would
    cost the square of its length (a cron step costs a tenth of a millisecond). Only the latest
    instant is kept, so a long series costs no more memory than a short one; asking for an earlier
    index starts again from the anchor."""

    __slots__ = ("_anchor", "_calendar", "_index", "_instant", "_instants", "_rule")

    def __init__(self, rule: RecurrenceSpec, anchor: datetime, calendar: BusinessCalendar) -> None:
        self._rule = rule
        self._anchor = anchor
        self._calendar = calendar
        self._instants: Iterator[datetime]
        self._index: int
        self._instant: datetime | None
        self._restart()

    def nth(self, index: int) -> datetime | None:
        """The `index`-th (0-based) instant, or None past the series' end."""
        if index < self._index:
            self._restart()
        while self._index < index:
            following = next(self._instants, None)
            if following is None:
                return None
            self._index += 1
            self._instant = following
        return self._instant

    def _restart(self) -> None:
        self._instants = occurrences(self._rule, self._anchor, self._calendar)
        self._index = -1
        self._instant = None


@functools.lru_cache(maxsize=65_536)
def series(rule: RecurrenceSpec, anchor: datetime, calendar: BusinessCalendar) -> Series:
    """The one `Series` of `rule` from `anchor` while it is in use. The least recently used go
    (about 55 MB when full, room for the live series of some 30,000 instances); one that went is
    walked again from its anchor when next asked."""
    return Series(rule, anchor, calendar)


def _raw_instants(rule: RecurrenceSpec, anchor: datetime, calendar: BusinessCalendar) -> Iterator[datetime]:
    local = calendar.to_local(anchor)
    if rule.every is not None:
        if rule.every.amount == 0:
            raise TimeError("a recurrence interval must be longer than zero")
        moment = local
        while True:
            yield moment
            moment = add(moment, rule.every, calendar)
    elif rule.cron is not None:
        moment = local
        for _ in range(_CRON_LIMIT):
            moment = _cron_next(rule.cron, moment)
            yield moment
    elif rule.after_done is not None:
        yield local
    else:
        for offset in rule.offsets:
            yield add(local, offset, calendar)


@functools.lru_cache(maxsize=65_536)
def _cron_next(expression: str, after: datetime) -> datetime:
    """The expression's first instant strictly after `after`. Series from different anchors meet
    at the expression's instants (every instance's monthly review falls on the same first of the
    month), so from there on each step is computed once for all of them."""
    from croniter import croniter

    following: datetime = croniter(expression, after).get_next(datetime)
    return following


def again_after(
    rule: RecurrenceSpec, done: datetime, opened: int, calendar: BusinessCalendar
) -> datetime | None:
    """The next instant of an `after_done` rule, whose `opened`-th occurrence was done at `done`;
    None when the series has ended (`count`, `until`)."""
    assert rule.after_done is not None
    if rule.count is not None and opened >= rule.count:
        return None
    moment = _adjust(add(calendar.to_local(done), rule.after_done, calendar), rule.on_non_working, calendar)
    return None if rule.until is not None and moment > rule.until else moment


def _adjust(moment: datetime, policy: OnNonWorking, calendar: BusinessCalendar) -> datetime:
    day = calendar.local_date(moment)
    if policy is OnNonWorking.KEEP or calendar.working_intervals(day):
        return moment
    if policy is OnNonWorking.NEXT_WORKING_DAY:
        target = calendar.next_working_day(day)
    else:
        target = calendar.previous_working_day(day)
    moved = calendar.to_local(moment) + timedelta(days=(target - day).days)  # same local time of day
    return calendar.to_local(moved.astimezone(UTC))

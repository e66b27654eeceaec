"""Business calendars: when is working time, and how working hours and working days add up.

A calendar is described by an immutable `CalendarSpec` (timezone, country, working hours, overrides)
and evaluated by a `BusinessCalendar`, which caches one day at a time. A date is a working day when:
1. it is listed in `working_days` (company override), or else
2. it is not listed in `days_off` (company override), and
3. for a country: it is not a statutory holiday and either not a weekend day or an adjusted working
   weekend day (调休) as published by the `holidays` package; without a country: it is not a weekend day.
A working day's hours are those of its weekday if the spec gives them, otherwise the default `hours`
(so an adjusted working Saturday works the normal hours). All arithmetic is done in UTC so that
daylight-saving jumps cannot shorten or stretch working time; results come back in the calendar's zone.
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.relativedelta import relativedelta

from engine.errors import TimeError
from engine.time.clock import require_aware

Interval = tuple[int, int]
"""Working interval as minutes since local midnight, end exclusive; 1440 means midnight at day end."""

DEFAULT_HOURS: tuple[Interval, ...] = ((9 * 60, 12 * 60), (13 * 60, 18 * 60))
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SEARCH_LIMIT_DAYS = 3660
"""How far working-time searches look before deciding the calendar has no working time at all."""

_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]|24):([0-5]\d)$")


def parse_hours(text: str) -> Interval:
    """`'09:00-12:00'` → (540, 720); the end may be `24:00`."""
    match = _HOURS.match(text)
    if match is None:
        raise TimeError(f"'{text}' is not a working interval; write it as HH:MM-HH:MM, e.g. 09:00-12:00")
    start = int(match.group(1)) * 60 + int(match.group(2))
    end = int(match.group(3)) * 60 + int(match.group(4))
    if end > 1440 or end <= start:
        raise TimeError(f"working interval '{text}' must end after it starts, at 24:00 at the latest")
    return start, end


def check_intervals(intervals: tuple[Interval, ...]) -> None:
    for (_, end), (start, _) in itertools.pairwise(intervals):
        if start < end:
            raise TimeError("working intervals must be in order and must not overlap")


def format_interval(interval: Interval) -> str:
    return "-".join(f"{m // 60:02d}:{m % 60:02d}" for m in interval)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as error:  # OSError: a name too long for a file
        raise TimeError(f"unknown timezone '{name}' (use an IANA name such as Asia/Shanghai)") from error


@functools.cache
def _country_codes() -> dict[str, str]:
    """Every spelling `holidays` knows for a country (code, alpha-3, name) mapped to its code."""
    from holidays import registry

    names: dict[str, str] = {}
    for module, (class_name, code, alpha3, *_) in registry.COUNTRIES.items():
        for spelling in (code, alpha3, class_name, module, module.replace("_", " ")):
            names[spelling.lower()] = code
    return names


def country_code(name: str) -> str:
    """Resolve `CN`, `CHN`, `China` or `united_states` to the code `holidays` expects."""
    code = _country_codes().get(name.strip().lower())
    if code is None:
        raise TimeError(f"unknown country '{name}' (use a code supported by the holidays package, e.g. CN)")
    return code


@dataclass(frozen=True, slots=True, kw_only=True)
class CalendarSpec:
    """What a business calendar is; hashable, so evaluated calendars can be shared."""

    timezone: str = "UTC"
    country: str | None = None
    subdivision: str | None = None
    hours: tuple[Interval, ...] = DEFAULT_HOURS
    weekday_hours: tuple[tuple[int, tuple[Interval, ...]], ...] = ()
    weekend: tuple[int, ...] | None = None
    days_off: frozenset[date] = field(default_factory=frozenset)
    working_days: frozenset[date] = field(default_factory=frozenset)


_LOOK_BACK = 10
_NOTICES: dict[tuple[str, int], bool] = {}
"""(country, year) whose adjusted working days are unknown → whether it has been told."""


def pending_notices() -> list[str]:
    """What no one has been told yet of the years whose adjusted working days the calendars do not
    know; each is given once per process."""
    messages = []
    for (country, year), told in sorted(_NOTICES.items()):
        if not told:
            _NOTICES[country, year] = True
            messages.append(
                f"the holidays data has no adjusted working days for {country} in {year}, though "
                f"{country} moves working days onto weekends: deadlines in {year} count every weekend "
                "as days off. When the schedule is published, add its working weekends to the "
                "calendar's working_days (and any extra days off to days_off), or update the holidays "
                "package (pip install --upgrade holidays)."
            )
    return messages


@functools.lru_cache(maxsize=64)
def calendar_for(spec: CalendarSpec) -> BusinessCalendar:
    """One evaluated calendar per spec, so its day cache is shared by everything that uses it."""
    return BusinessCalendar(spec)


class BusinessCalendar:
    """Working time of one `CalendarSpec`; all results are aware datetimes in the calendar's zone."""

    def __init__(self, spec: CalendarSpec) -> None:
        self.spec = spec
        self.tz: tzinfo = zone(spec.timezone)
        self._holidays = None
        if spec.country is not None:
            import holidays

            try:
                self._holidays = holidays.country_holidays(
                    country_code(spec.country), subdiv=spec.subdivision
                )
            except NotImplementedError as error:
                raise TimeError(f"the holidays package has no subdivision '{spec.subdivision}'") from error
        self._weekday_hours = dict(spec.weekday_hours)
        self._years: dict[int, bool] = {}
        """Year → whether the country's adjusted working days are known for it."""
        self._days: dict[date, tuple[tuple[datetime, datetime], ...]] = {}
        self._steps: dict[tuple[date, int], date] = {}
        """(day, ±1) → the nearest working day after or before it: every working-day deadline asks."""

    # -- days ------------------------------------------------------------------------------------
    def adjustments_known(self, year: int) -> bool:
        """False when the country moves working days onto weekends (it did in one of the ten years
        before) but the `holidays` data has none for `year`, and the company overrides add none to
        it: such a schedule is published late, and until then weekends of `year` count as days off.
        The first time a year is found so, a notice says it (see `pending_notices`)."""
        known = self._years.get(year)
        if known is None:
            known = self._holidays is None or self._year_known(year)
            self._years[year] = known
            if not known:
                _NOTICES.setdefault((self.spec.country or "", year), False)
        return known

    def _year_known(self, year: int) -> bool:
        assert self._holidays is not None
        earlier = range(year - _LOOK_BACK, year)
        for probe in (*earlier, year):
            date(probe, 1, 1) in self._holidays  # noqa: B015 (a lookup loads the year's data)
        workdays = {d.year for d in self._holidays.weekend_workdays}
        overrides = {d.year for d in self.spec.working_days}
        return year in workdays or year in overrides or not workdays & set(earlier)

    def is_working_day(self, day: date) -> bool:
        spec = self.spec
        if day in spec.working_days:
            return True
        if day in spec.days_off:
            return False
        if self._holidays is None:
            return day.weekday() not in (spec.weekend if spec.weekend is not None else (5, 6))
        self.adjustments_known(day.year)
        if spec.weekend is None:
            return bool(self._holidays.is_working_day(day))
        if day in self._holidays:
            return False
        return day.weekday() not in spec.weekend or day in self._holidays.weekend_workdays

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        return self._step_to_working_day(day, 1)

    def previous_working_day(self, day: date) -> date:
        """The last working day strictly before `day`."""
        return self._step_to_working_day(day, -1)

    def _step_to_working_day(self, day: date, step: int) -> date:
        found = self._steps.get((day, step))
        if found is not None:
            return found
        cursor = day
        for _ in range(SEARCH_LIMIT_DAYS):
            cursor += timedelta(days=step)
            if self.working_intervals(cursor):
                self._steps[day, step] = cursor
                return cursor
        raise TimeError(f"the calendar has no working day within {SEARCH_LIMIT_DAYS} days of {day}")

    def local_date(self, moment: datetime) -> date:
        return require_aware(moment).astimezone(self.tz).date()

    def at_local(self, day: date, minute: int) -> datetime:
        """The instant `minute` minutes after local midnight of `day`, in UTC."""
        if minute >= 1440:
            day, minute = day + timedelta(days=minute // 1440), minute % 1440
        local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=self.tz)
        return local.astimezone(UTC)

    def working_intervals(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """The working intervals of `day` as UTC instants; empty on a day off."""
        cached = self._days.get(day)
        if cached is None:
            if self.is_working_day(day):
                hours = self._weekday_hours.get(day.weekday(), self.spec.hours)
                cached = tuple((self.at_local(day, s), self.at_local(day, e)) for s, e in hours)
            else:
                cached = ()
            self._days[day] = cached
        return cached

    # -- instants --------------------------------------------------------------------------------
    def is_working_time(self, moment: datetime) -> bool:
        moment = require_aware(moment)
        return any(s <= moment < e for s, e in self.working_intervals(self.local_date(moment)))

    def next_working_instant(self, moment: datetime) -> datetime:
        """`moment` itself if it is working time, else the start of the next working interval."""
        cursor = require_aware(moment).astimezone(UTC)
        day = self.local_date(cursor) - timedelta(days=1)
        for _ in range(SEARCH_LIMIT_DAYS):
            for begin, end in self.working_intervals(day):
                if cursor < end:
                    return max(begin, cursor).astimezone(self.tz)
            day += timedelta(days=1)
        raise TimeError(f"the calendar has no working time within {SEARCH_LIMIT_DAYS} days of {moment}")

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        """Consume `amount` of working time from `start` (or from the next working instant).

        An instant at the very end of a working interval counts as inside it, so adding nothing there
        stays put and adding in steps gives the same instant as adding at once.
        """
        cursor = require_aware(start, "start").astimezone(UTC)
        remaining = amount
        day = self.local_date(cursor) - timedelta(days=1)  # an interval may run past local midnight
        idle_days = 0
        while idle_days <= SEARCH_LIMIT_DAYS:
            intervals = self.working_intervals(day)
            idle_days = 0 if intervals else idle_days + 1
            for begin, end in intervals:
                if end < cursor:
                    continue
                begin = max(begin, cursor)
                if remaining <= end - begin:
                    return (begin + remaining).astimezone(self.tz)
                remaining -= end - begin
                cursor = end
            day += timedelta(days=1)
        raise TimeError(f"the calendar has no working time within {SEARCH_LIMIT_DAYS} days of {start}")

    def add_working_days(self, start: datetime, count: int) -> datetime:
        """End of working time on the `count`-th working day after the day of `start`.

        The day of `start` is not counted (Chinese deadline practice: Monday + 3 working days is the end
        of Thursday). With `count == 0` it is the end of the day of `start`, or of the next working day.
        """
        day = self.local_date(start)
        if count == 0 and not self.working_intervals(day):
            day = self.next_working_day(day)
        for _ in range(count):
            day = self.next_working_day(day)
        return self.working_intervals(day)[-1][1].astimezone(self.tz)

    def add_months(self, start: datetime, months: int) -> datetime:
        """Same local time of day, `months` later; the day is clamped to the month's end."""
        local = require_aware(start, "start").astimezone(self.tz)
        moved = local.replace(tzinfo=None) + relativedelta(months=months)
        return moved.replace(tzinfo=self.tz).astimezone(UTC).astimezone(self.tz)

    def elapsed_working(self, start: datetime, end: datetime) -> timedelta:
        """Working time between two instants (negative if `end` is before `start`), for SLA reports."""
        a = require_aware(start, "start").astimezone(UTC)
        b = require_aware(end, "end").astimezone(UTC)
        if b < a:
            return -self.elapsed_working(b, a)
        total = timedelta(0)
        day = self.local_date(a) - timedelta(days=1)
        while self.at_local(day, 0) < b:
            for begin, finish in self.working_intervals(day):
                overlap = min(finish, b) - max(begin, a)
                if overlap > timedelta(0):
                    total += overlap
            day += timedelta(days=1)
        return total

    def to_local(self, moment: datetime) -> datetime:
        return require_aware(moment).astimezone(self.tz)


def wall_text(moment: datetime | None, timezone: str, *, seconds: bool = False) -> str:
    """An instant as local wall time, the way scenarios spell instants; with its offset where that
    wall time happens twice (the hour the clocks go back)."""
    if moment is None:
        return "never"
    local = moment.astimezone(zone(timezone))
    text = local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    twice = local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()
    return f"{text} {local.strftime('%z')[:3]}:{local.strftime('%z')[3:]}" if twice else text

from datetime import date, timedelta

import pytest

from engine.errors import TimeError
from engine.time.calendar import BusinessCalendar, CalendarSpec, country_code, parse_hours, zone
from engine.time.durations import add, parse_duration
from tests.unit.time.cn import at


def cn(**overrides: object) -> BusinessCalendar:
    return BusinessCalendar(CalendarSpec(timezone="Asia/Shanghai", country="CN", **overrides))  # type: ignore[arg-type]


def test_company_days_off_and_extra_working_days_override_the_country() -> None:
    calendar = cn(days_off=frozenset({date(2026, 11, 24)}), working_days=frozenset({date(2026, 11, 28)}))
    assert add(at("2026-11-23 10:00"), parse_duration("1 working day"), calendar) == at("2026-11-25 18:00")
    assert add(at("2026-11-27 10:00"), parse_duration("1 working day"), calendar) == at("2026-11-28 18:00")


def test_different_hours_per_weekday() -> None:
    calendar = cn(weekday_hours=((4, ((9 * 60, 12 * 60),)),))  # Fridays: mornings only
    assert add(at("2026-11-27 11:00"), parse_duration("2 working hours"), calendar) == at("2026-11-30 10:00")
    assert add(at("2026-11-26 10:00"), parse_duration("1 working day"), calendar) == at("2026-11-27 12:00")


def test_without_a_country_only_weekends_are_off() -> None:
    calendar = BusinessCalendar(CalendarSpec(timezone="Asia/Shanghai"))
    assert add(at("2026-09-30 10:00"), parse_duration("1 working day"), calendar) == at("2026-10-01 18:00")


def test_an_explicit_weekend_replaces_the_default() -> None:
    calendar = BusinessCalendar(CalendarSpec(timezone="Asia/Shanghai", weekend=(4, 5)))  # Friday and Saturday
    assert add(at("2026-11-26 10:00"), parse_duration("1 working day"), calendar) == at("2026-11-29 18:00")


def test_any_country_by_name() -> None:
    assert country_code("China") == "CN"
    assert country_code("cn") == "CN"
    assert country_code("united_states") == "US"
    us = BusinessCalendar(CalendarSpec(timezone="America/New_York", country="US"))
    assert not us.is_working_day(date(2026, 7, 3))  # Independence Day observed (July 4 is a Saturday)


def test_daylight_saving_time_does_not_change_working_time() -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    berlin = ZoneInfo("Europe/Berlin")
    calendar = BusinessCalendar(CalendarSpec(timezone="Europe/Berlin"))
    start = datetime(2026, 3, 27, 17, 0, tzinfo=berlin)  # Friday before the spring change
    assert calendar.add_working_time(start, timedelta(hours=2)) == datetime(2026, 3, 30, 10, 0, tzinfo=berlin)
    assert add(start, parse_duration("24h"), calendar) == datetime(2026, 3, 28, 17, 0, tzinfo=berlin)
    assert add(start, parse_duration("48h"), calendar) == datetime(2026, 3, 29, 18, 0, tzinfo=berlin)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("9:00-12:00", "is not a working interval"),
        ("12:00-09:00", "must end after it starts"),
        ("09:00-24:30", "at 24:00 at the latest"),
    ],
)
def test_bad_hours(text: str, message: str) -> None:
    with pytest.raises(TimeError, match=message):
        parse_hours(text)


def test_unknown_country_and_timezone() -> None:
    with pytest.raises(TimeError, match="unknown country 'Atlantis'"):
        country_code("Atlantis")
    with pytest.raises(TimeError, match="unknown timezone 'Mars/Olympus'"):
        BusinessCalendar(CalendarSpec(timezone="Mars/Olympus"))


@pytest.mark.parametrize("name", ["Asia", "Asia/" + "x" * 300])
def test_a_timezone_name_that_is_a_region_or_too_long_is_unknown(name: str) -> None:
    """The time zone database is a tree of files: a region is a folder, a long name too long a path."""
    with pytest.raises(TimeError, match="unknown timezone 'Asia"):
        zone(name)


def test_a_calendar_without_working_time_says_so() -> None:
    calendar = BusinessCalendar(CalendarSpec(timezone="UTC", weekend=(0, 1, 2, 3, 4, 5, 6)))
    with pytest.raises(TimeError, match="no working time within 3660 days"):
        calendar.next_working_instant(at("2026-11-23 10:00"))
    with pytest.raises(TimeError, match="no working day within 3660 days of 2026-11-23"):
        calendar.next_working_day(date(2026, 11, 23))

"""Hand-computed deadlines on the CN calendar (09:00-12:00, 13:00-18:00, Mon-Fri, holidays, 调休).

2026 facts used: Spring Festival Feb 15-23 off, Saturdays Feb 14 and 28 working; National Day Oct 1-7
off, Sunday Sep 20 and Saturday Oct 10 working; Mid-Autumn Fri Sep 25 off; 2027-01-01 (Fri) off.
2026-11-23 is a Monday.
"""

import pytest

from engine.time.durations import add, parse_duration
from tests.unit.time.cn import CN, at

EXAMPLES = [
    # wall clock: the calendar does not matter
    ("2026-11-23 10:00", "5m", "2026-11-23 10:05"),
    ("2026-11-23 10:00", "15m", "2026-11-23 10:15"),
    ("2026-11-23 10:00", "2h", "2026-11-23 12:00"),
    ("2026-11-23 10:00", "24h", "2026-11-24 10:00"),
    ("2026-11-27 20:00", "1d", "2026-11-28 20:00"),  # a Saturday: wall time ignores weekends
    ("2026-11-23 10:00", "2w", "2026-12-07 10:00"),
    ("2026-09-30 23:30", "1h", "2026-10-01 00:30"),
    # working days: the end of working time on the N-th working day after the day of t
    ("2026-11-23 10:00", "3 working days", "2026-11-26 18:00"),  # Monday -> Thursday
    ("2026-11-27 20:00", "1 working day", "2026-11-30 18:00"),  # Friday night -> Monday
    ("2026-11-23 10:00", "1 working day", "2026-11-24 18:00"),
    ("2026-11-29 10:00", "1 working day", "2026-11-30 18:00"),  # from a Sunday
    ("2026-09-30 10:00", "1 working day", "2026-10-08 18:00"),  # last working day before National Day
    ("2026-09-29 10:00", "3 working days", "2026-10-09 18:00"),
    ("2026-10-09 10:00", "1 working day", "2026-10-10 18:00"),  # adjusted working Saturday
    ("2026-09-19 12:00", "1 working day", "2026-09-20 18:00"),  # adjusted working Sunday
    ("2026-09-24 10:00", "1 working day", "2026-09-28 18:00"),  # over Mid-Autumn and a weekend
    ("2026-02-13 10:00", "1 working day", "2026-02-14 18:00"),  # Spring Festival: Saturday Feb 14 works
    ("2026-02-14 10:00", "1 working day", "2026-02-24 18:00"),  # Feb 15-23 off
    ("2026-02-13 10:00", "2 working days", "2026-02-24 18:00"),
    ("2026-02-27 10:00", "1 working day", "2026-02-28 18:00"),  # Saturday Feb 28 works
    ("2026-12-31 10:00", "1 working day", "2027-01-04 18:00"),  # year end: Jan 1 2027 off, then a weekend
    ("2026-12-30 10:00", "2 working days", "2027-01-04 18:00"),
    ("2026-11-29 10:00", "0 working days", "2026-11-30 18:00"),
    ("2026-11-23 10:00", "0 working days", "2026-11-23 18:00"),
    # working hours: consume working time from t, or from the next working instant
    ("2026-11-23 10:00", "2 working hours", "2026-11-23 12:00"),
    ("2026-11-23 11:00", "2 working hours", "2026-11-23 14:00"),  # over the lunch break
    ("2026-11-23 12:30", "1 working hour", "2026-11-23 14:00"),  # from the lunch break
    ("2026-11-27 17:00", "2 working hours", "2026-11-30 10:00"),  # Friday into Monday
    ("2026-11-27 20:00", "1 working hour", "2026-11-30 10:00"),  # Friday 20:00
    ("2026-11-23 08:00", "8 working hours", "2026-11-23 18:00"),
    ("2026-11-23 10:00", "8 working hours", "2026-11-24 10:00"),
    ("2026-11-23 09:00", "20 working hours", "2026-11-25 14:00"),  # several days
    ("2026-09-30 17:00", "2 working hours", "2026-10-08 10:00"),  # across National Day
    ("2026-02-13 17:00", "2 working hours", "2026-02-14 10:00"),  # into the working Saturday
    ("2026-11-23 11:50", "30 working minutes", "2026-11-23 13:20"),
    ("2026-11-28 10:00", "1 working hour", "2026-11-30 10:00"),  # from a Saturday
    # the README's worked examples
    ("2026-11-27 20:00", "2 working hours", "2026-11-30 11:00"),
    ("2026-09-30 17:00", "1 working day", "2026-10-08 18:00"),
    # calendar months: local time kept, the day clamped to the month's end
    ("2026-01-31 10:00", "1 month", "2026-02-28 10:00"),
    ("2028-01-31 10:00", "1 month", "2028-02-29 10:00"),  # leap year
    ("2026-01-31 10:00", "3 months", "2026-04-30 10:00"),
    ("2026-11-30 09:30", "3 months", "2027-02-28 09:30"),  # into 2027
    ("2026-08-31 10:00", "6 months", "2027-02-28 10:00"),
    ("2026-12-15 10:00", "12 months", "2027-12-15 10:00"),
    ("2026-12-15 10:00", "1 year", "2027-12-15 10:00"),
    ("2026-08-31 10:00", "1 month", "2026-09-30 10:00"),
]


@pytest.mark.parametrize(("start", "duration", "expected"), EXAMPLES)
def test_add(start: str, duration: str, expected: str) -> None:
    result = add(at(start), parse_duration(duration), CN)
    assert result == at(expected)
    assert result.utcoffset() == at(expected).utcoffset()


def test_add_to_a_utc_start_answers_in_the_calendar_zone() -> None:
    from datetime import UTC, datetime

    result = add(datetime(2026, 11, 27, 12, 0, tzinfo=UTC), parse_duration("1 working day"), CN)
    assert result.isoformat() == "2026-11-30T18:00:00+08:00"


@pytest.mark.parametrize(
    ("moment", "working"),
    [
        ("2026-11-23 12:30", False),
        ("2026-11-23 11:59", True),
        ("2026-11-23 12:00", False),
        ("2026-11-23 09:00", True),
        ("2026-11-23 18:00", False),
        ("2026-02-14 10:00", True),
        ("2026-02-16 10:00", False),
        ("2026-09-20 10:00", True),
        ("2026-10-10 10:00", True),
        ("2026-10-11 10:00", False),
    ],
)
def test_is_working_time(moment: str, working: bool) -> None:
    assert CN.is_working_time(at(moment)) is working


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2026-11-27 20:00", "2026-11-30 09:00"),
        ("2026-11-23 12:30", "2026-11-23 13:00"),
        ("2026-09-30 19:00", "2026-10-08 09:00"),
        ("2026-11-23 10:15", "2026-11-23 10:15"),
    ],
)
def test_next_working_instant(moment: str, expected: str) -> None:
    assert CN.next_working_instant(at(moment)) == at(expected)


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        ("2026-11-27 17:00", "2026-11-30 10:00", 2),
        ("2026-09-30 09:00", "2026-10-08 12:00", 11),
        ("2026-11-23 08:00", "2026-11-24 10:00", 9),
        ("2026-11-23 12:10", "2026-11-23 12:50", 0),
    ],
)
def test_elapsed_working(start: str, end: str, hours: int) -> None:
    from datetime import timedelta

    assert CN.elapsed_working(at(start), at(end)) == timedelta(hours=hours)
    assert CN.elapsed_working(at(end), at(start)) == -timedelta(hours=hours)


def test_working_day_steps() -> None:
    from datetime import date

    assert CN.next_working_day(date(2026, 9, 30)) == date(2026, 10, 8)
    assert CN.next_working_day(date(2026, 10, 9)) == date(2026, 10, 10)
    assert CN.previous_working_day(date(2026, 10, 8)) == date(2026, 9, 30)
    assert CN.next_working_day(date(2026, 2, 13)) == date(2026, 2, 14)


def test_adding_nothing_at_the_end_of_the_working_day_stays_put() -> None:
    # regression (found by test_working_hours_compose): 0 working hours at 18:00 used to jump to 09:00
    assert add(at("2026-11-23 18:00"), parse_duration("0 working hours"), CN) == at("2026-11-23 18:00")
    assert add(at("2026-11-23 19:00"), parse_duration("0 working hours"), CN) == at("2026-11-24 09:00")

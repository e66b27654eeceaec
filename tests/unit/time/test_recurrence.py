from datetime import datetime
from itertools import islice

import pytest

from engine.errors import TimeError
from engine.time import recurrence
from engine.time.durations import parse_duration
from engine.time.recurrence import OnNonWorking, RecurrenceSpec, check_cron, occurrences
from tests.unit.time.cn import CN, SHANGHAI, at

NEXT = OnNonWorking.NEXT_WORKING_DAY
PREVIOUS = OnNonWorking.PREVIOUS_WORKING_DAY


def series(rule: RecurrenceSpec, anchor: str, limit: int = 10) -> list[datetime]:
    return list(islice(occurrences(rule, at(anchor), CN), limit))


def test_every_four_hours_starts_at_the_anchor() -> None:
    rule = RecurrenceSpec(every=parse_duration("4h"), count=3)
    assert series(rule, "2026-11-23 10:00") == [
        at("2026-11-23 10:00"),
        at("2026-11-23 14:00"),
        at("2026-11-23 18:00"),
    ]


def test_every_working_day_lands_at_the_end_of_each_working_day() -> None:
    rule = RecurrenceSpec(every=parse_duration("1 working day"), count=3)
    assert series(rule, "2026-11-23 14:00") == [
        at("2026-11-23 14:00"),
        at("2026-11-24 18:00"),
        at("2026-11-25 18:00"),
    ]


def test_every_working_day_skips_national_day() -> None:
    rule = RecurrenceSpec(every=parse_duration("1 working day"), count=3)
    assert series(rule, "2026-09-29 10:00") == [
        at("2026-09-29 10:00"),
        at("2026-09-30 18:00"),
        at("2026-10-08 18:00"),
    ]


def test_weekly_cron() -> None:
    rule = RecurrenceSpec(cron="0 16 * * 5", count=2)
    assert series(rule, "2026-11-23 10:00") == [at("2026-11-27 16:00"), at("2026-12-04 16:00")]


def test_surveys_three_six_twelve_months_after_the_deal_on_working_days() -> None:
    rule = RecurrenceSpec(
        offsets=tuple(parse_duration(f"{m} months") for m in (3, 6, 12)), on_non_working=NEXT
    )
    assert series(rule, "2026-01-31 10:00") == [
        at("2026-04-30 10:00"),
        at("2026-07-31 10:00"),
        at("2027-02-01 10:00"),  # 2027-01-31 is a Sunday
    ]


@pytest.mark.parametrize(("policy", "expected"), [(NEXT, "2026-10-08 10:00"), (PREVIOUS, "2026-09-30 10:00")])
def test_on_non_working_moves_a_holiday_occurrence(policy: OnNonWorking, expected: str) -> None:
    rule = RecurrenceSpec(offsets=(parse_duration("3 months"),), on_non_working=policy)
    assert series(rule, "2026-07-01 10:00") == [at(expected)]


def test_keep_leaves_a_holiday_occurrence_where_it_is() -> None:
    rule = RecurrenceSpec(offsets=(parse_duration("3 months"),))
    assert series(rule, "2026-07-01 10:00") == [at("2026-10-01 10:00")]


def test_occurrences_moved_onto_the_same_day_are_dropped() -> None:
    rule = RecurrenceSpec(cron="0 10 * * *", on_non_working=NEXT, count=3)
    assert series(rule, "2026-11-27 11:00") == [
        at("2026-11-30 10:00"),
        at("2026-12-01 10:00"),
        at("2026-12-02 10:00"),
    ]


def test_monthly_cron_on_the_first_working_day() -> None:
    rule = RecurrenceSpec(cron="0 10 1 * *", on_non_working=NEXT, count=3)
    assert series(rule, "2026-09-15 10:00") == [
        at("2026-10-08 10:00"),
        at("2026-11-02 10:00"),
        at("2026-12-01 10:00"),
    ]


def test_until_bounds_the_series() -> None:
    rule = RecurrenceSpec(every=parse_duration("4h"), until=datetime(2026, 11, 23, 20, tzinfo=SHANGHAI))
    assert series(rule, "2026-11-23 10:00") == [
        at("2026-11-23 10:00"),
        at("2026-11-23 14:00"),
        at("2026-11-23 18:00"),
    ]


def test_a_bad_cron_expression_is_refused_with_croniters_reason() -> None:
    with pytest.raises(TimeError, match="'61 \\* \\* \\* \\*' is not a valid cron expression"):
        check_cron("61 * * * *")


def test_a_zero_interval_is_refused() -> None:
    with pytest.raises(TimeError, match="longer than zero"):
        series(RecurrenceSpec(every=parse_duration("0m")), "2026-11-23 10:00")


def test_a_kept_series_gives_each_instant_as_the_whole_series_does() -> None:
    """`recurrence.series` keeps its place in the series; asking out of order, twice, or past the end
    changes nothing, and two anchors a minute apart meet on the cron's own instants."""
    rule = RecurrenceSpec(cron="0 10 1 * *", on_non_working=NEXT, count=13)
    whole = series(rule, "2026-09-15 10:00", limit=20)
    assert len(whole) == 13
    kept = recurrence.series(rule, at("2026-09-15 10:00"), CN)
    assert [kept.nth(i) for i in (5, 0, 12, 5, 3)] == [whole[5], whole[0], whole[12], whole[5], whole[3]]
    assert kept.nth(13) is None and kept.nth(40) is None
    assert (kept.nth(12), kept.nth(11)) == (whole[12], whole[11])
    assert recurrence.series(rule, at("2026-09-15 10:00"), CN) is kept
    other = recurrence.series(rule, at("2026-09-15 10:01"), CN)
    assert [other.nth(i) for i in range(13)] == whole
    assert (whole[0], whole[4]) == (at("2026-10-08 10:00"), at("2027-02-01 10:00"))


def test_every_half_hour_keeps_both_slots_of_the_hour_the_clocks_repeat() -> None:
    """Found by the engine's state machine: in Munich the clocks go back at 03:00 on 2026-10-25, and
    the series dropped the repeated hour's two slots, because Python compares two times of one zone
    by their wall times (02:00 after the change looked earlier than 02:30 before it)."""
    from datetime import UTC, timedelta

    from engine.time.calendar import CalendarSpec, calendar_for

    munich = calendar_for(CalendarSpec(timezone="Europe/Berlin", country="DE", subdivision="BY"))
    rule = RecurrenceSpec(every=parse_duration("30m"), count=6)
    anchor = datetime(2026, 10, 24, 23, 30, tzinfo=UTC)  # 01:30 CEST
    instants = [m.astimezone(UTC) for m in occurrences(rule, anchor, munich)]
    assert instants == [anchor + timedelta(minutes=30 * n) for n in range(6)]
    walls = [(m.strftime("%H:%M"), m.utcoffset()) for m in occurrences(rule, anchor, munich)]
    assert [w for w, _ in walls] == ["01:30", "02:00", "02:30", "02:00", "02:30", "03:00"]

"""The timing laws of the time layer, on the CN calendar (holidays and 调休 included)."""

from datetime import datetime, timedelta
from itertools import islice

from hypothesis import given
from hypothesis import strategies as st

from engine.time.durations import Duration, Unit, add
from engine.time.recurrence import OnNonWorking, RecurrenceSpec, occurrences
from tests.unit.time.cn import CN, SHANGHAI

instants = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31)).map(  # noqa: DTZ001
    lambda moment: moment.replace(second=0, microsecond=0, tzinfo=SHANGHAI)
)
hours = st.integers(min_value=0, max_value=300)
days = st.integers(min_value=0, max_value=40)


def working_hours(n: int) -> Duration:
    return Duration(n, Unit.WORKING_HOUR)


def within_working_interval(moment: datetime) -> bool:
    return any(begin <= moment <= end for begin, end in CN.working_intervals(CN.local_date(moment)))


@given(instants, hours)
def test_adding_working_time_never_lands_in_non_working_time(start: datetime, n: int) -> None:
    result = add(start, working_hours(n), CN)
    # consuming working time ends inside a working interval or exactly at its end
    assert within_working_interval(result)


@given(instants, instants, hours)
def test_add_is_monotonic_in_the_start(a: datetime, b: datetime, n: int) -> None:
    first, second = sorted((a, b))
    assert add(first, working_hours(n), CN) <= add(second, working_hours(n), CN)


@given(instants, hours, hours)
def test_add_is_monotonic_in_the_amount(start: datetime, n: int, m: int) -> None:
    small, large = sorted((n, m))
    assert add(start, working_hours(small), CN) <= add(start, working_hours(large), CN)


@given(instants, hours, hours)
def test_working_hours_compose(start: datetime, n: int, m: int) -> None:
    stepwise = add(add(start, working_hours(n), CN), working_hours(m), CN)
    assert stepwise == add(start, working_hours(n + m), CN)


@given(instants, hours)
def test_elapsed_working_time_inverts_add(start: datetime, n: int) -> None:
    assert CN.elapsed_working(start, add(start, working_hours(n), CN)) == timedelta(hours=n)


@given(instants, days)
def test_working_days_land_at_the_end_of_a_working_day(start: datetime, n: int) -> None:
    result = add(start, Duration(n, Unit.WORKING_DAY), CN)
    day = CN.local_date(result)
    assert CN.is_working_day(day)
    assert result == CN.working_intervals(day)[-1][1]
    first = CN.local_date(start)
    between = sum(CN.is_working_day(first + timedelta(days=i)) for i in range(1, (day - first).days))
    if n > 0:
        assert between == n - 1
    else:
        assert between == 0


@given(instants, days, days)
def test_working_days_are_monotonic(start: datetime, n: int, m: int) -> None:
    small, large = sorted((n, m))
    assert add(start, Duration(small, Unit.WORKING_DAY), CN) <= add(
        start, Duration(large, Unit.WORKING_DAY), CN
    )


rules = st.one_of(
    st.builds(
        lambda amount, unit: RecurrenceSpec(every=Duration(amount, unit)),
        st.integers(1, 48),
        st.sampled_from([Unit.HOUR, Unit.WORKING_HOUR, Unit.DAY, Unit.WORKING_DAY]),
    ),
    st.sampled_from(["0 16 * * 5", "0 10 1 * *", "0 10 * * *", "*/30 9-17 * * 1-5"]).map(
        lambda cron: RecurrenceSpec(cron=cron)
    ),
    st.lists(st.integers(1, 24), min_size=1, max_size=5, unique=True).map(
        lambda months: RecurrenceSpec(offsets=tuple(Duration(m, Unit.MONTH) for m in sorted(months)))
    ),
)


@given(instants, rules, st.sampled_from(list(OnNonWorking)))
def test_recurrence_is_strictly_increasing_and_respects_on_non_working(
    anchor: datetime, rule: RecurrenceSpec, policy: OnNonWorking
) -> None:
    rule = RecurrenceSpec(every=rule.every, cron=rule.cron, offsets=rule.offsets, on_non_working=policy)
    instants_ = list(islice(occurrences(rule, anchor, CN), 12))
    assert instants_ == sorted(set(instants_))
    if policy is not OnNonWorking.KEEP:
        assert all(CN.is_working_day(CN.local_date(moment)) for moment in instants_)

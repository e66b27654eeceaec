"""A law of the runtime on a real definition: the history does not depend on how the clock is
advanced (each timer fires at its own instant, in the same order)."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from engine.runtime.events import Event
from tests.processes.harness import CUSTOMER, EXPERT, REP, SUPERVISOR, Run
from tests.processes.test_rapid_response import R0, initial_record, request

HORIZON = timedelta(days=3)
STEPS = st.lists(st.integers(min_value=1, max_value=int(HORIZON.total_seconds() // 60)), max_size=12)


def history(stops_in_minutes: list[int]) -> list[tuple[object, ...]]:
    """A level-1 case left alone in execution for three days, the clock advanced through `stops`."""
    r = Run("2026-11-23 10:00")
    case = r.start(R0, request(), REP)
    r.submit(case, "initial_record", initial_record(), REP)
    r.submit(case, "grading", {"level": 1, "reason": "停产"}, SUPERVISOR)
    r.submit(case, "analysis_record", {"level": 1, "departments": [], "risks": "", "alternatives": "",
             "customer_told_of_risks": True}, REP)  # fmt: skip
    r.submit(case, "solution", {"product_spec": "a", "price_breakdown": "b", "delivery_time": "c",
             "service_guarantees": "d", "core_content": "e"}, REP)  # fmt: skip
    r.sign(case, "solution", SUPERVISOR)
    r.sign(case, "solution", EXPERT)
    r.fire(case, "accept_solution", CUSTOMER)
    start = r.clock.now()
    for minutes in sorted(stops_in_minutes):
        r.engine.advance_to(start + timedelta(minutes=minutes))
    r.engine.advance_to(start + HORIZON)
    return [_essence(e) for e in r.engine.instance(case.id).journal]


def _essence(event: Event) -> tuple[object, ...]:
    return (event.sequence, event.at, event.type, dict(event.data))


ONE_STEP = history([])


@given(STEPS)
def test_same_history_whether_the_clock_advances_in_one_step_or_many(stops: list[int]) -> None:
    assert history(stops) == ONE_STEP


def test_the_one_step_history_has_recurring_breaches_to_compare() -> None:
    types = [kind.value for _, _, kind, _ in ONE_STEP]  # type: ignore[attr-defined]
    assert types.count("duty_breached") > 10

"""The minimal examples the property suite found, kept as explicit tests so they stay fixed."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from engine.cli import main
from engine.errors import CommandRefused, Reason
from engine.runtime.events import EventType
from tests.processes.harness import CS, REP, Run, local
from tests.processes.test_rapid_response import R0, initial_record, request

R1 = "sales-service-interaction"
R1_START = {"customer_name": "信达", "existing_customer": False, "source_channel": "referral"}


@pytest.mark.parametrize("data", [[], [["customer_name", "x"]], None, "text", 3])
def test_starting_with_data_that_is_not_a_mapping_is_refused_as_invalid(data: Any) -> None:
    """Found by the stateful test: `dict(data)` raised ValueError or TypeError from inside `start`."""
    r = Run("2026-11-23 10:00")
    with pytest.raises(CommandRefused) as refused:
        r.engine.start(R0, data, REP)
    assert refused.value.reason is Reason.INVALID_DATA
    assert refused.value.details == (f"{data!r} is not of type 'object'",)


def test_raising_an_event_with_data_that_is_not_a_mapping_is_refused_and_recorded() -> None:
    r = Run("2026-11-23 10:00")
    case = r.start(R0, request(), REP)
    with pytest.raises(CommandRefused) as refused:
        r.engine.raise_event(case.id, "customer_contacted", [[]], REP)  # type: ignore[arg-type]
    assert refused.value.reason is Reason.INVALID_DATA
    assert r.now(case).journal[-1].type is EventType.COMMAND_REFUSED


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_number_json_cannot_hold_is_refused_although_the_schema_allows_it(bad: float) -> None:
    """Found by fuzzing form data: NaN passes `minimum: 0` and was recorded in the journal, which is
    then no longer standard JSON (the JSON export and any other reader of the store reject it)."""
    r = Run("2026-11-23 10:00")
    case = r.start(R1, R1_START, CS)
    profile = {"customer_name": "信达", "industry": "电子", "employees": 3, "annual_revenue": bad}
    with pytest.raises(CommandRefused) as refused:
        r.submit(case, "customer_profile", profile, CS)
    assert refused.value.reason is Reason.INVALID_DATA
    assert f"annual_revenue: {bad} is not a number JSON can hold" in refused.value.details
    assert r.now(case).latest("customer_profile") is None


def test_a_duty_created_after_its_deadline_is_breached_at_once_and_says_when_it_was_due() -> None:
    """The stateful test's first law said 'breached at the due instant'; a duty anchored on the
    instance's start but created when a later stage is entered can be late from birth. It is breached
    when it is created (a journal never goes back in time) and its breach names the real deadline."""
    r = Run("2026-11-23 10:00")
    case = r.start(R0, request(), REP)
    r.to("2026-11-23 13:30")  # analysis_record: 2 h from the start, due 12:00
    r.submit(case, "initial_record", initial_record(), REP)  # enters analysis, late
    duty = r.now(case).duties["analysis_record#1"]
    assert (local(duty.opened_at), local(duty.due), local(duty.breached_at)) == (
        "2026-11-23 13:30",
        "2026-11-23 12:00",
        "2026-11-23 13:30",
    )
    breach = next(
        e
        for e in r.now(case).journal
        if e.type is EventType.DUTY_BREACHED and e.data["duty"] == "analysis_record"
    )
    assert breach.data["due"] == "2026-11-23T04:00:00+00:00"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["validate", "\x00"], "error \\x00:1:1: cannot read: embedded null byte"),
        (["graph", "\x00"], "error \\x00:1:1: cannot read: embedded null byte"),
        (["simulate", "\x00"], "sopflow: error: \\x00:1:1: cannot read: embedded null byte"),
        (["run", "list", "--store", "\x00"], "sopflow: error: store \\x00: embedded null byte"),
        (
            ["run", "start", "ticket", "--data", "\x00", "--store", "{store}", "--actor", "a", "--role", "b"],
            "sopflow: error: \\x00: cannot read: embedded null byte",
        ),
    ],
)
def test_a_path_with_a_nul_character_is_a_clear_error(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found by fuzzing command lines: opening such a path raises ValueError, not OSError. The
    terminal is shown the NUL as an escape, never the raw character."""
    code = main([word.replace("{store}", str(tmp_path / "s.db")) for word in argv])
    captured = capsys.readouterr()
    assert code in (1, 2)
    assert message in captured.out + captured.err
    assert "\x00" not in captured.out + captured.err

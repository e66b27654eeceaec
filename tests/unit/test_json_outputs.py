"""The JSON outputs keep the shapes their schemas in schemas/ document, with every instant in ISO 8601
and the local offset; `report --store` over the store a simulation filled equals `report` over the
scenario itself; `run overdue --role` lists one role's duties."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from engine.cli import main
from engine.runtime.engine import Engine
from engine.time.clock import VirtualClock
from tests.persistence.test_crash import SPEC
from tests.persistence.test_store_contract import CLERK, at

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"


def valid(document: Any, schema: str) -> None:
    checker = Draft202012Validator(
        json.loads((ROOT / "schemas" / schema).read_text(encoding="utf-8")),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    assert [f"{list(e.absolute_path)}: {e.message}" for e in checker.iter_errors(document)] == []


def printed(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert main(list(argv)) in (0, 1)
    return json.loads(capsys.readouterr().out)


def test_simulate_json_has_one_shape_for_one_scenario_or_many(capsys: pytest.CaptureFixture[str]) -> None:
    one = printed(capsys, "simulate", "--json", str(SCENARIOS / "r0-breached-confirmation.yaml"))
    valid(one, "simulation.schema.json")
    many = printed(capsys, "simulate", "--json", str(SCENARIOS))
    valid(many, "simulation.schema.json")
    assert len(one["scenarios"]) == 1 and len(many["scenarios"]) == len(list(SCENARIOS.glob("*.yaml")))
    (scenario,) = one["scenarios"]
    first = scenario["cases"]["minghui"]["duties"][0]
    assert (first["key"], first["opened"], first["due"], first["done"], first["breached"]) == (
        "first_response#1",
        "2026-11-30T10:00:00+08:00",
        "2026-11-30T11:00:00+08:00",
        "2026-11-30T11:10:00+08:00",
        "2026-11-30T11:00:00+08:00",
    )
    opened = scenario["timeline"][1]
    assert (opened["at"], opened["data"]["due"]) == ("2026-11-30T10:00:00+08:00", "2026-11-30T11:00:00+08:00")
    assert scenario["checks"][0]["at"] == "2026-11-30T10:12:00+08:00"
    munich = printed(capsys, "simulate", "--json", str(SCENARIOS / "inc-on-hold-and-reopened.yaml"))
    assert munich["scenarios"][0]["timeline"][0]["at"] == "2026-11-24T10:00:00+01:00"


def test_records_and_reports_keep_their_shapes(capsys: pytest.CaptureFixture[str]) -> None:
    records = printed(capsys, "forms", "--format", "json", str(SCENARIOS / "r0-terms-change-revisions.yaml"))
    valid(records, "records.schema.json")
    assert records[0]["submitted_at"] == "2026-11-26T16:10:00+08:00"
    for scenario in (
        "r0-week-of-requests.yaml",
        "r1-customer-lifecycle.yaml",
        "inc-on-hold-and-reopened.yaml",
    ):
        valid(printed(capsys, "report", "--format", "json", str(SCENARIOS / scenario)), "report.schema.json")


def test_a_report_from_the_store_equals_the_report_of_the_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The year of R1 is over, so a report on the live store of its June sees what the scenario saw."""
    scenario, store = str(SCENARIOS / "r1-customer-lifecycle.yaml"), str(tmp_path / "simulation.db")
    assert main(["simulate", "--quiet", "--store", store, scenario]) == 0
    capsys.readouterr()
    for period in ("2026-06", "2026-07", "2027-06"):
        for output in ("json", "md"):
            assert main(["report", scenario, "--period", period, "--format", output]) == 0
            from_scenario = capsys.readouterr().out
            assert main(["report", "--store", store, "--period", period, "--format", output]) == 0
            assert capsys.readouterr().out == from_scenario
    june = printed(capsys, "report", "--store", store, "--period", "2026-06", "--format", "json")
    monthly = next(r for r in june if r["process"] == "sales-service-interaction")
    assert monthly["metrics"]["new_customers"]["value"] == 1


def test_report_needs_a_scenario_or_a_store(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report"]) == 2
    assert "give a scenario file or --store LOCATION, not both" in capsys.readouterr().err


def test_overdue_lists_one_role_in_its_local_time(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "s.db")
    from engine.persistence import open_store

    engine = Engine(VirtualClock(at("2026-11-20 10:00")), open_store(store))
    engine.register(SPEC)
    engine.start("ticket", {"subject": "一"}, CLERK)
    engine.store.close()
    rows = printed(capsys, "run", "overdue", "--json", "--role", "clerk", "--store", store)
    assert rows == [
        {"instance": "ticket-1", "duty": "answer#1", "role": "clerk", "due": "2026-11-20T11:00:00+08:00"}
    ]
    assert printed(capsys, "run", "overdue", "--json", "--role", "supervisor", "--store", store) == []

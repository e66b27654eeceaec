"""The command line: exit codes, output formats and messages scripts can rely on."""

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import engine
from engine.cli import main
from engine.cli.output import error, printable
from tests.conftest import SHIPPED_PROCESSES

ROOT = Path(__file__).resolve().parents[2]
R0 = str(ROOT / "processes" / "sales-rapid-response.yaml")
BROKEN = str(ROOT / "tests" / "corpus" / "unknown-role-owner.yaml")


def test_validate_valid_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The shipped folder, with a process owner's own file added beside the shipped ones."""
    folder = tmp_path / "processes"
    shutil.copytree(ROOT / "processes", folder)
    shutil.copytree(ROOT / "calendars", tmp_path / "calendars")
    ticket = (ROOT / "tests" / "persistence" / "ticket.yaml").read_text("utf-8")
    (folder / "extra.yaml").write_text(ticket.replace("id: ticket", "id: acme-ticket"), "utf-8")
    assert main(["validate", str(folder)]) == 0
    out = capsys.readouterr().out
    assert f"ok   {folder / 'sales-rapid-response.yaml'}: sales-rapid-response v1: 7 stages, 24 duties" in out
    for path in (*SHIPPED_PROCESSES, folder / "extra.yaml"):
        assert f"ok   {folder / path.name}: " in out
    assert f"ok   {folder / 'extra.yaml'}: acme-ticket v1: 2 stages" in out


def test_version_is_the_pyprojects(capsys: pytest.CaptureFixture[str]) -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"]
    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out == f"sopflow {declared}\n"
    assert engine.__version__ == declared


def test_validate_imports_neither_the_runtime_nor_the_simulator() -> None:
    """A command imports only its own module, so `validate` in an editor's save hook starts fast."""
    probe = (
        "import sys; from engine.cli import main; code = main(['validate', sys.argv[1]]); "
        "print(code, sorted(m for m in sys.modules if m.startswith(('engine.runtime', 'engine.simulation'))))"
    )
    done = subprocess.run([sys.executable, "-c", probe, R0], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "0 []"


def test_validate_reports_located_errors_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", R0, BROKEN]) == 1
    captured = capsys.readouterr()
    assert (
        f"error {BROKEN}:24:12: unknown role 'clerc' (did you mean 'clerk'?) [stages.open.owner]"
        in captured.out
    )
    assert "1 of 2 files invalid, 1 problem\n" in captured.err


def test_validate_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--format", "json", BROKEN]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False
    assert report["files"][0]["problems"] == [
        {
            "file": BROKEN,
            "line": 24,
            "column": 12,
            "path": "stages.open.owner",
            "message": "unknown role 'clerc' (did you mean 'clerk'?)",
        }
    ]


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["validate"])
    assert caught.value.code == 2
    with pytest.raises(SystemExit) as caught:
        main(["graph", R0, "--format", "png"])
    assert caught.value.code == 2
    assert main(["validate", str(ROOT / "docs")]) == 2
    assert "no process files found" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["validate", "graph", "docs", "due"])
def test_help_everywhere(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main([command, "--help"])
    assert caught.value.code == 0
    assert "usage: sopflow " + command in capsys.readouterr().out


def test_graph_and_docs(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["graph", R0, "--format", "dot", "--no-duties"]) == 0
    dot = capsys.readouterr().out
    assert dot.startswith('digraph "sales-rapid-response" {')
    assert "__" not in dot  # no duty nodes
    target = tmp_path / "handbook.html"
    assert main(["docs", R0, "--format", "html", "-o", str(target)]) == 0
    assert target.read_text("utf-8").startswith("<!DOCTYPE html>")
    assert main(["docs", BROKEN]) == 2  # a handbook cannot be made of a broken definition
    assert "unknown role 'clerc'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["2026-11-23T10:00:00+08:00", "3 working days", "--timezone", "Asia/Shanghai", "--country", "CN"],
            "2026-11-26T18:00:00+08:00",
        ),
        (["2026-09-30T10:00:00+08:00", "1 working day", "--calendar", R0], "2026-10-08T18:00:00+08:00"),
        (["2026-11-27T12:00:00Z", "1 working day", "--calendar", R0], "2026-11-30T18:00:00+08:00"),
        (["2026-11-27T12:00:00Z", "2h"], "2026-11-27T14:00:00+00:00"),
    ],
)
def test_due(args: list[str], expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["due", *args]) == 0
    assert capsys.readouterr().out == expected + "\n"


def test_due_with_a_bare_calendar_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    calendar = tmp_path / "calendar.yaml"
    calendar.write_text("timezone: Asia/Shanghai\ncountry: CN\ndays_off: ['2026-11-24']\n", "utf-8")
    assert main(["due", "2026-11-23T10:00:00+08:00", "1 working day", "--calendar", str(calendar)]) == 0
    assert capsys.readouterr().out == "2026-11-25T18:00:00+08:00\n"
    calendar.write_text("timezone: Asia/Shanghai\nhours: ['09:00-12:00', '13:00-1800']\n", "utf-8")
    assert main(["due", "2026-11-23T10:00:00+08:00", "1h", "--calendar", str(calendar)]) == 2
    err = capsys.readouterr().err
    form = "a working interval written HH:MM-HH:MM"
    assert f"{calendar}:2:24: '13:00-1800' does not have the required form: {form}" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["2026-11-23T10:00:00", "1h"],
            "START 2026-11-23T10:00:00 has no timezone; give an offset such as +08:00 or Z",
        ),
        (["yesterday", "1h"], "'yesterday' is not an ISO 8601 instant"),
        (["2026-11-23T10:00:00Z", "1 fortnight"], "'1 fortnight' is not a duration"),
        (["2026-11-23T10:00:00Z", "1h", "--country", "Narnia"], "unknown country 'Narnia'"),
        (["2026-11-23T10:00:00Z", "1h", "--timezone", "Mars/Base"], "unknown timezone 'Mars/Base'"),
        (["2026-11-23T10:00:00Z", "1h", "--calendar", "/no/such/file.yaml"], "cannot read: No such file"),
    ],
)
def test_due_refuses_bad_input_with_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["due", *args]) == 2
    assert message in capsys.readouterr().err


def test_python_dash_m_engine_works() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "engine", "validate", R0], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "sales-rapid-response v1" in done.stdout


SCENARIOS = ROOT / "scenarios"
WRONG = str(ROOT / "tests" / "scenarios" / "wrong-expectation.yaml")


@pytest.fixture(autouse=True)
def in_a_scratch_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands that write a store by default write it here, not into the project."""
    monkeypatch.chdir(tmp_path)


def test_simulate_writes_its_instances_to_a_fresh_store_each_run(capsys: pytest.CaptureFixture[str]) -> None:
    scenario = str(SCENARIOS / "r1-risk-warning.yaml")
    assert main(["simulate", "--quiet", scenario]) == 0
    assert main(["simulate", "--quiet", scenario]) == 0  # replaces the last run's store
    capsys.readouterr()
    assert main(["run", "list", "--json", "--store", "simulation.db"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(i["id"], i["process"]) for i in listed] == [
        ("sales-service-interaction-1", "sales-service-interaction")
    ]
    assert main(["run", "register", R0]) == 0  # a working store, ./sopflow.db
    assert main(["simulate", "--quiet", "--store", "sopflow.db", scenario]) == 2
    assert "sopflow.db is not a store made by `sopflow simulate`" in capsys.readouterr().err


def test_simulate_prints_the_timeline_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    """In the language of the process (Chinese); `--lang en` for English."""
    assert main(["simulate", str(SCENARIOS / "r0-breached-confirmation.yaml")]) == 0
    out = capsys.readouterr().out
    at = "2026-11-30 10:05  minghui        sopflow      "
    assert f"{at}✗ 超时 confirm_details#1 5分钟内通过电话或即时通讯联系客户核实需求细节\n" in out
    assert f"{at}↑ confirm_details#1 升级至销售主管\n" in out
    assert "  ✗ confirm_details#1 时限 2026-11-30 10:05：逾期7分钟后完成\n" in out
    assert "预期：10 项通过，全部成立" in out
    assert main(["simulate", "--lang", "en", str(SCENARIOS / "r0-breached-confirmation.yaml")]) == 0
    out = capsys.readouterr().out
    assert f"{at}✗ BREACHED confirm_details#1 Confirm the details with the customer within 5 minutes\n" in out
    assert f"{at}↑ escalated confirm_details#1 to Sales supervisor\n" in out
    assert "  ✗ confirm_details#1 due 2026-11-30 10:05: done 7 minutes late\n" in out
    assert "expectations: 10 passed, all hold" in out


def test_simulate_exits_1_on_a_failed_expectation(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--quiet", WRONG]) == 1
    out = capsys.readouterr().out
    assert "预期：0 项通过，4 项未通过" in out
    assert "stage：预期 'analysis'，实际 'receive'" in out


def test_simulate_exits_2_on_a_bad_file(capsys: pytest.CaptureFixture[str]) -> None:
    bad = str(ROOT / "tests" / "scenarios" / "bad-scenario.yaml")
    assert main(["simulate", bad]) == 2
    assert (
        f"{bad}:9:22: unknown actor 'li.le' (did you mean 'li.lei'?) [steps[1].by]" in capsys.readouterr().err
    )


def test_simulate_json_and_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One shape for one scenario or several; every instant with the scenario's local offset."""
    page = tmp_path / "report.html"
    assert main(["simulate", "--json", "--html", str(page), str(SCENARIOS / "r1-risk-warning.yaml")]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True and len(report["scenarios"]) == 1
    (scenario,) = report["scenarios"]
    assert scenario["cases"]["huadong"]["stage"] == "first_contact"
    breached = [(e["data"]["key"], e["at"]) for e in scenario["timeline"] if e["type"] == "duty_breached"]
    assert ("risk_warning#2", "2026-06-24T11:00:00+08:00") in breached
    assert page.read_text(encoding="utf-8").startswith('<!DOCTYPE html>\n<html lang="zh-CN">')


def test_terminal_output_shows_control_characters_as_escapes(capsys: pytest.CaptureFixture[str]) -> None:
    """A title with an escape sequence or a newline (YAML's "\\e" and "\\n" make them) is shown, not
    acted on: it can neither colour the terminal nor forge a line."""
    assert printable("plain 中文 text") == "plain 中文 text"
    assert printable("red\x1b[31m\nforged") == "red\\x1b[31m\\nforged"
    error("bad\rname")
    assert capsys.readouterr().err == "sopflow: error: bad\\rname\n"

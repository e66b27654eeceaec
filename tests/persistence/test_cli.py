"""`sopflow run` and `sopflow worker` on a SQLite store, as a process owner would use them."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli import main
from engine.persistence import open_store
from engine.runtime.engine import Engine
from engine.time.clock import VirtualClock
from tests.persistence.conftest import TICKET
from tests.persistence.test_crash import SPEC
from tests.persistence.test_store_contract import CLERK, at


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    return str(tmp_path / "work.db")


def sopflow(capsys: pytest.CaptureFixture[str], *argv: str, stdin: str = "") -> tuple[int, str, str]:
    if stdin:
        sys.stdin = io.StringIO(stdin)
    try:
        code = main(list(argv))
    finally:
        sys.stdin = sys.__stdin__
    out, err = capsys.readouterr()
    return code, out, err


def test_register_start_submit_and_read_back(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        sopflow(capsys, "run", "register", str(TICKET), "--store", store)[1]
        == "registered ticket version 1\n"
    )
    code, out, _ = sopflow(
        capsys, "run", "start", "ticket", "--actor", "li", "--role", "clerk", "--data", "-", "--store", store,
        stdin='{"subject": "打印机"}',
    )  # fmt: skip
    assert code == 0 and out.splitlines()[0] == "ticket-1: stage open"
    data = Path("answer.yaml")
    data.write_text("text: 已修好\n", encoding="utf-8")
    code, out, _ = sopflow(
        capsys, "run", "submit", "ticket-1", "answer", "--actor", "li", "--role", "clerk",
        "--data", str(data), "--store", store,
    )  # fmt: skip
    assert code == 0 and out.splitlines()[0] == "ticket-1: stage closed (finished)"
    code, out, _ = sopflow(capsys, "run", "history", "ticket-1", "--json", "--store", store)
    assert [e["type"] for e in json.loads(out)] == [
        "instance_started", "stage_entered", "duty_opened", "record_submitted", "duty_satisfied",
        "stage_entered", "instance_completed",
    ]  # fmt: skip
    code, out, _ = sopflow(capsys, "run", "versions", "--json", "--store", store)
    assert json.loads(out) == [{"process": "ticket", "version": 1, "running": 0, "finished": 1}]


def test_the_store_comes_from_the_environment_or_sopflow_toml(
    store: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    Path("sopflow.toml").write_text('store = "from-config.db"\n', encoding="utf-8")
    sopflow(capsys, "run", "register", str(TICKET))
    assert Path("from-config.db").exists()
    monkeypatch.setenv("SOPFLOW_STORE", "from-env.db")
    sopflow(capsys, "run", "register", str(TICKET))
    assert Path("from-env.db").exists() and not Path("sopflow.db").exists()


def test_refusals_and_bad_input_exit_cleanly(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    sopflow(capsys, "run", "register", str(TICKET), "--store", store)
    code, _, err = sopflow(
        capsys, "run", "start", "ticket", "--actor", "li", "--role", "clerk", "--store", store
    )
    assert (
        code == 1
        and "refused (invalid_data): cannot start ticket\n  - 'subject' is a required property" in err
    )
    code, _, err = sopflow(
        capsys, "run", "start", "ticket", "--actor", "li", "--role", "clerk", "--data", "-", "--store", store,
        stdin="[1, 2",
    )  # fmt: skip
    assert code == 2 and "stdin: not JSON or YAML" in err
    code, _, err = sopflow(capsys, "run", "history", "ticket-9", "--store", store)
    assert code == 2 and "no instance 'ticket-9'" in err
    code, _, err = sopflow(capsys, "run", "list", "--store", "/nonexistent/x.db")
    assert code == 2 and "store /nonexistent/x.db: unable to open database file" in err


def test_overdue_duties_and_a_worker_that_catches_up(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Tickets opened on 2026-11-20 were never answered: overdue now, breached by the worker at 11:00
    and 11:30 that day (their due instants), with the actual firing time noted."""
    engine = Engine(VirtualClock(at("2026-11-20 10:00")), open_store(store))
    engine.register(SPEC)
    engine.start("ticket", {"subject": "一"}, CLERK)
    engine.clock.set(at("2026-11-20 10:30"))  # type: ignore[attr-defined]
    engine.start("ticket", {"subject": "二"}, CLERK)
    engine.store.close()
    code, out, _ = sopflow(capsys, "run", "overdue", "--json", "--store", store)
    assert code == 0 and [(d["instance"], d["due"]) for d in json.loads(out)] == [
        ("ticket-1", "2026-11-20T03:00:00+00:00"),
        ("ticket-2", "2026-11-20T03:30:00+00:00"),
    ]
    code, out, _ = sopflow(capsys, "worker", "--once", "--store", store)
    assert code == 0
    breaches = [line.split()[:4] for line in out.splitlines() if "duty_breached" in line]
    assert breaches == [
        ["ticket-1", "#4", "2026-11-20", "11:00:00"],
        ["ticket-2", "#4", "2026-11-20", "11:30:00"],
    ]
    assert '"fired_at": "2026-11' in out and out.rstrip().endswith("worker stopped")
    _, out, _ = sopflow(capsys, "run", "list", "--running", "--json", "--store", store)
    assert [(i["id"], i["next_due"]) for i in json.loads(out)] == [("ticket-1", None), ("ticket-2", None)]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_worker_stops_cleanly_on_a_signal(store: str, signum: signal.Signals) -> None:
    worker = subprocess.Popen(
        [sys.executable, "-m", "engine", "worker", "--store", store, "--interval", "0.05"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert worker.stdout is not None
    assert worker.stdout.readline().startswith(f"worker on {store}")
    worker.send_signal(signum)
    out, err = worker.communicate(timeout=30)
    assert (worker.returncode, out, err) == (0, "worker stopped\n", "")

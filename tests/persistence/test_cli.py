"""`sopflow run` and `sopflow worker` on a SQLite store, as a process owner would use them."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.cli import main
from engine.persistence import StoreError, open_store
from engine.runtime import effects
from engine.runtime.engine import Engine
from engine.runtime.events import instant
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
    assert (code, err) == (
        2,
        "sopflow: error: <stdin>:2:1: the '[' that opens at line 1, column 1 is not closed: "
        "add ']' (and ',' between items)\n",
    )
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
        ("ticket-1", "2026-11-20T11:00:00+08:00"),
        ("ticket-2", "2026-11-20T11:30:00+08:00"),
    ]
    code, out, _ = sopflow(capsys, "worker", "--once", "--store", store)
    assert code == 0
    breaches = [line.split()[:4] for line in out.splitlines() if "duty_breached" in line]
    assert breaches == [
        ["ticket-1", "#4", "2026-11-20", "11:00:00"],
        ["ticket-2", "#4", "2026-11-20", "11:30:00"],
    ]
    fired = [instant(m) for m in re.findall(r'"fired_at": "([^"]+)"', out)]
    assert len(fired) == 4 and all(f > at("2026-11-20 11:30") for f in fired)  # two breaches, two escalations
    assert out.rstrip().endswith("worker stopped")
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


ALIAS_BOMB = "\n".join(
    ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
)


START = ("run", "start", "ticket", "--actor", "li", "--role", "clerk", "--data", "data.yaml")
NESTED = "subject: " + "[" * 500 + "]" * 500
ALIASED_MEGABYTE = "subject: &s " + "A" * 1_000_000 + "\nmore: [" + ", ".join(["*s"] * 199) + "]"
EXPANDS = "the document expands to more than"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (ALIAS_BOMB, f"6:10: {EXPANDS} 200,000 values (aliases included); refusing to read it"),
        (NESTED, f"1:73: the document is nested too deeply: the limit is 64 levels [subject{'[0]' * 63}]"),
        (
            ALIASED_MEGABYTE,
            f"2:36: {EXPANDS} 8 Mi characters of text (aliases included); refusing to read it",
        ),
        ("subject: " + "A" * 3_000_000, "1:1: the file is too large: the limit is 2 MiB"),
        ("subject: one\nsubject: two", "2:1: duplicate key 'subject' (first defined at line 1) [subject]"),
        ("- subject: a list", "1:1: the data must be a mapping of names to values, not a list"),
    ],
    ids=["alias bomb", "500 deep", "aliased megabyte", "50 MB string", "duplicate key", "a list"],
)
def test_hostile_data_is_refused_quickly_and_located(
    store: str, capsys: pytest.CaptureFixture[str], data: str, message: str
) -> None:
    sopflow(capsys, "run", "register", str(TICKET), "--store", store)
    Path("data.yaml").write_text(data, encoding="utf-8")
    started = time.perf_counter()
    code, out, err = sopflow(capsys, *START, "--store", store)
    assert time.perf_counter() - started < 5, "hostile data must be refused quickly"
    assert (code, out, err) == (2, "", f"sopflow: error: data.yaml:{message}\n")
    assert open_store(store).summaries() == []  # nothing was started


def test_data_follows_yaml_1_2_like_process_files(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`yes` stays text and a date stays text: the form's schema judges them, not YAML 1.1."""
    sopflow(capsys, "run", "register", str(TICKET), "--store", store)
    Path("data.yaml").write_text("subject: yes\n", encoding="utf-8")
    assert sopflow(capsys, *START, "--store", store)[0] == 0
    Path("answer.yaml").write_text("text: 2026-11-23\n", encoding="utf-8")
    code, _, _ = sopflow(
        capsys, "run", "submit", "ticket-1", "answer", "--actor", "li", "--role", "clerk",
        "--data", "answer.yaml", "--store", store,
    )  # fmt: skip
    assert code == 0
    reopened = open_store(store)
    assert reopened.records("ticket-1") == [("answer", 1, {"text": "2026-11-23"})]
    assert reopened.load("ticket-1")[0].data["variables"] == {"subject": "yes"}


def test_an_incident_is_listed_and_retried_after_a_fix(
    store: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = Engine(VirtualClock(at("2026-11-20 10:00")), open_store(store))
    engine.register(SPEC)
    engine.start("ticket", {"subject": "一"}, CLERK)
    engine.store.close()

    def broken(*_: object) -> bool:
        raise KeyError("missing")

    monkeypatch.setattr(effects, "wake", broken)
    code, out, _ = sopflow(capsys, "worker", "--once", "--store", store)
    assert code == 0 and out.rstrip().endswith("worker stopped")
    code, out, err = sopflow(capsys, "run", "incidents", "--store", store)
    assert code == 0 and out.startswith("ticket-1") and "KeyError: 'missing'" in out
    assert err == "1 instance with an incident\n"
    assert "incident: KeyError: 'missing'" in sopflow(capsys, "run", "list", "--store", store)[1]
    monkeypatch.undo()
    code, out, _ = sopflow(capsys, "run", "retry", "ticket-1", "--store", store)
    assert code == 0 and "duty_breached" in out and "incident_resolved" in out
    assert out.rstrip().endswith("ticket-1: no open incident")
    assert sopflow(capsys, "run", "incidents", "--store", store)[2] == "0 instances with an incident\n"


def test_the_worker_waits_and_tries_again_when_the_store_fails(
    store: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    def work(self: Engine, limit: int = 100) -> int:
        calls.append(limit)
        if len(calls) == 1:
            raise StoreError(f"store {store}: database or disk is full")
        os.kill(os.getpid(), signal.SIGTERM)  # stop after the second round
        return 0

    monkeypatch.setattr(Engine, "work", work)
    code, out, err = sopflow(capsys, "worker", "--store", store, "--interval", "0.01")
    assert code == 0 and len(calls) == 2
    assert err == f"sopflow: error: store {store}: database or disk is full; trying again in 1 s\n"
    assert out.rstrip().endswith("worker stopped")

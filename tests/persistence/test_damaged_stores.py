"""A damaged store is named, never a traceback; a rewritten journal is found by its hash chain; a
file that is not a sopflow store is not adopted; reading commands take no write lock."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.cli import main
from engine.persistence import open_store
from engine.runtime.engine import Engine
from engine.time.clock import VirtualClock
from tests.persistence.conftest import OpenStore
from tests.persistence.test_crash import SPEC
from tests.persistence.test_store_contract import CLERK, at


def filled(location: str) -> None:
    engine = Engine(VirtualClock(at("2026-11-23 10:00")), open_store(location))
    engine.register(SPEC)
    engine.start("ticket", {"subject": "一"}, CLERK)
    engine.start("ticket", {"subject": "二"}, CLERK)
    engine.store.close()


def sql(location: str) -> Callable[[str], None]:
    """Run a statement on the store behind sopflow's back."""

    def run(statement: str) -> None:
        if location.startswith("postgresql"):
            import psycopg

            with psycopg.connect(location, autocommit=True) as connection:
                connection.execute(statement)
        else:
            with sqlite3.connect(location) as connection:
                connection.execute(statement)

    return run


def test_an_edited_event_breaks_its_chain_and_verify_names_it(
    location: str, reopen: OpenStore, capsys: pytest.CaptureFixture[str]
) -> None:
    filled(location)
    assert main(["store", "verify", "--store", location]) == 0
    sql(location)(
        "UPDATE events SET data = replace(data, '一', '三') WHERE instance = 'ticket-1' AND sequence = 1"
    )
    assert reopen().verify() == ["instance ticket-1 event 1: its hash does not follow from its content"]
    sql(location)("DELETE FROM events WHERE instance = 'ticket-2' AND sequence = 2")
    assert reopen().verify()[1:] == ["instance ticket-2 event 3: its hash does not follow from its content"]
    capsys.readouterr()
    assert main(["store", "verify", "--store", location]) == 1
    assert "instance ticket-1 event 1: its hash does not follow" in capsys.readouterr().err


def test_a_changed_definition_under_running_instances_is_found(location: str, reopen: OpenStore) -> None:
    filled(location)
    sql(location)("UPDATE definitions SET source = source || ' ' WHERE process = 'ticket'")
    assert reopen().verify() == [
        "instance ticket-1: its definition ticket v1 was changed",
        "instance ticket-2: its definition ticket v1 was changed",
    ]


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("UPDATE events SET data = '{not json' WHERE instance = 'ticket-1' AND sequence = 2",
         "the store is damaged: instance ticket-1 event 2 is unreadable (Expecting property name"),
        ("UPDATE events SET type = 'duty_vanished' WHERE instance = 'ticket-1' AND sequence = 2",
         "instance ticket-1 event 2 is unreadable ('duty_vanished' is not an event type)"),
        ("UPDATE events SET at = 'yesterday' WHERE instance = 'ticket-1' AND sequence = 2",
         "instance ticket-1 event 2 is unreadable (Invalid isoformat string: 'yesterday')"),
        ("DELETE FROM events WHERE instance = 'ticket-1' AND sequence = 2",
         "is damaged: instance ticket-1 is missing an event"),
    ],
    ids=["bad json", "unknown type", "bad instant", "a missing event"],
)  # fmt: skip
def test_damaged_rows_are_named(
    location: str, capsys: pytest.CaptureFixture[str], damage: str, message: str
) -> None:
    filled(location)
    sql(location)(damage)
    assert main(["run", "history", "ticket-1", "--store", location]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert main(["store", "check", "--store", location]) == 1
    assert message in capsys.readouterr().err


def test_garbage_inside_a_sqlite_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    location = str(tmp_path / "work.db")
    filled(location)
    raw = bytearray(Path(location).read_bytes())
    raw[4096:8192] = b"\xde\xad" * 2048  # a page of garbage
    Path(location).write_bytes(bytes(raw))
    code = main(["run", "list", "--store", location])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("sopflow: error: store ") and "Traceback" not in err
    assert main(["store", "check", "--store", location]) in (1, 2)
    assert capsys.readouterr().err.startswith("sopflow: error: store ")


def test_another_applications_database_is_not_adopted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    location = str(tmp_path / "crm.db")
    with sqlite3.connect(location) as connection:
        connection.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    assert main(["run", "list", "--store", location]) == 2
    assert capsys.readouterr().err == (
        f"sopflow: error: {location} is not a sopflow store: it holds other tables (customers); "
        "give another location\n"
    )
    with sqlite3.connect(location) as connection:
        assert [r[0] for r in connection.execute("SELECT name FROM sqlite_master")] == ["customers"]


def test_an_empty_store_location_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "list", "--store", ""]) == 2
    assert capsys.readouterr().err == (
        "sopflow: error: --store needs a location: a SQLite file path or a postgresql:// URL\n"
    )


def test_reading_commands_take_no_write_lock(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    location = str(tmp_path / "work.db")
    filled(location)
    writer = sqlite3.connect(location, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        assert main(["run", "list", "--json", "--store", location]) == 0
        assert '"ticket-2"' in capsys.readouterr().out
    finally:
        writer.execute("ROLLBACK")
        writer.close()

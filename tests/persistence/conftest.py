"""Every store test runs on SQLite and on a real PostgreSQL server that the session starts itself."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from engine.persistence import SqlStore, open_store
from tests.postgres import fresh_database, postgres_server

TICKET = Path(__file__).with_name("ticket.yaml")
_databases = itertools.count(1)

OpenStore = Callable[[], SqlStore]


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a fresh, empty store of each kind lives."""
    if request.param == "sqlite":
        return str(tmp_path / "sopflow.db")
    server: str = request.getfixturevalue("postgres")
    return fresh_database(server, f"test_{next(_databases)}")


@pytest.fixture
def reopen(location: str) -> Iterator[OpenStore]:
    """Open the test's store, as many times as a test restarts; every connection is closed after."""
    opened: list[SqlStore] = []

    def make() -> SqlStore:
        opened.append(open_store(location))
        return opened[-1]

    yield make
    for store in opened:
        store.close()

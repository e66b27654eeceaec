"""The embedded default store: one SQLite file in write-ahead-log mode, nothing to set up.

`synchronous=FULL` (the default here) makes a commit survive a power cut as well as a killed process;
`NORMAL` keeps it safe against a killed process only and is faster. Several processes may share the
file: a write takes SQLite's one write lock (waiting up to `timeout` seconds for it).
"""

from __future__ import annotations

import sqlite3

from engine.persistence.sql import Dialect, SqlStore, StoreError

SQLITE = Dialect(
    placeholder="?",
    begin="BEGIN IMMEDIATE",
    serial="INTEGER PRIMARY KEY AUTOINCREMENT",
    skip_locked="",
    tables="SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    conflicts=(sqlite3.IntegrityError,),
    failures=(sqlite3.OperationalError, sqlite3.DatabaseError),
)

SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")


class SqliteStore(SqlStore):
    def __init__(self, path: str, *, synchronous: str = "FULL", timeout: float = 30.0) -> None:
        if synchronous.upper() not in SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {', '.join(SYNCHRONOUS)}, not {synchronous!r}")
        try:
            connection = sqlite3.connect(path, isolation_level=None, timeout=timeout, check_same_thread=False)
        except (sqlite3.Error, ValueError) as error:  # ValueError: a path with a NUL character
            raise StoreError(f"store {path}: {error}") from error
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(f"PRAGMA synchronous={synchronous.upper()}")
        except sqlite3.DatabaseError as error:
            connection.close()
            raise StoreError(f"store {path}: {error}") from error
        super().__init__(connection, SQLITE, path)

    def pages_damaged(self) -> list[str]:
        rows = self._rows("PRAGMA quick_check")
        return [] if rows == [("ok",)] else [f"store {self.location}: {row[0]}" for row in rows]

"""Benchmark of the durable stores: acknowledged commands per second and recovery after a restart.

    python bench/store.py            # full sizes (recovery of 100,000 instances)
    python bench/store.py --quick    # seconds, as CI runs it (no timing is asserted)

Commands are rapid-response starts and first records, each acknowledged only once committed. The
peer, measured in the same run and at the same `synchronous` level, is the floor of any durable
SQLite write: one row inserted and committed, by bare `sqlite3`. Group commit (`store.batch()`) puts
many commands in one transaction. PostgreSQL runs on a server this benchmark starts (fsync on).
Recovery is a fresh engine putting every instance of a store back in service (`resume()`: the
stored timers armed, each journal read when first needed); it is checked by reading a sample of the
instances and comparing the timers their state calls for with those armed from the store.
"""

from __future__ import annotations

import gc
import sqlite3
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from figures import arguments, report
from runtime import RECORD, REP, SPEC, START

from engine import Engine, VirtualClock
from engine.persistence import SqlStore, open_store
from engine.persistence.sqlite import SqliteStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.postgres import fresh_database, postgres_server


def clock() -> VirtualClock:
    return VirtualClock(datetime(2026, 11, 23, 10, tzinfo=ZoneInfo("Asia/Shanghai")))


def commands_per_second(store: SqlStore, pairs: int, *, batch: int = 0) -> float:
    """Start `pairs` instances and submit each one's first record: 2 × `pairs` commands."""
    engine = Engine(clock(), store)
    engine.register(SPEC)
    began = time.perf_counter()
    done = 0
    while done < pairs:
        size = min(batch or 1, pairs - done)
        if batch:
            with store.batch():
                _pairs(engine, size)
        else:
            _pairs(engine, size)
        done += size
    return 2 * pairs / (time.perf_counter() - began)


def _pairs(engine: Engine, count: int) -> None:
    for _ in range(count):
        instance = engine.start(SPEC.id, START, REP).instance
        engine.submit(instance, "initial_record", RECORD, REP)


def raw_commits_per_second(path: str, synchronous: str, rows: int) -> float:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(f"PRAGMA synchronous={synchronous}")
    connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
    began = time.perf_counter()
    for number in range(rows):
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO t (id, body) VALUES (?, ?)", (number, "x" * 200))
        connection.execute("COMMIT")
    elapsed = time.perf_counter() - began
    connection.close()
    return rows / elapsed


def raw_pg_commits_per_second(url: str, rows: int) -> float:
    """The same floor on PostgreSQL: one row inserted and committed a transaction."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
        began = time.perf_counter()
        for number in range(rows):
            with connection.transaction():
                connection.execute("INSERT INTO t (id, body) VALUES (%s, %s)", (number, "x" * 200))
        return rows / (time.perf_counter() - began)


def recovery_seconds(path: str, instances: int, sample: int = 1_000) -> tuple[float, int]:
    store = SqliteStore(path, synchronous="OFF")
    engine = Engine(clock(), store)
    engine.register(SPEC)
    with store.batch():
        _pairs(engine, instances)
    events = sum(s.events for s in store.summaries())
    store.close()
    del engine  # a restart is a fresh process: none of the writer's objects stay in memory
    gc.collect()
    began = time.perf_counter()
    restarted = Engine(clock(), open_store(path))
    assert restarted.resume() == instances
    assert restarted.next_due() is not None
    seconds = time.perf_counter() - began
    step = max(1, instances // sample)
    for number in range(1, instances + 1, step):
        instance = f"{SPEC.id}-{number}"
        armed = sorted(restarted.wakeups.pending(instance), key=repr)
        assert len(restarted.instance(instance).journal) == events // instances
        assert sorted(restarted.wakeups.pending(instance), key=repr) == armed != []
    return seconds, events


def main() -> None:
    args = arguments(__doc__)
    single, grouped, recovered = (200, 2_000, 2_000) if args.quick else (1_000, 20_000, 100_000)
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        for level in ("FULL", "NORMAL"):
            sopflow = commands_per_second(SqliteStore(f"{folder}/{level}.db", synchronous=level), single)
            raw = raw_commits_per_second(f"{folder}/raw-{level}.db", level, single * 2)
            figures[f"sqlite {level}: sopflow commands/s"] = sopflow
            figures[f"sqlite {level}: raw single-row commits/s"] = raw
            figures[f"sqlite {level}: ratio"] = sopflow / raw
        store = SqliteStore(f"{folder}/batch.db", synchronous="FULL")
        figures["sqlite FULL: group commit (250 per batch) commands/s"] = commands_per_second(
            store, grouped, batch=250
        )
        with postgres_server(durable=True) as server:
            figures["postgresql: sopflow commands/s"] = commands_per_second(
                open_store(fresh_database(server, "single")), single
            )
            figures["postgresql: group commit (250 per batch) commands/s"] = commands_per_second(
                open_store(fresh_database(server, "batch")), grouped, batch=250
            )
        seconds, events = recovery_seconds(f"{folder}/recovery.db", recovered)
        figures[f"recovery of {recovered:,} instances ({events:,} events), s"] = seconds
    report(figures, args.json)


if __name__ == "__main__":
    main()

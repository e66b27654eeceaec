"""Two worker processes share one store with 10,000 deadlines already due: every deadline is breached
exactly once, and on PostgreSQL both workers take part."""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter

from engine.persistence import open_store
from engine.runtime.engine import Engine
from engine.runtime.events import EventType
from engine.time.clock import VirtualClock
from tests.persistence.test_crash import SPEC
from tests.persistence.test_store_contract import CLERK, at

TICKETS = 10_000


def work(location: str, report: int) -> None:
    store = open_store(location)
    worker = Engine(VirtualClock(at("2026-11-23 12:00")), store)
    fired = 0
    while done := worker.work(limit=50):
        fired += done
    store.close()
    os.write(report, f"{fired}\n".encode())


def test_two_workers_fire_each_of_10000_due_timers_exactly_once(location: str) -> None:
    store = open_store(location)
    engine = Engine(VirtualClock(at("2026-11-23 10:00")), store)
    engine.register(SPEC)
    with store.batch():
        for number in range(TICKETS):
            engine.start("ticket", {"subject": str(number)}, CLERK)
    store.close()

    reader, writer = os.pipe()
    fork = multiprocessing.get_context("fork")
    workers = [fork.Process(target=work, args=(location, writer)) for _ in range(2)]
    for process in workers:
        process.start()
    os.close(writer)
    for process in workers:
        process.join()
        assert process.exitcode == 0
    with os.fdopen(reader) as pipe:
        fired = [int(line) for line in pipe]

    store = open_store(location)
    try:
        breaches = Counter(
            event.instance
            for journal in store.journals()
            for event in journal
            if event.type is EventType.DUTY_BREACHED
        )
        assert len(breaches) == TICKETS and set(breaches.values()) == {1}
        assert sum(fired) == TICKETS
        if location.startswith("postgresql"):  # SQLite's one write lock may go to one worker throughout
            assert min(fired) > 0, fired
        assert store.timers() == []
    finally:
        store.close()

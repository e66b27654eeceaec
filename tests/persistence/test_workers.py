"""Two worker processes share one store with 10,000 deadlines already due: every deadline is breached
exactly once, and on PostgreSQL both workers take part; workers killed while they fire batches fire
none twice and lose none; a batch refused because another writer was first loses nothing."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from collections import Counter
from typing import Any

import pytest

from engine.persistence import open_store
from engine.runtime import effects
from engine.runtime.engine import Engine
from engine.runtime.events import EventType
from engine.time.clock import VirtualClock
from tests.persistence.test_crash import SPEC
from tests.persistence.test_store_contract import CLERK, at

TICKETS = 10_000


def open_tickets(location: str, count: int) -> None:
    """A store with `count` tickets opened at 10:00, each due at 11:00."""
    store = open_store(location)
    engine = Engine(VirtualClock(at("2026-11-23 10:00")), store)
    engine.register(SPEC)
    with store.batch():
        for number in range(count):
            engine.start("ticket", {"subject": str(number)}, CLERK)
    store.close()


def work(location: str, report: int) -> None:
    store = open_store(location)
    worker = Engine(VirtualClock(at("2026-11-23 12:00")), store)
    fired = 0
    while done := worker.work(limit=50):
        fired += done
    store.close()
    os.write(report, f"{fired}\n".encode())


def test_two_workers_fire_each_of_10000_due_timers_exactly_once(location: str) -> None:
    open_tickets(location, TICKETS)

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


def test_a_poisoned_instance_stops_no_other_deadline(location: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """One of 1,000 instances fails whenever its timer fires: it is journaled as an incident and its
    timers wait a minute to be retried, while every other deadline fires once. Fixed, it runs again."""
    open_tickets(location, 1_000)
    real_wake = effects.wake

    def poisoned(context: Any, spec: Any, instance: Any, wake: Any) -> bool:
        if instance.id == "ticket-500":
            raise ZeroDivisionError("division by zero")
        return real_wake(context, spec, instance, wake)

    monkeypatch.setattr(effects, "wake", poisoned)
    clock = VirtualClock(at("2026-11-23 12:00"))
    worker = Engine(clock, open_store(location))
    while worker.work(limit=50):
        pass
    breached = Counter(
        e.instance for j in worker.store.journals() for e in j if e.type is EventType.DUTY_BREACHED
    )
    assert len(breached) == 999 and set(breached.values()) == {1} and "ticket-500" not in breached
    incident = worker.store.load("ticket-500")[-1]
    assert (incident.type, incident.data) == (
        EventType.INCIDENT,
        {
            "error": "ZeroDivisionError: division by zero",
            "attempt": 1,
            "retry_at": "2026-11-23T04:01:00+00:00",
        },
    )
    held = {s.id: s.next_due for s in worker.store.summaries() if s.next_due is not None}
    assert held == {"ticket-500": at("2026-11-23 12:01")}

    clock.set(at("2026-11-23 12:01"))  # still broken: the next retry in two minutes
    assert worker.work(limit=50) == 0
    assert worker.store.load("ticket-500")[-1].data["attempt"] == 2

    monkeypatch.undo()  # fixed
    clock.set(at("2026-11-23 12:03"))
    assert worker.work(limit=50) == 1
    types = [e.type for e in worker.store.load("ticket-500")][-3:]
    assert types == [EventType.DUTY_BREACHED, EventType.DUTY_ESCALATED, EventType.INCIDENT_RESOLVED]
    (breach,) = [e for e in worker.store.load("ticket-500") if e.type is EventType.DUTY_BREACHED]
    # the journal runs forward: the breach follows the last incident (12:01), its data keeps its due
    assert (breach.at, breach.data["due"]) == (at("2026-11-23 12:01"), "2026-11-23T03:00:00+00:00")
    worker.store.close()


def work_until_killed(location: str, ready: int) -> None:
    store = open_store(location)
    worker = Engine(VirtualClock(at("2026-11-23 12:00")), store)
    os.write(ready, b"ready\n")
    while worker.work(limit=400):
        pass


def test_a_worker_killed_while_firing_batches_fires_no_deadline_twice_and_loses_none(location: str) -> None:
    """Workers killed with SIGKILL at random moments while they fire batches of due deadlines, one
    after another on the same store: each of 3,000 deadlines is breached exactly once, journaled at
    its own due instant (11:00 Beijing time, 03:00 UTC), and the stored timers are what the journals
    call for."""
    open_tickets(location, 3_000)
    rng = random.Random(7)
    fork = multiprocessing.get_context("fork")
    for _ in range(5):
        reader, writer = os.pipe()
        process = fork.Process(target=work_until_killed, args=(location, writer))
        process.start()
        os.close(writer)
        with os.fdopen(reader, "rb") as pipe:
            assert pipe.readline() == b"ready\n"
            time.sleep(rng.uniform(0.05, 0.3))
            os.kill(process.pid, signal.SIGKILL)  # type: ignore[arg-type]
            process.join()
    last = Engine(VirtualClock(at("2026-11-23 12:00")), open_store(location))
    while last.work(limit=400):
        pass
    breaches = [e for j in last.store.journals() for e in j if e.type is EventType.DUTY_BREACHED]
    assert Counter(e.instance for e in breaches) == {f"ticket-{n}": 1 for n in range(1, 3_001)}
    assert {e.at for e in breaches} == {at("2026-11-23 11:00")}
    assert last.store.timers() == []
    last.store.close()


def test_firings_stored_together_lose_nothing_when_another_writer_was_first(location: str) -> None:
    """Two engines hold the same tickets; one fires ticket-1's deadline first. The other's batch of
    both firings is refused whole, and the deadline still due in the store (ticket-2's) fires
    again: each is breached once."""
    first = Engine(VirtualClock(at("2026-11-23 10:00")), open_store(location))
    first.register(SPEC)
    ticket_1 = first.start("ticket", {"subject": "一"}, CLERK).instance
    ticket_2 = first.start("ticket", {"subject": "二"}, CLERK).instance
    second = Engine(VirtualClock(at("2026-11-23 10:00")), open_store(location))
    second.instance(ticket_1)
    assert second.advance_to(at("2026-11-23 12:00")) == 1
    assert first.advance_to(at("2026-11-23 12:00")) == 1
    breached = Counter(
        e.instance for j in first.store.journals() for e in j if e.type is EventType.DUTY_BREACHED
    )
    assert breached == {ticket_1: 1, ticket_2: 1}
    assert first.instance(ticket_2).duties["answer#1"].breached_at == at("2026-11-23 11:00")
    first.store.close()
    second.store.close()

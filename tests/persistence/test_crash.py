"""Killed mid-burst: a process issuing commands is killed with SIGKILL at a random moment, again and
again on the same store. Every command it acknowledged is there afterwards, no command is there in
part, and the journals, the instance rows and the stored timers agree."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from collections import Counter
from datetime import datetime

from engine.loading.loader import load_process
from engine.persistence import SqlStore, open_store
from engine.runtime.engine import Engine
from engine.runtime.instance import Instance
from engine.runtime.store import command_key
from engine.runtime.timing import Wakeups
from engine.time.clock import VirtualClock
from tests.persistence.conftest import TICKET
from tests.persistence.test_store_contract import CLERK, at

KILLS = 50
SPEC = load_process(TICKET)


def burst(location: str, child: int, acks: int, now: datetime) -> None:
    """Issue commands until killed, writing `key instance` for each one acknowledged."""
    engine = Engine(VirtualClock(now), open_store(location))
    engine.register(SPEC)
    rng = random.Random(child)
    open_tickets: list[str] = []
    for number in range(1_000_000):
        key = f"{child}-{number}"
        if open_tickets and rng.random() < 0.4:
            ticket = open_tickets.pop(rng.randrange(len(open_tickets)))
            outcome = engine.submit(ticket, "answer", {"text": key}, CLERK, key=key)
        else:
            outcome = engine.start("ticket", {"subject": key}, CLERK, key=key)
            open_tickets.append(outcome.instance)
        os.write(acks, f"{key} {outcome.instance} {len(outcome.events)}\n".encode())
        if number == 0:
            os.write(acks, b"warm\n")  # the first command compiles validators; the burst starts now


def run_and_kill(location: str, child: int, rng: random.Random) -> list[tuple[str, str, int]]:
    reader, writer = os.pipe()
    now = at("2026-11-23 10:00").replace(minute=child % 60)
    process = multiprocessing.get_context("fork").Process(target=burst, args=(location, child, writer, now))
    process.start()
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        first = pipe.readline()
        assert pipe.readline() == b"warm\n"
        time.sleep(rng.uniform(0.0, 0.1))
        os.kill(process.pid, signal.SIGKILL)  # type: ignore[arg-type]
        process.join()
        lines = (first + pipe.read()).decode().split("\n")[:-1]  # a line cut short has no newline
    return [(key, instance, int(count)) for key, instance, count in (line.split() for line in lines)]


def check_consistent(store: SqlStore, acknowledged: list[tuple[str, str, int]]) -> None:
    journals = {journal[0].instance: journal for journal in store.journals()}
    for key, instance, count in acknowledged:
        command = store.command(command_key(CLERK.id, key))
        assert command is not None, f"acknowledged command {key} is lost"
        refs = command.result["events"]
        assert len(refs) == count and refs[0][0] == instance
        assert all(journals[i][s - 1].key == key for i, s in refs)
    keys_in_journals = {e.key for journal in journals.values() for e in journal if e.key}
    stored = [command_key(CLERK.id, key) for key in keys_in_journals]
    assert all(store.command(key) is not None for key in stored), "a command is there in part"
    wakeups = Wakeups()
    for summary in store.summaries():
        journal = journals[summary.id]
        assert [e.sequence for e in journal] == list(range(1, len(journal) + 1))
        instance = Instance.replay(journal)
        wakeups.reset(instance)
        assert (summary.events, summary.stage, summary.finished) == (
            len(journal),
            instance.stage,
            instance.finished,
        )
    stored = Counter((t[0], t[1], t[2], t[3]) for t in store.timers())
    derived = Counter((s.id, t.kind, t.ref, t.at) for s in store.summaries() for t in wakeups.pending(s.id))
    assert stored == derived


def test_no_acknowledged_command_is_lost_and_none_is_half_applied(location: str) -> None:
    rng = random.Random(7)
    acknowledged: list[tuple[str, str, int]] = []
    for child in range(KILLS):
        acknowledged += run_and_kill(location, child, rng)
        store = open_store(location)
        try:
            check_consistent(store, acknowledged)
        finally:
            store.close()
    assert len(acknowledged) > KILLS * 5, "the bursts were too short to test anything"
    store = open_store(location)
    try:
        due = sum(1 for t in store.timers() if t[1] == "due")
        restarted = Engine(VirtualClock(at("2026-11-23 12:00")), store)
        assert restarted.resume() == len(store.summaries())
        assert restarted.work(limit=1_000_000) == due > 0
        assert store.timers() == []
    finally:
        store.close()

"""The store contract, on SQLite and PostgreSQL alike: what is committed is read back exactly, a
stale writer is refused whole, and an engine restarted on the store carries on where the last one
stopped: instances, deadlines that fell due meanwhile, idempotency keys and definition versions."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from engine.errors import CommandRefused, Reason, SopflowError
from engine.loading.loader import load_process
from engine.persistence import SqlStore, StoreError, open_store
from engine.persistence.migrations import LATEST
from engine.runtime.engine import Engine
from engine.runtime.events import Actor, Event, EventType
from engine.runtime.instance import Instance
from engine.runtime.store import Commit, ConflictError, StoredCommand, StoredTimer, Write
from engine.time.clock import VirtualClock
from tests.persistence.conftest import TICKET, OpenStore
from tests.postgres import fresh_database

SHANGHAI = ZoneInfo("Asia/Shanghai")
CLERK = Actor.of("li", "clerk")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def engine_on(store: SqlStore, now: str) -> Engine:
    engine = Engine(VirtualClock(at(now)), store)
    engine.register(load_process(TICKET))
    return engine


def event(instance: str, sequence: int, when: str, **data: object) -> Event:
    return Event(
        instance=instance,
        sequence=sequence,
        at=at(when),
        actor="li",
        roles=("clerk",),
        type=EventType.VARIABLES_SET,
        data={"values": data},
        key="k",
    )


def write(instance: str, expected: int, *events: Event, due: str | None = None) -> Write:
    timers = (StoredTimer(kind="due", ref="answer#1", at=at(due)),) if due else ()
    return Write(
        instance=instance,
        expected_version=expected,
        events=events,
        process="ticket",
        version=1,
        stage="open",
        finished=False,
        timers=timers,
    )


def test_a_new_store_is_migrated_once(reopen: OpenStore) -> None:
    assert reopen().schema_version == LATEST
    assert reopen().schema_version == LATEST  # opening again applies nothing twice


def test_a_store_from_a_newer_sopflow_is_refused(tmp_path: Path) -> None:
    path = str(tmp_path / "newer.db")
    open_store(path).close()
    with sqlite3.connect(path) as connection:
        connection.execute("INSERT INTO schema_version (version) VALUES (?)", (LATEST + 1,))
    with pytest.raises(StoreError, match=f"schema version {LATEST + 1}; this sopflow knows up to {LATEST}"):
        open_store(path)


def test_committed_events_read_back_exactly(reopen: OpenStore) -> None:
    store = reopen()
    first = event("ticket-1", 1, "2026-11-23 10:00", subject="打印机", count=3, ok=True, none=None)
    second = event("ticket-1", 2, "2026-11-23 10:05:30.25", nested={"a": [1, "二"]})._replace(key="")
    store.commit(Commit(writes=(write("ticket-1", 0, first, second, due="2026-11-23 11:00"),)))
    assert reopen().load("ticket-1") == [first, second]
    assert store.load("ticket-1", after=1) == [second]
    assert store.load("ticket-9") == []
    (summary,) = store.summaries()
    assert (summary.id, summary.events, summary.next_due) == ("ticket-1", 2, at("2026-11-23 11:00"))
    assert store.last_number() == 1


def test_a_commit_of_many_instances_reads_back_one_by_one_and_together(reopen: OpenStore) -> None:
    """A worker's batch: one commit that creates some instances and appends to others."""
    store = reopen()
    earlier = event("ticket-2", 1, "2026-11-23 09:00")
    store.commit(Commit(writes=(write("ticket-2", 0, earlier),)))
    created = [event(f"ticket-{n}", 1, "2026-11-23 10:00", n=n) for n in (1, 3)]
    appended = event("ticket-2", 2, "2026-11-23 10:00", n=2)
    store.commit(
        Commit(
            writes=(
                write("ticket-3", 0, created[1], due="2026-11-23 12:00"),
                write("ticket-2", 1, appended, due="2026-11-23 11:00"),
                write("ticket-1", 0, created[0]),
            )
        )
    )
    together = reopen().load_many(["ticket-3", "ticket-9", "ticket-1", "ticket-2"])
    assert together == {"ticket-1": [created[0]], "ticket-2": [earlier, appended], "ticket-3": [created[1]]}
    assert all(store.load(i) == journal for i, journal in together.items())
    assert [(s.id, s.events, s.next_due) for s in store.summaries()] == [
        ("ticket-1", 1, None),
        ("ticket-2", 2, at("2026-11-23 11:00")),
        ("ticket-3", 1, at("2026-11-23 12:00")),
    ]
    assert [(t[0], t[3]) for t in store.timers()] == [
        ("ticket-2", at("2026-11-23 11:00")),
        ("ticket-3", at("2026-11-23 12:00")),
    ]
    assert store.verify() == []


def test_a_stale_writer_is_refused_and_nothing_of_its_commit_is_kept(reopen: OpenStore) -> None:
    store = reopen()
    store.commit(Commit(writes=(write("ticket-1", 0, event("ticket-1", 1, "2026-11-23 10:00")),)))
    winner = write("ticket-1", 1, event("ticket-1", 2, "2026-11-23 10:01", by="a"))
    loser = write("ticket-1", 1, event("ticket-1", 2, "2026-11-23 10:02", by="b"))
    bystander = write("ticket-2", 0, event("ticket-2", 1, "2026-11-23 10:02"))
    command = StoredCommand(key="b-1", fingerprint="f", result={})
    reopen().commit(Commit(writes=(winner,)))
    with pytest.raises(ConflictError, match="instance ticket-1 is at version 2, the writer expected 1"):
        store.commit(Commit(writes=(bystander, loser), command=command))
    assert [e.data for e in store.load("ticket-1")][-1] == {"values": {"by": "a"}}
    assert store.load("ticket-2") == [] and store.command("b-1") is None
    with pytest.raises(ConflictError, match="is at version 2, the writer expected 0"):
        store.commit(Commit(writes=(write("ticket-1", 0, event("ticket-1", 1, "2026-11-23 10:00")),)))


def test_a_write_after_a_rolled_back_one_chains_on_what_was_kept(reopen: OpenStore) -> None:
    """A store remembers what it last wrote of an instance only once that is committed: after its
    batch is rolled back and another writer appends instead, its next write follows the other's
    hash, and the chain verifies."""
    store, other = reopen(), reopen()
    store.commit(Commit(writes=(write("ticket-1", 0, event("ticket-1", 1, "2026-11-23 10:00")),)))
    with pytest.raises(RuntimeError), store.batch():
        store.commit(Commit(writes=(write("ticket-1", 1, event("ticket-1", 2, "2026-11-23 10:01", by="a")),)))
        raise RuntimeError("the batch fails")
    other.commit(Commit(writes=(write("ticket-1", 1, event("ticket-1", 2, "2026-11-23 10:02", by="b")),)))
    store.commit(Commit(writes=(write("ticket-1", 2, event("ticket-1", 3, "2026-11-23 10:03", by="a")),)))
    assert [e.data["values"]["by"] for e in store.load("ticket-1", after=1)] == ["b", "a"]
    assert store.verify() == []


def test_a_commit_refused_within_a_batch_leaves_the_others_of_the_batch(reopen: OpenStore) -> None:
    """A commit whose key another writer used first is refused (on PostgreSQL only when its
    pipeline is answered, after its release was sent); the batch goes on and keeps the others."""
    store, other = reopen(), reopen()
    other.commit(Commit(command=StoredCommand(key="k-1", fingerprint="f", result={})))
    with store.batch():
        store.commit(Commit(writes=(write("ticket-1", 0, event("ticket-1", 1, "2026-11-23 10:00")),)))
        refused = write("ticket-2", 0, event("ticket-2", 1, "2026-11-23 10:01"))
        with pytest.raises(ConflictError, match="another writer was first"):
            store.commit(
                Commit(writes=(refused,), command=StoredCommand(key="k-1", fingerprint="g", result={}))
            )
        store.commit(Commit(writes=(write("ticket-3", 0, event("ticket-3", 1, "2026-11-23 10:02")),)))
    assert [s.id for s in reopen().summaries()] == ["ticket-1", "ticket-3"]
    assert reopen().command("k-1") == StoredCommand(key="k-1", fingerprint="f", result={})
    store.commit(Commit(writes=(write("ticket-1", 1, event("ticket-1", 2, "2026-11-23 10:03")),)))
    assert store.verify() == []


def test_a_write_after_one_refused_at_its_commit_chains_on_what_was_kept(postgres: str) -> None:
    """PostgreSQL sends a commit's end with its statements and hears the answer last: a commit
    refused only at COMMIT (a deferred check) is remembered as nothing, so the next write, after
    another writer's, follows the other's hash."""
    location = fresh_database(postgres, "refused_at_commit")
    store, other = open_store(location), open_store(location)
    try:
        store.commit(Commit(writes=(write("ticket-1", 0, event("ticket-1", 1, "2026-11-23 10:00")),)))
        other.execute(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql"
            " AS $$ BEGIN RAISE EXCEPTION 'refused at commit'; END $$"
        )
        other.execute(
            "CREATE CONSTRAINT TRIGGER refuse AFTER INSERT ON events DEFERRABLE INITIALLY DEFERRED"
            " FOR EACH ROW EXECUTE FUNCTION refuse()"
        )
        with pytest.raises(StoreError, match="refused at commit"):
            store.commit(
                Commit(writes=(write("ticket-1", 1, event("ticket-1", 2, "2026-11-23 10:01", by="a")),))
            )
        other.execute("DROP TRIGGER refuse ON events")
        other.commit(Commit(writes=(write("ticket-1", 1, event("ticket-1", 2, "2026-11-23 10:02", by="b")),)))
        store.commit(Commit(writes=(write("ticket-1", 2, event("ticket-1", 3, "2026-11-23 10:03", by="a")),)))
        assert [e.data["values"]["by"] for e in store.load("ticket-1", after=1)] == ["b", "a"]
        assert store.verify() == []
    finally:
        store.close()
        other.close()


def test_timers_are_stored_as_each_write_lists_them(reopen: OpenStore) -> None:
    """Timers change by difference from the store's last write, or anew when another writer wrote
    last; a timer listed twice is kept twice."""
    store, other = reopen(), reopen()
    due = StoredTimer(kind="due", ref="answer#1", at=at("2026-11-23 11:00"))
    warn = StoredTimer(kind="warn", ref="answer#1", at=at("2026-11-23 10:45"))
    later = StoredTimer(kind="due", ref="answer#2", at=at("2026-11-23 12:00"))
    steps = [
        (store, (due, warn)),
        (store, (due, later, later)),
        (other, (later,)),
        (store, (due, later)),
        (store, ()),
    ]
    for version, (writer, timers) in enumerate(steps):
        changed = replace(
            write("ticket-1", version, event("ticket-1", version + 1, "2026-11-23 10:00")), timers=timers
        )
        writer.commit(Commit(writes=(changed,)))
        stored = sorted((t[1], t[2], t[3]) for t in reopen().timers())
        assert stored == sorted((t.kind, t.ref, t.at) for t in timers), version
    assert store.verify() == []


def test_definitions_keep_every_version_and_refuse_changed_content(reopen: OpenStore) -> None:
    store = reopen()
    store.save_definition("ticket", 1, "a: 1\n")
    store.save_definition("ticket", 1, "a: 1\n")
    store.save_definition("ticket", 2, "a: 2\n")
    with pytest.raises(SopflowError, match="ticket version 1 is already stored with other content"):
        reopen().save_definition("ticket", 1, "a: 3\n")
    assert reopen().definitions("ticket") == {1: "a: 1\n", 2: "a: 2\n"}


def test_a_schedule_is_stored_once_and_then_read(reopen: OpenStore) -> None:
    store = reopen()
    assert store.schedule("review", at("2026-12-01 09:00")) == at("2026-12-01 09:00")
    assert reopen().schedule("review", at("2027-01-01 09:00")) == at("2026-12-01 09:00")
    store.commit(Commit(schedules=(("review", at("2026-12-01 09:00"), at("2027-01-04 09:00")),)))
    assert store.schedule("review", None) == at("2027-01-04 09:00")
    with pytest.raises(ConflictError, match="the self-start of review at 2026-12-01T01:00:00"):
        reopen().commit(Commit(schedules=(("review", at("2026-12-01 09:00"), at("2027-01-04 09:00")),)))


def test_a_claim_holds_the_due_instances_in_due_order(reopen: OpenStore) -> None:
    store = reopen()
    for number, due in ((1, "2026-11-23 12:00"), (2, "2026-11-23 11:00"), (3, "2026-11-24 09:00")):
        name = f"ticket-{number}"
        store.commit(Commit(writes=(write(name, 0, event(name, 1, "2026-11-23 10:00"), due=due),)))
    with store.claim(at("2026-11-23 18:00"), limit=10) as claim:
        assert claim.instances == ["ticket-2", "ticket-1"]
    with store.claim(at("2026-11-23 18:00"), limit=1) as claim:
        assert claim.instances == ["ticket-2"]


def test_an_engine_restarted_on_the_store_carries_on(reopen: OpenStore) -> None:
    """Instances, records and timers come back from the store; a repeated key repeats its answer."""
    first = engine_on(reopen(), "2026-11-23 10:00")
    started = first.start("ticket", {"subject": "打印机"}, CLERK, key="start-1")
    journal = first.instance(started.instance).journal

    second = Engine(VirtualClock(at("2026-11-23 10:30")), reopen())
    assert second.resume() == 1
    assert second.instance(started.instance).journal == journal
    assert second.next_due() == at("2026-11-23 11:00")
    assert second.start("ticket", {"subject": "打印机"}, CLERK, key="start-1") == started
    assert [s.id for s in second.store.summaries()] == ["ticket-1"]
    second.submit(started.instance, "answer", {"text": "已修好"}, CLERK, key="answer-1")

    third = Engine(VirtualClock(at("2026-11-23 10:40")), reopen())
    answered = third.instance(started.instance)
    assert answered.stage == "closed" and answered.finished
    with pytest.raises(CommandRefused) as refused:
        third.submit(started.instance, "answer", {"text": "另一个"}, CLERK, key="answer-1")
    assert refused.value.reason is Reason.KEY_REUSED
    assert reopen().records(started.instance) == [("answer", 1, {"text": "已修好"})]


def test_a_duplicate_that_loses_a_race_gets_the_first_answer(
    reopen: OpenStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two engines take the same keyed command at once: both find the key unused, one commits, and the
    other, beaten, answers with what the first did rather than with a conflict."""
    winner = engine_on(reopen(), "2026-11-23 10:00")
    loser = engine_on(reopen(), "2026-11-23 10:00")
    looked_up = loser.store.command

    def race(key: str) -> object:
        monkeypatch.setattr(loser.store, "command", looked_up)  # only the first look misses
        return None

    monkeypatch.setattr(loser.store, "command", race)
    first = winner.start("ticket", {"subject": "打印机"}, CLERK, key="start-1")
    second = loser.start("ticket", {"subject": "打印机"}, CLERK, key="start-1")
    assert second == first
    assert [s.id for s in reopen().summaries()] == ["ticket-1"]


def test_timers_that_fell_due_while_down_fire_once_each_in_order_at_their_instants(
    reopen: OpenStore,
) -> None:
    first = engine_on(reopen(), "2026-11-23 10:00")
    for minute in (0, 10, 20):
        first.clock.set(at(f"2026-11-23 10:{minute:02}"))  # type: ignore[attr-defined]
        first.start("ticket", {"subject": f"第{minute}分"}, CLERK)
    # Down from 10:20 until 12:00; the three deadlines (11:00, 11:10, 11:20) passed meanwhile.
    worker = Engine(VirtualClock(at("2026-11-23 12:00")), reopen())
    fired: list[Event] = []
    worker.subscribe(fired.append, EventType.DUTY_BREACHED)
    assert worker.work() == 3
    assert worker.work() == 0
    assert [(e.instance, e.at, e.data["fired_at"]) for e in fired] == [
        ("ticket-1", at("2026-11-23 11:00"), "2026-11-23T04:00:00+00:00"),
        ("ticket-2", at("2026-11-23 11:10"), "2026-11-23T04:00:00+00:00"),
        ("ticket-3", at("2026-11-23 11:20"), "2026-11-23T04:00:00+00:00"),
    ]
    store = reopen()
    escalated = [e for e in store.load("ticket-2") if e.type is EventType.DUTY_ESCALATED]
    assert [(e.at, e.data["role"]) for e in escalated] == [(at("2026-11-23 11:10"), "supervisor")]
    assert [s.next_due for s in store.summaries()] == [None, None, None]


def test_a_resumed_engine_reads_each_journal_only_when_needed(
    reopen: OpenStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`resume()` arms the timers the store keeps; an instance is read when a timer, a command or a
    query needs it, and its timers are then derived from its state."""
    first = engine_on(reopen(), "2026-11-23 10:00")
    for minute in (0, 10, 20, 30):
        first.clock.set(at(f"2026-11-23 10:{minute:02}"))  # type: ignore[attr-defined]
        first.start("ticket", {"subject": f"第{minute}分"}, CLERK)
    first.submit("ticket-2", "answer", {"text": "好"}, CLERK)

    engine = Engine(VirtualClock(at("2026-11-23 10:40")), reopen())
    read: list[str] = []
    load = engine.store.load

    def reading(instance: str, after: int = 0) -> list[Event]:
        read.append(instance)
        return load(instance, after)

    monkeypatch.setattr(engine.store, "load", reading)
    assert engine.resume() == 4
    assert engine.next_due() == at("2026-11-23 11:00")
    assert [engine.wakeups.pending(i) for i in ("ticket-1", "ticket-2", "ticket-3", "ticket-4")] == [
        (StoredTimer(kind="due", ref="answer#1", at=at(f"2026-11-23 11:{m}0")),) if m is not None else ()
        for m in (0, None, 2, 3)
    ]
    assert read == []

    engine.submit("ticket-3", "answer", {"text": "也好"}, CLERK)
    assert engine.advance_to(at("2026-11-23 11:15")) == 1  # ticket-1's deadline; ticket-4's is 11:30
    assert read == ["ticket-3", "ticket-1"]
    breach = engine.instance("ticket-1").journal[-2]
    assert (breach.type, breach.at, breach.data["due"]) == (
        EventType.DUTY_BREACHED,
        at("2026-11-23 11:00"),
        "2026-11-23T03:00:00+00:00",
    )
    assert engine.next_due() == at("2026-11-23 11:30")
    assert {i.id: i.stage for i in engine.instances()} == {
        "ticket-1": "open",
        "ticket-2": "closed",
        "ticket-3": "closed",
        "ticket-4": "open",
    }
    stored = {j[0].instance: Instance.replay(j).snapshot() for j in reopen().journals()}
    assert stored == {i.id: i.snapshot() for i in engine.instances()}


def test_running_instances_keep_their_version_when_a_new_one_is_registered(reopen: OpenStore) -> None:
    first = engine_on(reopen(), "2026-11-23 10:00")
    old = first.start("ticket", {"subject": "旧"}, CLERK).instance
    text = (
        TICKET.read_text(encoding="utf-8").replace("version: 1", "version: 2").replace("due: 1h", "due: 2h")
    )
    newer = TICKET.with_name("ticket-v2.yaml")
    newer.write_text(text, encoding="utf-8")
    try:
        first.register(load_process(newer))
    finally:
        newer.unlink()
    second = Engine(VirtualClock(at("2026-11-23 10:00")), reopen())
    new = second.start("ticket", {"subject": "新"}, CLERK).instance
    versions = {s.id: s.version for s in second.store.summaries()}
    assert versions == {old: 1, new: 2}
    assert second.instance(old).duties["answer#1"].due == at("2026-11-23 11:00")
    assert second.instance(new).duties["answer#1"].due == at("2026-11-23 12:00")


def test_a_self_starting_process_starts_once_per_occurrence_whoever_fires_it(reopen: OpenStore) -> None:
    """R1.7b: the monthly review starts on the 1st at 10:00, or the next working day (2027-01-01 is
    New Year's Day, 2027-01-02/03 a weekend: 2027-01-04)."""
    review = load_process(TICKET.parents[2] / "processes" / "sales-monthly-review.yaml")
    registered = Engine(VirtualClock(at("2026-11-23 10:00")), reopen())
    registered.register(review)
    worker = Engine(VirtualClock(at("2027-01-05 09:00")), reopen())
    assert worker.work() == 2
    assert registered.advance_to(at("2027-01-05 09:00")) == 0  # its own timers lose to the worker's
    starts = [(s.id, s.process) for s in reopen().summaries()]
    assert starts == [("sales-monthly-review-1", review.id), ("sales-monthly-review-2", review.id)]
    assert [reopen().load(i)[0].at for i, _ in starts] == [at("2026-12-01 10:00"), at("2027-01-04 10:00")]
    assert registered.next_due() == at("2027-02-01 10:00") == reopen().schedule(review.id, None)


def test_instance_numbers_are_not_reused_by_a_new_engine(reopen: OpenStore) -> None:
    engine_on(reopen(), "2026-11-23 10:00").start("ticket", {"subject": "一"}, CLERK)
    again = engine_on(reopen(), "2026-11-23 10:00").start("ticket", {"subject": "二"}, CLERK)
    assert again.instance == "ticket-2"


def test_a_refusal_for_no_instance_is_kept(reopen: OpenStore) -> None:
    engine = engine_on(reopen(), "2026-11-23 10:00")
    with pytest.raises(CommandRefused):
        engine.start("tickets", {}, CLERK)
    (kept,) = reopen().refusals()
    assert (kept["reason"], kept["command"], kept["at"]) == (
        "unknown_process",
        "start",
        "2026-11-23T02:00:00+00:00",
    )


def test_rebuilt_instances_equal_the_ones_that_wrote_them(reopen: OpenStore) -> None:
    engine = engine_on(reopen(), "2026-11-23 10:00")
    made = [engine.start("ticket", {"subject": str(n)}, CLERK).instance for n in range(3)]
    engine.submit(made[1], "answer", {"text": "好"}, CLERK)
    engine.advance_to(at("2026-11-23 10:30"))
    rebuilt = {j[0].instance: Instance.replay(j).snapshot() for j in reopen().journals()}
    assert rebuilt == {i: engine.instance(i).snapshot() for i in made}
    assert reopen().timers() == [(i, "due", "answer#1", at("2026-11-23 11:00")) for i in (made[0], made[2])]


def test_an_unusable_location_is_a_clear_error() -> None:
    with pytest.raises(StoreError, match=r"store /nonexistent/dir/x\.db: unable to open database file"):
        open_store("/nonexistent/dir/x.db")
    with pytest.raises(StoreError, match=r"cannot connect to postgresql://sopflow:\*\*\*@"):
        open_store("postgresql://sopflow:secret@/nothing?host=/nonexistent&connect_timeout=1")

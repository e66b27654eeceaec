"""`sopflow run …` and `sopflow worker`: real instances on a durable store, on the system clock.

Each `run` command opens the store, does one thing and exits, so any number of them (and workers)
may share a store. A command is acknowledged (exit 0, its events printed) only once it is committed.
Exit codes: 0 done, 1 refused by the engine or beaten by another writer (retry), 2 could not run.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from typing import Any

from engine.cli.definitions import check_all, expand
from engine.cli.files import STDIN, STDIN_NAME, read_stdin
from engine.cli.output import calendar_notes, cannot_run, error, printable, red
from engine.delivery import webhooks
from engine.errors import CommandRefused, DefinitionError, SopflowError
from engine.loading.yaml_source import read_bounded, read_data
from engine.persistence import STORE_HELP, SqlStore, StoreError, open_store, store_location
from engine.persistence.outbox import Outbox
from engine.runtime.engine import Engine, Outcome
from engine.runtime.events import Actor, Event, EventType
from engine.runtime.store import ConflictError, Summary
from engine.time.calendar import zone
from engine.time.clock import SystemClock


def register(commands: Any) -> None:
    store, acting = _common(), _acting()
    run = commands.add_parser(
        "run",
        help="register definitions and run instances on a durable store",
        description="Run real instances on a durable store with the system clock. Exit 0 when done, "
        "1 when the engine refuses the command (or another writer was first: retry), 2 when it cannot run.",
    )
    sub = run.add_subparsers(dest="action", metavar="ACTION", required=True)

    def action(name: str, handler: Callable[[Any], int], help: str, *parents: Any) -> Any:
        parser = sub.add_parser(
            name, parents=[store, *parents], help=help, description=help[0].upper() + help[1:]
        )
        parser.set_defaults(run=guarded(handler))
        return parser

    add = action("register", _register, "register process definitions (each version once)")
    add.add_argument("paths", nargs="+", metavar="PROCESS", help="process files or folders of *.yaml files")
    start = action("start", _start, "start an instance of a process", acting)
    start.add_argument("process")
    _data_option(start)
    fire = action("fire", _fire, "fire a trigger on an instance", acting)
    fire.add_argument("instance")
    fire.add_argument("trigger")
    submit = action("submit", _submit, "submit a form (a record)", acting)
    submit.add_argument("instance")
    submit.add_argument("form")
    _data_option(submit)
    sign = action("sign", _sign, "sign the latest record of a form", acting)
    sign.add_argument("instance")
    sign.add_argument("form")
    sign.add_argument("--as", dest="sign_as", default="", metavar="ROLE", help="the role to sign in")
    event = action("event", _event, "report an event on an instance", acting)
    event.add_argument("instance")
    event.add_argument("event")
    _data_option(event)

    listing = action("list", _list, "list instances, oldest first")
    listing.add_argument("--process", default="", help="only instances of this process")
    listing.add_argument("--stage", default="", help="only instances in this stage")
    state = listing.add_mutually_exclusive_group()
    state.add_argument("--running", action="store_true", help="only running instances")
    state.add_argument("--finished", action="store_true", help="only finished instances")
    overdue = action("overdue", _overdue, "open duties past their deadline, most overdue first")
    overdue.add_argument("--role", default="", help="only the duties of this role")
    incidents = action(
        "incidents", _incidents, "instances with an open incident: what failed, when it is retried"
    )
    retry = action("retry", _retry, "retry now what an incident held back on an instance (after a fix)")
    retry.add_argument("instance")
    history = action("history", _history, "an instance's journal, every event in order")
    history.add_argument("instance")
    versions = action("versions", _versions, "running and finished instances per definition version")
    deliveries = action(
        "deliveries", _deliveries, "the webhook deliveries of the outbox: delivered, failing, waiting"
    )
    deliveries.add_argument("--failing", action="store_true", help="only those whose last attempt failed")
    for parser in (listing, overdue, incidents, history, versions, deliveries):
        parser.add_argument("--json", action="store_true", help="print JSON")

    worker = commands.add_parser(
        "worker",
        parents=[store],
        help="fire due timers on the system clock until stopped",
        description="Fire every deadline, warning, recurring duty and scheduled start as it falls due, "
        "including those that fell due while no worker ran (each at its own instant; the events note "
        "when they actually fired). Several workers may share a store. SIGINT or SIGTERM stops the "
        "worker after the batch in hand.",
    )
    worker.add_argument("--interval", type=float, default=1.0, metavar="SECONDS", help="pause when idle")
    worker.add_argument("--limit", type=int, default=100, metavar="N", help="instances per claim")
    worker.add_argument("--once", action="store_true", help="fire what is due now, then exit")
    worker.set_defaults(run=guarded(_worker))


def _common() -> Any:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--store", metavar="LOCATION", help=STORE_HELP)
    return parent


def _acting() -> Any:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--actor", required=True, metavar="ID", help="who acts, for the audit trail")
    parent.add_argument(
        "--role", action="append", required=True, metavar="ROLE", help="a role the actor acts in (repeatable)"
    )
    parent.add_argument("--key", default="", help="idempotency key: repeating it repeats the first answer")
    return parent


def _data_option(parser: Any) -> None:
    parser.add_argument(
        "--data", metavar="FILE", help="the data as a JSON or YAML mapping, from a file or '-' for stdin"
    )


# Commands that change instances


def _register(args: Any) -> int:
    files = expand(args.paths)
    results = check_all(files)
    problems = [p for result in results.values() for p in result.problems]
    if problems:
        for problem in problems:
            error(str(problem))
        return 1
    with _engine(args) as engine:
        for result in results.values():
            assert result.spec is not None
            engine.register(result.spec)
            print(f"registered {result.spec.id} version {result.spec.version}")
    return 0


def _start(args: Any) -> int:
    return _act(args, lambda engine, actor: engine.start(args.process, _data(args), actor, key=args.key))


def _fire(args: Any) -> int:
    return _act(args, lambda engine, actor: engine.fire(args.instance, args.trigger, actor, key=args.key))


def _submit(args: Any) -> int:
    return _act(
        args, lambda engine, actor: engine.submit(args.instance, args.form, _data(args), actor, key=args.key)
    )


def _sign(args: Any) -> int:
    return _act(
        args,
        lambda engine, actor: engine.sign(args.instance, args.form, actor, role=args.sign_as, key=args.key),
    )


def _event(args: Any) -> int:
    return _act(
        args,
        lambda engine, actor: engine.raise_event(args.instance, args.event, _data(args), actor, key=args.key),
    )


def _act(args: Any, command: Callable[[Engine, Actor], Outcome]) -> int:
    actor = Actor(id=args.actor, roles=frozenset(args.role))
    with _engine(args) as engine:
        try:
            outcome = command(engine, actor)
        except CommandRefused as refusal:
            reason = f"({refusal.reason.value}): {printable(refusal.message)}"
            print(f"{red('refused', sys.stderr)} {reason}", file=sys.stderr)
            for detail in refusal.details:
                print(f"  - {printable(detail)}", file=sys.stderr)
            return 1
        instance = engine.instance(outcome.instance)
        print(f"{instance.id}: stage {instance.stage}{' (finished)' if instance.finished else ''}")
        for event in outcome.events:
            print("  " + _event_line(engine, event))
    return 0


def _worker(args: Any) -> int:
    # A plain flag, not a threading.Event: setting an Event from a signal handler deadlocks when the
    # signal lands while the main thread holds the Event's lock inside wait(). A pause is slept in
    # tenths of a second, so the worker stops within one of them.
    stopped: list[int] = []
    previous = {signum: signal.signal(signum, lambda n, _: stopped.append(n)) for signum in _STOPS}
    try:
        work_loop(args, stopped)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    print("worker stopped", flush=True)
    return 0


_STOPS = (signal.SIGINT, signal.SIGTERM)


def work_loop(args: Any, stopped: list[int]) -> None:
    """Fire what falls due until stopped. When the store fails (a full disk, a lost connection, a
    restarted server), say so, open it afresh after a pause that grows each time (at most a minute)
    and carry on."""
    where = store_location(args.store)
    endpoints = webhooks.configured()
    told = f" and delivering webhooks to {len(endpoints)}" if endpoints else ""
    print(f"worker on {where}: firing due timers as they fall due{told} (stop with Ctrl-C)", flush=True)
    pause = args.interval
    while not stopped:
        try:
            with _engine(args) as engine:
                engine.subscribe(lambda event: print(_event_line(engine, event)), *_WORKER_SHOWS)
                while not stopped:
                    fired = engine.work(limit=args.limit)
                    sys.stdout.flush()  # what a round fired, in one write rather than a line each
                    if endpoints:
                        fired += _deliver(engine, endpoints)
                    pause = args.interval
                    calendar_notes()
                    for damaged in engine.damaged:
                        error(f"{damaged}; passed over (`sopflow store check` names what is damaged)")
                    engine.damaged.clear()
                    if fired == 0:
                        if args.once:
                            return
                        _sleep(args.interval, stopped)
        except StoreError as failure:
            if args.once:
                raise
            pause = min(max(pause * 2, 1.0), MAX_PAUSE)
            error(f"{failure}; trying again in {pause:g} s")
            _sleep(pause, stopped)


MAX_PAUSE = 60.0


def _deliver(engine: Engine, endpoints: list[webhooks.Endpoint]) -> int:
    """The webhooks due, each attempt said; how many were delivered."""
    assert isinstance(engine.store, SqlStore)
    attempts = webhooks.deliver(engine, engine.store, endpoints, engine.clock.now())
    for message, endpoint, failure in attempts:
        said = f"failed ({failure}), tried again later" if failure else "delivered"
        print(printable(f"webhook {message} to {endpoint}: {said}"), flush=True)
    return sum(1 for _, _, failure in attempts if not failure)


def _sleep(seconds: float, stopped: list[int]) -> None:
    """Sleep in short steps, so a stop signal is obeyed within a tenth of a second."""
    end = time.monotonic() + seconds
    while not stopped and time.monotonic() < end:
        time.sleep(min(0.1, end - time.monotonic()))


_WORKER_SHOWS = (
    EventType.INSTANCE_STARTED,
    EventType.DUTY_OPENED,
    EventType.DUTY_WARNED,
    EventType.DUTY_BREACHED,
    EventType.DUTY_ESCALATED,
    EventType.NOTIFIED,
)


# Queries


def _list(args: Any) -> int:
    with _engine(args) as engine:
        rows = [
            s
            for s in engine.store.summaries()
            if (not args.process or s.process == args.process)
            and (not args.stage or s.stage == args.stage)
            and not (args.running and s.finished)
            and not (args.finished and not s.finished)
        ]
        if args.json:
            print(json.dumps([_summary_json(engine, s) for s in rows], ensure_ascii=False, indent=2))
            return 0
    for s in rows:
        state = (
            "finished" if s.finished else f"next due {s.next_due.isoformat()}" if s.next_due else "running"
        )
        incident = f"  incident: {s.incident}" if s.incident else ""
        print(printable(f"{s.id:<32} v{s.version:<3} {s.stage:<24} {s.events:>5} events  {state}{incident}"))
    print(f"{len(rows)} instances", file=sys.stderr)
    return 0


def _overdue(args: Any) -> int:
    with _engine(args) as engine:
        now = engine.clock.now()
        late = []
        for summary in engine.store.summaries():
            if summary.finished:
                continue
            instance = engine.instance(summary.id)
            tz = zone(engine.definition_of(instance).calendar.timezone)
            for duty in instance.open_duties():
                if duty.due <= now and args.role in ("", duty.role):
                    late.append((duty.due, instance.id, duty.key, duty.role, tz))
        late.sort()
    if args.json:
        rows = [
            {"instance": i, "duty": k, "role": r, "due": d.astimezone(tz).isoformat()}
            for d, i, k, r, tz in late
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for due, instance_id, key, role, tz in late:
        local = due.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        print(f"{instance_id:<32} {key:<28} {role:<20} due {local}  ({_hours(now - due)} late)")
    print(f"{len(late)} overdue {'duty' if len(late) == 1 else 'duties'}", file=sys.stderr)
    return 0


def _incidents(args: Any) -> int:
    with _engine(args) as engine:
        rows = [s for s in engine.store.summaries() if s.incident]
        if args.json:
            print(json.dumps([_summary_json(engine, s) for s in rows], ensure_ascii=False, indent=2))
            return 0
    for s in rows:
        retry = f"retried {s.next_due.isoformat()}" if s.next_due else "not retried"
        print(printable(f"{s.id:<32} {retry}  {s.incident}"))
    print(f"{len(rows)} {'instance' if len(rows) == 1 else 'instances'} with an incident", file=sys.stderr)
    return 0


def _retry(args: Any) -> int:
    with _engine(args) as engine:
        engine.subscribe(lambda event: print("  " + _event_line(engine, event)))
        resolved = engine.retry(args.instance)
    if not resolved:
        error(f"{args.instance} failed again; `sopflow run incidents` shows why")
        return 1
    print(f"{args.instance}: no open incident")
    return 0


def _history(args: Any) -> int:
    with _engine(args) as engine:
        try:
            instance = engine.instance(args.instance)
        except CommandRefused as refusal:
            error(refusal.message)
            return 2
        if args.json:
            print(json.dumps([e.as_dict() for e in instance.journal], ensure_ascii=False, indent=2))
            return 0
        spec = engine.definition_of(instance)
        print(f"{instance.id}: {spec.title} v{spec.version}, stage {instance.stage}")
        for event in instance.journal:
            print("  " + _event_line(engine, event))
    return 0


def _versions(args: Any) -> int:
    with _store(args) as store:
        counts: dict[tuple[str, int], list[int]] = {(p, v): [0, 0] for p, v in store.definition_versions()}
        for summary in store.summaries():
            counts.setdefault((summary.process, summary.version), [0, 0])[int(summary.finished)] += 1
    rows = [
        {"process": p, "version": v, "running": running, "finished": finished}
        for (p, v), (running, finished) in sorted(counts.items())
    ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for row in rows:
        tally = f"{row['running']:>6} running {row['finished']:>6} finished"
        print(f"{row['process']:<32} v{row['version']:<3} {tally}")
    return 0


def _deliveries(args: Any) -> int:
    with _store(args) as store:
        outbox = Outbox(store)
        rows, messages = outbox.deliveries(failing=args.failing), outbox.messages()
    if args.json:
        print(json.dumps([asdict(d) | _instants(d) for d in rows], ensure_ascii=False, indent=2))
        return 0
    for d in rows:
        state = f"delivered {d.delivered_at.isoformat()}" if d.delivered_at else f"next attempt {d.next_at}"
        why = f"  last error: {d.error}" if d.error else ""
        print(printable(f"{d.message:<36} {d.endpoint:<32} {d.attempts:>3} attempts  {state}{why}"))
    print(f"{messages} messages in the outbox, {len(rows)} deliveries listed", file=sys.stderr)
    return 0


def _instants(delivery: Any) -> dict[str, Any]:
    return {k: getattr(delivery, k).isoformat() for k in ("next_at", "delivered_at") if getattr(delivery, k)}


# Helpers


@contextmanager
def _store(args: Any) -> Iterator[SqlStore]:
    store = open_store(store_location(args.store))
    try:
        yield store
    finally:
        store.close()


@contextmanager
def _engine(args: Any) -> Iterator[Engine]:
    with _store(args) as store:
        yield Engine(SystemClock(), store)


def guarded(command: Callable[[Any], int]) -> Callable[[Any], int]:
    """Turn what stops a command (a store or data problem, a lost race) into a message and exit code."""

    def run(args: Any) -> int:
        try:
            return command(args)
        except ConflictError as conflict:
            error(f"{conflict}; another writer changed the instance first, run the command again")
            return 1
        except SopflowError as failure:
            return cannot_run(failure)

    return run


def _data(args: Any) -> dict[str, Any]:
    """The command's data, read as process files are: bounded in size, depth and alias expansion,
    duplicate keys refused, every problem located."""
    if not args.data:
        return {}
    name = STDIN_NAME if args.data == STDIN else args.data
    raw = read_stdin() if args.data == STDIN else read_bounded(args.data)
    if isinstance(raw, str):
        raise SopflowError(f"{name}: {raw}")
    data, problems = read_data(raw, name)
    if problems:
        raise DefinitionError(problems)
    return data


def _event_line(engine: Engine, event: Event) -> str:
    """One event with its instant in the local time of its process's calendar. The process is read
    from the instance id, not by loading the instance, which a worker has let go of by now."""
    try:
        timezone = engine.definition(event.instance.rsplit("-", 1)[0]).calendar.timezone
    except SopflowError:
        timezone = "UTC"
    data = _data_text(dict(event.data))
    when = _local(event.at, timezone)
    line = f"{event.instance} #{event.sequence:<3} {when}  {event.actor:<12} {event.type.value:<18} {data}"
    return printable(line)


_data_text = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "), default=str).encode
"""An event's data on one line; one encoder for all (a worker prints a line a firing)."""


def _local(moment: datetime, timezone: str) -> str:
    return moment.astimezone(zone(timezone)).strftime("%Y-%m-%d %H:%M:%S %z")


def _hours(delta: Any) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02} min" if minutes >= 60 else f"{minutes} min"


def _summary_json(engine: Engine, summary: Summary) -> dict[str, Any]:
    """An instance's summary, its next deadline in the timezone of its process."""
    next_due = summary.next_due
    if next_due is not None:
        next_due = next_due.astimezone(
            zone(engine.definition(summary.process, summary.version).calendar.timezone)
        )
    return {**asdict(summary), "next_due": next_due.isoformat() if next_due else None}

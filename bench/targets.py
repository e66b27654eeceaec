"""Every performance target in one run, side by side with the peers measured in the same run.

    pip install -r bench/requirements.txt     # the peers: SpiffWorkflow (transitions is a dependency)
    python bench/targets.py                    # full sizes (minutes)
    python bench/targets.py --quick            # seconds, as CI runs it (no timing is asserted)
    python bench/targets.py --json out.json    # also write the table as JSON

Prints one row per metric: sopflow's figure, the peer's, their ratio, the target and whether it is
met. Targets are ratios measured here; absolute figures are context. See README, "Benchmarks".
"""

from __future__ import annotations

import compileall
import gc
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import lifecycle
from figures import parser
from lifecycle import LEVELS, ROOT
from runtime import REP, SPEC, START
from store import commands_per_second, raw_commits_per_second, raw_pg_commits_per_second, recovery_seconds

from engine import Actor, Engine, VirtualClock
from engine.loading.loader import check_process
from engine.persistence import open_store
from engine.persistence.sqlite import SqliteStore
from engine.simulation.runner import simulate
from engine.simulation.scenario import load_scenario
from engine.spec.model import ProcessSpec
from tests.postgres import fresh_database, postgres_server


@dataclass
class Row:
    id: str
    """A stable name for the row, for tools that compare runs."""
    metric: str
    sopflow: float
    peer: float | None = None
    target: str = ""
    met: bool | None = None
    relative: bool = True
    """False when both figures are already ratios (growth with size) and dividing them means nothing."""

    @property
    def ratio(self) -> float | None:
        return self.sopflow / self.peer if self.peer and self.relative else None


def rate(count: int, work: Callable[[int], object]) -> float:
    """Calls of `work(i)` per second, `count` of them."""
    began = time.perf_counter()
    for i in range(count):
        work(i)
    return count / (time.perf_counter() - began)


def throughput(count: int) -> list[Row]:
    """Target 1: whole R0 lifecycles per second in memory, and what one step of it costs: a
    journaled sopflow command against a bare `transitions` trigger of the same lifecycle."""
    engine = lifecycle.sopflow_engine()
    machine = lifecycle.transitions_machine()
    spec = lifecycle.spiff_spec()
    sopflow = rate(count, lambda i: lifecycle.sopflow_lifecycle(engine, LEVELS[i % 3]))
    bare = rate(count, lambda i: lifecycle.transitions_lifecycle(machine, LEVELS[i % 3]))
    spiff = rate(max(count // 10, 30), lambda i: lifecycle.spiff_lifecycle(spec, LEVELS[i % 3]))
    commands = sum(lifecycle.sopflow_commands(level) for level in LEVELS) / len(LEVELS)
    triggers = sum(lifecycle.transitions_triggers(level) for level in LEVELS) / len(LEVELS)
    command, trigger = 1e6 / sopflow / commands, 1e6 / bare / triggers
    return [
        Row(
            "lifecycles_vs_spiff",
            "1. R0 lifecycles/s vs SpiffWorkflow",
            sopflow,
            spiff,
            ">= 5",
            sopflow / spiff >= 5,
        ),
        Row(
            "command_vs_trigger",
            f"1. µs per command ({commands:.1f} a lifecycle) vs per bare trigger ({triggers:.0f})",
            command,
            trigger,
            "<= 3",
            command / trigger <= 3,
        ),
    ]


def start_and_trigger_cost(live: int, samples: int) -> float:
    """Microseconds per start + first trigger with `live` instances already running."""
    engine = Engine(VirtualClock(lifecycle.BEGIN))
    engine.register(SPEC)
    for _ in range(live):
        engine.start(SPEC.id, START, REP)
    gc.collect()
    began = time.perf_counter()
    for _ in range(samples):
        case = engine.start(SPEC.id, START, REP).instance
        engine.raise_event(case, "customer_contacted", {"method": "phone"}, REP)
    return (time.perf_counter() - began) / samples * 1e6


def add_model_cost(models: int, samples: int) -> float:
    machine = lifecycle.transitions_machine()
    for _ in range(models):
        machine.add_model(lifecycle.Case())
    began = time.perf_counter()
    for _ in range(samples):
        machine.add_model(lifecycle.Case())
    return (time.perf_counter() - began) / samples * 1e6


def flat_cost(small: int, large: int) -> list[Row]:
    """Target 2: the cost of a start and a trigger does not grow with the live instances."""
    low, high = start_and_trigger_cost(small, 2_000), start_and_trigger_cost(large, 2_000)
    peer = add_model_cost(large, 500) / add_model_cost(small, 500)
    return [
        Row(
            "start_trigger_flat",
            f"2. start+trigger cost, {large:,} / {small:,} live (peer: add_model)",
            high / low,
            peer,
            "<= 1.25",
            high / low <= 1.25,
            relative=False,
        )
    ]


def traced(build: Callable[[], object]) -> float:
    gc.collect()
    tracemalloc.start()
    kept = build()
    size, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del kept
    return size


def memory(live: int) -> list[Row]:
    """Target 3: bytes per live R0 instance mid-process (in analysis, its duties open)."""

    def sopflow() -> Engine:
        engine = Engine(VirtualClock(lifecycle.BEGIN))
        engine.register(SPEC)
        for _ in range(live):
            case = engine.start(SPEC.id, START, REP).instance
            engine.submit(case, "initial_record", lifecycle.initial_record(), REP)
        return engine

    def bare() -> list[Any]:
        machine = lifecycle.transitions_machine()
        cases = [lifecycle.Case() for _ in range(live)]
        for case in cases:
            machine.add_model(case)
            case.records.add("initial_record")
            case.initial_record()  # type: ignore[attr-defined]
        return [machine, cases]

    def spiff() -> list[Any]:
        from SpiffWorkflow.bpmn import BpmnWorkflow

        spec = lifecycle.spiff_spec()
        flows = []
        for _ in range(live // 10):
            workflow = BpmnWorkflow(spec)
            workflow.do_engine_steps()
            workflow.get_next_task(manual=True).run()
            workflow.do_engine_steps()
            flows.append(workflow)
        return flows

    mine = traced(sopflow) / live
    peers = {"bare transitions": traced(bare) / live, "SpiffWorkflow": traced(spiff) / (live // 10)}
    rows = [
        Row(f"bytes_per_instance_vs_{key}", f"3. bytes per live instance ({live:,}) vs {name}", mine, peer)
        for (key, name), peer in zip(
            (("transitions", "bare transitions"), ("spiff", "SpiffWorkflow")), peers.values(), strict=True
        )
    ]
    rows[0].id, rows[0].target, rows[0].met = "bytes_per_instance", "<= 3072 B", mine <= 3072
    return rows


DUTIES = 10


def ticket(duties: int) -> ProcessSpec:
    """A ticket with `duties` deadlines, 1 h, 2 h, ... after it is opened, each escalated when
    breached: that many pending timers an instance."""
    listed = "".join(
        f"""      - {{ id: d{k}, title: 答复, role: clerk, due: {k + 1}h, satisfied_by: {{ form: answer }},
          on_breach: [{{ escalate: supervisor }}] }}
"""
        for k in range(duties)
    )
    text = f"""
id: bench-ticket-{duties}
version: 1
title: 工单
calendar: {{ timezone: Asia/Shanghai, country: CN }}
roles: {{ clerk: {{ title: 办事员 }}, supervisor: {{ title: 主管 }} }}
forms:
  answer:
    {{ title: 答复, filled_by: [clerk], fields: {{ text: {{ title: 内容, schema: {{ type: string }} }} }} }}
stages:
  open:
    title: 受理
    duties:
{listed}    exits: [{{ to: closed, on_record: answer }}]
  closed: {{ title: 关闭, end: true }}
"""
    spec = check_process(f"bench-ticket-{duties}.yaml", raw=text.encode()).spec
    assert spec is not None
    return spec


CLERK = Actor.of("clerk", "clerk")


def timer_cost(pending: int, fired: int) -> tuple[float, float]:
    """(microseconds per fired deadline, deadlines fired per second) with `pending` timers armed,
    the instances opened over an hour, when the clock is advanced past the first `fired`."""
    spec = ticket(DUTIES)
    clock = VirtualClock(lifecycle.BEGIN)
    engine = Engine(clock)
    engine.register(spec)
    instances = pending // DUTIES
    start, apart = clock.now(), timedelta(hours=1) / instances
    for i in range(instances):
        clock.set(start + apart * i)
        engine.start(spec.id, {}, CLERK)
    gc.collect()
    began = time.perf_counter()
    engine.advance_to(start + timedelta(hours=1) + apart * (fired - 0.5))
    elapsed = time.perf_counter() - began
    breached = sum(len(i.breaches()) for i in engine.instances())
    assert breached == fired, (breached, fired)
    return elapsed / fired * 1e6, fired / elapsed


def timers(small: int, large: int, fired: int) -> list[Row]:
    """Target 4: firing deadlines costs the same with many pending, and is fast."""
    low, _ = timer_cost(small, min(fired, small // DUTIES))
    high, per_second = timer_cost(large, fired)
    return [
        Row(
            "fire_cost_flat",
            f"4. cost per fired deadline, {large:,} / {small:,} pending",
            high / low,
            None,
            "<= 1.5",
            high / low <= 1.5,
        ),
        Row(
            "fires_per_s_memory",
            "4. deadlines fired per second in memory (with breach events)",
            per_second,
            None,
            ">= 100,000",
            per_second >= 100_000,
        ),
    ]


def durable(single: int, grouped: int, recovered: int) -> list[Row]:
    """Targets 5 and 6: acknowledged commands on SQLite and PostgreSQL, each against the floor of
    a durable write on the same database in the same run (one row inserted and committed), group
    commit, and recovery after a restart."""
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        mine = commands_per_second(SqliteStore(f"{folder}/full.db", synchronous="FULL"), single)
        raw = raw_commits_per_second(f"{folder}/raw.db", "FULL", single * 2)
        rows.append(
            Row(
                "sqlite_vs_raw",
                "5. SQLite FULL commands/s vs raw single-row commits",
                mine,
                raw,
                ">= 0.7",
                mine / raw >= 0.7,
            )
        )
        batch = commands_per_second(SqliteStore(f"{folder}/batch.db", synchronous="FULL"), grouped, batch=500)
        rows.append(
            Row(
                "sqlite_group",
                "5. SQLite group commit (500 a batch) commands/s",
                batch,
                None,
                ">= 20,000",
                batch >= 20_000,
            )
        )
        with postgres_server(durable=True) as server:
            mine = commands_per_second(open_store(fresh_database(server, "a")), single)
            raw = raw_pg_commits_per_second(fresh_database(server, "raw"), single * 2)
            rows.append(
                Row("pg_vs_raw", "5. PostgreSQL commands/s vs raw single-row commits", mine, raw, ">= 0.5",
                    mine / raw >= 0.5)
            )  # fmt: skip
            pg_batch = commands_per_second(open_store(fresh_database(server, "b")), grouped, batch=500)
            rows.append(
                Row(
                    "pg_group",
                    "5. PostgreSQL group commit (500 a batch) commands/s",
                    pg_batch,
                    None,
                    ">= 10,000",
                    pg_batch >= 10_000,
                )
            )
        seconds, events = recovery_seconds(f"{folder}/recovery.db", recovered)
        rows.append(
            Row(
                "recovery_s",
                f"6. recovery of {recovered:,} instances ({events:,} events), s",
                seconds,
                None,
                "<= 5",
                seconds <= 5,
            )
        )
    return rows


OWN_PEAK = """
import sys
from engine.cli import main
try:
    main(sys.argv[2:])
finally:
    status = open("/proc/self/status", encoding="utf-8").read()
    peak = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
    open(sys.argv[1], "w", encoding="utf-8").write(peak)
"""
"""Runs sopflow's CLI, then writes the peak resident memory of its own address space (KiB). Not
`RUSAGE_CHILDREN`: a forked child's peak counts the pages of the parent it was forked from, and
this benchmark's process is large by then."""


def worker(instances: int) -> list[Row]:
    """Targets 4 and 9 through `sopflow worker`, a process of its own: a SQLite store of
    `instances` live tickets, each with one deadline that fell due while no worker ran, all fired
    by `worker --once`; deadlines fired per second (its whole run, start-up included) and its peak
    resident memory."""
    spec = ticket(1)
    with tempfile.TemporaryDirectory() as folder:
        path = f"{folder}/worker.db"
        store = SqliteStore(path, synchronous="OFF")
        for done in range(0, instances, 50_000):  # a fresh engine each 50,000 bounds this process's memory
            engine = Engine(VirtualClock(lifecycle.BEGIN), store)
            engine.register(spec)
            for batch in range(done, min(done + 50_000, instances), 5_000):
                with store.batch():
                    for _ in range(min(5_000, instances - batch)):
                        engine.start(spec.id, {}, CLERK)
            del engine
            gc.collect()
        store.close()
        began = time.perf_counter()
        peak = f"{folder}/peak"
        work = [sys.executable, "-c", OWN_PEAK, peak, "worker", "--store", path, "--once", "--limit", "500"]
        subprocess.run(work, check=True, stdout=subprocess.DEVNULL)
        seconds = time.perf_counter() - began
        with open(peak, encoding="utf-8") as told:
            mebibytes = int(told.read()) / 1024  # VmHWM is in KiB
        with closing(sqlite3.connect(path)) as db:
            (breached,) = db.execute("SELECT count(*) FROM events WHERE type = 'duty_breached'").fetchone()
    assert breached == instances, (breached, instances)
    return [
        Row(
            "fires_per_s_sqlite_worker",
            f"4. deadlines fired per second by sopflow worker, SQLite ({instances:,} due)",
            instances / seconds,
            None,
            ">= 10,000",
            instances / seconds >= 10_000,
        ),
        Row(
            "worker_rss_1m",
            f"9. sopflow worker's peak memory, MiB ({instances:,} live instances)",
            mebibytes,
            None,
            "<= 1024",
            mebibytes <= 1024,
        ),
    ]


def wall(*argv: str, runs: int = 5) -> float:
    """The best wall time of a fresh process, in seconds."""
    best = float("inf")
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        best = min(best, time.perf_counter() - began)
    return best


def startup() -> list[Row]:
    """Target 7: a fresh `sopflow validate` and a bare `import engine`, as an installed package
    starts: with its bytecode compiled, which pip does at install time (an editable install under
    PYTHONDONTWRITEBYTECODE would otherwise compile every module at every start)."""
    compileall.compile_dir(ROOT / "engine", quiet=1)
    python = sys.executable
    bare = wall(python, "-c", "pass")
    imported = wall(python, "-c", "import engine") - bare
    processes = [
        str(ROOT / "processes" / f"{name}.yaml")
        for name in ("sales-rapid-response", "sales-service-interaction")
    ]
    validate = wall(python, "-m", "engine", "validate", *processes)
    return [
        Row(
            "validate_s",
            "7. sopflow validate of both seed files, s (wall)",
            validate,
            None,
            "<= 0.3",
            validate <= 0.3,
        ),
        Row(
            "import_ms",
            "7. import engine, ms (beyond a bare interpreter)",
            imported * 1000,
            None,
            "<= 100",
            imported <= 0.1,
        ),
    ]


def simulation(customers: int) -> list[Row]:
    """Target 8: a year of R1 lifecycles on the virtual clock, one per customer, started a minute apart."""
    scenario = load_scenario(ROOT / "scenarios" / "r1-customer-lifecycle.yaml")
    steps = []
    for n in range(customers):
        shift = timedelta(minutes=n)
        steps += [
            replace(
                s,
                at=s.at + shift,
                case=f"{s.case}.{n}",
                child=f"{s.child}.{n}" if s.child else "",
                expect=None,
            )
            for s in scenario.steps
        ]
    steps.sort(key=lambda s: s.at)
    many = replace(scenario, steps=tuple(steps), until=scenario.until + timedelta(minutes=customers))
    began = time.perf_counter()
    result = simulate(many)
    seconds = time.perf_counter() - began
    assert len(result.cases) >= customers
    return [
        Row(
            "r1_year_10k_s",
            f"8. a year of R1 for {customers:,} customers, s",
            seconds,
            None,
            "<= 20",
            seconds <= 20,
        )
    ]


def table(rows: list[Row]) -> str:
    def number(value: float | None) -> str:
        return "" if value is None else f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"

    header = ("metric", "sopflow", "peer", "ratio", "target", "met?")
    lines = [
        (
            r.metric,
            number(r.sopflow),
            number(r.peer),
            number(r.ratio),
            r.target,
            "" if r.met is None else "yes" if r.met else "NO",
        )
        for r in rows
    ]
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(len(header))]
    return "\n".join(
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        )
        for line in [header, *lines]
    )


def main() -> None:
    options = parser(__doc__)
    options.add_argument(
        "--worker-instances",
        type=int,
        default=1_000_000,
        metavar="N",
        help="live instances in the store the worker fires (full run; default 1,000,000)",
    )
    args = options.parse_args()
    quick = args.quick
    rows: list[Row] = []
    for part in (
        lambda: throughput(60 if quick else 3_000),
        lambda: flat_cost(1_000, 5_000 if quick else 100_000),
        lambda: memory(1_000 if quick else 100_000),
        lambda: timers(
            1_000 if quick else 10_000, 10_000 if quick else 1_000_000, 1_000 if quick else 100_000
        ),
        lambda: durable(*((100, 1_000, 1_000) if quick else (1_000, 20_000, 100_000))),
        lambda: worker(2_000 if quick else args.worker_instances),
        startup,
        lambda: simulation(20 if quick else 10_000),
    ):
        done = part()
        rows += done
        print(table(done).split("\n", 1)[1], flush=True)
    print()
    print(table(rows))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump([{**vars(r), "ratio": r.ratio} for r in rows], out, indent=2, ensure_ascii=False)


if __name__ == "__main__":
    main()

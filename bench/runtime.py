"""Benchmark of the runtime: the cost of a command as the number of live instances grows.

    python bench/runtime.py            # 1,000 / 10,000 / 100,000 live instances
    python bench/runtime.py --quick    # seconds, as CI runs it (no timing is asserted)

For each size it starts that many rapid-response instances, then times a mix of commands (raise an
event, submit a form, submit a form that takes an exit) on instances picked at random. The peer,
measured in the same run, is the usual way to drive many objects with `transitions`: one model per
instance added to one machine (`add_model`), whose cost grows with the live models.
"""

from __future__ import annotations

import random
import time
import tracemalloc
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from figures import arguments, report
from transitions import Machine

from engine import Actor, Engine, VirtualClock, load_process

ROOT = Path(__file__).resolve().parents[1]
SPEC = load_process(ROOT / "processes" / "sales-rapid-response.yaml")
REP = Actor.of("rep", "sales_rep")
SUPERVISOR = Actor.of("sup", "sales_supervisor")
START = {"customer_name": "c", "demand_type": "inquiry", "urgency": "medium"}
RECORD = {
    "customer_name": "c",
    "contact_person": "p",
    "contact_details": "d",
    "demand_type": "inquiry",
    "core_request": "r",
    "urgency": "medium",
    "first_response_deadline": "2026-11-23T12:00:00+08:00",
    "supervisor_informed": True,
}


def engine_with(live: int) -> tuple[Engine, list[str], float]:
    engine = Engine(VirtualClock(datetime(2026, 11, 23, 10, tzinfo=ZoneInfo("Asia/Shanghai"))))
    engine.register(SPEC)
    began = time.perf_counter()
    ids = [engine.start(SPEC.id, START, REP).instance for _ in range(live)]
    return engine, ids, time.perf_counter() - began


def bench_commands(live: int, commands: int) -> dict[str, float]:
    engine, ids, starting = engine_with(live)
    targets = random.Random(3).sample(ids, commands // 3)
    began = time.perf_counter()
    for target in targets:
        engine.raise_event(target, "customer_contacted", {"method": "phone"}, REP)
        engine.submit(target, "initial_record", RECORD, REP)  # takes the exit to analysis
        engine.submit(target, "grading", {"level": 2, "reason": "r"}, SUPERVISOR)
    elapsed = time.perf_counter() - began
    done = len(targets) * 3
    return {
        f"start per second, {live:,} starts": live / starting,
        f"commands per second at {live:,} live": done / elapsed,
        f"microseconds per command at {live:,} live": elapsed / done * 1e6,
    }


def bench_peer(models: int) -> dict[str, float]:
    """transitions with one model per instance: the last 10% of add_model calls, per call."""

    class Model:
        pass

    machine = Machine(model=None, states=["a", "b"], initial="a", auto_transitions=False)
    machine.add_transition("go", "a", "b")
    tail = max(models // 10, 1)
    for _ in range(models - tail):
        machine.add_model(Model())
    began = time.perf_counter()
    for _ in range(tail):
        machine.add_model(Model())
    return {
        f"peer: add_model microseconds each at {models:,} models": (time.perf_counter() - began) / tail * 1e6
    }


def bench_memory(live: int) -> dict[str, float]:
    tracemalloc.start()
    engine, _, _ = engine_with(live)
    size, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert engine.instances()
    return {f"bytes per live instance ({live:,} after start)": size / live}


def main() -> None:
    args = arguments(__doc__)
    sizes = [1_000, 5_000] if args.quick else [1_000, 10_000, 100_000]
    commands = 600 if args.quick else 3_000
    figures: dict[str, float] = {}
    for live in sizes:
        figures |= bench_commands(live, commands)
        figures |= bench_peer(live)
    first, last = sizes[0], sizes[-1]
    figures[f"command cost ratio {last:,} / {first:,} live"] = (
        figures[f"microseconds per command at {last:,} live"]
        / figures[f"microseconds per command at {first:,} live"]
    )
    peer = "peer: add_model microseconds each at {:,} models"
    figures[f"peer add_model cost ratio {last:,} / {first:,}"] = (
        figures[peer.format(last)] / figures[peer.format(first)]
    )
    figures |= bench_memory(1_000)
    report(figures, args.json)


if __name__ == "__main__":
    main()

"""Micro-benchmark of the time layer: working-time arithmetic and the timer queue.

    python bench/time_layer.py            # full run
    python bench/time_layer.py --quick    # a few seconds, as CI runs it (no timing is asserted)

Prints one line per figure and writes the same figures as JSON (--json FILE).
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from figures import arguments, report

from engine.time.calendar import CalendarSpec, calendar_for
from engine.time.durations import add, parse_duration
from engine.time.timers import TimerQueue

SHANGHAI = ZoneInfo("Asia/Shanghai")


def per_second(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def bench_adds(count: int) -> dict[str, float]:
    calendar = calendar_for(CalendarSpec(timezone="Asia/Shanghai", country="CN"))
    rng = random.Random(7)
    base = datetime(2026, 1, 1, tzinfo=SHANGHAI)
    starts = [base + timedelta(minutes=rng.randrange(0, 3 * 365 * 24 * 60)) for _ in range(count)]
    figures = {}
    for text in ("8 working hours", "3 working days", "2h", "3 months"):
        duration = parse_duration(text)
        for start in starts[:100]:  # warm the calendar's day cache, as a running engine would be
            add(start, duration, calendar)
        began = time.perf_counter()
        for start in starts:
            add(start, duration, calendar)
        figures[f"add '{text}' per second"] = per_second(count, time.perf_counter() - began)
    return figures


def bench_queue(pending: int, fired: int) -> dict[str, float]:
    queue: TimerQueue[int] = TimerQueue()
    rng = random.Random(11)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    horizon = 10_000_000
    began = time.perf_counter()
    for index in range(pending):
        queue.schedule(base + timedelta(seconds=rng.randrange(horizon)), str(index), index)
    pushed = time.perf_counter() - began
    # pop the earliest `fired` timers: find the instant that covers them, then pop up to it
    cut = base + timedelta(seconds=horizon * fired / pending)
    began = time.perf_counter()
    popped = sum(1 for _ in queue.pop_due(cut))
    popping = time.perf_counter() - began
    return {
        f"schedule per second at {pending:,} pending": per_second(pending, pushed),
        f"pop per second ({popped:,} of {pending:,})": per_second(popped, popping),
        f"microseconds per popped timer at {pending:,} pending": popping / max(popped, 1) * 1e6,
    }


def main() -> None:
    args = arguments(__doc__)
    adds = 2_000 if args.quick else 50_000
    sizes = [(10_000, 1_000)] if args.quick else [(100_000, 10_000), (1_000_000, 100_000)]
    figures = bench_adds(adds)
    for pending, fired in sizes:
        figures |= bench_queue(pending, fired)
    report(figures, args.json)


if __name__ == "__main__":
    main()

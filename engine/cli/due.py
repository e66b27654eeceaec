"""`sopflow due`: compute a deadline by hand, on the same calendar code the engine uses."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from engine.cli.output import error
from engine.errors import TimeError
from engine.loading.build import build_calendar
from engine.loading.includes import read_calendar
from engine.loading.loader import check_process, read_source
from engine.time.calendar import CalendarSpec, calendar_for, country_code, zone
from engine.time.clock import require_aware
from engine.time.durations import add, parse_duration


def register(commands: Any) -> None:
    due = commands.add_parser(
        "due",
        help="compute the instant a duration after a start, on a business calendar",
        description="Print START + DURATION as ISO 8601 with offset, in the calendar's timezone. "
        "Without --calendar, the calendar is built from --timezone and --country "
        "(working hours 09:00-12:00 and 13:00-18:00).",
        epilog="example: sopflow due 2026-09-30T10:00:00+08:00 '1 working day' "
        "--timezone Asia/Shanghai --country CN  →  2026-10-08T18:00:00+08:00",
    )
    due.add_argument("start", metavar="START", help="ISO 8601 instant with an offset or Z")
    due.add_argument(
        "duration", metavar="DURATION", help="e.g. 5m, 2h, 1d, '8 working hours', '3 working days'"
    )
    due.add_argument("--timezone", default="UTC", help="IANA timezone of the calendar (default UTC)")
    due.add_argument("--country", help="country whose holidays and adjusted working days apply, e.g. CN")
    due.add_argument(
        "--calendar",
        metavar="FILE",
        help="a YAML calendar, or a process file whose calendar to use (overrides --timezone/--country)",
    )
    due.set_defaults(run=run_due)


def run_due(args: argparse.Namespace) -> int:
    try:
        start = require_aware(_parse_instant(args.start), "START")
        duration = parse_duration(args.duration)
        spec = _calendar_from_file(args.calendar) if args.calendar else _calendar_from_options(args)
        if spec is None:
            return 2
        print(add(start, duration, calendar_for(spec)).isoformat())
    except TimeError as problem:
        error(str(problem))
        return 2
    return 0


def _parse_instant(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError as problem:
        raise TimeError(f"'{text}' is not an ISO 8601 instant such as 2026-11-23T10:00:00+08:00") from problem


def _calendar_from_options(args: argparse.Namespace) -> CalendarSpec:
    zone(args.timezone)
    country = country_code(args.country) if args.country else None
    return CalendarSpec(timezone=args.timezone, country=country)


def _calendar_from_file(name: str) -> CalendarSpec | None:
    """The calendar of a process file, or a file holding just a calendar mapping."""
    source, problems = read_source(name)
    if not problems and isinstance(source.data, dict) and "stages" in source.data:
        result = check_process(name)
        problems = list(result.problems)
        spec = result.spec.calendar if result.spec is not None else None
    elif not problems:
        source, _, problems = read_calendar(name)
        spec = build_calendar(source.data) if not problems else None
    for problem in problems:
        error(str(problem))
    return None if problems else spec

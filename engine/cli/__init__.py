"""The `sopflow` command line: thin commands over the library.

Exit codes scripts can rely on: 0 success, 1 the input was checked and found wanting (an invalid
definition), 2 the command could not run as asked (bad arguments, unreadable or malformed input).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from engine.cli import definitions, due, reports, run, simulate


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sopflow",
        description="Run standard operating procedures written as YAML process definitions.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    definitions.register(commands)
    due.register(commands)
    simulate.register(commands)
    reports.register(commands)
    run.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
    except BrokenPipeError:
        code = 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        code = 130
    return code

"""The `sopflow` command line: thin commands over the library.

Exit codes scripts can rely on: 0 success, 1 the input was checked and found wanting (an invalid
definition), 2 the command could not run as asked (bad arguments, unreadable or malformed input).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from engine.cli.output import calendar_notes

MODULES = {
    "init": "init", "schema": "init",
    "validate": "definitions", "graph": "definitions", "docs": "definitions",
    "due": "due",
    "simulate": "simulate",
    "forms": "reports", "report": "reports",
    "run": "run", "worker": "run",
    "serve": "serve", "users": "serve",
    "store": "store",
}  # fmt: skip
"""Each command and the module that implements it, in the order `--help` lists them."""


def build_parser(command: str = "") -> argparse.ArgumentParser:
    """The parser of every command, or only of `command`: a command imports only what it needs, so
    a quick one (`validate`) starts quickly."""
    parser = argparse.ArgumentParser(
        prog="sopflow",
        description="Run standard operating procedures written as YAML process definitions.",
    )
    parser.add_argument(
        "--version", action=_Version, nargs=0, help="print the installed version of sopflow and exit"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    modules = [MODULES[command]] if command in MODULES else MODULES.values()
    for module in dict.fromkeys(modules):
        importlib.import_module(f"engine.cli.{module}").register(commands)
    return parser


class _Version(argparse.Action):
    """`--version`, reading the version only when asked (from the package's metadata)."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        import engine

        print(f"sopflow {engine.__version__}")
        parser.exit()


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(arguments[0] if arguments else "")
    args = parser.parse_args(arguments)
    try:
        code: int = args.run(args)
        calendar_notes()
    except BrokenPipeError:
        code = 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        code = 130
    return code

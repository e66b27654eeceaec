"""Terminal output helpers: colour only on a terminal, and never when NO_COLOR is set."""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO

from engine.errors import DefinitionError, SopflowError


def colour(text: str, code: str, stream: TextIO | None = None) -> str:
    """`stream` defaults to standard output as it is when called (it may have been replaced)."""
    if os.environ.get("NO_COLOR") or not (stream or sys.stdout).isatty():
        return text
    return f"\033[{code}m{text}\033[0m"


def red(text: str, stream: TextIO | None = None) -> str:
    return colour(text, "31", stream)


def green(text: str, stream: TextIO | None = None) -> str:
    return colour(text, "32", stream)


def printable(text: str) -> str:
    """`text` fit for a terminal: control characters (an escape sequence, a carriage return, a
    newline forging a line) shown as escapes, never acted on."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def lines_out(lines: list[str], stream: TextIO | None = None) -> None:
    """Print `lines`, each made printable."""
    for line in lines:
        print(printable(line), file=stream or sys.stdout)


def error(message: str) -> None:
    print(f"sopflow: {red('error', sys.stderr)}: {printable(message)}", file=sys.stderr)


def note(message: str) -> None:
    print(f"sopflow: {colour('note', '33', sys.stderr)}: {message}", file=sys.stderr)


def calendar_notes() -> None:
    """Say what the calendars found they do not know (years without adjusted working days), once."""
    from engine.time.calendar import pending_notices

    for message in pending_notices():
        note(message)


def cannot_run(failure: SopflowError) -> int:
    """Report why a command could not run (every located problem of a file, or the message): exit 2."""
    if isinstance(failure, DefinitionError):
        for problem in failure.problems:
            error(str(problem))
    else:
        error(str(failure))
    return 2


def add_language_option(parser: Any) -> None:
    from engine.locale import LANGUAGES

    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        help="the language of the output (default: the process's own, its `locale`)",
    )

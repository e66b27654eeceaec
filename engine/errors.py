"""The error types a caller of sopflow can rely on.

Errors are data: a definition problem carries its file, line, column and JSON path so that an editor,
a CI log or a test can point at the exact spot; a list of problems is never flattened into one string.
This module owns the error vocabulary only; the code that detects problems lives with its concept.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum


class SopflowError(Exception):
    """Root of every error sopflow raises on purpose; anything else is a bug."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """One located problem in a definition or scenario file.

    `line` and `column` are 1-based; `path` is the JSON path into the document as a tuple of keys and
    indices (empty for the document root).
    """

    file: str
    line: int
    column: int
    path: tuple[str | int, ...]
    message: str

    @property
    def json_path(self) -> str:
        """The path as dotted text, `stages.grading.owner`, `stages.x.exits[0].to`."""
        return format_path(self.path)

    def __str__(self) -> str:
        where = f" [{self.json_path}]" if self.path else ""
        return f"{self.file}:{self.line}:{self.column}: {self.message}{where}"

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.json_path,
            "message": self.message,
        }


def format_path(path: Sequence[str | int]) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


class DefinitionError(SopflowError):
    """A definition (or scenario) file could not be loaded; `problems` lists every problem found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        count = len(self.problems)
        first = str(self.problems[0]) if self.problems else "no details"
        more = f" (and {count - 1} more)" if count > 1 else ""
        super().__init__(f"{first}{more}")


class TimeError(SopflowError):
    """A duration, calendar, recurrence or instant that the time layer cannot accept."""


class NaiveDatetimeError(TimeError):
    """A datetime without a timezone reached the engine; every instant must be timezone-aware."""


class Reason(Enum):
    """Why a command was refused; stable codes that scripts and tests can match on."""

    UNKNOWN_PROCESS = "unknown_process"
    UNKNOWN_INSTANCE = "unknown_instance"
    UNKNOWN_NAME = "unknown_name"
    INSTANCE_FINISHED = "instance_finished"
    ROLE_NOT_ALLOWED = "role_not_allowed"
    INVALID_DATA = "invalid_data"
    FORM_NOT_IN_STAGE = "form_not_in_stage"
    TRIGGER_NOT_ALLOWED = "trigger_not_allowed"
    MISSING_RECORD = "missing_record"
    CONDITION_FALSE = "condition_false"
    ROUND_LIMIT = "round_limit"
    NOTHING_TO_SIGN = "nothing_to_sign"
    ALREADY_SIGNED = "already_signed"
    SAME_SIGNER = "same_signer"
    INVALID_ACTOR = "invalid_actor"
    KEY_REUSED = "key_reused"


class CommandRefused(SopflowError):
    """A command the definition does not allow; nothing changed, and the refusal is in the history.

    `details` lists every individual problem (each invalid field of a form, for instance) so that a
    caller can show them all at once.
    """

    def __init__(self, reason: Reason, message: str, details: Iterable[str] = ()) -> None:
        self.reason = reason
        self.message = message
        self.details: tuple[str, ...] = tuple(details)
        super().__init__(f"{message}: " + "; ".join(self.details) if self.details else message)


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """` (did you mean 'x'?)` for the closest of `options`, or nothing when none is close."""
    from difflib import get_close_matches

    close = get_close_matches(word, list(options), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""

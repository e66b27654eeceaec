"""The expression language: conditions and computed values over an instance's data, never `eval`-ed.

    level == 1
    urgency in ['high', 'medium'] and not escalated
    speed_score < 4 or quality_score < 4
    minutes_between(instance.started_at, duties.resolve.done_at)
    working_minutes_between(stage.entered_at, now) > 120

Grammar: `or` / `and` / `not`; comparisons `== != < <= > >=`; membership `in` / `not in` against a
list literal; `+ - * /` on numbers; parentheses; function calls; names (variables, and the engine's
own instants: `now`, `instance.started_at`, `stage.entered_at`, `duties.<id>.opened_at`, `.due_at`,
`.done_at`, `.breached_at`); numbers, quoted strings, `true`, `false`, `null`.

An expression is parsed once at load time into an immutable tree and type-checked against the kinds
of the names it uses (the checker proves that whatever it lets order or add can be ordered or added
at run time), then compiled once into the functions that evaluate it. An unset name is null: it
equals only `null`, makes every ordering false, and makes arithmetic and functions null. Input is
bounded: its length, the nesting of parentheses and operators, and the digits of a number, each
refused with the offset where the bound is passed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.expressions.check import check_condition as _check_condition
from engine.expressions.check import check_expression as _check_expression
from engine.expressions.evaluate import Compiled, compile_tree
from engine.expressions.parse import MAX_DEPTH, MAX_DIGITS, MAX_LENGTH, parse
from engine.expressions.tree import ConditionError, Kind, Node, VarType, kind_of, names
from engine.time.calendar import BusinessCalendar

__all__ = [
    "MAX_DEPTH",
    "MAX_DIGITS",
    "MAX_LENGTH",
    "Condition",
    "ConditionError",
    "Expression",
    "Kind",
    "VarType",
    "check_condition",
    "check_expression",
    "kind_of",
    "parse_condition",
    "parse_expression",
]


@dataclass(frozen=True, slots=True)
class Expression:
    """A parsed expression with the text it came from; `value(scope)` computes it over a mapping of
    names to values (instants as aware datetimes). A scope with a `calendar` attribute serves the
    working-time functions; without one they give null."""

    text: str
    tree: Node
    _run: Compiled = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_run", compile_tree(self.tree))

    def names(self) -> frozenset[str]:
        return names(self.tree)

    def value(self, scope: Mapping[str, Any]) -> Any:
        calendar: BusinessCalendar | None = getattr(scope, "calendar", None)
        return self._run(scope, calendar)


@dataclass(frozen=True, slots=True)
class Condition(Expression):
    """An expression that is true or false; calling it evaluates it."""

    def __call__(self, scope: Mapping[str, Any]) -> bool:
        return bool(self.value(scope))


def parse_expression(text: str) -> Expression:
    """Parse `text`; raise ConditionError with the offset of the first problem."""
    return Expression(text, parse(text, "expression"))


def parse_condition(text: str) -> Condition:
    """Parse `text` as a condition; raise ConditionError with the offset of the first problem."""
    return Condition(text, parse(text, "condition"))


def check_condition(condition: Expression, known: Mapping[str, VarType]) -> list[ConditionError]:
    """Every unknown name and type mismatch in `condition`, which must be true or false."""
    return _check_condition(condition.tree, known)


def check_expression(
    expression: Expression, known: Mapping[str, VarType]
) -> tuple[frozenset[Kind] | None, list[ConditionError]]:
    """The kinds `expression` can have (None when unknown), and every problem in it."""
    return _check_expression(expression.tree, known)

"""Evaluating the expression language: a walk over the tree, without recursion. An unset name is
null, which equals only null, makes an ordering false and arithmetic or a function null."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from engine.expressions.tree import (
    Arithmetic,
    BoolOp,
    Call,
    ListLiteral,
    Literal,
    Name,
    Negate,
    Node,
    Not,
    fold,
)
from engine.time.calendar import BusinessCalendar


def _minutes(arguments: tuple[Any, ...], _: BusinessCalendar | None) -> int:
    start, end = arguments
    return int((end - start).total_seconds() // 60)


def _working_minutes(arguments: tuple[Any, ...], calendar: BusinessCalendar | None) -> int | None:
    start, end = arguments
    if calendar is None:
        return None
    return int(calendar.elapsed_working(start, end).total_seconds() // 60)


FUNCTIONS: dict[str, Callable[[tuple[Any, ...], BusinessCalendar | None], Any]] = {
    "minutes_between": _minutes,
    "working_minutes_between": _working_minutes,
}


def evaluate(root: Node, scope: Mapping[str, Any], calendar: BusinessCalendar | None) -> Any:
    """The value of the tree over `scope` (names to values; instants as aware datetimes)."""
    return fold(root, lambda node, inner: _value(node, inner, scope, calendar))


def _value(node: Node, inner: list[Any], scope: Mapping[str, Any], calendar: BusinessCalendar | None) -> Any:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Name):
        return scope.get(node.name)
    if isinstance(node, ListLiteral):
        return [item.value for item in node.items]
    if isinstance(node, Not):
        return not inner[0]
    if isinstance(node, BoolOp):
        return all(inner) if node.op == "and" else any(inner)
    if isinstance(node, Negate):
        return None if not _number(inner[0]) else -inner[0]
    if isinstance(node, Arithmetic):
        result = inner[0]
        for op, operand in zip(node.ops, inner[1:], strict=True):
            result = _arithmetic(op, result, operand)
        return result
    if isinstance(node, Call):
        if any(argument is None for argument in inner):
            return None
        return FUNCTIONS[node.function](tuple(inner), calendar)
    return _compare(node.op, inner[0], inner[1])


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _arithmetic(op: str, left: Any, right: Any) -> Any:
    if not (_number(left) and _number(right)):
        return None
    if op == "+":
        result = left + right
    elif op == "-":
        result = left - right
    elif op == "*":
        result = left * right
    elif right == 0:
        return None
    else:
        result = left / right
    return result if not isinstance(result, float) or math.isfinite(result) else None


def _compare(op: str, left: Any, right: Any) -> bool:
    if op == "==":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if op == "in":
        return left in right
    if op == "not in":
        return left not in right
    comparable = (_number(left) and _number(right)) or (
        type(left) is type(right) and isinstance(left, str | datetime)
    )
    if not comparable:
        return False
    return bool({"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op])

"""Evaluating the expression language. A tree is compiled once, when its definition is loaded, into
nested functions, one a node: evaluating it is then a call a node, with no walk and no dispatch on
node types. Compiling goes bottom-up without recursion; a compiled tree calls itself only as deep as
the parser lets a tree nest (`MAX_DEPTH`). An unset name is null, which equals only null, makes an
ordering false and arithmetic or a function null; `and` and `or` stop at the first operand that
decides them."""

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


Compiled = Callable[[Mapping[str, Any], BusinessCalendar | None], Any]
"""A compiled tree: its value over a scope (names to values; instants as aware datetimes)."""


def compile_tree(root: Node) -> Compiled:
    return fold(root, _compiled)


def _compiled(node: Node, inner: list[Compiled]) -> Compiled:
    if isinstance(node, Literal):
        value = node.value
        return lambda scope, calendar: value
    if isinstance(node, Name):
        name = node.name
        return lambda scope, calendar: scope.get(name)
    if isinstance(node, ListLiteral):
        items = [item.value for item in node.items]
        return lambda scope, calendar: list(items)
    if isinstance(node, Not):
        (operand,) = inner
        return lambda scope, calendar: not operand(scope, calendar)
    if isinstance(node, BoolOp):
        operands = tuple(inner)
        if node.op == "and":
            return lambda scope, calendar: all(operand(scope, calendar) for operand in operands)
        return lambda scope, calendar: any(operand(scope, calendar) for operand in operands)
    if isinstance(node, Negate):
        (negated,) = inner
        return lambda scope, calendar: _negate(negated(scope, calendar))
    if isinstance(node, Arithmetic):
        first, rest = inner[0], tuple(zip(node.ops, inner[1:], strict=True))
        return lambda scope, calendar: _arithmetic_chain(first(scope, calendar), rest, scope, calendar)
    if isinstance(node, Call):
        function, arguments = FUNCTIONS[node.function], tuple(inner)
        return lambda scope, calendar: _call(function, arguments, scope, calendar)
    op, (left, right) = node.op, inner
    return lambda scope, calendar: _compare(op, left(scope, calendar), right(scope, calendar))


def _negate(value: Any) -> Any:
    return None if not _number(value) else -value


def _arithmetic_chain(
    result: Any,
    rest: tuple[tuple[str, Compiled], ...],
    scope: Mapping[str, Any],
    calendar: BusinessCalendar | None,
) -> Any:
    for op, operand in rest:
        result = _arithmetic(op, result, operand(scope, calendar))
    return result


def _call(
    function: Callable[[tuple[Any, ...], BusinessCalendar | None], Any],
    arguments: tuple[Compiled, ...],
    scope: Mapping[str, Any],
    calendar: BusinessCalendar | None,
) -> Any:
    values = tuple(argument(scope, calendar) for argument in arguments)
    return None if any(value is None for value in values) else function(values, calendar)


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

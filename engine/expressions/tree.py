"""The trees of the expression language: nodes, the kinds of values they can have, and the
signatures of its functions. Plain data: parsing, checking and evaluating live beside it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

from engine.errors import SopflowError


class ConditionError(SopflowError):
    """An expression that does not parse or does not type-check; `offset` is where in its text."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


class Kind(Enum):
    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"
    NULL = "null"
    ARRAY = "array"
    OBJECT = "object"
    INSTANT = "instant"


@dataclass(frozen=True, slots=True)
class VarType:
    """What an expression may assume about a name: its kinds and, for an enum, its allowed values."""

    kinds: frozenset[Kind]
    values: tuple[Any, ...] | None = None


@dataclass(frozen=True, slots=True)
class Literal:
    value: Any
    offset: int


@dataclass(frozen=True, slots=True)
class Name:
    name: str
    offset: int


@dataclass(frozen=True, slots=True)
class ListLiteral:
    items: tuple[Literal, ...]
    offset: int


@dataclass(frozen=True, slots=True)
class Compare:
    op: str
    left: Node
    right: Node
    offset: int


@dataclass(frozen=True, slots=True)
class Arithmetic:
    """`a + b - c` (or `a * b / c`): the operands in order, `ops[i]` between the result so far and
    `operands[i + 1]`; flat, so a long chain is no deeper than a short one."""

    ops: tuple[str, ...]
    operands: tuple[Node, ...]
    offset: int


@dataclass(frozen=True, slots=True)
class Negate:
    operand: Node
    offset: int


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node
    offset: int


@dataclass(frozen=True, slots=True)
class BoolOp:
    op: str
    operands: tuple[Node, ...]
    offset: int


@dataclass(frozen=True, slots=True)
class Call:
    function: str
    arguments: tuple[Node, ...]
    offset: int


Node = Compare | Arithmetic | Negate | Not | BoolOp | Call | Name | Literal | ListLiteral


@dataclass(frozen=True, slots=True)
class Signature:
    parameters: tuple[Kind, ...]
    result: Kind


SIGNATURES = {
    "minutes_between": Signature((Kind.INSTANT, Kind.INSTANT), Kind.NUMBER),
    "working_minutes_between": Signature((Kind.INSTANT, Kind.INSTANT), Kind.NUMBER),
}
"""The functions: whole minutes from the first instant to the second (negative if it is earlier),
of wall-clock time or of the working time of the process's calendar."""


def offset_of(node: Node) -> int:
    """Where the text of `node` begins."""
    return offset_of(node.left) if isinstance(node, Compare) else node.offset


def kind_of(value: Any) -> Kind:
    """The kind of a JSON value as expressions see it."""
    if value is None:
        return Kind.NULL
    if isinstance(value, bool):
        return Kind.BOOLEAN
    if isinstance(value, int | float):
        return Kind.NUMBER
    if isinstance(value, list):
        return Kind.ARRAY
    if isinstance(value, dict):
        return Kind.OBJECT
    if isinstance(value, datetime):
        return Kind.INSTANT
    return Kind.STRING


def kinds_text(kinds: frozenset[Kind]) -> str:
    return " or ".join(sorted(kind.value for kind in kinds))


def children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Compare):
        return (node.left, node.right)
    if isinstance(node, Arithmetic):
        return node.operands
    if isinstance(node, Not | Negate):
        return (node.operand,)
    if isinstance(node, BoolOp):
        return node.operands
    if isinstance(node, Call):
        return node.arguments
    return ()


def names(root: Node) -> frozenset[str]:
    found: set[str] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, Name):
            found.add(node.name)
        stack.extend(children(node))
    return frozenset(found)


T = TypeVar("T")


def fold(root: Node, visit: Callable[[Node, list[T]], T]) -> T:
    """`visit` applied bottom-up: to each node with the results of its children, without recursion
    (a tree can be as deep as the parser allows, and a chain of operands as long as the text)."""
    results: dict[int, T] = {}
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, ready = stack.pop()
        inner = children(node)
        if inner and not ready:
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(inner))
            continue
        results[id(node)] = visit(node, [results[id(child)] for child in inner])
    return results[id(root)]

"""Conditions: a small, safe expression language over instance variables.

    level == 1
    urgency in ['high', 'medium'] and not escalated
    speed_score < 4 or quality_score < 4

Grammar: `or` / `and` / `not`, comparisons `== != < <= > >=`, membership `in` / `not in` against a list
literal, parentheses, variable names, numbers, quoted strings, `true`, `false`, `null`. A condition is
parsed once at load time into an immutable tree and type-checked against the variables' declared
types; it is evaluated by walking that tree, never by `eval`. An unset variable is null: it equals only
`null` and makes every ordering comparison false.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from engine.errors import SopflowError


class ConditionError(SopflowError):
    """A condition that does not parse or does not type-check; `offset` is where in its text."""

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


@dataclass(frozen=True, slots=True)
class VarType:
    """What a condition may assume about a variable: its kinds and, for an enum, its allowed values."""

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
    left: Operand
    right: Operand
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


Operand = Literal | Name | ListLiteral
Node = Compare | Not | BoolOp | Name | Literal


@dataclass(frozen=True, slots=True)
class Condition:
    """A parsed condition with the text it came from."""

    text: str
    tree: Node

    def names(self) -> frozenset[str]:
        return _names(self.tree)

    def __call__(self, variables: Mapping[str, Any]) -> bool:
        return bool(_evaluate(self.tree, variables))


# -- parsing ----------------------------------------------------------------------------------------
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>-?\d+(?:\.\d+)?)
      | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,)
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"true": True, "false": False, "null": None}
_ORDERING = ("<", "<=", ">", ">=")


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens: list[tuple[str, str, int]] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.lastgroup is None:
            offset = position + len(text[position:]) - len(text[position:].lstrip())
            hint = "; use '==' to compare" if text[offset] == "=" else ""
            raise ConditionError(f"unexpected character {text[offset]!r}{hint}", offset)
        kind = match.lastgroup
        tokens.append((kind, match.group(kind), match.start(kind)))
        position = match.end()
    tokens.append(("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.index = 0

    def peek(self) -> tuple[str, str, int]:
        return self.tokens[self.index]

    def take(self) -> tuple[str, str, int]:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at_word(self, word: str) -> bool:
        kind, value, _ = self.peek()
        return kind == "word" and value == word

    def expect(self, value: str) -> None:
        kind, text, offset = self.take()
        if text != value or kind not in ("op", "word"):
            raise ConditionError(f"expected '{value}' but found {_describe(kind, text)}", offset)

    def parse(self) -> Node:
        node = self.parse_or()
        kind, text, offset = self.peek()
        if kind != "end":
            raise ConditionError(f"unexpected {_describe(kind, text)}", offset)
        return node

    def parse_or(self) -> Node:
        return self._chain("or", self.parse_and)

    def parse_and(self) -> Node:
        return self._chain("and", self.parse_not)

    def _chain(self, word: str, operand: Any) -> Node:
        offset = self.peek()[2]
        operands = [operand()]
        while self.at_word(word):
            self.take()
            operands.append(operand())
        return operands[0] if len(operands) == 1 else BoolOp(word, tuple(operands), offset)

    def parse_not(self) -> Node:
        if self.at_word("not"):
            offset = self.take()[2]
            return Not(self.parse_not(), offset)
        return self.parse_comparison()

    def parse_comparison(self) -> Node:
        kind, text, _ = self.peek()
        if kind == "op" and text == "(":
            self.take()
            node = self.parse_or()
            self.expect(")")
            return node
        left = self.parse_operand()
        kind, text, op_offset = self.peek()
        if kind == "op" and text in ("==", "!=", *_ORDERING):
            self.take()
            return Compare(text, left, self.parse_operand(), op_offset)
        if self.at_word("in"):
            self.take()
            return Compare("in", left, self.parse_operand(), op_offset)
        if self.at_word("not") and self.tokens[self.index + 1][1] == "in":
            self.index += 2
            return Compare("not in", left, self.parse_operand(), op_offset)
        if isinstance(left, ListLiteral):
            raise ConditionError("a list can only follow 'in'", left.offset)
        return left

    def parse_operand(self) -> Operand:
        kind, text, offset = self.take()
        if kind == "number":
            return Literal(float(text) if "." in text else int(text), offset)
        if kind == "string":
            return Literal(re.sub(r"\\(.)", r"\1", text[1:-1]), offset)
        if kind == "word" and text in _KEYWORDS:
            return Literal(_KEYWORDS[text], offset)
        if kind == "word" and text not in ("and", "or", "not", "in"):
            return Name(text, offset)
        if kind == "op" and text == "[":
            items: list[Literal] = []
            while not (self.peek()[0] == "op" and self.peek()[1] == "]"):
                item = self.parse_operand()
                if not isinstance(item, Literal):
                    raise ConditionError("list items must be literal values", item.offset)
                items.append(item)
                if self.peek()[1] == ",":
                    self.take()
                elif self.peek()[1] != "]":
                    kind, text, offset = self.peek()
                    raise ConditionError(f"expected ',' or ']' but found {_describe(kind, text)}", offset)
            self.take()
            return ListLiteral(tuple(items), offset)
        raise ConditionError(f"expected a value or a variable but found {_describe(kind, text)}", offset)


def _describe(kind: str, text: str) -> str:
    return "the end of the condition" if kind == "end" else f"'{text}'"


def parse_condition(text: str) -> Condition:
    """Parse `text`; raise ConditionError with the offset of the first problem."""
    if not text.strip():
        raise ConditionError("the condition is empty", 0)
    return Condition(text, _Parser(text).parse())


# -- type checking ----------------------------------------------------------------------------------
_NUMERIC = frozenset({Kind.NUMBER})


def check_condition(condition: Condition, variables: Mapping[str, VarType]) -> list[ConditionError]:
    """Every unknown name and type mismatch in `condition`, given the declared variable types."""
    errors: list[ConditionError] = []
    _check_boolean(condition.tree, variables, errors)
    return errors


def _check_boolean(node: Node, variables: Mapping[str, VarType], errors: list[ConditionError]) -> None:
    if isinstance(node, BoolOp):
        for operand in node.operands:
            _check_boolean(operand, variables, errors)
    elif isinstance(node, Not):
        _check_boolean(node.operand, variables, errors)
    elif isinstance(node, Compare):
        _check_compare(node, variables, errors)
    elif isinstance(node, Name):
        kinds = _operand_kinds(node, variables, errors)
        if kinds is not None and Kind.BOOLEAN not in kinds:
            errors.append(
                ConditionError(f"'{node.name}' is not a boolean; compare it with a value", node.offset)
            )
    elif not isinstance(node.value, bool):
        errors.append(ConditionError(f"{node.value!r} is not a condition", node.offset))


def _operand_kinds(
    operand: Operand, variables: Mapping[str, VarType], errors: list[ConditionError]
) -> frozenset[Kind] | None:
    if isinstance(operand, Name):
        declared = variables.get(operand.name)
        if declared is None:
            from difflib import get_close_matches

            close = get_close_matches(operand.name, list(variables), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            errors.append(ConditionError(f"unknown variable '{operand.name}'{hint}", operand.offset))
            return None
        return declared.kinds
    if isinstance(operand, ListLiteral):
        return frozenset({Kind.ARRAY})
    return frozenset({kind_of(operand.value)})


def kind_of(value: Any) -> Kind:
    """The kind of a JSON value as conditions see it."""
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
    return Kind.STRING


def _check_compare(node: Compare, variables: Mapping[str, VarType], errors: list[ConditionError]) -> None:
    left = _operand_kinds(node.left, variables, errors)
    if node.op in ("in", "not in"):
        if not isinstance(node.right, ListLiteral):
            errors.append(ConditionError(f"'{node.op}' needs a list such as ['a', 'b']", node.right.offset))
            return
        for item in node.right.items:
            _check_pair(node, node.left, left, item, frozenset({kind_of(item.value)}), variables, errors)
        return
    right = _operand_kinds(node.right, variables, errors)
    _check_pair(node, node.left, left, node.right, right, variables, errors)


def _check_pair(
    node: Compare,
    left: Operand,
    left_kinds: frozenset[Kind] | None,
    right: Operand,
    right_kinds: frozenset[Kind] | None,
    variables: Mapping[str, VarType],
    errors: list[ConditionError],
) -> None:
    if left_kinds is None or right_kinds is None:
        return
    if Kind.ARRAY in left_kinds | right_kinds and node.op not in ("in", "not in"):
        errors.append(ConditionError(f"a list cannot be compared with '{node.op}'", node.offset))
        return
    if node.op in _ORDERING:
        usable = (left_kinds & right_kinds) - {Kind.NULL, Kind.BOOLEAN, Kind.OBJECT}
        if not usable:
            errors.append(
                ConditionError(
                    f"cannot order {_kinds_text(left_kinds)} and {_kinds_text(right_kinds)} with '{node.op}'",
                    node.offset,
                )
            )
            return
    elif Kind.NULL not in left_kinds | right_kinds and not left_kinds & right_kinds:
        errors.append(
            ConditionError(
                f"compares {_kinds_text(left_kinds)} with {_kinds_text(right_kinds)}; it can never be true",
                right.offset,
            )
        )
        return
    if node.op in _ORDERING:
        return
    for name, literal in ((left, right), (right, left)):
        if isinstance(name, Name) and isinstance(literal, Literal) and literal.value is not None:
            values = variables[name.name].values
            if values is not None and literal.value not in values:
                allowed = ", ".join(repr(v) for v in values)
                errors.append(
                    ConditionError(
                        f"{literal.value!r} is not a value of '{name.name}' (one of {allowed})",
                        literal.offset,
                    )
                )


def _kinds_text(kinds: frozenset[Kind]) -> str:
    return " or ".join(sorted(kind.value for kind in kinds))


def _names(node: Node | Operand) -> frozenset[str]:
    if isinstance(node, Name):
        return frozenset({node.name})
    if isinstance(node, Compare):
        return _names(node.left) | _names(node.right)
    if isinstance(node, Not):
        return _names(node.operand)
    if isinstance(node, BoolOp):
        return frozenset().union(*(_names(operand) for operand in node.operands))
    return frozenset()


# -- evaluation -------------------------------------------------------------------------------------
def _evaluate(node: Node | Operand, variables: Mapping[str, Any]) -> Any:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Name):
        return variables.get(node.name)
    if isinstance(node, ListLiteral):
        return [item.value for item in node.items]
    if isinstance(node, Not):
        return not _evaluate(node.operand, variables)
    if isinstance(node, BoolOp):
        if node.op == "and":
            return all(_evaluate(operand, variables) for operand in node.operands)
        return any(_evaluate(operand, variables) for operand in node.operands)
    left = _evaluate(node.left, variables)
    right = _evaluate(node.right, variables)
    if node.op == "==":
        return left == right
    if node.op == "!=":
        return left != right
    if node.op == "in":
        return left in right
    if node.op == "not in":
        return left not in right
    if left is None or right is None or isinstance(left, str) != isinstance(right, str):
        return False
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[node.op]

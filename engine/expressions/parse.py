"""Parsing the expression language: one linear pass of tokens, then recursive descent with the
nesting bounded, so hostile text is refused with the offset where a bound is passed."""

from __future__ import annotations

import re
from collections.abc import Callable
from difflib import get_close_matches

from engine.expressions.tree import (
    SIGNATURES,
    Arithmetic,
    BoolOp,
    Call,
    Compare,
    ConditionError,
    ListLiteral,
    Literal,
    Name,
    Negate,
    Node,
    Not,
    offset_of,
)

MAX_LENGTH = 10_000
MAX_DEPTH = 40
MAX_DIGITS = 18
ORDERING = ("<", "<=", ">", ">=")

_TOKEN = re.compile(
    r"""[ \t\r\n]*(?:
        (?P<number>[0-9]+(?:\.[0-9]+)?)
      | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,|\+|-|\*|/)
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
      | (?P<end>$)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"true": True, "false": False, "null": None}
_RESERVED = ("and", "or", "not", "in")
Token = tuple[str, str, int]


def _tokenize(text: str) -> list[Token]:
    """The tokens of `text`, in one pass over it."""
    if len(text) > MAX_LENGTH:
        raise ConditionError(f"the expression is too long: at most {MAX_LENGTH:,} characters", MAX_LENGTH)
    tokens: list[Token] = []
    position = 0
    while True:
        match = _TOKEN.match(text, position)
        if match is None or match.lastgroup is None:
            offset = position + len(text[position:]) - len(text[position:].lstrip(" \t\r\n"))
            hint = "; use '==' to compare" if text[offset] == "=" else ""
            raise ConditionError(f"unexpected character {text[offset]!r}{hint}", offset)
        kind = match.lastgroup
        if kind == "end":
            tokens.append(("end", "", len(text)))
            return tokens
        value = match.group(kind)
        if kind == "number" and len(value.split(".")[0]) > MAX_DIGITS:
            raise ConditionError(f"the number is too long: at most {MAX_DIGITS} digits", match.start(kind))
        tokens.append((kind, value, match.start(kind)))
        position = match.end()


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.index = 0
        self.depth = 0

    def peek(self) -> Token:
        return self.tokens[self.index]

    def take(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at(self, kind: str, *values: str) -> bool:
        token_kind, value, _ = self.peek()
        return token_kind == kind and value in values

    def expect(self, value: str) -> None:
        kind, text, offset = self.take()
        if text != value or kind not in ("op", "word"):
            raise ConditionError(f"expected '{value}' but found {_describe(kind, text)}", offset)

    def deeper(self, offset: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ConditionError(f"the expression is nested too deeply: at most {MAX_DEPTH} levels", offset)

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

    def _chain(self, word: str, operand: Callable[[], Node]) -> Node:
        offset = self.peek()[2]
        operands = [operand()]
        while self.at("word", word):
            self.take()
            operands.append(operand())
        return operands[0] if len(operands) == 1 else BoolOp(word, tuple(operands), offset)

    def parse_not(self) -> Node:
        nots: list[int] = []
        while self.at("word", "not"):
            offset = self.take()[2]
            self.deeper(offset)
            nots.append(offset)
        node = self.parse_comparison()
        for offset in reversed(nots):
            node = Not(node, offset)
            self.depth -= 1
        return node

    def parse_comparison(self) -> Node:
        left = self.parse_sum()
        kind, text, offset = self.peek()
        if kind == "op" and text in ("==", "!=", *ORDERING):
            self.take()
            return Compare(text, left, self.parse_sum(), offset)
        if self.at("word", "in"):
            self.take()
            return Compare("in", left, self.parse_sum(), offset)
        if self.at("word", "not") and self.tokens[self.index + 1][1] == "in":
            self.index += 2
            return Compare("not in", left, self.parse_sum(), offset)
        if isinstance(left, ListLiteral):
            raise ConditionError("a list can only follow 'in'", left.offset)
        return left

    def parse_sum(self) -> Node:
        return self._arithmetic(("+", "-"), self.parse_product)

    def parse_product(self) -> Node:
        return self._arithmetic(("*", "/"), self.parse_unary)

    def _arithmetic(self, symbols: tuple[str, ...], operand: Callable[[], Node]) -> Node:
        first = operand()
        ops: list[str] = []
        operands = [first]
        while self.at("op", *symbols):
            ops.append(self.take()[1])
            operands.append(operand())
        return Arithmetic(tuple(ops), tuple(operands), offset_of(first)) if ops else first

    def parse_unary(self) -> Node:
        if self.at("op", "-"):
            offset = self.take()[2]
            self.deeper(offset)
            node: Node = Negate(self.parse_unary(), offset)
            self.depth -= 1
            return node
        return self.parse_primary()

    def parse_primary(self) -> Node:
        kind, text, offset = self.take()
        if kind == "op" and text == "(":
            self.deeper(offset)
            node = self.parse_or()
            self.expect(")")
            self.depth -= 1
            return node
        if kind == "number":
            return Literal(float(text) if "." in text else int(text), offset)
        if kind == "string":
            return Literal(re.sub(r"\\(.)", r"\1", text[1:-1]), offset)
        if kind == "word" and text in _KEYWORDS:
            return Literal(_KEYWORDS[text], offset)
        if kind == "word" and text not in _RESERVED:
            if self.at("op", "("):
                return self.parse_call(text, offset)
            return Name(text, offset)
        if kind == "op" and text == "[":
            return self.parse_list(offset)
        raise ConditionError(f"expected a value or a variable but found {_describe(kind, text)}", offset)

    def parse_call(self, function: str, offset: int) -> Node:
        if function not in SIGNATURES:
            hint = get_close_matches(function, list(SIGNATURES), n=1)
            known = f" (did you mean '{hint[0]}'?)" if hint else f" (known: {', '.join(SIGNATURES)})"
            raise ConditionError(f"unknown function '{function}'{known}", offset)
        self.take()
        self.deeper(offset)
        arguments: list[Node] = []
        while not self.at("op", ")"):
            arguments.append(self.parse_or())
            if self.at("op", ","):
                self.take()
            elif not self.at("op", ")"):
                kind, text, where = self.peek()
                raise ConditionError(f"expected ',' or ')' but found {_describe(kind, text)}", where)
        self.take()
        self.depth -= 1
        return Call(function, tuple(arguments), offset)

    def parse_list(self, offset: int) -> ListLiteral:
        items: list[Literal] = []
        while not self.at("op", "]"):
            item = self.parse_unary()
            if isinstance(item, Negate) and isinstance(item.operand, Literal):
                item = Literal(-item.operand.value, item.offset)
            if not isinstance(item, Literal):
                raise ConditionError("list items must be literal values", offset_of(item))
            items.append(item)
            if self.at("op", ","):
                self.take()
            elif not self.at("op", "]"):
                kind, text, where = self.peek()
                raise ConditionError(f"expected ',' or ']' but found {_describe(kind, text)}", where)
        self.take()
        return ListLiteral(tuple(items), offset)


def _describe(kind: str, text: str) -> str:
    return "the end of the expression" if kind == "end" else f"'{text}'"


def parse(text: str, what: str) -> Node:
    """The tree of `text` (`what` it is, for the message when it is empty); ConditionError with
    the offset of the first problem."""
    if not text.strip():
        raise ConditionError(f"the {what} is empty", 0)
    return _Parser(text).parse()

"""Type checking of the expression language: every name known, and whatever an expression orders,
adds or passes to a function proven to be of a kind that allows it at run time (a name that may
hold an object or a number cannot be ordered), so evaluation cannot fail."""

from __future__ import annotations

from collections.abc import Mapping
from difflib import get_close_matches

from engine.expressions.parse import ORDERING
from engine.expressions.tree import (
    SIGNATURES,
    Arithmetic,
    BoolOp,
    Call,
    Compare,
    ConditionError,
    Kind,
    ListLiteral,
    Literal,
    Name,
    Negate,
    Node,
    Not,
    VarType,
    children,
    fold,
    kind_of,
    kinds_text,
    offset_of,
)

_ORDERABLE = (frozenset({Kind.NUMBER}), frozenset({Kind.STRING}), frozenset({Kind.INSTANT}))


def check_condition(tree: Node, names: Mapping[str, VarType]) -> list[ConditionError]:
    """Every unknown name and type mismatch in `condition`, which must be true or false."""
    errors: list[ConditionError] = []
    kinds = _Checker(names, errors).kinds(tree)
    if kinds is not None and not errors and Kind.BOOLEAN not in kinds:
        node = tree
        if isinstance(node, Name):
            message = f"'{node.name}' is not a boolean; compare it with a value"
        elif isinstance(node, Literal):
            message = f"{node.value!r} is not a condition"
        else:
            message = f"this is {kinds_text(kinds)}, not a condition"
        errors.append(ConditionError(message, offset_of(node)))
    return errors


def check_expression(
    tree: Node, names: Mapping[str, VarType]
) -> tuple[frozenset[Kind] | None, list[ConditionError]]:
    """The kinds the expression can have (None when unknown), and every problem in it."""
    errors: list[ConditionError] = []
    kinds = _Checker(names, errors).kinds(tree)
    return kinds, errors


class _Checker:
    """Infers the kinds of each node bottom-up."""

    def __init__(self, names: Mapping[str, VarType], errors: list[ConditionError]) -> None:
        self.names = names
        self.errors = errors

    def kinds(self, root: Node) -> frozenset[Kind] | None:
        return fold(root, self._infer)

    def error(self, message: str, offset: int) -> None:
        self.errors.append(ConditionError(message, offset))

    def _infer(self, node: Node, inner: list[frozenset[Kind] | None]) -> frozenset[Kind] | None:
        if isinstance(node, Literal):
            return frozenset({kind_of(node.value)})
        if isinstance(node, ListLiteral):
            return frozenset({Kind.ARRAY})
        if isinstance(node, Name):
            return self._name(node)
        if isinstance(node, BoolOp | Not):
            for child, kinds in zip(children(node), inner, strict=True):
                self._require_boolean(child, kinds)
            return frozenset({Kind.BOOLEAN})
        if isinstance(node, Compare):
            self._compare(node, inner[0], inner[1])
            return frozenset({Kind.BOOLEAN})
        if isinstance(node, Arithmetic | Negate):
            for child, kinds in zip(children(node), inner, strict=True):
                if kinds is not None and not kinds <= {Kind.NUMBER, Kind.NULL}:
                    self.error(f"arithmetic needs numbers, not {kinds_text(kinds)}", offset_of(child))
            return frozenset({Kind.NUMBER, Kind.NULL})
        return self._call(node, inner)

    def _name(self, node: Name) -> frozenset[Kind] | None:
        declared = self.names.get(node.name)
        if declared is None:
            close = get_close_matches(node.name, list(self.names), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            what = "name" if "." in node.name else "variable"
            self.error(f"unknown {what} '{node.name}'{hint}", node.offset)
            return None
        return declared.kinds

    def _require_boolean(self, node: Node, kinds: frozenset[Kind] | None) -> None:
        if kinds is None or Kind.BOOLEAN in kinds:
            return
        if isinstance(node, Name):
            self.error(f"'{node.name}' is not a boolean; compare it with a value", node.offset)
        elif isinstance(node, Literal):
            self.error(f"{node.value!r} is not a condition", node.offset)
        else:
            self.error(f"this is {kinds_text(kinds)}, not a condition", offset_of(node))

    def _call(self, node: Call, inner: list[frozenset[Kind] | None]) -> frozenset[Kind] | None:
        function = SIGNATURES[node.function]
        if len(inner) != len(function.parameters):
            wanted = ", ".join(kind.value for kind in function.parameters)
            self.error(f"{node.function} takes {len(function.parameters)} arguments ({wanted})", node.offset)
            return None
        for argument, kinds, parameter in zip(node.arguments, inner, function.parameters, strict=True):
            if kinds is not None and not kinds <= {parameter, Kind.NULL}:
                self.error(
                    f"{node.function} needs {parameter.value}s, not {kinds_text(kinds)}", offset_of(argument)
                )
        return frozenset({function.result, Kind.NULL})

    def _compare(self, node: Compare, left: frozenset[Kind] | None, right: frozenset[Kind] | None) -> None:
        if node.op in ("in", "not in"):
            if not isinstance(node.right, ListLiteral):
                self.error(f"'{node.op}' needs a list such as ['a', 'b']", offset_of(node.right))
                return
            for item in node.right.items:
                self._pair(node, node.left, left, item, frozenset({kind_of(item.value)}))
            return
        self._pair(node, node.left, left, node.right, right)

    def _pair(
        self,
        node: Compare,
        left: Node,
        left_kinds: frozenset[Kind] | None,
        right: Node,
        right_kinds: frozenset[Kind] | None,
    ) -> None:
        if left_kinds is None or right_kinds is None:
            return
        if Kind.ARRAY in left_kinds | right_kinds and node.op not in ("in", "not in"):
            self.error(f"a list cannot be compared with '{node.op}'", node.offset)
            return
        if node.op in ORDERING:
            if not any((left_kinds | right_kinds) - {Kind.NULL} <= usable for usable in _ORDERABLE) or (
                left_kinds <= {Kind.NULL} or right_kinds <= {Kind.NULL}
            ):
                self.error(
                    f"cannot order {kinds_text(left_kinds)} and {kinds_text(right_kinds)} with '{node.op}'",
                    node.offset,
                )
            return
        if Kind.NULL not in left_kinds | right_kinds and not left_kinds & right_kinds:
            self.error(
                f"compares {kinds_text(left_kinds)} with {kinds_text(right_kinds)}; it can never be true",
                offset_of(right),
            )
            return
        for name, literal in ((left, right), (right, left)):
            if isinstance(name, Name) and isinstance(literal, Literal) and literal.value is not None:
                values = self.names[name.name].values
                if values is not None and literal.value not in values:
                    allowed = ", ".join(repr(v) for v in values)
                    self.error(
                        f"{literal.value!r} is not a value of '{name.name}' (one of {allowed})",
                        literal.offset,
                    )

"""Shared state of one semantic check pass: the source, the problems found, and lookups by id."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from engine.errors import Problem, TimeError, did_you_mean
from engine.expressions import (
    Condition,
    ConditionError,
    Kind,
    VarType,
    check_condition,
    check_expression,
    kind_of,
    parse_condition,
    parse_expression,
)
from engine.loading.yaml_source import Path, Source
from engine.spec.model import engine_names
from engine.time.durations import Duration, parse_duration

_JSON_KINDS = {
    "string": {Kind.STRING},
    "integer": {Kind.NUMBER},
    "number": {Kind.NUMBER},
    "boolean": {Kind.BOOLEAN},
    "null": {Kind.NULL},
    "array": {Kind.ARRAY},
    "object": {Kind.OBJECT},
}


def var_type(schema: dict[str, Any]) -> VarType:
    """What a condition may assume about a value with this JSON Schema. The semantic checks read
    schemas that the meta-schema may have refused (that problem is reported on its own), so a
    malformed `type` or `enum` is read as saying nothing rather than trusted."""
    declared = schema.get("type")
    names = [declared] if isinstance(declared, str) else declared if isinstance(declared, list) else []
    values = schema.get("enum") if isinstance(schema.get("enum"), list) else None
    if "const" in schema:
        values = [schema["const"]]
    kinds: set[Kind] = set()
    for name in names:
        kinds |= _JSON_KINDS.get(name, set()) if isinstance(name, str) else set()
    if not kinds and values is not None:
        kinds = {kind_of(v) for v in values}
    if not kinds:
        kinds = set(Kind)
    if kinds == {Kind.STRING} and schema.get("format") == "date-time":
        kinds = {Kind.INSTANT}  # expressions see a date-time as an instant
    return VarType(frozenset(kinds), tuple(values) if values is not None else None)


@dataclass
class Context:
    source: Source
    problems: list[Problem] = field(default_factory=list)
    known_processes: frozenset[str] | None = None
    left_out: frozenset[str] = frozenset()
    """Ids of elements left out for schema problems of their own: a reference to one is not
    reported again as unknown."""

    @property
    def data(self) -> dict[str, Any]:
        result: dict[str, Any] = self.source.data
        return result

    def add(self, path: Path, message: str, *, key: bool = False) -> None:
        self.problems.append(self.source.problem(path, message, key=key))

    def section(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self.data.get(name) or {}
        return result

    # -- references ---------------------------------------------------------------------------------
    def ref(self, path: Path, value: str, known: Iterable[str], what: str) -> bool:
        """Report `value` at `path` unless it is one of `known`; True when it is."""
        options = list(known)
        if value in options:
            return True
        if value in self.left_out:
            return False
        self.add(path, f"unknown {what} '{value}'{did_you_mean(value, options)}")
        return False

    def roles(self, path: Path, values: Iterable[str]) -> None:
        for index, role in enumerate(values):
            self.ref((*path, index), role, self.section("roles"), "role")

    # -- values -------------------------------------------------------------------------------------
    def duration(self, path: Path, text: str) -> Duration | None:
        try:
            return parse_duration(text)
        except TimeError as error:
            self.add(path, str(error))
            return None

    def condition(self, path: Path, text: str, variables: dict[str, VarType]) -> Condition | None:
        try:
            condition = parse_condition(text)
        except ConditionError as error:
            self._condition_problem(path, text, error)
            return None
        mistakes = check_condition(condition, variables)
        for mistake in mistakes:
            self._condition_problem(path, text, mistake)
        return None if mistakes else condition

    def expression(self, path: Path, text: str, names: dict[str, VarType]) -> frozenset[Kind] | None:
        """The kinds the expression at `path` can have; None when it is wrong (and reported)."""
        try:
            expression = parse_expression(text)
        except ConditionError as error:
            self._condition_problem(path, text, error, "expression")
            return None
        kinds, mistakes = check_expression(expression, names)
        for mistake in mistakes:
            self._condition_problem(path, text, mistake, "expression")
        return None if mistakes else kinds

    def _condition_problem(
        self, path: Path, text: str, error: ConditionError, what: str = "condition"
    ) -> None:
        line, column = self.source.locate(path)
        if path in self.source.positions and "\n" not in text:
            column += error.offset + (1 if path in self.source.quoted else 0)
        self.problems.append(
            Problem(
                file=self.source.file,
                line=line,
                column=column,
                path=path,
                message=f"in {what} '{excerpt(text)}': {error.message}",
            )
        )

    # -- lookups (derived once per pass: the document does not change while it is checked) ----------
    @functools.cached_property
    def variable_types(self) -> dict[str, VarType]:
        """The kinds of every name an expression may use: the variables, and the engine's own
        instants (null until they happen)."""
        types = {name: var_type(body["schema"]) for name, body in self.section("variables").items()}
        instant = VarType(frozenset({Kind.INSTANT, Kind.NULL}))
        duty_ids = [duty["id"] for _, duty in self.stage_duties()]
        types |= {name: instant for name in engine_names(duty_ids)}
        types["now"] = VarType(frozenset({Kind.INSTANT}))
        return types

    def stage_duties(self) -> Iterator[tuple[Path, dict[str, Any]]]:
        """Every duty with its path: process-wide ones first, then each stage's."""
        for index, duty in enumerate(self.data.get("duties") or []):
            yield ("duties", index), duty
        for stage_id, stage in self.section("stages").items():
            for index, duty in enumerate(stage.get("duties") or []):
                yield ("stages", stage_id, "duties", index), duty

    def exits(self) -> Iterator[tuple[Path, str, dict[str, Any]]]:
        for stage_id, stage in self.section("stages").items():
            for index, exit_ in enumerate(stage.get("exits") or []):
                yield ("stages", stage_id, "exits", index), stage_id, exit_

    @functools.cached_property
    def triggers(self) -> frozenset[str]:
        return frozenset(exit_["trigger"] for _, _, exit_ in self.exits() if "trigger" in exit_)

    def form_fields(self, form_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.section("forms").get(form_id, {}).get("fields", {})
        return result


def excerpt(text: str, limit: int = 80) -> str:
    """`text` short enough to quote in a message: the column already points at the place."""
    return text if len(text) <= limit else text[: limit - 1] + "…"

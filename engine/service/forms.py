"""Forms in the browser, made from a form's field specs: each field an input fit for its schema (a
choice of titled values, a number, a date and time in the process's zone, a list, yes or no), and
what a browser posts read back into the data the engine checks. The engine's own checker judges the
data; its problems are put beside the fields they name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.locale import Words
from engine.render.words import title_of, value_title
from engine.spec.model import FieldSpec
from engine.time.calendar import zone


@dataclass(frozen=True, slots=True, kw_only=True)
class Input:
    """One field as the page draws it."""

    name: str
    label: str
    kind: str
    """text, textarea, number, datetime, date, select, checkbox, checkboxes, lines, json"""
    required: bool
    help: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    """(value, title) for a select or checkboxes."""
    step: str = ""
    minimum: str = ""
    maximum: str = ""
    value: Any = ""
    errors: tuple[str, ...] = ()
    filled_by_engine: bool = False
    """The engine fills the field in when it is left empty (the field has a default)."""


@dataclass(slots=True)
class Posted:
    """What a browser posted, read back: the data, and problems met while reading it."""

    data: dict[str, Any] = field(default_factory=dict)
    problems: dict[str, list[str]] = field(default_factory=dict)


def inputs(fields: Sequence[FieldSpec], w: Words, values: Mapping[str, Any] | None = None,
           errors: Mapping[str, Sequence[str]] | None = None) -> list[Input]:  # fmt: skip
    values, errors = values or {}, errors or {}
    return [_input(f, w, values.get(f.id, ""), tuple(errors.get(f.id, ()))) for f in fields]


def _input(spec: FieldSpec, w: Words, value: Any, errors: tuple[str, ...]) -> Input:
    schema = spec.schema()
    items = _items(schema)
    kind, choices = _kind(schema, items)
    values = schema.get("enum") or items.get("enum") or []
    return Input(
        name=spec.id,
        label=title_of(spec, w),
        kind=kind,
        required=spec.required and spec.default is None,
        help=spec.description,
        choices=tuple((str(v), value_title(spec, v, w)) for v in values) if choices else (),
        step="1" if schema.get("type") == "integer" else "any",
        minimum=str(schema.get("minimum", "")),
        maximum=str(schema.get("maximum", "")),
        value=value,
        errors=errors,
        filled_by_engine=spec.default is not None,
    )


def _items(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    """The schema of a list's items, or nothing."""
    items = schema.get("items")
    return items if isinstance(items, dict) else {}


def _kind(schema: Mapping[str, Any], items: Mapping[str, Any]) -> tuple[str, bool]:
    """The input of a schema, and whether it offers choices."""
    kind = schema.get("type")
    if "enum" in schema:
        return "select", True
    if kind == "array" and "enum" in items:
        return "checkboxes", True
    if kind == "array" and items.get("type") == "string":
        return "lines", False
    if kind in ("integer", "number"):
        return "number", False
    if kind == "boolean":
        return "checkbox", False
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "date-time":
            return "datetime", False
        if fmt == "date":
            return "date", False
        return ("textarea" if schema.get("maxLength", 0) > 200 else "text"), False
    return "json", False


def read(fields: Sequence[FieldSpec], posted: Mapping[str, Sequence[str]], timezone: str) -> Posted:
    """The data a browser's form stands for: empty fields are left out (the engine then says which
    are required, or fills in their defaults)."""
    result = Posted()
    for spec in fields:
        given = [v for v in posted.get(spec.id, []) if v.strip()]
        schema = spec.schema()
        items = _items(schema)
        kind, _ = _kind(schema, items)
        try:
            value = _value(kind, schema, items, given, timezone)
        except ValueError as error:
            result.problems[spec.id] = [str(error)]
            continue
        if value is not None:
            result.data[spec.id] = value
    return result


def _value(
    kind: str, schema: Mapping[str, Any], items: Mapping[str, Any], given: list[str], timezone: str
) -> Any:
    if kind == "checkbox":
        return True if given else (None if schema.get("const") is True else False)
    if kind == "checkboxes":
        return [_typed(items, v) for v in given] or None
    if kind == "lines":
        lines = [line.strip() for v in given for line in v.splitlines() if line.strip()]
        return lines or None
    if not given:
        return None
    text = given[0].strip()
    if kind == "number":
        number = float(text)
        if schema.get("type") == "integer":
            if not number.is_integer():
                raise ValueError(f"{text} is not a whole number")
            return int(number)
        return number
    if kind == "datetime":
        moment = datetime.fromisoformat(text)
        return (moment.replace(tzinfo=zone(timezone)) if moment.tzinfo is None else moment).isoformat()
    if kind == "select":
        return _typed(schema, text)
    if kind == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"not JSON: {error.msg} (line {error.lineno}, column {error.colno})") from error
    return text


def _typed(schema: Mapping[str, Any], text: str) -> Any:
    """A chosen value as the schema has it (choices of numbers come back as text)."""
    for allowed in schema.get("enum", []):
        if str(allowed) == text:
            return allowed
    return text


_FIELD = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\.[^:]*)?: (.*)$")
_REQUIRED = re.compile(r"^'([A-Za-z_][A-Za-z0-9_]*)' is a required property$")


def problems_by_field(
    details: Sequence[str], names: Sequence[str], w: Words
) -> tuple[dict[str, list[str]], list[str]]:
    """The engine's problems with data, each beside the field it names; the rest for the whole form."""
    by_field: dict[str, list[str]] = {}
    general = []
    for detail in details:
        named = _FIELD.match(detail) or _REQUIRED.match(detail)
        if named and named.group(1) in names:
            message = named.group(2) if named.re is _FIELD else w.t("this field is required")
            by_field.setdefault(named.group(1), []).append(message)
        else:
            general.append(detail)
    return by_field, general

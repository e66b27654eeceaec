"""Checking command data against the JSON Schemas a definition gives: form fields, event data and
start inputs. Every error is reported, each prefixed with the path of the offending value, and formats
(`date`, `date-time`) are checked, because a malformed date would silently become a wrong deadline.

Most data is valid, and every command checks some, so a schema is compiled once into two checkers:
`fastjsonschema`'s generated code gives the verdict in about a microsecond, and `jsonschema` (the
reference, Draft 2020-12) explains a refusal. The fast checker is used only for schemas made of
keywords that mean the same in its draft as in 2020-12, with the reference's own format checks, so
the two never disagree about what is valid; any other schema goes to the reference alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache, partial
from typing import Any

import fastjsonschema
from jsonschema import Draft202012Validator

from engine.spec.model import FieldSpec, VariableSpec, fields_schema

FORMATS = Draft202012Validator.FORMAT_CHECKER

SHARED_KEYWORDS = frozenset(
    {
        "type", "enum", "const", "minLength", "maxLength", "pattern", "format",
        "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
        "items", "minItems", "maxItems", "uniqueItems",
        "properties", "required", "additionalProperties", "minProperties", "maxProperties",
        "title", "description",
    }
)  # fmt: skip
"""Keywords with one meaning in draft-07 (the fast checker's) and 2020-12 (the language's)."""


class Checker:
    """One schema, compiled for the verdict and for the explanation."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self._reference = Draft202012Validator(schema, format_checker=FORMATS)
        self._fast = _compiled(schema)

    @property
    def compiled(self) -> bool:
        """Whether valid data is recognised by the compiled checker (else by the reference)."""
        return self._fast is not None

    def problems(self, data: Any) -> list[str]:
        """Every way `data` breaks the schema, as `path: message` lines in document order."""
        not_json, too_large = data_bounds(data)
        if too_large:
            return not_json
        if self._fast is not None and not not_json:
            try:
                self._fast(data)
            except fastjsonschema.JsonSchemaValueException:
                pass
            else:
                return []
        errors = sorted(
            self._reference.iter_errors(data), key=lambda e: ([str(p) for p in e.absolute_path], e.message)
        )
        return [_describe(error.absolute_path, error.message) for error in errors] + not_json


@lru_cache(maxsize=1024)
def fields_checker(fields: tuple[FieldSpec, ...]) -> Checker:
    """The checker of an object made of `fields`: a form's record or an event's data."""
    return Checker(fields_schema(fields))


@lru_cache(maxsize=256)
def inputs_checker(variables: tuple[VariableSpec, ...]) -> Checker:
    """The checker of the data that starts an instance."""
    return Checker(input_schema(variables))


def input_schema(variables: Iterable[VariableSpec]) -> dict[str, Any]:
    """A JSON Schema for the data that starts an instance: the variables marked as inputs."""
    inputs = [v for v in variables if v.input != "none"]
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {v.id: v.schema() for v in inputs},
        "required": [v.id for v in inputs if v.input == "required"],
    }


_FAST_FORMATS = {name: partial(FORMATS.conforms, format=name) for name in FORMATS.checkers}


def _shared(schema: Any) -> bool:
    """Whether `schema` and every schema inside it use only `SHARED_KEYWORDS`."""
    if isinstance(schema, bool):
        return True
    if not isinstance(schema, Mapping) or not SHARED_KEYWORDS.issuperset(schema):
        return False
    properties = schema.get("properties", {})
    if not isinstance(properties, Mapping):
        return False
    inner = [*properties.values(), *(schema[k] for k in ("items", "additionalProperties") if k in schema)]
    return all(map(_shared, inner))


def _compiled(schema: dict[str, Any]) -> Callable[[Any], Any] | None:
    if not _shared(schema):
        return None
    try:
        return fastjsonschema.compile(schema, formats=_FAST_FORMATS, use_default=False)
    except fastjsonschema.JsonSchemaDefinitionException:
        return None


MAX_VALUES = 200_000
MAX_DEPTH = 64
MAX_CHARACTERS = 8 * 1024 * 1024


def data_bounds(data: Any) -> tuple[list[str], bool]:
    """Values JSON cannot carry, which JSON Schema lets through (NaN passes `minimum: 0`): they would
    be written to the journal and break every store and export that reads it back. The walk is
    iterative and bounded (values, depth, characters, counted as often as a shared value occurs):
    data too large is refused before any schema sees it. True with a refusal of the size."""
    problems: list[str] = []
    stack: list[tuple[Any, tuple[Any, ...]]] = [(data, ())]
    values = characters = 0
    while stack:
        value, path = stack.pop()
        values += 1
        if values > MAX_VALUES:
            return [f"the data holds more than {MAX_VALUES:,} values; refusing it"], True
        if len(path) > MAX_DEPTH:
            return [f"the data is nested more than {MAX_DEPTH} levels deep; refusing it"], True
        if isinstance(value, str):
            characters += len(value)
        elif isinstance(value, float) and not math.isfinite(value):
            problems.append(_describe(path, f"{value} is not a number JSON can hold"))
        elif isinstance(value, Mapping):
            for key in reversed(list(value)):
                if not isinstance(key, str):
                    problems.append(_describe(path, f"the key {key!r} is not text"))
                else:
                    characters += len(key)
                stack.append((value[key], (*path, key)))
        elif isinstance(value, list | tuple):
            stack.extend((item, (*path, index)) for index, item in reversed(list(enumerate(value))))
        if characters > MAX_CHARACTERS:
            return [
                f"the data holds more than {MAX_CHARACTERS // 1048576} Mi characters of text; refusing it"
            ], True
    return problems, False


def _describe(path: Iterable[Any], message: str) -> str:
    where = ".".join(str(part) for part in path)
    return f"{where}: {message}" if where else message

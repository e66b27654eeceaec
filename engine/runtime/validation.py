"""Checking command data against the JSON Schemas a definition gives: form fields, event data and
start inputs. Every error is reported, each prefixed with the path of the offending value, and formats
(`date`, `date-time`) are checked, because a malformed date would silently become a wrong deadline.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator

from engine.spec.model import VariableSpec


def input_schema(variables: Iterable[VariableSpec]) -> dict[str, Any]:
    """A JSON Schema for the data that starts an instance: the variables marked as inputs."""
    inputs = [v for v in variables if v.input != "none"]
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {v.id: v.schema() for v in inputs},
        "required": [v.id for v in inputs if v.input == "required"],
    }


def problems(schema: Mapping[str, Any], data: Any) -> list[str]:
    """Every way `data` breaks `schema`, as `path: message` lines in document order."""
    validator = _validator(json.dumps(schema, sort_keys=True, ensure_ascii=False))
    errors = sorted(validator.iter_errors(data), key=lambda e: ([str(p) for p in e.absolute_path], e.message))
    return [_describe(error.absolute_path, error.message) for error in errors] + list(_not_json(data, ()))


def _not_json(value: Any, path: tuple[Any, ...]) -> Iterator[str]:
    """Values JSON cannot carry, which JSON Schema lets through (NaN passes `minimum: 0`): they would
    be written to the journal and break every store and export that reads it back."""
    if isinstance(value, float) and not math.isfinite(value):
        yield _describe(path, f"{value} is not a number JSON can hold")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                yield _describe(path, f"the key {key!r} is not text")
            yield from _not_json(item, (*path, key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _not_json(item, (*path, index))


def _describe(path: Iterable[Any], message: str) -> str:
    where = ".".join(str(part) for part in path)
    return f"{where}: {message}" if where else message


@lru_cache(maxsize=1024)
def _validator(schema_text: str) -> Any:
    return Draft202012Validator(json.loads(schema_text), format_checker=Draft202012Validator.FORMAT_CHECKER)

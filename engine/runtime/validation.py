"""Checking command data against the JSON Schemas a definition gives: form fields, event data and
start inputs. Every error is reported, each prefixed with the path of the offending value, and formats
(`date`, `date-time`) are checked, because a malformed date would silently become a wrong deadline.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
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
    return [_describe(error.absolute_path, error.message) for error in errors]


def _describe(path: Iterable[Any], message: str) -> str:
    where = ".".join(str(part) for part in path)
    return f"{where}: {message}" if where else message


@lru_cache(maxsize=1024)
def _validator(schema_text: str) -> Any:
    return Draft202012Validator(json.loads(schema_text), format_checker=Draft202012Validator.FORMAT_CHECKER)

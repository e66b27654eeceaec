"""JSON Schema validation of a YAML document, with every error located in the source.

jsonschema reports errors as data (path into the document, the failing keyword); this module turns
each into a `Problem` at the right line and column, with a message a process owner can act on: an
unknown key is reported at the key itself with a did-you-mean, a missing key at its mapping.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from engine.errors import Problem, did_you_mean
from engine.loading.yaml_source import Source

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
"""`engine/schemas` links to the repository's `schemas/`; a built wheel carries the files themselves."""


def schema_path(name: str) -> Path:
    return SCHEMA_DIR / name


@functools.cache
def validator(name: str, definition: str = "") -> Any:
    """A validator for the schema file `name`, or for one of its `$defs` entries."""
    from jsonschema import Draft202012Validator

    schema = json.loads(schema_path(name).read_text(encoding="utf-8"))
    if definition:
        schema = {"$defs": schema["$defs"], "$ref": f"#/$defs/{definition}"}
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def schema_problems(source: Source, schema_name: str, definition: str = "") -> list[Problem]:
    from jsonschema.exceptions import best_match

    problems: list[Problem] = []
    for error in validator(schema_name, definition).iter_errors(source.data):
        while error.context and not _is_choice(error):
            error = best_match(error.context)
        problems.extend(_describe(source, error))
    problems.sort(key=lambda p: (p.line, p.column, p.message))
    return problems


def _describe(source: Source, error: Any) -> list[Problem]:
    path = tuple(error.absolute_path)
    keyword = error.validator
    if keyword == "additionalProperties" and isinstance(error.instance, dict):
        known = list(error.schema.get("properties", {}))
        extras = [key for key in error.instance if key not in known]
        if extras:
            return [
                source.problem((*path, key), f"unknown key '{key}'{_suggestion(key, known)}", key=True)
                for key in extras
            ]
    if "propertyNames" in error.schema_path:
        key = str(error.instance)
        if keyword == "enum":
            options = [str(option) for option in error.validator_value]
            message = f"unknown key '{key}'{did_you_mean(key, options)}; use one of {', '.join(options)}"
        else:
            message = f"'{key}' is not a valid id: {_ID_RULE}"
        return [source.problem((*path, key), message, key=True)]
    if keyword == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return [source.problem(path, f"missing required key '{missing}'")]
    if keyword == "enum":
        options = [str(option) for option in error.validator_value]
        value = error.instance
        hint = did_you_mean(str(value), options) if isinstance(value, str) else ""
        return [source.problem(path, f"{value!r} is not one of {', '.join(options)}{hint}")]
    if keyword == "pattern":
        form = error.schema.get("description") or error.validator_value
        return [source.problem(path, f"{error.instance!r} does not have the required form: {form}")]
    if keyword == "uniqueItems" and isinstance(error.instance, list):
        seen: list[Any] = []
        for index, item in enumerate(error.instance):
            if item in seen:
                return [source.problem((*path, index), f"{item!r} is listed twice")]
            seen.append(item)
    if _is_choice(error):
        options = error.validator_value
        given = [o for o in options if all(key in error.instance for key in o["required"])]
        verb = "needs one of" if not given else "takes only one of"
        return [source.problem(path, f"{verb}: {_alternatives(options)}")]
    if keyword == "dependentRequired":
        needed = error.message.split("'")[1]
        have = next(k for k, v in error.validator_value.items() if needed in v and k in error.instance)
        return [source.problem((*path, have), f"'{have}' needs '{needed}' beside it", key=True)]
    return [source.problem(path, error.message)]


_ID_RULE = "use lower case letters, digits and underscores, starting with a letter"


def _suggestion(key: str, known: list[str]) -> str:
    """The nearest allowed key, or, with none near, every key allowed there."""
    return did_you_mean(key, known) or (f"; allowed here: {', '.join(known)}" if known else "")


def _is_choice(error: Any) -> bool:
    """A `oneOf` of `required`-only alternatives: the schema's way of saying 'exactly one of these keys'."""
    return (
        error.validator == "oneOf"
        and isinstance(error.instance, dict)
        and all(set(option) == {"required"} for option in error.validator_value)
    )


def _alternatives(options: list[dict[str, Any]]) -> str:
    return " | ".join(" + ".join(option["required"]) for option in options)

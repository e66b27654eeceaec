"""Hypothesis strategies for command data: values valid for the JSON Schemas a definition gives its
variables, form fields and event data, and arbitrary JSON (with the awkward corners: NaN, infinities,
huge integers, unicode) to throw at the same commands.

Valid values are built for the subset of JSON Schema the process language uses; a schema keyword
outside it fails loudly, so a new keyword in a process file cannot make this strategy silently wrong.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from hypothesis import strategies as st

KNOWN = {
    "type", "enum", "const", "minLength", "maxLength", "minimum", "maximum", "format", "items",
    "minItems", "maxItems", "uniqueItems", "properties", "required", "additionalProperties",
}  # fmt: skip

JSON_VALUES: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=10)
    | st.sampled_from(["", "2026-02-30", "2026-11-23T10:00:00", "1e999", "\x00", "𝓊𝓃𝒾𝒸ℴ𝒹ℯ"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
"""Any JSON document, and some values JSON cannot carry (NaN, infinities)."""

_INSTANTS = st.datetimes(  # hypothesis takes naive bounds and attaches the timezones
    min_value=datetime(2020, 1, 1),  # noqa: DTZ001
    max_value=datetime(2035, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)


def valid(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values that satisfy `schema`."""
    unknown = set(schema) - KNOWN - {"title", "description"}
    assert not unknown, f"no strategy for the keywords {sorted(unknown)}"
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "string":
        return _string(schema)
    if kind == "integer":
        return st.integers(schema.get("minimum"), schema.get("maximum"))
    if kind == "number":
        return st.floats(schema.get("minimum"), schema.get("maximum"), allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        return st.lists(
            valid(schema.get("items", {"type": "string"})),
            min_size=schema.get("minItems", 0),
            max_size=schema.get("maxItems", schema.get("minItems", 0) + 3),
            unique=schema.get("uniqueItems", False),
        )
    if kind == "object":
        return _object(schema)
    raise AssertionError(f"no strategy for the schema {schema}")


def _string(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    if schema.get("format") == "date-time":
        return _INSTANTS.map(lambda moment: moment.isoformat())
    if schema.get("format") == "date":
        return st.dates(date(2020, 1, 1), date(2035, 12, 31)).map(date.isoformat)
    low = schema.get("minLength", 0)
    return st.text(min_size=low, max_size=schema.get("maxLength", low + 12))


@st.composite
def _object(draw: st.DrawFn, schema: dict[str, Any]) -> dict[str, Any]:
    required = set(schema.get("required", ()))
    value = {}
    for name, field in schema.get("properties", {}).items():
        if name in required or draw(st.booleans()):
            value[name] = draw(valid(field))
    return value


def data_for(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Mostly valid data for `schema`, sometimes any JSON at all (then usually refused)."""
    return st.one_of(valid(schema), valid(schema), valid(schema), JSON_VALUES)

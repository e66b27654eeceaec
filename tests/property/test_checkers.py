"""The compiled checker of command data gives the reference validator's verdict (jsonschema, Draft
2020-12) on every schema of the seed processes and on every kind of data: valid, nearly valid (one
field replaced by any JSON) and arbitrary. A disagreement would let invalid data into a journal, or
refuse good data, only on the fast path."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from engine.runtime.validation import Checker, fields_checker, input_schema, inputs_checker
from engine.spec.model import fields_schema
from tests.processes.harness import SPECS
from tests.property.values import JSON_VALUES, valid

SCHEMAS: dict[str, tuple[dict[str, Any], Checker]] = {}
for _spec in SPECS.values():
    SCHEMAS[f"{_spec.id} start"] = input_schema(_spec.variables), inputs_checker(_spec.variables)
    for _form in _spec.forms:
        SCHEMAS[f"{_spec.id} form {_form.id}"] = fields_schema(_form.fields), fields_checker(_form.fields)
    for _event in _spec.events:
        SCHEMAS[f"{_spec.id} event {_event.id}"] = fields_schema(_event.data), fields_checker(_event.data)


@st.composite
def nearly_valid(draw: st.DrawFn, schema: dict[str, Any]) -> Any:
    value = draw(valid(schema))
    if isinstance(value, dict) and schema.get("properties"):
        value[draw(st.sampled_from(sorted(schema["properties"])))] = draw(JSON_VALUES)
    return value


def reference_verdict(schema: dict[str, Any], data: Any) -> bool:
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).is_valid(data)


def test_every_seed_schema_is_compiled() -> None:
    slow = [name for name, (_, checker) in SCHEMAS.items() if not checker.compiled]
    assert not slow
    assert len(SCHEMAS) > 50


@pytest.mark.parametrize("name", sorted(SCHEMAS))
@given(data=st.data())
def test_the_compiled_verdict_is_the_reference_verdict(name: str, data: st.DataObject) -> None:
    schema, checker = SCHEMAS[name]
    value = data.draw(st.one_of(valid(schema), nearly_valid(schema), JSON_VALUES), label="data")
    found = checker.problems(value)
    if not reference_verdict(schema, value):
        assert found
    elif not found:
        return
    else:  # only numbers JSON cannot hold may be refused beyond the reference
        assert all("JSON can hold" in problem for problem in found), found


@pytest.mark.parametrize(
    ("schema", "value", "ok"),
    [
        ({"enum": [1, 2]}, True, False),  # a boolean is not the number 1
        ({"const": 0}, False, False),
        ({"type": "integer"}, 1.0, True),  # 2020-12: a number with no fraction is an integer
        ({"type": "integer"}, True, False),
        ({"type": "string", "format": "date"}, "2026-02-30", False),
        ({"type": "string", "format": "date-time"}, "2026-11-23T10:00:00", False),  # no offset
        ({"type": "string", "format": "date-time"}, "2026-11-23T10:00:00+08:00", True),
        ({"type": "array", "items": {"type": "integer"}, "uniqueItems": True}, [1, 1.0], False),
    ],
)
def test_corners_where_drafts_and_languages_differ(schema: dict[str, Any], value: Any, ok: bool) -> None:
    checker = Checker(schema)
    assert checker.compiled
    assert (checker.problems(value) == []) is ok
    assert reference_verdict(schema, value) is ok


def test_a_schema_beyond_the_shared_keywords_is_checked_by_the_reference_alone() -> None:
    checker = Checker({"type": "array", "prefixItems": [{"type": "integer"}]})
    assert not checker.compiled
    assert checker.problems(["x"]) == ["0: 'x' is not of type 'integer'"]
    assert checker.problems([3, "x"]) == []

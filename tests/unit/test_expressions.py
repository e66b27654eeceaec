import time
from datetime import UTC, datetime, timedelta

import pytest

from engine.expressions import (
    ConditionError,
    Kind,
    VarType,
    check_condition,
    check_expression,
    parse_condition,
    parse_expression,
)
from engine.time.calendar import CalendarSpec, calendar_for

TYPES = {
    "level": VarType(frozenset({Kind.NUMBER}), (1, 2, 3)),
    "urgency": VarType(frozenset({Kind.STRING}), ("high", "medium", "low")),
    "score": VarType(frozenset({Kind.NUMBER})),
    "vip": VarType(frozenset({Kind.BOOLEAN})),
}


@pytest.mark.parametrize(
    ("text", "variables", "expected"),
    [
        ("level == 1", {"level": 1}, True),
        ("level == 1", {"level": 2}, False),
        ("level in [2, 3]", {"level": 3}, True),
        ("level not in [2, 3]", {"level": 3}, False),
        ("score < 4 or vip", {"score": 5, "vip": True}, True),
        ("score < 4 and not vip", {"score": 3, "vip": False}, True),
        ("not (urgency == 'high' or urgency == \"medium\")", {"urgency": "low"}, True),
        ("score >= 4", {}, False),  # unset variables make ordering false
        ("score < 4", {}, False),
        ("score == null", {}, True),
        ("score != null", {"score": 0}, True),
        ("level == 1 and urgency == 'high' or vip", {"level": 2, "vip": True}, True),
        ("score > 2.5", {"score": 3}, True),
    ],
)
def test_evaluate(text: str, variables: dict[str, object], expected: bool) -> None:
    condition = parse_condition(text)
    assert check_condition(condition, TYPES) == []
    assert condition(variables) is expected


@pytest.mark.parametrize(
    ("text", "message", "offset"),
    [
        ("", "the condition is empty", 0),
        ("level ==", "expected a value or a variable but found the end of the expression", 8),
        ("level = 1", "unexpected character '='; use '==' to compare", 6),
        ("(level == 1", "expected ')' but found the end of the expression", 11),
        ("level == 1 level", "unexpected 'level'", 11),
        ("[1, 2]", "a list can only follow 'in'", 0),
        ("level in [1 2]", "expected ',' or ']' but found '2'", 12),
        ("level in [score]", "list items must be literal values", 10),
    ],
)
def test_parse_errors(text: str, message: str, offset: int) -> None:
    with pytest.raises(ConditionError) as caught:
        parse_condition(text)
    assert (caught.value.message, caught.value.offset) == (message, offset)


@pytest.mark.parametrize(
    ("text", "messages"),
    [
        ("levl == 1", ["unknown variable 'levl' (did you mean 'level'?)"]),
        ("level == 'one'", ["compares number with string; it can never be true"]),
        ("urgency == 'urgent'", ["'urgent' is not a value of 'urgency' (one of 'high', 'medium', 'low')"]),
        (
            "urgency in ['high', 'urgent']",
            ["'urgent' is not a value of 'urgency' (one of 'high', 'medium', 'low')"],
        ),
        ("vip < true", ["cannot order boolean and boolean with '<'"]),
        ("level", ["'level' is not a boolean; compare it with a value"]),
        ("level in 'a'", ["'in' needs a list such as ['a', 'b']"]),
        ("1", ["1 is not a condition"]),
        (
            "nobody == 1 and level == 'x'",
            ["unknown variable 'nobody'", "compares number with string; it can never be true"],
        ),
    ],
)
def test_type_errors(text: str, messages: list[str]) -> None:
    assert [e.message for e in check_condition(parse_condition(text), TYPES)] == messages


def test_conditions_are_data_not_code() -> None:
    with pytest.raises(ConditionError):
        parse_condition("__import__('os').system('true')")
    assert parse_condition("level == 1").names() == frozenset({"level"})


INSTANTS = {
    "opened": VarType(frozenset({Kind.INSTANT})),
    "closed": VarType(frozenset({Kind.INSTANT, Kind.NULL})),
    "either": VarType(frozenset({Kind.OBJECT, Kind.NUMBER})),
    **TYPES,
}
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


class CalendarScope(dict[str, object]):
    """A scope with the calendar the working-time functions need."""

    calendar = calendar_for(CalendarSpec(timezone="UTC"))


@pytest.mark.parametrize(
    ("text", "scope", "expected"),
    [
        ("score * 2 + 1", {"score": 3}, 7),
        ("score - 1 - 1", {"score": 3}, 1),  # left to right
        ("-score + 10 / 4", {"score": 3}, -0.5),
        ("score / 0", {"score": 3}, None),  # no value, not an error
        ("score + 1", {}, None),  # an unset name makes arithmetic null
        ("minutes_between(opened, closed)", {"opened": MONDAY, "closed": MONDAY + timedelta(minutes=90)}, 90),
        ("minutes_between(opened, closed)", {"opened": MONDAY}, None),
        # 10:00 Monday to 09:30 Tuesday: 2h + 5h on Monday, half an hour on Tuesday
        (
            "working_minutes_between(opened, closed)",
            {"opened": MONDAY, "closed": MONDAY + timedelta(hours=23.5)},
            450,
        ),
    ],
)
def test_values(text: str, scope: dict[str, object], expected: object) -> None:
    expression = parse_expression(text)
    kinds, errors = check_expression(expression, INSTANTS)
    assert (kinds, errors) == (frozenset({Kind.NUMBER, Kind.NULL}), [])
    assert expression.value(CalendarScope(scope)) == expected


def test_instants_are_ordered_as_instants() -> None:
    later = parse_condition("closed > opened")
    assert check_condition(later, INSTANTS) == []
    assert later({"opened": MONDAY, "closed": MONDAY + timedelta(seconds=1)}) is True
    assert later({"opened": MONDAY}) is False  # unset: every ordering is false


@pytest.mark.parametrize(
    ("text", "messages"),
    [
        ("either < 3", ["cannot order number or object and number with '<'"]),
        ("opened < 3", ["cannot order instant and number with '<'"]),
        ("urgency + 1 > 2", ["arithmetic needs numbers, not string"]),
        ("minutes_between(score, opened) > 1", ["minutes_between needs instants, not number"]),
        ("minutes_between(opened) > 1", ["minutes_between takes 2 arguments (instant, instant)"]),
        ("score + 1", ["this is null or number, not a condition"]),
    ],
)
def test_what_cannot_be_computed_is_refused(text: str, messages: list[str]) -> None:
    assert [e.message for e in check_condition(parse_condition(text), INSTANTS)] == messages


@pytest.mark.parametrize(
    ("text", "message", "offset"),
    [
        ("(" * 41 + "vip" + ")" * 41, "the expression is nested too deeply: at most 40 levels", 40),
        ("not " * 1000 + "vip", "the expression is nested too deeply: at most 40 levels", 160),
        ("score < " + "9" * 5000, "the number is too long: at most 18 digits", 8),
        ("vip or " * 2000 + "vip", "the expression is too long: at most 10,000 characters", 10_000),
        ("score < １", "unexpected character '１'", 8),  # full-width digits are not numbers
        ("maximum(score)", "unknown function 'maximum' (known: minutes_between, working_minutes_between)", 0),
        ("minutes_betwen(a, b)", "unknown function 'minutes_betwen' (did you mean 'minutes_between'?)", 0),
    ],
)
def test_hostile_text_is_refused_where_a_bound_is_passed(text: str, message: str, offset: int) -> None:
    with pytest.raises(ConditionError) as caught:
        parse_condition(text)
    assert (caught.value.message, caught.value.offset) == (message, offset)


def test_a_long_chain_is_flat_and_parsed_in_linear_time() -> None:
    text = " + ".join(["score"] * 1200) + " > 1"
    started = time.perf_counter()
    condition = parse_condition(text)
    assert check_condition(condition, TYPES) == []
    assert condition({"score": 1}) is True
    assert condition == parse_condition(text)  # equality (a recursive walk) is shallow too
    assert time.perf_counter() - started < 2

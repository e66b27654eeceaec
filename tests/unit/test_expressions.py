import pytest

from engine.expressions import ConditionError, Kind, VarType, check_condition, parse_condition

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

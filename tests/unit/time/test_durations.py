import pytest

from engine.errors import TimeError
from engine.time.durations import Duration, Unit, parse_duration


@pytest.mark.parametrize(
    ("text", "amount", "unit"),
    [
        ("5m", 5, Unit.MINUTE),
        ("15 min", 15, Unit.MINUTE),
        ("2h", 2, Unit.HOUR),
        ("24 hours", 24, Unit.HOUR),
        ("1d", 1, Unit.DAY),
        ("2w", 2, Unit.WEEK),
        ("8 working hours", 8, Unit.WORKING_HOUR),
        ("1 working hour", 1, Unit.WORKING_HOUR),
        ("3 working days", 3, Unit.WORKING_DAY),
        ("30 working minutes", 30, Unit.WORKING_MINUTE),
        ("3 months", 3, Unit.MONTH),
        ("1 year", 1, Unit.YEAR),
        ("  4H ", 4, Unit.HOUR),
    ],
)
def test_parse(text: str, amount: int, unit: Unit) -> None:
    assert parse_duration(text) == Duration(amount, unit)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("5 minuets", "'5 minuets' is not a duration; write a whole number and a unit"),
        ("", "'' is not a duration"),
        ("h", "'h' is not a duration"),
        ("-5m", "'-5m' is not a duration"),
        ("1.5h", "'1.5h' is not a duration"),
        ("3 workday", "'3 workday' is not a duration"),
        ("100001m", "'100001m' is too long: at most 100,000 minutes"),
    ],
)
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(TimeError) as caught:
        parse_duration(text)
    assert str(caught.value).startswith(message)


def test_text_round_trips() -> None:
    for text in ("5m", "2h", "1d", "2w", "8 working hours", "1 working day", "3 months", "1 year"):
        assert str(parse_duration(text)) == text


def test_only_wall_durations_have_a_fixed_length() -> None:
    from datetime import timedelta

    assert parse_duration("2h").as_timedelta() == timedelta(hours=2)
    with pytest.raises(TimeError, match="no fixed length"):
        parse_duration("2 working hours").as_timedelta()

"""A calendar that knows what it does not know: China publishes its adjusted working days (调休) late
each year, and the installed holidays data holds 2027's holidays but none of its working weekends.
Deadlines in such a year are said to count weekends as days off, once, instead of silently."""

from datetime import date

import pytest

from engine.cli import main
from engine.time import calendar
from engine.time.calendar import CalendarSpec, calendar_for, pending_notices


@pytest.fixture(autouse=True)
def fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts as a new process would: no calendar asked yet, nobody told anything."""
    monkeypatch.setattr(calendar, "_NOTICES", {})
    calendar_for.cache_clear()


def test_a_year_without_the_working_weekends_a_country_uses_is_unknown() -> None:
    china = calendar_for(CalendarSpec(timezone="Asia/Shanghai", country="CN"))
    assert china.adjustments_known(2026) is True  # 20 September and 10 October are working days
    assert china.adjustments_known(2027) is False
    (message,) = pending_notices()
    assert message.startswith("the holidays data has no adjusted working days for CN in 2027")
    assert "working_days" in message and "pip install --upgrade holidays" in message
    china.adjustments_known(2027)
    assert pending_notices() == []  # said once


def test_company_overrides_or_a_country_without_them_make_a_year_known() -> None:
    published = CalendarSpec(
        timezone="Asia/Shanghai", country="CN", working_days=frozenset({date(2027, 2, 20)})
    )
    assert calendar_for(published).adjustments_known(2027) is True
    assert (
        calendar_for(CalendarSpec(timezone="America/New_York", country="US")).adjustments_known(2027) is True
    )
    assert calendar_for(CalendarSpec(timezone="UTC")).adjustments_known(2027) is True
    assert pending_notices() == []


def test_a_deadline_in_such_a_year_is_computed_and_the_gap_said(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "due",
                "2027-01-29T17:00:00+08:00",
                "1 working day",
                "--country",
                "CN",
                "--timezone",
                "Asia/Shanghai",
            ]
        )
        == 0
    )
    captured = capsys.readouterr()
    assert captured.out == "2027-02-01T18:00:00+08:00\n"  # Friday + 1 working day: Monday, weekend off
    assert captured.err.startswith(
        "sopflow: note: the holidays data has no adjusted working days for CN in 2027"
    )
    assert captured.err.count("note:") == 1

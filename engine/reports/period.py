"""Report periods as people write them: a month `2026-11`, an ISO week `2026-W48`, a day `2026-11-23`;
each is read in a calendar's timezone and becomes a half-open interval of instants."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from engine.errors import SopflowError
from engine.reports.metrics import Period


def parse_period(text: str, timezone: str) -> tuple[Period, str]:
    """The period and its label; SopflowError for text that is none of the three forms."""
    zone = ZoneInfo(timezone)
    try:
        if "-W" in text:
            year, week = text.split("-W")
            first = date.fromisocalendar(int(year), int(week), 1)
            start, end = first, first + timedelta(days=7)
        elif len(text) == 7:
            first = date.fromisoformat(f"{text}-01")
            start, end = first, first + relativedelta(months=1)
        else:
            start = date.fromisoformat(text)
            end = start + timedelta(days=1)
    except ValueError as error:
        raise SopflowError(f"'{text}' is not a period (2026-11, 2026-W48 or 2026-11-23): {error}") from error
    moments = [datetime(d.year, d.month, d.day, tzinfo=zone) for d in (start, end)]
    return Period(start=moments[0], end=moments[1], as_of=moments[1]), text


def period_containing(moment: datetime, kind: str, timezone: str) -> tuple[Period, str]:
    """The week or month (`kind`) around `moment`, as a report of that period would be labelled."""
    local = moment.astimezone(ZoneInfo(timezone)).date()
    if kind == "week":
        year, week, _ = local.isocalendar()
        return parse_period(f"{year}-W{week:02d}", timezone)
    if kind == "month":
        return parse_period(f"{local:%Y-%m}", timezone)
    return parse_period(local.isoformat(), timezone)

"""The seed processes' calendar, shared by the time tests: Asia/Shanghai, CN holidays and 调休."""

from datetime import datetime
from zoneinfo import ZoneInfo

from engine.time.calendar import BusinessCalendar, CalendarSpec, calendar_for

SHANGHAI = ZoneInfo("Asia/Shanghai")
CN: BusinessCalendar = calendar_for(CalendarSpec(timezone="Asia/Shanghai", country="CN"))


def at(text: str) -> datetime:
    """'2026-11-23 10:00' in Shanghai time."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)

"""sopflow: run standard operating procedures written as YAML process definitions.

The public API is small and imported lazily, so `import engine` costs almost nothing until a name
is used:

    from engine import load_process, VirtualClock
    spec = load_process("processes/my-process.yaml")
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.errors import DefinitionError, NaiveDatetimeError, Problem, SopflowError, TimeError
    from engine.loading.loader import LoadResult, check_process, load_process
    from engine.spec.model import ProcessSpec
    from engine.time.calendar import BusinessCalendar, CalendarSpec, calendar_for
    from engine.time.clock import Clock, SystemClock, VirtualClock
    from engine.time.durations import Duration, add, parse_duration
    from engine.time.recurrence import RecurrenceSpec, occurrences
    from engine.time.timers import Timer, TimerQueue

__all__ = [
    "BusinessCalendar",
    "CalendarSpec",
    "Clock",
    "DefinitionError",
    "Duration",
    "LoadResult",
    "NaiveDatetimeError",
    "Problem",
    "ProcessSpec",
    "RecurrenceSpec",
    "SopflowError",
    "SystemClock",
    "TimeError",
    "Timer",
    "TimerQueue",
    "VirtualClock",
    "add",
    "calendar_for",
    "check_process",
    "load_process",
    "occurrences",
    "parse_duration",
]

_HOMES = {
    "engine.errors": ("DefinitionError", "NaiveDatetimeError", "Problem", "SopflowError", "TimeError"),
    "engine.loading.loader": ("LoadResult", "check_process", "load_process"),
    "engine.spec.model": ("ProcessSpec",),
    "engine.time.calendar": ("BusinessCalendar", "CalendarSpec", "calendar_for"),
    "engine.time.clock": ("Clock", "SystemClock", "VirtualClock"),
    "engine.time.durations": ("Duration", "add", "parse_duration"),
    "engine.time.recurrence": ("RecurrenceSpec", "occurrences"),
    "engine.time.timers": ("Timer", "TimerQueue"),
}
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'engine' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value

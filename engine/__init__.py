"""sopflow: run standard operating procedures written as YAML process definitions.

The public API is small and imported lazily, so `import engine` costs almost nothing until a name
is used:

    from engine import Actor, Engine, VirtualClock, load_process
    engine = Engine(VirtualClock(start))
    engine.register(load_process("processes/my-process.yaml"))
    case = engine.start("my-process", {"urgency": "high"}, Actor.of("li", "clerk"))
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.errors import (
        CommandRefused,
        DefinitionError,
        NaiveDatetimeError,
        Problem,
        Reason,
        SopflowError,
        TimeError,
    )
    from engine.loading.loader import LoadResult, check_process, load_process
    from engine.persistence import SqlStore, StoreError, open_store, store_location
    from engine.runtime.engine import Engine, Outcome
    from engine.runtime.events import Actor, Event, EventType
    from engine.runtime.instance import Duty, Instance, Record
    from engine.runtime.store import ConflictError, MemoryStore, Store
    from engine.spec.model import ProcessSpec
    from engine.time.calendar import BusinessCalendar, CalendarSpec, calendar_for
    from engine.time.clock import Clock, SystemClock, VirtualClock
    from engine.time.durations import Duration, add, parse_duration
    from engine.time.recurrence import RecurrenceSpec, occurrences
    from engine.time.timers import TimerQueue

__all__ = [
    "Actor",
    "BusinessCalendar",
    "CalendarSpec",
    "Clock",
    "CommandRefused",
    "ConflictError",
    "DefinitionError",
    "Duration",
    "Duty",
    "Engine",
    "Event",
    "EventType",
    "Instance",
    "LoadResult",
    "MemoryStore",
    "NaiveDatetimeError",
    "Outcome",
    "Problem",
    "ProcessSpec",
    "Reason",
    "Record",
    "RecurrenceSpec",
    "SopflowError",
    "SqlStore",
    "Store",
    "StoreError",
    "SystemClock",
    "TimeError",
    "TimerQueue",
    "VirtualClock",
    "add",
    "calendar_for",
    "check_process",
    "load_process",
    "occurrences",
    "open_store",
    "parse_duration",
    "store_location",
]

_HOMES = {
    "engine.errors": (
        "CommandRefused",
        "DefinitionError",
        "NaiveDatetimeError",
        "Problem",
        "Reason",
        "SopflowError",
        "TimeError",
    ),
    "engine.loading.loader": ("LoadResult", "check_process", "load_process"),
    "engine.persistence": ("SqlStore", "StoreError", "open_store", "store_location"),
    "engine.runtime.engine": ("Engine", "Outcome"),
    "engine.runtime.events": ("Actor", "Event", "EventType"),
    "engine.runtime.instance": ("Duty", "Instance", "Record"),
    "engine.runtime.store": ("ConflictError", "MemoryStore", "Store"),
    "engine.spec.model": ("ProcessSpec",),
    "engine.time.calendar": ("BusinessCalendar", "CalendarSpec", "calendar_for"),
    "engine.time.clock": ("Clock", "SystemClock", "VirtualClock"),
    "engine.time.durations": ("Duration", "add", "parse_duration"),
    "engine.time.recurrence": ("RecurrenceSpec", "occurrences"),
    "engine.time.timers": ("TimerQueue",),
}
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> Any:
    if name == "__version__":
        globals()[name] = value = _installed_version()
        return value
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'engine' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def _installed_version() -> str:
    """The version of the installed distribution: pyproject.toml is its one source, read from the
    package's metadata (a source tree that is not installed has none)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sopflow")
    except PackageNotFoundError:
        return "0+unknown"

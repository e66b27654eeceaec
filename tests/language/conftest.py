"""End-to-end tests of the language's features, each on a small process written for it, driven on a
virtual clock in the process's own timezone. Instants are written as local wall times."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from engine.errors import DefinitionError
from engine.loading.loader import check_process
from engine.runtime.engine import Engine, Outcome
from engine.runtime.events import Actor, Event, EventType
from engine.runtime.instance import Instance
from engine.spec.model import ProcessSpec
from engine.time.clock import VirtualClock


def load(text: str, name: str = "inline.yaml") -> ProcessSpec:
    result = check_process(name, raw=text.encode("utf-8"))
    if result.spec is None:
        raise DefinitionError(result.problems)
    return result.spec


def problems(text: str, name: str = "inline.yaml") -> list[str]:
    """The located problems of a broken definition, as `line:column: message [path]`."""
    result = check_process(name, raw=text.encode("utf-8"))
    assert result.spec is None
    return [f"{p.line}:{p.column}: {p.message} [{p.json_path}]" for p in result.problems]


class Drive:
    """One engine running one definition, on a virtual clock in the definition's timezone."""

    def __init__(self, spec: ProcessSpec, start: str) -> None:
        self.spec = spec
        self.tz = ZoneInfo(spec.calendar.timezone)
        self.clock = VirtualClock(self.at(start))
        self.engine = Engine(self.clock)
        self.engine.register(spec)

    def at(self, local: str) -> datetime:
        return datetime.fromisoformat(local).replace(tzinfo=self.tz)

    def local(self, moment: datetime | None) -> str:
        return "never" if moment is None else moment.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")

    def to(self, local: str, *, inclusive: bool = True) -> None:
        self.engine.advance_to(self.at(local), inclusive=inclusive)

    def start(self, data: dict[str, Any], actor: Actor) -> Instance:
        return self.engine.instance(self.engine.start(self.spec.id, data, actor).instance)

    def now(self, instance: Instance) -> Instance:
        return self.engine.instance(instance.id)

    def fire(self, instance: Instance, trigger: str, actor: Actor) -> Outcome:
        return self.engine.fire(instance.id, trigger, actor)

    def submit(self, instance: Instance, form: str, data: dict[str, Any], actor: Actor) -> Outcome:
        return self.engine.submit(instance.id, form, data, actor)

    def sign(self, instance: Instance, form: str, actor: Actor, role: str = "") -> Outcome:
        return self.engine.sign(instance.id, form, actor, role=role)

    def happen(
        self, instance: Instance, event: str, actor: Actor, data: dict[str, Any] | None = None
    ) -> Outcome:
        return self.engine.raise_event(instance.id, event, data, actor)

    def events(self, instance: Instance, *types: EventType) -> list[Event]:
        return [e for e in self.now(instance).journal if e.type in types]

    def duty(self, instance: Instance, key: str) -> dict[str, str]:
        """A duty occurrence as local text: opened, due, outcome."""
        found = self.now(instance).duties[key]
        return {"opened": self.local(found.opened_at), "due": self.local(found.due), "outcome": found.outcome}


@pytest.fixture
def drive() -> Iterator[Callable[[ProcessSpec, str], Drive]]:
    """Make drives; afterwards every instance must be the fold of its stored journal."""
    made: list[Drive] = []

    def make(spec: ProcessSpec, start: str) -> Drive:
        made.append(Drive(spec, start))
        return made[-1]

    yield make
    for drive in made:
        for instance in drive.engine.instances():
            assert Instance.replay(drive.engine.store.load(instance.id)).snapshot() == instance.snapshot()

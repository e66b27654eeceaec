"""Driving real process definitions on a virtual clock, in Shanghai local time, for the end-to-end
tests. Every `Run` made through the `run` fixture is checked after its test: each instance rebuilt
from its journal alone must equal the live one."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from engine.loading.loader import load_process
from engine.runtime.engine import Engine, Outcome
from engine.runtime.events import Actor, Event, EventType
from engine.runtime.instance import Duty, Instance
from engine.time.clock import VirtualClock
from tests.conftest import SHIPPED_PROCESSES
from tests.unit.time.cn import SHANGHAI, at

PROCESSES = Path(__file__).parents[2] / "processes"
SPECS = {path.stem: load_process(path) for path in SHIPPED_PROCESSES}

REP = Actor.of("li.lei", "sales_rep")
SUPERVISOR = Actor.of("wang.fang", "sales_supervisor")
EXPERT = Actor.of("zhao.gang", "technical_expert")
AFTER_SALES = Actor.of("sun.li", "after_sales_lead")
CUSTOMER = Actor.of("acme.chen", "customer")
CS = Actor.of("zhou.min", "cs_specialist")
MANAGER = Actor.of("qian.wei", "sales_manager")
OPERATIONS = Actor.of("ops.desk", "execution_dept")


def local(moment: datetime | None) -> str:
    """An instant as Shanghai wall time, `2026-11-23 10:05`, the way the tests spell instants."""
    assert moment is not None
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


class Run:
    def __init__(self, start: str) -> None:
        self.clock = VirtualClock(at(start))
        self.engine = Engine(self.clock)
        for spec in SPECS.values():
            if spec.schedule is None:
                self.engine.register(spec)
        self.log: list[Event] = []
        self.engine.subscribe(self.log.append)

    def to(self, moment: str) -> None:
        """Advance the clock to a Shanghai wall time, firing every timer on the way."""
        self.engine.advance_to(at(moment))

    def start(self, process: str, data: dict[str, Any], actor: Actor) -> Instance:
        return self.engine.instance(self.engine.start(process, data, actor).instance)

    def fire(self, instance: Instance, trigger: str, actor: Actor) -> Outcome:
        return self.engine.fire(instance.id, trigger, actor)

    def submit(self, instance: Instance, form: str, data: dict[str, Any], actor: Actor) -> Outcome:
        return self.engine.submit(instance.id, form, data, actor)

    def sign(self, instance: Instance, form: str, actor: Actor) -> Outcome:
        return self.engine.sign(instance.id, form, actor)

    def happen(
        self, instance: Instance, event: str, actor: Actor, data: dict[str, Any] | None = None
    ) -> Outcome:
        return self.engine.raise_event(instance.id, event, data, actor)

    def now(self, instance: Instance) -> Instance:
        """The live state of an instance (a refused command replaces it with its rebuilt self)."""
        return self.engine.instance(instance.id)


def duty(instance: Instance, key: str) -> Duty:
    return instance.duties[key]


def due(instance: Instance, key: str) -> str:
    return local(instance.duties[key].due)


def open_keys(instance: Instance) -> list[str]:
    return [d.key for d in instance.open_duties()]


def of_type(instance: Instance, event_type: EventType) -> list[Event]:
    return [e for e in instance.journal if e.type is event_type]


def stages_entered(instance: Instance) -> list[str]:
    return [e.data["stage"] for e in of_type(instance, EventType.STAGE_ENTERED)]


def breaches(instance: Instance) -> list[tuple[str, str]]:
    """(duty key, instant it was breached) in the order they happened."""
    return [(e.data["key"], local(e.at)) for e in of_type(instance, EventType.DUTY_BREACHED)]

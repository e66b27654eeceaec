"""Running a scenario on a virtual clock and checking its expectations.

The runner owns no semantics of its own: it turns each step into an engine command at the step's
instant (the clock is advanced first, so every deadline on the way fires at its own instant), and
compares what the scenario expects with what the instances say. A command refused unexpectedly, or
accepted when the scenario expected a refusal, is a failed expectation like any other.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.errors import CommandRefused
from engine.reports.metrics import Period, compute
from engine.runtime.engine import Engine, Outcome
from engine.runtime.events import ENGINE, Actor, Event, EventType
from engine.runtime.instance import Instance
from engine.runtime.store import Store
from engine.simulation.scenario import ScenarioSpec, StepSpec
from engine.time.calendar import zone
from engine.time.clock import VirtualClock

Progress = Callable[[int, int], None]

FREEZE_EVERY = 100
"""Steps between two moves of the history made so far out of the cycle collector's sight."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Check:
    step: StepSpec
    case: str
    what: str
    expected: Any
    actual: Any
    detail: str = ""

    @property
    def ok(self) -> bool:
        return _same(self.expected, self.actual)


@dataclass(slots=True, kw_only=True)
class Simulation:
    scenario: ScenarioSpec
    engine: Engine
    cases: dict[str, str] = field(default_factory=dict)
    """Case name → instance id."""
    events: list[Event] = field(default_factory=list)
    """Every event of every instance, in the order it happened."""
    checks: list[Check] = field(default_factory=list)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    def case_name(self, instance_id: str) -> str:
        return next((name for name, known in self.cases.items() if known == instance_id), instance_id)

    def local(self, moment: datetime | None) -> str:
        """An instant as the scenario's local wall time, the way expectations spell instants; with
        its offset where that wall time happens twice (the hour the clocks go back)."""
        if moment is None:
            return "never"
        local = moment.astimezone(zone(self.scenario.timezone))
        text = local.strftime("%Y-%m-%d %H:%M")
        twice = local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()
        return f"{text} {local.strftime('%z')[:3]}:{local.strftime('%z')[3:]}" if twice else text


def simulate(
    scenario: ScenarioSpec, progress: Progress | None = None, store: Store | None = None
) -> Simulation:
    """Run `scenario` with its journals in `store` (in memory if none)."""
    engine = Engine(VirtualClock(scenario.start), store)
    for spec in scenario.specs.values():
        engine.register(spec)
    simulation = Simulation(scenario=scenario, engine=engine)
    engine.subscribe(simulation.events.append)
    with _history_frozen() as freeze:
        for number, step in enumerate(scenario.steps, 1):
            engine.advance_to(step.at, inclusive=False)  # a step at t comes before t's timers
            if step.action:
                _perform(simulation, step)
            elif step.scheduled:
                _name_scheduled(simulation, step)
            if step.expect and step.case in simulation.cases:
                instance = engine.instance(simulation.cases[step.case])
                simulation.checks.extend(_expectations(simulation, step, instance))
            if progress is not None:
                progress(number, len(scenario.steps))
            if number % FREEZE_EVERY == 0:
                freeze()
        engine.advance_to(scenario.until)
    return simulation


@contextmanager
def _history_frozen() -> Iterator[Callable[[], None]]:
    """A simulation keeps every journal in memory until it ends, and each full run of the cycle
    collector would traverse that whole growing history again: a third of a year of 10,000
    instances. `gc.freeze` tells the collector the history so far is long-lived (garbage cycles
    younger than a freeze are still collected); it is handed back to the collector at the end.
    A caller that freezes objects itself keeps its own arrangement untouched."""
    if gc.get_freeze_count():
        yield lambda: None
        return
    try:
        yield gc.freeze
    finally:
        gc.unfreeze()


def _perform(simulation: Simulation, step: StepSpec) -> None:
    engine = simulation.engine
    actor = Actor(id=step.actor, roles=simulation.scenario.actors[step.actor])
    expected = f"refused: {step.refused}" if step.refused else "done"
    try:
        outcome = _command(engine, simulation.cases.get(step.case, ""), step, actor)
    except CommandRefused as refusal:
        actual, detail = f"refused: {refusal.reason.value}", str(refusal)
    else:
        actual, detail = "done", ""
        if step.action == "start":
            simulation.cases[step.case] = outcome.instance
        if step.child:
            started = [e.instance for e in outcome.events if e.type is EventType.INSTANCE_STARTED]
            simulation.cases[step.child] = started[0]
    if step.refused or actual != "done":
        what = f"{step.action} {step.name}"
        simulation.checks.append(
            Check(step=step, case=step.case, what=what, expected=expected, actual=actual, detail=detail)
        )


def _name_scheduled(simulation: Simulation, step: StepSpec) -> None:
    """Name the instance of `step.scheduled` the engine started by itself most recently, once the
    timers of the step's instant have fired (a start at that instant included)."""
    simulation.engine.run_due()
    started = [
        i
        for i in simulation.engine.instances(process=step.scheduled)
        if i.journal[0].actor == ENGINE.id and i.started_at is not None and i.started_at <= step.at
    ]
    if started:
        simulation.cases[step.case] = max(started, key=lambda i: (i.started_at, i.id)).id
        return
    simulation.checks.append(
        Check(
            step=step,
            case=step.case,
            what=f"scheduled {step.scheduled}",
            expected="an instance it started by itself",
            actual="none yet",
        )
    )


def _command(engine: Engine, instance: str, step: StepSpec, actor: Actor) -> Outcome:
    data = dict(step.data)
    if step.action == "start":
        return engine.start(step.name, data, actor)
    if step.action == "fire":
        return engine.fire(instance, step.name, actor)
    if step.action == "submit":
        return engine.submit(instance, step.name, data, actor)
    if step.action == "sign":
        return engine.sign(instance, step.name, actor, role=step.role)
    return engine.raise_event(instance, step.name, data, actor)


def _expectations(simulation: Simulation, step: StepSpec, instance: Instance) -> list[Check]:
    expect = step.expect or {}
    found: list[tuple[str, Any, Any]] = []
    if "stage" in expect:
        found.append(("stage", expect["stage"], instance.stage))
    if "finished" in expect:
        found.append(("finished", expect["finished"], instance.finished))
    for name, value in expect.get("variables", {}).items():
        found.append((f"variables.{name}", value, instance.variables.get(name)))
    for form, fields in expect.get("records", {}).items():
        found.extend(_record_checks(instance, form, fields))
    for key, wanted in expect.get("duties", {}).items():
        found.extend(_duty_checks(simulation, instance, key, wanted))
    if "open_duties" in expect:
        found.append(
            ("open_duties", sorted(expect["open_duties"]), sorted(d.key for d in instance.open_duties()))
        )
    if "breaches" in expect:
        breached = [e.data["key"] for e in instance.journal if e.type is EventType.DUTY_BREACHED]
        found.append(("breaches", list(expect["breaches"]), breached))
    if "escalations" in expect:
        escalated = {
            e.data["key"]: e.data["role"] for e in instance.journal if e.type is EventType.DUTY_ESCALATED
        }
        found.append(("escalations", dict(expect["escalations"]), escalated))
    if "metrics" in expect:
        spec = simulation.engine.definition_of(instance)
        as_of = Period(as_of=step.at)
        figures = {f.metric.id: f.value for f in compute(spec, simulation.engine.instances(), as_of)}
        found.extend(
            (f"metrics.{name}", value, figures.get(name)) for name, value in expect["metrics"].items()
        )
    return [Check(step=step, case=step.case, what=w, expected=e, actual=a) for w, e, a in found]


def _record_checks(instance: Instance, form: str, fields: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    latest = instance.latest(form)
    if latest is None:
        return [(f"records.{form}", dict(fields), "no record")]
    special = {"version": latest.version, "signed": latest.complete}
    return [
        (f"records.{form}.{name}", value, special[name] if name in special else latest.data.get(name))
        for name, value in fields.items()
    ]


def _duty_checks(
    simulation: Simulation, instance: Instance, key: str, wanted: Mapping[str, Any]
) -> list[tuple[str, Any, Any]]:
    duty = instance.duties.get(key)
    if duty is None:
        return [(f"duties.{key}", dict(wanted), "no such duty")]
    actual = {
        "status": duty.outcome,
        "due": simulation.local(duty.due),
        "opened": simulation.local(duty.opened_at),
    }
    tz = zone(simulation.scenario.timezone)
    return [
        (f"duties.{key}.{name}", _local_text(value, tz) if name != "status" else value, actual[name])
        for name, value in wanted.items()
    ]


def _local_text(text: str, tz: Any) -> str:
    moment = datetime.fromisoformat(text)
    return (moment.astimezone(tz) if moment.tzinfo else moment).strftime("%Y-%m-%d %H:%M")


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, float) or isinstance(actual, float):
        return (
            isinstance(actual, int | float)
            and isinstance(expected, int | float)
            and math.isclose(expected, actual)
        )
    if isinstance(actual, list) and isinstance(expected, list):
        return len(actual) == len(expected) and all(
            _same(e, a) for e, a in zip(expected, actual, strict=True)
        )
    if isinstance(actual, tuple):
        return _same(expected, list(actual))
    if isinstance(actual, dict) and isinstance(expected, dict):
        expected = {str(k): v for k, v in expected.items()}  # YAML keys may be numbers
        return actual.keys() == expected.keys() and all(_same(expected[k], actual[k]) for k in actual)
    return bool(expected == actual)

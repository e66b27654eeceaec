"""Running a scenario on a virtual clock and checking its expectations.

The runner owns no semantics of its own: it turns each step into an engine command at the step's
instant (the clock is advanced first, so every deadline on the way fires at its own instant), and
compares what the scenario expects with what the instances say. A command refused unexpectedly, or
accepted when the scenario expected a refusal, is a failed expectation like any other.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from engine.errors import CommandRefused
from engine.runtime.engine import Engine, Outcome
from engine.runtime.events import ENGINE, Actor, Event, EventType
from engine.runtime.store import Store
from engine.simulation.expectations import Check, compare
from engine.simulation.scenario import ANY_REASON, ScenarioSpec, StepSpec
from engine.time.calendar import wall_text
from engine.time.clock import VirtualClock

Progress = Callable[[int, int], None]

FREEZE_EVERY = 100
"""Steps between two moves of the history made so far out of the cycle collector's sight."""


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
        """An instant as the scenario's local wall time, the way expectations spell instants."""
        return wall_text(moment, self.scenario.timezone)


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
                simulation.checks.extend(compare(engine, scenario.timezone, step, instance))
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
        reason = "any reason" if step.refused == ANY_REASON else refusal.reason.value
        actual, detail = f"refused: {reason}", str(refusal)
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

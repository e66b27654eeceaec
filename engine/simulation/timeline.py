"""What a simulation looks like to a person: one line per happening, a summary per case, and every
failed expectation as expected vs actual; and the same as JSON for machines."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from engine.runtime.events import Event, EventType, instant
from engine.runtime.instance import Instance
from engine.simulation.runner import Check, Simulation
from engine.spec.model import ProcessSpec

QUIET = {EventType.DUTY_SCHEDULED}
"""Bookkeeping the reader does not need: the next occurrence shows when it opens."""


def lines(simulation: Simulation) -> list[str]:
    """The timeline, one line per event, in the order things happened."""
    rows = []
    for event in simulation.events:
        if event.type in QUIET:
            continue
        spec = simulation.engine.definition_of(simulation.engine.instance(event.instance))
        text = describe(event, spec, simulation)
        case = simulation.case_name(event.instance)
        rows.append(f"{simulation.local(event.at)}  {case:<14} {event.actor:<12} {text}")
    return rows


def describe(event: Event, spec: ProcessSpec, simulation: Simulation) -> str:
    return _DESCRIBE[event.type](event.data, spec, simulation)


def duty_title(spec: ProcessSpec, key: str) -> str:
    return spec.duty(key.split("#", 1)[0]).title


def _satisfied(data: Any, spec: ProcessSpec, simulation: Simulation) -> str:
    return f"✓ done {data['key']} {duty_title(spec, data['key'])} ({data['by']})"


def _opened(data: Any, spec: ProcessSpec, simulation: Simulation) -> str:
    due = simulation.local(instant(data["due"]))
    return f"• duty {data['key']} {duty_title(spec, data['key'])} — {data['role']} by {due}"


def _entered(data: Any, spec: ProcessSpec, simulation: Simulation) -> str:
    via = f" on {data['trigger']}" if data["trigger"] else ""
    fallback = " (past the loop bound: fallback route)" if data["fallback"] else ""
    return f"→ stage {spec.stage(data['stage']).title} ({data['stage']}){via}{fallback}"


def _record(data: Any, spec: ProcessSpec, simulation: Simulation) -> str:
    pending = "" if data["complete"] else ", awaiting signatures"
    return f"record 《{spec.form(data['form']).title}》 version {data['version']}{pending}"


def _signed(data: Any, spec: ProcessSpec, simulation: Simulation) -> str:
    complete = " — fully signed" if data["complete"] else ""
    return f"signed 《{spec.form(data['form']).title}》 version {data['version']} as {data['role']}{complete}"


_DESCRIBE: dict[EventType, Callable[[Any, ProcessSpec, Simulation], str]] = {
    EventType.INSTANCE_STARTED: lambda d, s, _: f"started {s.title} ({d['process']} v{d['version']})",
    EventType.STAGE_ENTERED: _entered,
    EventType.VARIABLES_SET: lambda d, s, _: "set " + ", ".join(f"{k}={v}" for k, v in d["values"].items()),
    EventType.RECORD_SUBMITTED: _record,
    EventType.RECORD_SIGNED: _signed,
    EventType.EVENT_RAISED: lambda d, s, _: f"event {s.event(d['event']).title} ({d['event']})",
    EventType.DUTY_SCHEDULED: lambda d, s, _: f"next {d['duty']} at {d['next_at']}",
    EventType.DUTY_OPENED: _opened,
    EventType.DUTY_WARNED: lambda d, s, sim: f"⚠ due soon {d['key']} (by {sim.local(instant(d['due']))})",
    EventType.DUTY_SATISFIED: _satisfied,
    EventType.DUTY_BREACHED: lambda d, s, _: f"✗ BREACHED {d['key']} {duty_title(s, d['key'])}",
    EventType.DUTY_DUE_CHANGED: lambda d, s, sim: f"↻ {d['key']} now due by {sim.local(instant(d['due']))}",
    EventType.DUTY_PAUSED: lambda d, s, _: f"⏸ clock stopped for {d['key']}",
    EventType.DUTY_RESUMED: lambda d, s, sim: (
        f"▶ clock runs again for {d['key']} after {_span(timedelta(seconds=d['stopped']))}, "
        f"due by {sim.local(instant(d['due']))}"
    ),
    EventType.DUTY_ESCALATED: lambda d, s, _: f"↑ escalated {d['key']} to {d['role']}",
    EventType.DUTY_CANCELLED: lambda d, s, _: f"– cancelled {d['key']} ({d['reason']})",
    EventType.NOTIFIED: lambda d, s, _: f"✉ notified {', '.join(d['roles'])} ({d['reason']})",
    EventType.CHILD_STARTED: lambda d, s, sim: f"started child {sim.case_name(d['child'])} ({d['process']})",
    EventType.CHILD_COMPLETED: lambda d, s, sim: f"child {sim.case_name(d['child'])} completed",
    EventType.INSTANCE_COMPLETED: lambda d, s, _: f"■ completed in {d['stage']}",
    EventType.COMMAND_REFUSED: lambda d, s, _: f"⛔ refused {d['command']}: {d['message']}",
}


def summary(simulation: Simulation) -> list[str]:
    rows = []
    for name, instance_id in simulation.cases.items():
        instance = simulation.engine.instance(instance_id)
        outcomes = Counter(d.outcome for d in instance.duties.values())
        state = "finished" if instance.finished else "running"
        counts = ", ".join(f"{outcomes[o]} {o}" for o in ("met", "late", "breached", "open", "cancelled"))
        rows.append(f"{name}: {instance.process} in {instance.stage} ({state}); duties: {counts}")
        for duty in sorted(instance.breaches(), key=lambda d: d.due):
            rows.append(f"  ✗ {duty.key} due {simulation.local(duty.due)}: {_fate(duty, simulation)}")
    return rows


def _fate(duty: Any, simulation: Simulation) -> str:
    if duty.satisfied_at is not None:
        return f"done {_span(duty.satisfied_at - duty.due)} late"
    return "never done" if duty.outcome != "breached" else "still open"


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [
        f"{days}d" if days else "",
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes or not (days or hours) else "",
    ]
    return " ".join(p for p in parts if p)


def failure_lines(simulation: Simulation) -> list[str]:
    return [_failure(simulation, check) for check in simulation.failures]


def _failure(simulation: Simulation, check: Check) -> str:
    step = check.step
    where = f"{simulation.scenario.path}:{step.line}: step {step.index + 1} at {simulation.local(step.at)}"
    detail = f"\n    {check.detail}" if check.detail else ""
    return f"{where} [{check.case}] {check.what}: expected {check.expected!r}, got {check.actual!r}{detail}"


def as_json(simulation: Simulation) -> dict[str, Any]:
    scenario = simulation.scenario
    return {
        "scenario": scenario.path,
        "title": scenario.title,
        "rules": list(scenario.rules),
        "ok": not simulation.failures,
        "cases": {
            name: _case_json(simulation, simulation.engine.instance(i))
            for name, i in simulation.cases.items()
        },
        "timeline": [
            e.as_dict() | {"case": simulation.case_name(e.instance)}
            for e in simulation.events
            if e.type not in QUIET
        ],
        "checks": [
            {
                "step": c.step.index + 1,
                "line": c.step.line,
                "at": simulation.local(c.step.at),
                "case": c.case,
                "what": c.what,
                "expected": c.expected,
                "actual": c.actual,
                "ok": c.ok,
                "detail": c.detail,
            }
            for c in simulation.checks
        ],
    }


def _case_json(simulation: Simulation, instance: Instance) -> dict[str, Any]:
    return {
        "instance": instance.id,
        "process": instance.process,
        "version": instance.version,
        "stage": instance.stage,
        "finished": instance.finished,
        "variables": instance.variables,
        "duties": [
            {
                "key": d.key,
                "role": d.role,
                "opened": simulation.local(d.opened_at),
                "due": simulation.local(d.due),
                "outcome": d.outcome,
                "done": simulation.local(d.satisfied_at) if d.satisfied_at else None,
            }
            for d in instance.duties.values()
        ],
        "records": {
            form: [{"version": r.version, "data": r.data, "signed": r.complete} for r in versions]
            for form, versions in instance.records.items()
        },
    }

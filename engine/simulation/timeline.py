"""What a simulation looks like to a person: one line per happening, a summary per case and for
the scenario, and every failed expectation as expected vs actual, in the process's language; and
the same as JSON for machines (every instant with its local offset).

The summary counts each duty occurrence once, by what became of it (`Duty.outcome`): met on time,
done late, never done after its deadline (still open or ended unmet), open and not yet due, and
cancelled before it was due. So the breaches a timeline shows are the late and never-done counts.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from engine.locale import Words, words
from engine.render.words import title_of
from engine.reports.happenings import describe
from engine.runtime.events import ISO_UTC, EventType, instant
from engine.runtime.instance import Duty
from engine.simulation.expectations import Check
from engine.simulation.runner import Simulation
from engine.time.calendar import zone

QUIET = {EventType.DUTY_SCHEDULED}
"""Bookkeeping the reader does not need: the next occurrence shows when it opens."""

OUTCOMES = ("met", "late", "breached", "missed", "open", "cancelled")


def language(simulation: Simulation, override: str | None = None) -> Words:
    """The words of the scenario's process (its `locale`), unless another language is asked for."""
    scenario = simulation.scenario
    return words(override or scenario.specs[scenario.process].locale)


def lines(simulation: Simulation, w: Words | None = None) -> list[str]:
    """The timeline, one line per event, in the order things happened (in the process's
    language unless `w` gives another)."""
    w = w or language(simulation)
    rows = []
    for event in simulation.events:
        if event.type in QUIET:
            continue
        instance = simulation.engine.instance(event.instance)
        spec = simulation.engine.definition_of(instance)
        text = describe(event, instance, spec, w, simulation.local, simulation.case_name)
        case = simulation.case_name(event.instance)
        rows.append(f"{simulation.local(event.at)}  {case:<14} {event.actor:<12} {text}")
    return rows


def summary(simulation: Simulation, w: Words | None = None) -> list[str]:
    """Per case its stage and its duty occurrences counted by outcome, each breach with its fate;
    then the scenario's totals when it has more than one case."""
    w = w or language(simulation)
    rows = []
    total: Counter[str] = Counter()
    for name, instance_id in simulation.cases.items():
        instance = simulation.engine.instance(instance_id)
        spec = simulation.engine.definition_of(instance)
        outcomes = Counter(d.outcome for d in instance.duties.values())
        total += outcomes
        stage = title_of(spec.stage(instance.stage), w) if instance.stage else ""
        state = w.t("finished") if instance.finished else w.t("running")
        rows.append(
            w.t(
                "{case}: {process}, stage {stage} ({state}); duties: {counts}",
                case=name,
                process=title_of(spec, w),
                stage=stage,
                state=state,
                counts=_counts(w, outcomes),
            )
        )
        for duty in sorted(instance.breaches(), key=lambda d: d.due):
            due, fate = simulation.local(duty.due), _fate(w, duty, simulation)
            rows.append("  ✗ " + w.t("{key} due {due}: {fate}", key=duty.key, due=due, fate=fate))
    if len(simulation.cases) > 1:
        rows.append(w.t("all {n} cases: {counts}", n=len(simulation.cases), counts=_counts(w, total)))
    return rows


def _counts(w: Words, outcomes: Counter[str]) -> str:
    """Disjoint counts; the two kinds of breach still open or never done read as one."""
    never = outcomes["breached"] + outcomes["missed"]
    parts = [
        w.t("{n} met on time", n=outcomes["met"]),
        w.t("{n} done late", n=outcomes["late"]),
        w.t("{n} never done after the deadline", n=never),
        w.t("{n} open", n=outcomes["open"]),
        w.t("{n} cancelled before due", n=outcomes["cancelled"]),
    ]
    return ", ".join(parts) if w.spaced else "，".join(parts)


def _fate(w: Words, duty: Duty, simulation: Simulation) -> str:
    if duty.satisfied_at is not None:
        return w.t("done {late} late", late=w.span(duty.satisfied_at - duty.due))
    if duty.cancelled_at is not None:
        return w.t("never done (ended {at})", at=simulation.local(duty.cancelled_at))
    return w.t("still open")


def failure_lines(simulation: Simulation, w: Words | None = None) -> list[str]:
    """Each failed expectation, where it is and what was expected against what happened."""
    w = w or language(simulation)
    return [_failure(simulation, check, w) for check in simulation.failures]


def _failure(simulation: Simulation, check: Check, w: Words) -> str:
    step = check.step
    where = w.t(
        "{path}:{line}: step {step} at {at}",
        path=simulation.scenario.path,
        line=step.line,
        step=step.index + 1,
        at=simulation.local(step.at),
    )
    detail = f"\n    {check.detail}" if check.detail else ""
    return (
        w.t(
            "{where} [{case}] {what}: expected {expected!r}, got {actual!r}",
            where=where,
            case=check.case,
            what=check.what,
            expected=check.expected,
            actual=check.actual,
        )
        + detail
    )


def as_json(simulation: Simulation) -> dict[str, Any]:
    """A scenario's run for machines: every instant in the scenario's zone, with its offset."""
    scenario = simulation.scenario
    local = _Localiser(scenario.timezone)
    return {
        "scenario": scenario.path,
        "title": scenario.title,
        "rules": list(scenario.rules),
        "ok": not simulation.failures,
        "cases": {name: _case_json(simulation, local, i) for name, i in simulation.cases.items()},
        "timeline": [
            local.tree(e.as_dict()) | {"case": simulation.case_name(e.instance)}
            for e in simulation.events
            if e.type not in QUIET
        ],
        "checks": [
            {
                "step": c.step.index + 1,
                "line": c.step.line,
                "at": local.moment(c.step.at),
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


class _Localiser:
    """Instants as ISO 8601 text in one zone: the one convention of every JSON output."""

    def __init__(self, timezone: str) -> None:
        self.zone = zone(timezone)

    def moment(self, moment: datetime | None) -> str | None:
        return moment.astimezone(self.zone).isoformat() if moment is not None else None

    def tree(self, value: Any) -> Any:
        """`value` with every instant in the engine's UTC form moved to the zone (data is bounded
        in depth when it is read, so the walk is too)."""
        if isinstance(value, str):
            return self.moment(instant(value)) if ISO_UTC.match(value) else value
        if isinstance(value, dict):
            return {k: self.tree(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.tree(v) for v in value]
        return value


def _case_json(simulation: Simulation, local: _Localiser, instance_id: str) -> dict[str, Any]:
    instance = simulation.engine.instance(instance_id)
    spec = simulation.engine.definition_of(instance)
    return {
        "instance": instance.id,
        "process": instance.process,
        "version": instance.version,
        "stage": instance.stage,
        "finished": instance.finished,
        "variables": local.tree(instance.variables),
        "duties": [
            {
                "key": d.key,
                "role": d.role,
                "opened": local.moment(d.opened_at),
                "due": local.moment(d.due),
                "outcome": d.outcome,
                "done": local.moment(d.satisfied_at),
                "breached": local.moment(d.breached_at),
                "cancelled": local.moment(d.cancelled_at),
            }
            for d in instance.duties.values()
        ],
        "records": {
            form: [
                {
                    "version": r.version,
                    "data": local.tree(r.data),
                    "submitted_at": local.moment(r.submitted_at),
                    "submitted_by": r.submitted_by,
                    "signed": r.complete if spec.form(form).signed_by else None,
                }
                for r in versions
            ]
            for form, versions in instance.records.items()
        },
    }

"""What a simulation looks like to a person: one line per happening, a summary per case and for
the scenario, and every failed expectation as expected vs actual, in the process's language; and
the same as JSON for machines (every instant with its local offset).

The summary counts each duty occurrence once, by what became of it (`Duty.outcome`): met on time,
done late, never done after its deadline (still open or ended unmet), open and not yet due, and
cancelled before it was due. So the breaches a timeline shows are the late and never-done counts.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from engine.locale import N_, Words, words
from engine.render.words import title_of, value_title
from engine.runtime.events import Event, EventType, instant
from engine.runtime.instance import Duty, Instance
from engine.simulation.expectations import Check
from engine.simulation.runner import Simulation
from engine.spec.model import ProcessSpec
from engine.time.calendar import zone

QUIET = {EventType.DUTY_SCHEDULED}
"""Bookkeeping the reader does not need: the next occurrence shows when it opens."""

OUTCOMES = ("met", "late", "breached", "missed", "open", "cancelled")


_CANCELLED_BECAUSE = {
    "stage left": N_("the stage was left"),
    "instance completed": N_("the case ended"),
    "superseded by the next occurrence": N_("the next occurrence opened"),
    "its condition no longer holds": N_("its condition no longer holds"),
}
_COMMANDS = {
    "start": N_("start"),
    "fire": N_("take a step"),
    "submit": N_("submit"),
    "sign": N_("sign"),
    "raise_event": N_("report an event"),
}
_REFUSED_BECAUSE = {
    "unknown_process": N_("no such process"),
    "unknown_instance": N_("no such case"),
    "unknown_name": N_("no such step, form or event"),
    "instance_finished": N_("the case has ended"),
    "role_not_allowed": N_("not allowed for that role"),
    "invalid_data": N_("the data is not valid"),
    "form_not_in_stage": N_("the stage does not take that form"),
    "trigger_not_allowed": N_("that step cannot be taken now"),
    "missing_record": N_("a required record is missing"),
    "condition_false": N_("its condition does not hold"),
    "round_limit": N_("no rounds are left"),
    "nothing_to_sign": N_("there is nothing to sign"),
    "already_signed": N_("it is already signed"),
    "same_signer": N_("another person must sign"),
    "invalid_actor": N_("the actor is not valid"),
    "key_reused": N_("the idempotency key was used for another command"),
}
_NOTIFIED_BECAUSE = {"breach": N_("a deadline was missed"), "stage_entered": N_("the stage was entered")}


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
        text = _DESCRIBE[event.type](_Line(event, simulation, instance, w))
        case = simulation.case_name(event.instance)
        rows.append(f"{simulation.local(event.at)}  {case:<14} {event.actor:<12} {text}")
    return rows


class _Line:
    """What describing one event needs: the event, its instance and definition, the words."""

    __slots__ = ("d", "event", "instance", "sim", "spec", "w")

    def __init__(self, event: Event, simulation: Simulation, instance: Instance, w: Words) -> None:
        self.event, self.d, self.sim, self.instance, self.w = event, event.data, simulation, instance, w
        self.spec: ProcessSpec = simulation.engine.definition_of(instance)

    def due(self, key: str = "due") -> str:
        return self.sim.local(instant(self.d[key]))

    def duty(self) -> str:
        """The occurrence's key and its duty's title."""
        return f"{self.d['key']} {title_of(self.spec.duty(self.d['key'].split('#', 1)[0]), self.w)}"

    def form(self) -> str:
        return self.w.title(title_of(self.spec.form(self.d["form"]), self.w))

    def role(self, role_id: str) -> str:
        return title_of(self.spec.role(role_id), self.w)

    def roles(self, role_ids: Iterable[str]) -> str:
        return self.w.join([self.role(r) for r in role_ids])


def _satisfied(line: _Line) -> str:
    duty = line.instance.duties[line.d["key"]]
    w, by = line.w, _how(line)
    if duty.breached_at is not None and duty.breached_at <= line.event.at:
        late = w.span(line.event.at - duty.due)
        return w.t("✓ done late {duty} ({by}), {late} after its deadline", duty=line.duty(), by=by, late=late)
    return w.t("✓ done {duty} ({by})", duty=line.duty(), by=by)


def _how(line: _Line) -> str:
    """What fulfilled a duty, from the `form:`, `event:` or `trigger:` it names."""
    kind, _, name = str(line.d["by"]).partition(":")
    if kind == "form":
        return line.w.title(title_of(line.spec.form(name), line.w))
    if kind == "event":
        return title_of(line.spec.event(name), line.w)
    return name


def _entered(line: _Line) -> str:
    w, d = line.w, line.d
    stage = title_of(line.spec.stage(d["stage"]), w)
    if d["fallback"]:
        return w.t("→ stage {stage}, past the bound of its loop", stage=stage)
    if d["trigger"]:
        return w.t("→ stage {stage} on {trigger}", stage=stage, trigger=d["trigger"])
    return w.t("→ stage {stage}", stage=stage)


def _record(line: _Line) -> str:
    if line.d["complete"]:
        return line.w.t("record {form} version {version}", form=line.form(), version=line.d["version"])
    return line.w.t(
        "record {form} version {version}, awaiting signatures", form=line.form(), version=line.d["version"]
    )


def _signed(line: _Line) -> str:
    w, d = line.w, line.d
    values = {"form": line.form(), "version": d["version"], "role": line.role(d["role"])}
    if d["complete"]:
        return w.t("signed {form} version {version} as {role}: fully signed", **values)
    return w.t("signed {form} version {version} as {role}", **values)


def _set(line: _Line) -> str:
    names = {v.id: title_of(v, line.w) for v in line.spec.variables}
    values = ", ".join(f"{names.get(k, k)} = {_value(line, k, v)}" for k, v in line.d["values"].items())
    return line.w.t("set {values}", values=values)


def _value(line: _Line, name: str, value: Any) -> str:
    if isinstance(value, str) and _ISO_UTC.match(value):
        return line.sim.local(instant(value))
    variable = next((v for v in line.spec.variables if v.id == name), None)
    return value_title(variable, value, line.w) if variable is not None else str(value)


def _resumed(line: _Line) -> str:
    stopped = line.w.span(timedelta(seconds=line.d["stopped"]))
    return line.w.t(
        "▶ clock runs again for {key} after {stopped}, due by {due}",
        key=line.d["key"],
        stopped=stopped,
        due=line.due(),
    )


def _cancelled(line: _Line) -> str:
    reason = line.d["reason"]
    because = line.w.t(_CANCELLED_BECAUSE[reason]) if reason in _CANCELLED_BECAUSE else reason
    return line.w.t("– cancelled {key}: {because}", key=line.d["key"], because=because)


def _notified(line: _Line) -> str:
    reason = line.d["reason"]
    because = line.w.t(_NOTIFIED_BECAUSE[reason]) if reason in _NOTIFIED_BECAUSE else reason
    return line.w.t("✉ notified {roles}: {because}", roles=line.roles(line.d["roles"]), because=because)


def _refused(line: _Line) -> str:
    command, reason = line.d["command"], line.d["reason"]
    what = line.w.t(_COMMANDS[command]) if command in _COMMANDS else command
    why = line.w.t(_REFUSED_BECAUSE[reason]) if reason in _REFUSED_BECAUSE else reason
    return line.w.t(
        "⛔ refused: {command} {target} ({reason})", command=what, target=line.d["target"], reason=why
    )


_DESCRIBE: dict[EventType, Callable[[_Line], str]] = {
    EventType.INSTANCE_STARTED: lambda x: x.w.t(
        "started {title} ({process} v{version})",
        title=title_of(x.spec, x.w),
        process=x.d["process"],
        version=x.d["version"],
    ),
    EventType.STAGE_ENTERED: _entered,
    EventType.VARIABLES_SET: _set,
    EventType.RECORD_SUBMITTED: _record,
    EventType.RECORD_SIGNED: _signed,
    EventType.EVENT_RAISED: lambda x: x.w.t("event {event}", event=title_of(x.spec.event(x.d["event"]), x.w)),
    EventType.DUTY_SCHEDULED: lambda x: "",
    EventType.DUTY_OPENED: lambda x: x.w.t(
        "• duty {duty}: {role} by {due}", duty=x.duty(), role=x.role(x.d["role"]), due=x.due()
    ),
    EventType.DUTY_WARNED: lambda x: x.w.t("⚠ due soon {key} (by {due})", key=x.d["key"], due=x.due()),
    EventType.DUTY_SATISFIED: _satisfied,
    EventType.DUTY_BREACHED: lambda x: x.w.t("✗ BREACHED {duty}", duty=x.duty()),
    EventType.DUTY_DUE_CHANGED: lambda x: x.w.t("↻ {key} now due by {due}", key=x.d["key"], due=x.due()),
    EventType.DUTY_PAUSED: lambda x: x.w.t("⏸ clock stopped for {key}", key=x.d["key"]),
    EventType.DUTY_RESUMED: _resumed,
    EventType.DUTY_ESCALATED: lambda x: x.w.t(
        "↑ escalated {key} to {role}", key=x.d["key"], role=x.role(x.d["role"])
    ),
    EventType.DUTY_CANCELLED: _cancelled,
    EventType.NOTIFIED: _notified,
    EventType.CHILD_STARTED: lambda x: x.w.t(
        "started child case {case} ({process})", case=x.sim.case_name(x.d["child"]), process=x.d["process"]
    ),
    EventType.CHILD_COMPLETED: lambda x: x.w.t(
        "child case {case} completed", case=x.sim.case_name(x.d["child"])
    ),
    EventType.INSTANCE_COMPLETED: lambda x: x.w.t(
        "■ completed in {stage}", stage=title_of(x.spec.stage(x.d["stage"]), x.w)
    ),
    EventType.COMMAND_REFUSED: _refused,
    EventType.INCIDENT: lambda x: x.w.t("⚡ incident: {error}", error=x.d["error"]),
    EventType.INCIDENT_RESOLVED: lambda x: x.w.t("⚡ incident resolved"),
}


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


_ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?\+00:00$")
"""The form every instant takes in event data (`events.iso`)."""


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
            return self.moment(instant(value)) if _ISO_UTC.match(value) else value
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

"""What happened in an instance, in words: one line of the process's language for each journal
event ("✗ BREACHED confirm_details#1 …", "→ stage 需求分析与内部协同"), with the titles the process
gives. The simulation's timeline and the instance pages of `sopflow serve` say it alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from engine.locale import N_, Words
from engine.render.words import title_of, value_title
from engine.runtime.events import ISO_UTC, Event, EventType, instant
from engine.runtime.instance import Instance
from engine.spec.model import ProcessSpec

Local = Callable[[datetime], str]
"""An instant as the reader's local time."""
Name = Callable[[str], str]
"""An instance as the reader knows it (a scenario's case name, or its id)."""


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


def describe(event: Event, instance: Instance, spec: ProcessSpec, w: Words, local: Local, name: Name) -> str:
    """One event as a line of words."""
    return _DESCRIBE[event.type](_Line(event, instance, spec, w, local, name))


class _Line:
    """What describing one event needs: the event, its instance and definition, the words, and how
    instants and other cases are named."""

    __slots__ = ("d", "event", "instance", "local", "name", "spec", "w")

    def __init__(
        self, event: Event, instance: Instance, spec: ProcessSpec, w: Words, local: Local, name: Name
    ) -> None:
        self.event, self.d, self.instance, self.spec, self.w = event, event.data, instance, spec, w
        self.local, self.name = local, name

    def due(self, key: str = "due") -> str:
        return self.local(instant(self.d[key]))

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
    if isinstance(value, str) and ISO_UTC.match(value):
        return line.local(instant(value))
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
        "started child case {case} ({process})", case=x.name(x.d["child"]), process=x.d["process"]
    ),
    EventType.CHILD_COMPLETED: lambda x: x.w.t("child case {case} completed", case=x.name(x.d["child"])),
    EventType.INSTANCE_COMPLETED: lambda x: x.w.t(
        "■ completed in {stage}", stage=title_of(x.spec.stage(x.d["stage"]), x.w)
    ),
    EventType.COMMAND_REFUSED: _refused,
    EventType.INCIDENT: lambda x: x.w.t("⚡ incident: {error}", error=x.d["error"]),
    EventType.INCIDENT_RESOLVED: lambda x: x.w.t("⚡ incident resolved"),
}

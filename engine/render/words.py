"""How spec elements read in words, in one language: shared by the handbook, the graphs and the
reports, so that they never disagree. Names are the titles the process gives (roles, stages, forms,
variables and their values), never ids; durations, anchors, repetitions and conditions are phrased
as sentences of the language (`engine.locale`)."""

from __future__ import annotations

import json
from typing import Any

from engine.expressions import Expression
from engine.expressions.tree import (
    Arithmetic,
    BoolOp,
    Call,
    Compare,
    ListLiteral,
    Literal,
    Name,
    Negate,
    Node,
    Not,
    fold,
)
from engine.locale import N_, Words
from engine.spec.model import AnchorKind, DutySpec, ExitSpec, ProcessSpec, Scope, StageSpec
from engine.time.calendar import format_interval
from engine.time.recurrence import OnNonWorking, RecurrenceSpec


def title_of(element: Any, w: Words) -> str:
    """An element's title in the output's language: its English title (`title_en`) where the
    output is in English and the process gives one, else its own title."""
    english: str = getattr(element, "title_en", "")
    title: str = element.title
    return english if english and w.code == "en" else title


def role_name(process: ProcessSpec, role_id: str, w: Words) -> str:
    return title_of(process.role(role_id), w)


def roles_text(process: ProcessSpec, role_ids: tuple[str, ...] | list[str], w: Words) -> str:
    return w.join([role_name(process, r, w) for r in role_ids])


def form_name(process: ProcessSpec, form_id: str, w: Words) -> str:
    return w.title(title_of(process.form(form_id), w))


def value_title(element: Any, value: Any, w: Words) -> str:
    """A value of a variable or field as people read it: its title where the process gives one,
    yes or no for a boolean, a list joined in words."""
    titles = dict(getattr(element, "value_titles", ()))
    if isinstance(value, list):
        return w.join([value_title(element, item, w) for item in value])
    if isinstance(value, str):
        return str(titles.get(value, value))
    if isinstance(value, bool):
        return w.t("yes") if value else w.t("no")
    return str(titles.get(str(value), value)) if value is not None else ""


def anchor_text(process: ProcessSpec, duty: DutySpec, w: Words) -> str:
    anchor = duty.anchor
    kind = anchor.kind
    if kind is AnchorKind.SCOPE_START and duty.scope is Scope.STAGE:
        return w.t("entering the stage")
    if kind in (AnchorKind.SCOPE_START, AnchorKind.INSTANCE_START):
        return w.t("the start of the case")
    if kind is AnchorKind.RECORD:
        return w.t("the first {form}", form=form_name(process, anchor.ref, w))
    if kind is AnchorKind.EVENT:
        return w.t("each “{event}” event", event=title_of(process.event(anchor.ref), w))
    if kind is AnchorKind.FIELD:
        field = next(f for f in process.form(anchor.ref).fields if f.id == anchor.field)
        return w.t("the {field} of {form}", field=title_of(field, w), form=form_name(process, anchor.ref, w))
    duty_title = title_of(process.duty(anchor.ref), w)
    if kind is AnchorKind.DUTY:
        return w.t("“{duty}” being done", duty=duty_title)
    return w.t("“{duty}” being missed", duty=duty_title)


def repeat_text(process: ProcessSpec, duty: DutySpec, repeat: RecurrenceSpec, w: Words) -> str:
    """When the occurrences open, and from what they count."""
    start = anchor_text(process, duty, w)
    if repeat.every is not None:
        text = w.t("every {every}, counted from {start}", every=w.duration(repeat.every), start=start)
    elif repeat.cron is not None:
        text = w.t("on the schedule “{schedule}”", schedule=cron_text(repeat.cron, w))
    elif repeat.after_done is not None:
        text = w.t("again {span} after it was last done", span=w.duration(repeat.after_done))
    else:
        offsets = w.join([w.duration(o) for o in repeat.offsets])
        text = w.t("{offsets} after {start}", offsets=offsets, start=start)
    if repeat.on_non_working is OnNonWorking.NEXT_WORKING_DAY:
        text += w.t(", moved to the next working day when that is a day off")
    elif repeat.on_non_working is OnNonWorking.PREVIOUS_WORKING_DAY:
        text += w.t(", moved to the working day before when that is a day off")
    if repeat.count is not None:
        text += w.tn(", once", ", at most {n} times", repeat.count)
    return text


def cron_text(expression: str, w: Words) -> str:
    """A cron schedule in the words of the language (cron-descriptor)."""
    from cron_descriptor import ExpressionDescriptor, Options

    options = Options()
    options.locale_code = "zh_CN" if w.code == "zh-CN" else "en_US"
    options.use_24hour_time_format = True
    return str(ExpressionDescriptor(expression, options).get_description())


def due_text(process: ProcessSpec, duty: DutySpec, w: Words) -> str:
    """By when each occurrence is due: within a duration of its start, or as a table says."""
    base = w.t("each occurrence opening") if duty.repeat is not None else anchor_text(process, duty, w)
    if duty.due.table:
        table = title_of(process.decision_table(duty.due.table), w)
        return w.t("within the time table “{table}” gives, from {start}", table=table, start=base)
    duration = duty.due.duration
    assert duration is not None
    if duration.amount == 0:
        if duration.is_working and duration.unit.value == "working day":
            return w.t("by the end of the working day of {start}", start=base)
        return w.t("by {start}", start=base)
    return w.t("within {duration} of {start}", duration=w.duration(duration), start=base)


def warning_text(duty: DutySpec, w: Words) -> str:
    if duty.warn is not None:
        return w.t("a warning {span} before", span=w.duration(duty.warn))
    if duty.warn_share is not None:
        return w.t("a warning when {share} of the time has run", share=w.percent(duty.warn_share / 100))
    return ""


def satisfied_text(process: ProcessSpec, duty: DutySpec, w: Words) -> str:
    if duty.satisfied_by_form:
        form = form_name(process, duty.satisfied_by_form, w)
        if duty.needs_signatures:
            return w.t("submit {form}, fully signed", form=form)
        return w.t("submit {form}", form=form)
    if duty.satisfied_by_event:
        return w.t("report “{event}”", event=title_of(process.event(duty.satisfied_by_event), w))
    return w.t("take the step “{step}”", step=trigger_title(process, duty.satisfied_by_trigger))


def trigger_title(process: ProcessSpec, trigger: str) -> str:
    titled = (e.title for s in process.stages for e in s.exits if e.trigger == trigger and e.title)
    return next(titled, trigger)


def breach_text(process: ProcessSpec, duty: DutySpec, w: Words) -> str:
    parts = []
    for action in duty.on_breach:
        if action.escalate:
            parts.append(w.t("escalate to {roles}", roles=roles_text(process, action.escalate, w)))
        if action.notify:
            parts.append(w.t("notify {roles}", roles=roles_text(process, action.notify, w)))
    return ("; " if w.spaced else "；").join(parts) or w.t("recorded as a breach")


def exit_text(process: ProcessSpec, exit_: ExitSpec, w: Words) -> str:
    if exit_.trigger:
        parts = [w.t("“{step}”", step=exit_.title or exit_.trigger)]
    elif exit_.on_record:
        parts = [w.t("when {form} is submitted", form=form_name(process, exit_.on_record, w))]
    elif exit_.on_signed:
        parts = [w.t("when {form} is fully signed", form=form_name(process, exit_.on_signed, w))]
    else:
        parts = [w.t("when “{event}” is reported", event=title_of(process.event(exit_.on_event), w))]
    if exit_.when is not None:
        parts.append(w.t("if {condition}", condition=condition_text(process, exit_.when, w)))
    if exit_.requires:
        forms = w.join([form_name(process, f, w) for f in exit_.requires])
        parts.append(w.t("needs {forms} of this visit", forms=forms))
    if exit_.max_rounds is not None:
        if exit_.fallback:
            past = w.t("then to “{stage}”", stage=title_of(process.stage(exit_.fallback), w))
        else:
            past = w.t("then refused")
        parts.append(w.tn("at most once, {past}", "at most {n} times, {past}", exit_.max_rounds, past=past))
    return "; ".join(parts) if w.spaced else "；".join(parts)


def window_text(stage: StageSpec, w: Words) -> str:
    window = stage.window
    if window is None:
        return ""
    start = w.t("the start of the case") if window.anchor == "instance_start" else w.t("entering the stage")
    end = w.duration(window.end)
    if window.start is not None and window.start.amount:
        return w.t("{start} to {end} after {anchor}", start=w.duration(window.start), end=end, anchor=start)
    return w.t("within {end} of {anchor}", end=end, anchor=start)


def hours_text(process: ProcessSpec, w: Words) -> str:
    return w.join([format_interval(interval) for interval in process.calendar.hours])


# -- conditions ---------------------------------------------------------------------------------------

_SYMBOLS = {"==": "=", "!=": "≠", "<=": "≤", ">=": "≥", "<": "<", ">": ">"}
_MEMBERSHIP = {"in": N_("{left} is {right}"), "not in": N_("{left} is not {right}")}


def condition_text(process: ProcessSpec, expression: Expression, w: Words) -> str:
    """A condition or expression as a sentence: variables by their titles, their values by the
    titles `value_titles` gives them, and the words of the language for the operators."""
    variables = {v.id: v for v in process.variables}

    def titled(name: Node, value: Any) -> str:
        variable = variables.get(name.name) if isinstance(name, Name) else None
        if variable is None and isinstance(value, str):
            return value
        return value_title(variable, value, w) if variable is not None else json.dumps(value)

    def visit(node: Node, inner: list[str]) -> str:
        if isinstance(node, Name):
            return _name_text(process, node.name, w)
        if isinstance(node, Literal):
            return titled(node, node.value)
        if isinstance(node, ListLiteral):
            return w.join(inner, alternatives=True)
        if isinstance(node, Compare):
            left, right = inner
            if isinstance(node.right, ListLiteral):
                right = w.join(
                    [titled(node.left, item.value) for item in node.right.items], alternatives=True
                )
            elif isinstance(node.right, Literal):
                right = titled(node.left, node.right.value)
            if node.op in _MEMBERSHIP:
                return w.t(_MEMBERSHIP[node.op], left=left, right=right)
            return f"{left} {_SYMBOLS[node.op]} {right}"
        if isinstance(node, BoolOp):
            joined = w.t(" and ") if node.op == "and" else w.t(" or ")
            return joined.join(
                f"({text})" if isinstance(child, BoolOp) else text
                for child, text in zip(node.operands, inner, strict=True)
            )
        if isinstance(node, Not):
            return w.t("not {condition}", condition=inner[0])
        if isinstance(node, Negate):
            return f"−{inner[0]}"
        if isinstance(node, Arithmetic):
            return inner[0] + "".join(f" {op} {text}" for op, text in zip(node.ops, inner[1:], strict=True))
        assert isinstance(node, Call)
        if node.function == "minutes_between":
            return w.t("the minutes from {a} to {b}", a=inner[0], b=inner[1])
        return w.t("the working minutes from {a} to {b}", a=inner[0], b=inner[1])

    return fold(expression.tree, visit)


def _name_text(process: ProcessSpec, name: str, w: Words) -> str:
    variables = {v.id: title_of(v, w) for v in process.variables}
    if name in variables:
        return variables[name]
    if name == "now":
        return w.t("now")
    if name == "instance.started_at":
        return w.t("the start of the case")
    if name == "stage.entered_at":
        return w.t("entering the stage")
    _, duty, what = name.split(".")
    title = title_of(process.duty(duty), w)
    return {
        "opened_at": w.t("when “{duty}” opened", duty=title),
        "due_at": w.t("the deadline of “{duty}”", duty=title),
        "done_at": w.t("when “{duty}” was done", duty=title),
        "breached_at": w.t("when “{duty}” was missed", duty=title),
    }[what]

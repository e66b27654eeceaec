"""How spec elements read in words; shared by the handbook and the graphs so they never disagree."""

from __future__ import annotations

from engine.spec.model import AnchorKind, DutySpec, ExitSpec, ProcessSpec, Scope, StageSpec
from engine.time.calendar import format_interval
from engine.time.recurrence import OnNonWorking, RecurrenceSpec


def both(title: str, title_en: str) -> str:
    return f"{title} ({title_en})" if title_en else title


def role_name(process: ProcessSpec, role_id: str) -> str:
    role = process.role(role_id)
    return both(role.title, role.title_en)


def form_name(process: ProcessSpec, form_id: str) -> str:
    return f"《{process.form(form_id).title}》"


def anchor_text(process: ProcessSpec, duty: DutySpec) -> str:
    anchor = duty.anchor
    kind = anchor.kind
    if kind is AnchorKind.SCOPE_START:
        return "entering the stage" if duty.scope is Scope.STAGE else "the start of the case"
    if kind is AnchorKind.INSTANCE_START:
        return "the start of the case"
    if kind is AnchorKind.RECORD:
        return f"the first {form_name(process, anchor.ref)}"
    if kind is AnchorKind.EVENT:
        return f"each '{process.event(anchor.ref).title}' event"
    if kind is AnchorKind.FIELD:
        field = next(f for f in process.form(anchor.ref).fields if f.id == anchor.field)
        return f"the {field.title} of {form_name(process, anchor.ref)}"
    verb = "fulfilled" if kind is AnchorKind.DUTY else "breached"
    return f"duty '{anchor.ref}' being {verb}"


def repeat_text(repeat: RecurrenceSpec) -> str:
    if repeat.every is not None:
        text = f"every {repeat.every}"
    elif repeat.cron is not None:
        text = f"at cron '{repeat.cron}'"
    elif repeat.after_done is not None:
        text = f"again {repeat.after_done} after it was last done"
    else:
        text = "at " + ", ".join(str(offset) for offset in repeat.offsets)
    if repeat.on_non_working is not OnNonWorking.KEEP:
        text += f", moved to the {repeat.on_non_working.value.replace('_', ' ')} if on a day off"
    if repeat.count is not None:
        text += f", at most {repeat.count} times"
    return text


def due_text(process: ProcessSpec, duty: DutySpec) -> str:
    base = "each occurrence" if duty.repeat is not None else anchor_text(process, duty)
    if duty.due.table:
        return f"by table '{process.decision_table(duty.due.table).title}' after {base}"
    return f"within {duty.due} of {base}"


def warning_text(duty: DutySpec) -> str:
    if duty.warn is not None:
        return f"warning {duty.warn} before"
    if duty.warn_share is not None:
        return f"warning when {duty.warn_share}% of the time has run"
    return ""


def satisfied_text(process: ProcessSpec, duty: DutySpec) -> str:
    if duty.satisfied_by_form:
        signed = ", signed" if duty.needs_signatures else ""
        return f"submit {form_name(process, duty.satisfied_by_form)}{signed}"
    if duty.satisfied_by_event:
        return f"report '{process.event(duty.satisfied_by_event).title}'"
    return f"fire '{duty.satisfied_by_trigger}'"


def breach_text(process: ProcessSpec, duty: DutySpec) -> str:
    parts = []
    for action in duty.on_breach:
        if action.escalate:
            parts.append(f"escalate to {' and '.join(process.role(r).title for r in action.escalate)}")
        if action.notify:
            parts.append("notify " + ", ".join(process.role(r).title for r in action.notify))
    return "; ".join(parts) or "recorded as a breach"


def exit_text(exit_: ExitSpec) -> str:
    parts = [
        exit_.trigger
        or (f"on {exit_.on_record} submitted" if exit_.on_record else "")
        or (f"on {exit_.on_signed} fully signed" if exit_.on_signed else f"on {exit_.on_event}")
    ]
    if exit_.when is not None:
        parts.append(f"if {exit_.when.text}")
    if exit_.requires:
        parts.append("needs " + ", ".join(exit_.requires))
    if exit_.max_rounds is not None:
        past = f"then {exit_.fallback}" if exit_.fallback else "then refused"
        parts.append(f"at most {exit_.max_rounds}×, {past}")
    return "; ".join(parts)


def window_text(stage: StageSpec) -> str:
    window = stage.window
    if window is None:
        return ""
    anchor = "of the start of the case" if window.anchor == "instance_start" else "of entering the stage"
    start = f"from {window.start} " if window.start is not None else ""
    return f"{start}to {window.end} {anchor}"


def hours_text(process: ProcessSpec) -> str:
    return ", ".join(format_interval(interval) for interval in process.calendar.hours)

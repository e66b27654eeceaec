"""What happens inside an instance once a command has been authorised and validated, or a timer fires:
entering stages, opening, satisfying, breaching and cancelling duties, recording forms, starting and
completing child instances. Each step is written as journal events through the transaction.

The order of steps within one command is part of the semantics and is documented in
docs/runtime.md: a record is stored, then copied into variables, then satisfies open duties, then
opens the duties anchored on it, then may take an exit.
"""

from __future__ import annotations

from datetime import datetime
from hashlib import sha256
from typing import Any

from engine.runtime.context import Context
from engine.runtime.derivation import derive, reschedule
from engine.runtime.duties import (
    SCOPE_ANCHORS,
    allowance,
    anchored_on,
    applies,
    field_instant,
    nth_occurrence,
    satisfied_by,
    scope_start,
    visible,
    warning,
)
from engine.runtime.events import EventType, iso
from engine.runtime.instance import Duty, Instance
from engine.runtime.machine import Attempt, Choice, event_trigger, record_trigger, signed_trigger
from engine.runtime.timing import Wake, WakeKind, series_ref
from engine.spec.model import AnchorKind, DutySpec, EventSpec, FormSpec, ProcessSpec
from engine.time.durations import add
from engine.time.recurrence import again_after


def begin(context: Context, spec: ProcessSpec, variables: dict[str, Any], parent: Instance | None) -> str:
    """Create an instance, open its instance-wide duties and enter its first stage."""
    instance = context.host.new_instance(context.tx, spec.id)
    context.emit(
        instance,
        EventType.INSTANCE_STARTED,
        {
            "process": spec.id,
            "version": spec.version,
            "definition": sha256(spec.text.encode("utf-8")).hexdigest() if spec.text else "",
            "variables": variables,
            "parent": parent.id if parent else "",
        },
    )
    if parent is not None:
        context.emit(parent, EventType.CHILD_STARTED, {"child": instance.id, "process": spec.id})
    derive(context, spec, instance)
    for duty in spec.duties:
        if duty.anchor.kind in SCOPE_ANCHORS and applies(duty, context.scope(spec, instance)):
            _create(context, spec, instance, duty, scope_start(duty, instance))
    enter(context, spec, instance, spec.initial, trigger="", via=None)
    return instance.id


def enter(
    context: Context,
    spec: ProcessSpec,
    instance: Instance,
    stage_id: str,
    *,
    trigger: str,
    via: Choice | None,
) -> None:
    """Leave the current stage (cancelling its open duties) and enter `stage_id`."""
    _cancel(context, instance, [d for d in instance.open_duties() if d.stage], "stage left")
    for series in instance.series.values():
        if series.stage:
            context.host.wakeups.disarm(instance.id, series_ref(series.duty))
    counted = via is not None and via.exit.max_rounds is not None and not via.fallback
    context.emit(
        instance,
        EventType.STAGE_ENTERED,
        {
            "stage": stage_id,
            "from": instance.stage,
            "trigger": trigger,
            "exit": via.exit.id if via is not None and counted else "",
            "fallback": via.fallback if via is not None else False,
        },
    )
    derive(context, spec, instance)
    stage = spec.stage(stage_id)
    if stage.notify_on_entry:
        _notify(context, instance, stage.notify_on_entry, "stage_entered", stage=stage_id)
    if stage.end:
        _complete(context, spec, instance)
        return
    calendar = spec.business_calendar()
    for duty in stage.duties:
        if not applies(duty, context.scope(spec, instance)):
            continue
        if duty.anchor.kind in SCOPE_ANCHORS:
            _create(context, spec, instance, duty, scope_start(duty, instance))
        elif duty.anchor.kind is AnchorKind.FIELD:  # a date recorded in an earlier stage
            latest = instance.latest(duty.anchor.ref)
            start = field_instant(latest.data.get(duty.anchor.field), calendar) if latest else None
            if start is not None:
                _create(context, spec, instance, duty, start)


def record(
    context: Context, spec: ProcessSpec, instance: Instance, form: FormSpec, data: dict[str, Any]
) -> None:
    version = len(instance.records.get(form.id, ())) + 1
    context.emit(
        instance,
        EventType.RECORD_SUBMITTED,
        {"form": form.id, "version": version, "data": data, "complete": not form.signed_by},
    )
    _set_variables(context, spec, instance, form.sets, data)
    satisfy(context, spec, instance, form=form.id)
    _open_anchored(context, spec, instance, AnchorKind.RECORD, form.id, data)
    _open_anchored(context, spec, instance, AnchorKind.FIELD, form.id, data)
    _take_exit(context, spec, instance, record_trigger(form.id))


def _take_exit(context: Context, spec: ProcessSpec, instance: Instance, trigger: str) -> None:
    """Take the first of the stage's exits on what just happened (`trigger`) whose checks pass."""
    if instance.finished:
        return
    choice = context.host.machine(spec).choose(
        instance.stage, trigger, attempt(context, spec, instance, None)
    )
    if choice is not None:
        enter(context, spec, instance, choice.to, trigger="", via=choice)


def attempt(context: Context, spec: ProcessSpec, instance: Instance, roles: frozenset[str] | None) -> Attempt:
    """An attempt to leave the instance's stage; `roles` None when the engine itself takes the exit."""
    return Attempt(
        roles=roles,
        scope=context.scope(spec, instance),
        record_gap=lambda form: instance.record_gap(form, spec.form(form).signed_by),
        rounds=instance.rounds,
    )


def sign(context: Context, spec: ProcessSpec, instance: Instance, form: FormSpec, role: str) -> None:
    latest = instance.latest(form.id)
    assert latest is not None
    signed = {s.role for s in latest.signatures} | {role}
    complete = set(form.signed_by) <= signed
    context.emit(
        instance,
        EventType.RECORD_SIGNED,
        {"form": form.id, "version": latest.version, "role": role, "complete": complete},
    )
    if complete:
        satisfy(context, spec, instance, form=form.id, signed=True)
        _take_exit(context, spec, instance, signed_trigger(form.id))


def happen(
    context: Context,
    spec: ProcessSpec,
    instance: Instance,
    event: EventSpec,
    data: dict[str, Any],
    child: tuple[ProcessSpec, dict[str, Any]] | None,
) -> None:
    """An event raised in an instance; it may start a child instance of another process."""
    context.emit(instance, EventType.EVENT_RAISED, {"event": event.id, "data": data})
    _set_variables(context, spec, instance, event.sets, data)
    satisfy(context, spec, instance, event=event.id)
    _open_anchored(context, spec, instance, AnchorKind.EVENT, event.id, data)
    if child is not None:
        begin(context, child[0], child[1], parent=instance)
    _take_exit(context, spec, instance, event_trigger(event.id))


def satisfy(
    context: Context,
    spec: ProcessSpec,
    instance: Instance,
    *,
    form: str = "",
    signed: bool = False,
    event: str = "",
    trigger: str = "",
) -> None:
    """Mark done the oldest open occurrence of every duty that this action satisfies."""
    how = f"form:{form}" if form else f"event:{event}" if event else f"trigger:{trigger}"
    for duty in visible(spec, instance):
        if not satisfied_by(duty, form=form, signed=signed, event=event, trigger=trigger):
            continue
        oldest = instance.open_duty(duty.id)
        if oldest is None:
            continue
        context.emit(instance, EventType.DUTY_SATISFIED, {"key": oldest.key, "duty": duty.id, "by": how})
        _again_after_done(context, spec, instance, duty)
        derive(context, spec, instance)
        _open_anchored(context, spec, instance, AnchorKind.DUTY, duty.id, {})


def wake(context: Context, spec: ProcessSpec, instance: Instance, wake: Wake) -> bool:
    """Act on a timer if the state still calls for it; False for a stale timer."""
    if wake.kind is WakeKind.OPEN:
        duty_id = wake.ref.removeprefix(series_ref(""))
        series = instance.series.get(duty_id)
        if series is None or series.next_at != wake.at:
            return False
        _open_occurrence(context, spec, instance, spec.duty(duty_id))
        return True
    duty = instance.duties.get(wake.ref)
    if duty is None or not duty.is_open:
        return False
    if wake.kind is WakeKind.WARN and duty.warned_at is None and duty.warn_at == wake.at:
        context.emit(
            instance, EventType.DUTY_WARNED, {"key": duty.key, "duty": duty.id, "due": iso(duty.due)}
        )
        return True
    if wake.kind is WakeKind.DUE and duty.breached_at is None and duty.due == wake.at:
        _breach(context, spec, instance, duty)
        return True
    return False


def _breach(context: Context, spec: ProcessSpec, instance: Instance, duty: Duty) -> None:
    context.emit(instance, EventType.DUTY_BREACHED, {"key": duty.key, "duty": duty.id, "due": iso(duty.due)})
    derive(context, spec, instance)
    for action in spec.duty(duty.id).on_breach:
        for role in action.escalate:
            context.emit(instance, EventType.DUTY_ESCALATED, {"key": duty.key, "duty": duty.id, "role": role})
        if action.notify:
            _notify(context, instance, action.notify, "breach", duty=duty.key)
    _open_anchored(context, spec, instance, AnchorKind.BREACH, duty.id, {})


def _complete(context: Context, spec: ProcessSpec, instance: Instance) -> None:
    _cancel(context, instance, instance.open_duties(), "instance completed")
    context.emit(instance, EventType.INSTANCE_COMPLETED, {"stage": instance.stage})
    if instance.parent:
        parent = context.host.instance(instance.parent)
        if not parent.finished:
            context.emit(
                parent,
                EventType.CHILD_COMPLETED,
                {"child": instance.id, "process": spec.id, "stage": instance.stage},
            )


def _cancel(context: Context, instance: Instance, duties: list[Duty], reason: str) -> None:
    for duty in duties:
        context.emit(instance, EventType.DUTY_CANCELLED, {"key": duty.key, "duty": duty.id, "reason": reason})


def _notify(context: Context, instance: Instance, roles: tuple[str, ...], reason: str, **about: str) -> None:
    context.emit(instance, EventType.NOTIFIED, {"roles": list(roles), "reason": reason, **about})


def _set_variables(
    context: Context,
    spec: ProcessSpec,
    instance: Instance,
    sets: tuple[tuple[str, str], ...],
    data: dict[str, Any],
) -> None:
    values = {variable: data[source] for variable, source in sets if source in data}
    if values:
        context.emit(instance, EventType.VARIABLES_SET, {"values": values})
        reschedule(context, spec, instance, set(values))
        derive(context, spec, instance)
        _follow_conditions(context, spec, instance)


def _follow_conditions(context: Context, spec: ProcessSpec, instance: Instance) -> None:
    """Duties counted from their scope's start (the stage's or the instance's) that have a `when`
    follow it while their scope lasts: created once it comes to hold (a series from the slot in
    progress), cancelled, and their series ended, once it no longer does."""
    if instance.finished:
        return
    for duty in visible(spec, instance):
        if duty.when is None or duty.anchor.kind not in SCOPE_ANCHORS:
            continue
        holds = duty.when(context.scope(spec, instance))
        series = instance.series.get(duty.id)
        latest = instance.latest_duty(duty.id)
        begun = scope_start(duty, instance) if duty.stage else instance.started_at
        created = series is not None or (
            latest is not None and begun is not None and latest.opened_at >= begun
        )
        if holds and not created:
            _create(context, spec, instance, duty, scope_start(duty, instance))
        elif not holds and created:
            _cancel(
                context,
                instance,
                [d for d in instance.open_duties() if d.id == duty.id],
                "its condition no longer holds",
            )
            if series is not None and series.next_at is not None:
                _schedule(context, instance, duty, series.anchor, opened=series.opened, next_at=None)


def _open_anchored(
    context: Context, spec: ProcessSpec, instance: Instance, kind: AnchorKind, ref: str, data: dict[str, Any]
) -> None:
    """Create the duties anchored on this record, event, satisfied or breached duty.

    A record (or one of its fields) opens a duty only if no occurrence of it is open: a corrected
    record does not double an obligation. Each event, satisfaction or breach opens a new one.
    """
    calendar = spec.business_calendar()
    for duty in anchored_on(spec, instance, kind, ref):
        if not applies(duty, context.scope(spec, instance)):
            continue
        start = (
            field_instant(data.get(duty.anchor.field), calendar) if kind is AnchorKind.FIELD else context.at
        )
        if start is None:
            continue
        if kind in (AnchorKind.RECORD, AnchorKind.FIELD) and instance.open_duty(duty.id) is not None:
            continue
        _create(context, spec, instance, duty, start)


def _create(context: Context, spec: ProcessSpec, instance: Instance, duty: DutySpec, start: datetime) -> None:
    if duty.repeat is None:
        _open(context, spec, instance, duty, start, occurrence=1)
        return
    index = 0
    if duty.repeat.after_done is not None:
        start = max(start, context.at)  # a new series: its first occurrence now, the next after it is done
    elif duty.anchor.kind in SCOPE_ANCHORS:
        index = _slot_in_progress(context, spec, instance, duty, start)
    following = nth_occurrence(duty, start, spec.business_calendar(), index)
    _schedule(context, instance, duty, start, opened=index, next_at=following)
    if following is not None and following <= context.at:
        _open_occurrence(context, spec, instance, duty)


def _slot_in_progress(
    context: Context, spec: ProcessSpec, instance: Instance, duty: DutySpec, anchor: datetime
) -> int:
    """Where a stage's series counted from before the stage (the instance's start) begins when the
    stage is entered: at the latest slot that has begun, if its deadline is still ahead, else at the
    next one. The slots that fell while the instance was elsewhere are skipped, not opened and
    breached at once."""
    now = context.at
    calendar = spec.business_calendar()
    index = 0
    while (following := nth_occurrence(duty, anchor, calendar, index + 1)) is not None and following <= now:
        index += 1
    slot = nth_occurrence(duty, anchor, calendar, index)
    if (
        slot is not None
        and slot < now
        and add(slot, allowance(spec, duty, context.scope(spec, instance)), calendar) <= now
    ):
        index += 1
    return index


def _again_after_done(context: Context, spec: ProcessSpec, instance: Instance, duty: DutySpec) -> None:
    """A duty that recurs `after_done`: its occurrence is done, so the next one is planned."""
    series = instance.series.get(duty.id)
    if duty.repeat is None or duty.repeat.after_done is None or series is None or series.next_at is not None:
        return
    following = again_after(duty.repeat, context.at, series.opened, spec.business_calendar())
    if following is not None:
        _schedule(context, instance, duty, series.anchor, opened=series.opened, next_at=following)


def _open_occurrence(context: Context, spec: ProcessSpec, instance: Instance, duty: DutySpec) -> None:
    """Open a recurring duty's next occurrence; an earlier one already breached lapses."""
    series = instance.series[duty.id]
    assert series.next_at is not None
    lapsed = [d for d in instance.open_duties() if d.id == duty.id and d.breached_at is not None]
    _cancel(context, instance, lapsed, "superseded by the next occurrence")
    occurrence = series.opened + 1
    _open(context, spec, instance, duty, series.next_at, occurrence=occurrence)
    following = nth_occurrence(duty, series.anchor, spec.business_calendar(), occurrence)
    _schedule(context, instance, duty, series.anchor, opened=occurrence, next_at=following)


def _schedule(
    context: Context,
    instance: Instance,
    duty: DutySpec,
    anchor: datetime,
    *,
    opened: int,
    next_at: datetime | None,
) -> None:
    context.emit(
        instance,
        EventType.DUTY_SCHEDULED,
        {
            "duty": duty.id,
            "stage": duty.stage,
            "anchor": iso(anchor),
            "opened": opened,
            "next_at": iso(next_at) if next_at is not None else None,
        },
    )


def _open(
    context: Context,
    spec: ProcessSpec,
    instance: Instance,
    duty: DutySpec,
    start: datetime,
    *,
    occurrence: int,
) -> None:
    calendar = spec.business_calendar()
    allowed = allowance(spec, duty, context.scope(spec, instance))
    due = add(start, allowed, calendar)
    warn_at = warning(duty, allowed, start, due, context.at, calendar)
    context.emit(
        instance,
        EventType.DUTY_OPENED,
        {
            "key": f"{duty.id}#{instance.opened.get(duty.id, 0) + 1}",
            "duty": duty.id,
            "stage": duty.stage,
            "role": duty.role,
            "start": iso(start),
            "due": iso(due),
            "warn_at": iso(warn_at) if warn_at is not None else None,
            "occurrence": occurrence,
        },
    )

"""Duties whose clock stops: while the instance is in given stages, or while a condition holds
(`paused_while`), a duty's remaining time does not run.

At the end of each step, for each instance the step touched, every open duty that has not been
breached is paused or resumed as its pause condition now says. A pause is journaled
(`duty_paused`) and disarms the duty's timers; on resuming (`duty_resumed`) the deadline moves by
the paused span in the duty's own time: wall-clock time for a wall or calendar duration, working
time for a working-time one (the working time that remained at the pause is consumed again from the
resume), and the warning with it.
"""

from __future__ import annotations

from datetime import datetime

from engine.runtime.context import Context
from engine.runtime.duties import allowance
from engine.runtime.events import EventType, iso
from engine.runtime.instance import Duty, Instance
from engine.spec.model import DutySpec, ProcessSpec
from engine.time.calendar import BusinessCalendar


def pause_or_resume(context: Context, spec: ProcessSpec, instance: Instance) -> None:
    if instance.finished or not spec.has_pausable_duties():
        return
    for duty in instance.open_duties():
        duty_spec = spec.duty(duty.id)
        if not duty_spec.pausable or duty.breached_at is not None:
            continue
        paused = instance.stage in duty_spec.paused_in or (
            duty_spec.paused_when is not None and duty_spec.paused_when(context.scope(spec, instance))
        )
        if paused and duty.paused_at is None:
            context.emit(instance, EventType.DUTY_PAUSED, {"key": duty.key, "duty": duty.id})
        elif not paused and duty.paused_at is not None:
            _resume(context, spec, instance, duty, duty_spec)


def _resume(context: Context, spec: ProcessSpec, instance: Instance, duty: Duty, duty_spec: DutySpec) -> None:
    assert duty.paused_at is not None
    calendar = spec.business_calendar()
    working = allowance(spec, duty_spec, context.scope(spec, instance)).is_working
    due = _moved(duty.due, duty.paused_at, context.at, working, calendar)
    warn_at = None
    if duty.warn_at is not None and duty.warned_at is None and duty.warn_at > duty.paused_at:
        warn_at = _moved(duty.warn_at, duty.paused_at, context.at, working, calendar)
    context.emit(
        instance,
        EventType.DUTY_RESUMED,
        {
            "key": duty.key,
            "duty": duty.id,
            "due": iso(due),
            "warn_at": iso(warn_at) if warn_at is not None else None,
            "stopped": (context.at - duty.paused_at).total_seconds(),
        },
    )


def _moved(
    moment: datetime, paused: datetime, resumed: datetime, working: bool, calendar: BusinessCalendar
) -> datetime:
    """`moment` moved by the span from `paused` to `resumed`, in working or in wall-clock time."""
    if working:
        return calendar.add_working_time(resumed, calendar.elapsed_working(paused, moment))
    return moment + (resumed - paused)

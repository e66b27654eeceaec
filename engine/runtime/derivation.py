"""Values the engine computes: derived variables, and deadlines that depend on them.

Derived variables are computed in the order they are declared, each seeing the ones before it, and
computed again whenever what they depend on may have changed (variables set, a duty done or
breached, a stage entered); a change is journaled as `variables_set` with `derived: true`. A duty
whose deadline a decision table gives, and whose table's inputs changed, gets its new due instant
from the same start, journaled as `duty_due_changed`; if that instant has passed, the duty is
breached at once (its timer is due). A duty already breached keeps its breach.
"""

from __future__ import annotations

from typing import Any

from engine.runtime.context import Context
from engine.runtime.duties import allowance, warning
from engine.runtime.events import EventType, iso
from engine.runtime.instance import Instance
from engine.runtime.scope import Scope, as_json
from engine.spec.model import ProcessSpec
from engine.time.durations import add


def derive(context: Context, spec: ProcessSpec, instance: Instance) -> None:
    """Compute the derived variables again; journal and act on those that changed."""
    derived = spec.derived_variables()
    if not derived:
        return
    calendar = spec.business_calendar()
    pending = dict(instance.variables)
    view = Scope(instance, spec.instant_variables(), calendar=calendar, variables=pending)
    changed: dict[str, Any] = {}
    for variable in derived:
        if variable.derive is not None:
            value = variable.derive.value(view)
        else:
            value = spec.decision_table(variable.derive_table).lookup(view)
        value = as_json(value, calendar)
        if value != pending.get(variable.id):
            pending[variable.id] = value
            changed[variable.id] = value
    if changed:
        context.emit(instance, EventType.VARIABLES_SET, {"values": changed, "derived": True})
        reschedule(context, spec, instance, set(changed))


def reschedule(context: Context, spec: ProcessSpec, instance: Instance, changed: set[str]) -> None:
    """New due instants for the open, unbreached duties whose decision table reads a changed variable."""
    calendar = spec.business_calendar()
    for duty in instance.open_duties():
        duty_spec = spec.duty(duty.id)
        table = duty_spec.due.table
        if not table or duty.breached_at is not None or not changed & set(spec.decision_table(table).inputs):
            continue
        allowed = allowance(spec, duty_spec, context.scope(spec, instance))
        due = add(duty.start, allowed, calendar)
        if due == duty.due:
            continue
        warn_at = warning(duty_spec, allowed, duty.start, due, context.at, calendar)
        context.emit(
            instance,
            EventType.DUTY_DUE_CHANGED,
            {
                "key": duty.key,
                "duty": duty.id,
                "due": iso(due),
                "warn_at": iso(warn_at) if warn_at is not None and duty.warned_at is None else None,
                "previous": iso(duty.due),
            },
        )

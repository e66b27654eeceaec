"""Computing the metrics a definition declares, over the instances of one process in a period.

A metric reads only instance state and journals, so the same figures come from a simulation or a
store. Periods are half-open `[start, end)`; what falls in the period depends on what is counted:
instances by their start, records by their submission, breaches by their instant, duties by their
due instant. Grouped counts come back as a mapping from the group's value (as text) to a count.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from engine.runtime.events import Event, EventType
from engine.runtime.instance import Duty, DutyStatus, Instance, Record
from engine.runtime.scope import Scope
from engine.spec.model import CountSpec, MetricSpec, ProcessSpec

Value = float | int | None | dict[str, int] | dict[str, float] | list[tuple[str, int]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Period:
    start: datetime | None = None
    end: datetime | None = None
    as_of: datetime | None = None
    """When the figures are taken: a duty not yet due by then is not counted as due."""

    def __contains__(self, moment: datetime | None) -> bool:
        if moment is None:
            return False
        return (self.start is None or moment >= self.start) and (self.end is None or moment < self.end)


EVERYTHING = Period()


@dataclass(frozen=True, slots=True, kw_only=True)
class Figure:
    metric: MetricSpec
    value: Value


def compute(spec: ProcessSpec, instances: Iterable[Instance], period: Period = EVERYTHING) -> list[Figure]:
    """Every metric of `spec` over those of `instances` that run it."""
    mine = [i for i in instances if i.process == spec.id]
    return [Figure(metric=metric, value=value(spec, metric, mine, period)) for metric in spec.metrics]


def value(spec: ProcessSpec, metric: MetricSpec, instances: list[Instance], period: Period) -> Value:
    if metric.count is not None:
        return _count(spec, metric.count, instances, period)
    if metric.rate is not None:
        numerator, denominator = (_total(_count(spec, c, instances, period)) for c in metric.rate)
        return round(numerator / denominator, 4) if denominator else None
    if metric.on_time is not None:
        return _on_time(spec, metric.on_time, instances, period)
    if metric.mean is not None:
        form, fields = metric.mean
        scores = [r.data[f] for r in _records(instances, form, period) for f in fields if f in r.data]
        return round(sum(scores) / len(scores), 2) if scores else None
    if metric.top is not None:
        (kind, name), field, limit = metric.top
        if kind == "form":
            values = [r.data.get(field) for r in _records(instances, name, period)]
        else:
            values = [e.data["data"].get(field) for e in _raised(instances, name, period)]
        counted = Counter(str(v) for v in values if v is not None)
        return sorted(counted.items(), key=lambda item: (-item[1], item[0]))[:limit]  # ties by value
    started = [i for i in instances if i.started_at in period]
    return [(stage, sum(1 for i in started if stage in _stages_entered(i))) for stage in metric.funnel]


def _on_time(spec: ProcessSpec, met: CountSpec, instances: list[Instance], period: Period) -> Value:
    """Met over due, for each group that had an occurrence due (or for all of them)."""
    due = _count(spec, replace(met, of="duties_due"), instances, period)
    done = _count(spec, met, instances, period)
    if isinstance(due, dict) and isinstance(done, dict):
        return {group: round(done.get(group, 0) / total, 4) for group, total in due.items()}
    return round(_total(done) / _total(due), 4) if _total(due) else None


def _total(counted: Value) -> int:
    return sum(counted.values()) if isinstance(counted, dict) else int(counted or 0)  # type: ignore[arg-type]


def _count(
    spec: ProcessSpec, count: CountSpec, instances: list[Instance], period: Period
) -> int | dict[str, int]:
    if count.where is not None:
        where, instants, calendar = count.where, spec.instant_variables(), spec.business_calendar()
        instances = [i for i in instances if where(Scope(i, instants, calendar=calendar))]
    groups: Counter[str] = Counter()
    for instance, item in _items(spec, count, instances, period):
        groups[_group(spec, count.group_by, instance, item)] += 1
    return dict(sorted(groups.items())) if count.group_by else groups[""]


def _items(
    spec: ProcessSpec, count: CountSpec, instances: list[Instance], period: Period
) -> Iterator[tuple[Instance, Any]]:
    for instance in instances:
        if count.of == "instances" and instance.started_at in period:
            yield instance, None
        elif count.of == "completed" and instance.completed_at in period:
            if not count.stage or instance.stage == count.stage:
                yield instance, None
        elif count.of == "records":
            yield from ((instance, r) for r in _records([instance], count.form, period))
        elif count.of == "breaches":
            duties = _duties(spec, count, instance)
            yield from ((instance, d) for d in duties if d.breached_at in period)
        elif count.of in ("duties_due", "duties_met"):
            for duty in _duties(spec, count, instance):
                settled = period.as_of is None or duty.due <= period.as_of
                cancelled_early = duty.status is DutyStatus.CANCELLED and duty.breached_at is None
                counted = duty.due in period and settled and not cancelled_early
                if counted and (count.of == "duties_due" or duty.met):
                    yield instance, duty
        elif count.of == "stage_entries":
            if any(e.data["stage"] == count.stage and e.at in period for e in _entries(instance)):
                yield instance, None
        elif count.of == "events":
            yield from ((instance, e) for e in _raised([instance], count.event, period))
        elif count.of == "rounds":
            yield from (
                (instance, e) for e in _entries(instance) if e.data["exit"] == count.exit and e.at in period
            )


def _group(spec: ProcessSpec, group_by: str, instance: Instance, item: Any) -> str:
    if not group_by:
        return ""
    if group_by in ("stage", "rule", "duty", "role") and isinstance(item, Duty):
        duty_spec = spec.duty(item.id)
        by = {
            "stage": duty_spec.stage or "(instance)",
            "rule": duty_spec.rule,
            "duty": item.id,
            "role": item.role,
        }
        return by[group_by]
    if isinstance(item, Record):
        return str(item.data.get(group_by))
    if isinstance(item, Event) and group_by in item.data.get("data", {}):
        return str(item.data["data"][group_by])
    return str(instance.variables.get(group_by))


def _duties(spec: ProcessSpec, count: CountSpec, instance: Instance) -> Iterator[Duty]:
    """The instance's duty occurrences, those of the counted duty or rule alone if it names one."""
    for duty in instance.duties.values():
        if (not count.duty or duty.id == count.duty) and (
            not count.rule or spec.duty(duty.id).rule == count.rule
        ):
            yield duty


def _records(instances: Iterable[Instance], form: str, period: Period) -> Iterator[Record]:
    """The latest version of each instance's record of `form`, if it was submitted in the period."""
    for instance in instances:
        latest = instance.latest(form)
        if latest is not None and latest.submitted_at in period:
            yield latest


def _raised(instances: Iterable[Instance], event: str, period: Period) -> Iterator[Event]:
    for instance in instances:
        for e in instance.journal:
            if e.type is EventType.EVENT_RAISED and e.data["event"] == event and e.at in period:
                yield e


def _entries(instance: Instance) -> list[Event]:
    return [e for e in instance.journal if e.type is EventType.STAGE_ENTERED]


def _stages_entered(instance: Instance) -> set[str]:
    return {e.data["stage"] for e in _entries(instance)}

"""What a scenario step expects, compared with what the instance says when the step has run (the
names it uses were checked against the process when the file was loaded: `expect_names`).

Expectations, each optional: `stage`, `finished`, `variables`, `records` (fields of the latest record,
its `version` and `signed`), `duties` (per occurrence `id#n`: `status`, `due`, `opened`),
`open_duties` (exactly these), `breaches` and `escalations` (exactly these so far) or
`breaches_include` and `escalations_include` (at least these), `absent` (duty occurrences and
records that must not exist) and `metrics`. Instants are compared to the precision they are written
with: to the minute, or to the second where the expectation gives seconds.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from engine.reports.metrics import Period, compute
from engine.runtime.events import EventType
from engine.runtime.instance import Instance
from engine.simulation.scenario import StepSpec
from engine.time.calendar import wall_text

if TYPE_CHECKING:
    from engine.runtime.engine import Engine

_SECONDS = re.compile(r"\d\d:\d\d:\d\d")


@dataclass(frozen=True, slots=True, kw_only=True)
class Check:
    step: StepSpec
    case: str
    what: str
    expected: Any
    actual: Any
    detail: str = ""

    @property
    def ok(self) -> bool:
        return same(self.expected, self.actual)


def compare(engine: Engine, timezone: str, step: StepSpec, instance: Instance) -> list[Check]:
    """What `step` expects of `instance`, against what it is."""
    expect = step.expect or {}
    found: list[tuple[str, Any, Any]] = []
    if "stage" in expect:
        found.append(("stage", expect["stage"], instance.stage))
    if "finished" in expect:
        found.append(("finished", expect["finished"], instance.finished))
    for name, value in expect.get("variables", {}).items():
        found.append((f"variables.{name}", value, instance.variables.get(name)))
    for form, fields in expect.get("records", {}).items():
        found.extend(_record_checks(instance, form, fields))
    for key, wanted in expect.get("duties", {}).items():
        found.extend(_duty_checks(timezone, instance, key, wanted))
    if "open_duties" in expect:
        found.append(
            ("open_duties", sorted(expect["open_duties"]), sorted(d.key for d in instance.open_duties()))
        )
    breached = [e.data["key"] for e in instance.journal if e.type is EventType.DUTY_BREACHED]
    if "breaches" in expect:
        found.append(("breaches", list(expect["breaches"]), breached))
    if "breaches_include" in expect:
        wanted = list(expect["breaches_include"])
        found.append(("breaches_include", wanted, [k for k in wanted if k in breached]))
    escalations = (e for e in instance.journal if e.type is EventType.DUTY_ESCALATED)
    escalated = {e.data["key"]: e.data["role"] for e in escalations}
    if "escalations" in expect:
        found.append(("escalations", dict(expect["escalations"]), escalated))
    if "escalations_include" in expect:
        wanted_roles = dict(expect["escalations_include"])
        found.append(
            ("escalations_include", wanted_roles, {k: escalated[k] for k in wanted_roles if k in escalated})
        )
    absent = expect.get("absent", {})
    for key in absent.get("duties", []):
        found.append((f"absent.duties.{key}", "absent", "present" if key in instance.duties else "absent"))
    for form in absent.get("records", []):
        found.append(
            (f"absent.records.{form}", "absent", "present" if instance.records.get(form) else "absent")
        )
    if "metrics" in expect:
        spec = engine.definition_of(instance)
        figures = {f.metric.id: f.value for f in compute(spec, engine.instances(), Period(as_of=step.at))}
        found.extend((f"metrics.{n}", value, figures.get(n)) for n, value in expect["metrics"].items())
    return [Check(step=step, case=step.case, what=w, expected=e, actual=a) for w, e, a in found]


def _record_checks(instance: Instance, form: str, fields: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    latest = instance.latest(form)
    if latest is None:
        return [(f"records.{form}", dict(fields), "no record")]
    special = {"version": latest.version, "signed": latest.complete}
    return [
        (f"records.{form}.{name}", value, special[name] if name in special else latest.data.get(name))
        for name, value in fields.items()
    ]


def _duty_checks(
    timezone: str, instance: Instance, key: str, wanted: Mapping[str, Any]
) -> list[tuple[str, Any, Any]]:
    duty = instance.duties.get(key)
    if duty is None:
        return [(f"duties.{key}", dict(wanted), "no such duty occurrence yet")]
    found = []
    for name, value in wanted.items():
        if name == "status":
            found.append((f"duties.{key}.status", value, duty.outcome))
            continue
        moment = duty.due if name == "due" else duty.opened_at
        seconds = bool(_SECONDS.search(value))
        expected = _expected_text(value, timezone, seconds)
        found.append((f"duties.{key}.{name}", expected, wall_text(moment, timezone, seconds=seconds)))
    return found


def _expected_text(text: str, timezone: str, seconds: bool) -> str:
    """An expected instant in the form actual ones take: local, to its own precision."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    return wall_text(moment, timezone, seconds=seconds)


def same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, float) or isinstance(actual, float):
        return (
            isinstance(actual, int | float)
            and isinstance(expected, int | float)
            and math.isclose(expected, actual)
        )
    if isinstance(actual, list) and isinstance(expected, list):
        return len(actual) == len(expected) and all(same(e, a) for e, a in zip(expected, actual, strict=True))
    if isinstance(actual, tuple):
        return same(expected, list(actual))
    if isinstance(actual, dict) and isinstance(expected, dict):
        expected = {str(k): v for k, v in expected.items()}  # YAML keys may be numbers
        return actual.keys() == expected.keys() and all(same(expected[k], actual[k]) for k in actual)
    return bool(expected == actual)

"""The names a scenario's expectations use, checked against the process when the file is loaded, so a
misspelt stage, duty occurrence, form, role or metric is reported at its line before anything runs."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from engine.errors import did_you_mean
from engine.spec.model import ProcessSpec

JsonPath = tuple[str | int, ...]
Report = Callable[[JsonPath, str, bool], None]
"""Where a problem is reported: the JSON path of the name, the message, and whether the name is a
mapping's key (the problem then points at the key rather than at its value)."""


def check_names(report: Report, path: JsonPath, expect: Mapping[str, Any], spec: ProcessSpec) -> None:
    """Every stage, duty occurrence, form, role and metric an expectation names is one of `spec`'s."""
    where = (*path, "expect")
    stages = [s.id for s in spec.stages]
    if "stage" in expect and expect["stage"] not in stages:
        report((*where, "stage"), _unknown("stage", expect["stage"], stages, spec), False)
    duties = [d.id for d in spec.all_duties()]
    absent = expect.get("absent", {})
    named: list[tuple[JsonPath, str, bool]] = [
        ((*where, "duties", k), k, True) for k in expect.get("duties", {})
    ]
    for key in ("open_duties", "breaches", "breaches_include"):
        named += [((*where, key, i), name, False) for i, name in enumerate(expect.get(key, []))]
    for key in ("escalations", "escalations_include"):
        named += [((*where, key, name), name, True) for name in expect.get(key, {})]
    named += [((*where, "absent", "duties", i), n, False) for i, n in enumerate(absent.get("duties", []))]
    for at, occurrence, is_key in named:
        problem = _occurrence_problem(occurrence, duties, spec)
        if problem:
            report(at, problem, is_key)
    roles = [r.id for r in spec.roles]
    for key in ("escalations", "escalations_include"):
        for name, role in expect.get(key, {}).items():
            if role not in roles:
                report((*where, key, name), _unknown("role", role, roles, spec), False)
    forms = [f.id for f in spec.forms]
    named_forms = [((*where, "records", f), f, True) for f in expect.get("records", {})]
    named_forms += [
        ((*where, "absent", "records", i), f, False) for i, f in enumerate(absent.get("records", []))
    ]
    for at, form, is_key in named_forms:
        if form not in forms:
            report(at, _unknown("form", form, forms, spec), is_key)
    metrics = [m.id for m in spec.metrics]
    for name in expect.get("metrics", {}):
        if name not in metrics:
            report((*where, "metrics", name), _unknown("metric", name, metrics, spec), True)


def _unknown(what: str, name: str, known: Iterable[str], spec: ProcessSpec) -> str:
    return f"no {what} '{name}' in {spec.id}{did_you_mean(name, known)}"


def _occurrence_problem(occurrence: str, duties: list[str], spec: ProcessSpec) -> str:
    duty, _, number = occurrence.partition("#")
    if not number.isdigit() or int(number) < 1:
        return f"'{occurrence}' is not a duty occurrence: write the duty and its number, as '{duty}#1'"
    return "" if duty in duties else _unknown("duty", duty, duties, spec)

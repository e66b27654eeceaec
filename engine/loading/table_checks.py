"""Checks of decision tables (every combination of inputs matched by exactly one row) and metrics.
What a table answers is checked with the values it gives (`value_checks`)."""

from __future__ import annotations

import itertools
from typing import Any

from engine.expressions import Kind
from engine.loading.context import Context, var_type
from engine.loading.yaml_source import Path

MAX_COMBINATIONS = 10_000
_REPORTED = 5
_BREAKDOWNS = ("stage", "rule", "duty", "role")
_OF_DUTIES = ("breaches", "duties_due", "duties_met")


def check_tables(ctx: Context) -> None:
    variables = ctx.section("variables")
    for table_id, table in ctx.section("decision_tables").items():
        path: Path = ("decision_tables", table_id)
        domains: dict[str, tuple[Any, ...]] = {}
        for index, name in enumerate(table["inputs"]):
            if not ctx.ref((*path, "inputs", index), name, variables, "variable"):
                continue
            declared = var_type(variables[name]["schema"])
            if declared.values is not None:
                domains[name] = declared.values
            elif declared.kinds == frozenset({Kind.BOOLEAN}):
                domains[name] = (True, False)
            else:
                ctx.add(
                    (*path, "inputs", index), f"input '{name}' needs an enum (or to be boolean) in a table"
                )
        rows_ok = True
        for index, row in enumerate(table["rows"]):
            rows_ok &= _check_row(ctx, (*path, "rows", index), row, domains, table["inputs"])
        if rows_ok and len(domains) == len(table["inputs"]):
            _check_coverage(ctx, path, table, domains)


def _check_row(
    ctx: Context, path: Path, row: dict[str, Any], domains: dict[str, tuple[Any, ...]], inputs: list[str]
) -> bool:
    ok = True
    for name, value in row["when"].items():
        if not ctx.ref((*path, "when", name), name, inputs, "table input"):
            ok = False
            continue
        for item in value if isinstance(value, list) else [value]:
            if name in domains and item not in domains[name]:
                allowed = ", ".join(repr(v) for v in domains[name])
                ctx.add((*path, "when", name), f"{item!r} is not a value of '{name}' (one of {allowed})")
                ok = False
    return ok


def _check_coverage(
    ctx: Context, path: Path, table: dict[str, Any], domains: dict[str, tuple[Any, ...]]
) -> None:
    names = list(table["inputs"])
    total = 1
    for name in names:
        total *= len(domains[name])
    if total > MAX_COMBINATIONS:
        ctx.add(
            (*path, "inputs"),
            f"the inputs have {total:,} combinations; at most {MAX_COMBINATIONS:,} are checked",
        )
        return
    rows = [
        {name: set(v if isinstance(v, list) else [v]) for name, v in row["when"].items()}
        for row in table["rows"]
    ]
    gaps: list[str] = []
    overlaps: dict[tuple[int, ...], str] = {}
    for combination in itertools.product(*(domains[name] for name in names)):
        values = dict(zip(names, combination, strict=True))
        matched = tuple(
            i for i, row in enumerate(rows) if all(values[name] in allowed for name, allowed in row.items())
        )
        text = ", ".join(f"{name}={value!r}" for name, value in values.items())
        if not matched:
            gaps.append(text)
        elif len(matched) > 1:
            overlaps.setdefault(matched, text)
    if gaps:
        more = f" and {len(gaps) - _REPORTED} more" if len(gaps) > _REPORTED else ""
        ctx.add((*path, "rows"), f"no row covers {'; '.join(gaps[:_REPORTED])}{more}")
    for matched, example in overlaps.items():
        listed = " and ".join(f"rows[{i}]" for i in matched)
        ctx.add((*path, "rows", matched[1]), f"{listed} both match {example}")


def check_metrics(ctx: Context) -> None:
    for metric_id, metric in ctx.section("metrics").items():
        path: Path = ("metrics", metric_id)
        if "count" in metric:
            _check_count(ctx, (*path, "count"), metric["count"])
        if "rate" in metric:
            for part in ("numerator", "denominator"):
                _check_count(ctx, (*path, "rate", part), metric["rate"][part])
        if "mean" in metric:
            form_id = metric["mean"]["form"]
            if ctx.ref((*path, "mean", "form"), form_id, ctx.section("forms"), "form"):
                fields = ctx.form_fields(form_id)
                for index, name in enumerate(metric["mean"]["fields"]):
                    where = (*path, "mean", "fields", index)
                    known = ctx.ref(where, name, fields, f"field of form '{form_id}'")
                    if known and not var_type(fields[name]["schema"]).kinds <= {Kind.NUMBER, Kind.NULL}:
                        ctx.add(where, f"field '{name}' is not a number")
        if "top" in metric:
            top = metric["top"]
            section, key = ("forms", "fields") if "form" in top else ("events", "data")
            owner = top.get("form", top.get("event"))
            what = section[:-1]
            if ctx.ref((*path, "top", what), owner, ctx.section(section), what):
                fields = ctx.section(section)[owner].get(key, {})
                ctx.ref((*path, "top", "field"), top["field"], fields, f"field of {what} '{owner}'")
        if "on_time" in metric:
            _check_count(ctx, (*path, "on_time"), {"of": "duties_met", **metric["on_time"]})
        for index, stage_id in enumerate(metric.get("funnel", {}).get("stages", [])):
            ctx.ref((*path, "funnel", "stages", index), stage_id, ctx.section("stages"), "stage")


_NEEDS = {"records": "form", "stage_entries": "stage", "events": "event", "rounds": "exit"}


def _check_count(ctx: Context, path: Path, count: dict[str, Any]) -> None:
    kind = count["of"]
    needed = _NEEDS.get(kind)
    if needed is not None and needed not in count:
        ctx.add(path, f"counting {kind} needs '{needed}'")
    options = {
        "form": (ctx.section("forms"), "form"),
        "stage": (ctx.section("stages"), "stage"),
        "event": (ctx.section("events"), "event"),
        "exit": ({e["id"] for _, _, e in ctx.exits() if "id" in e}, "exit id"),
    }
    for key, (known, what) in options.items():
        if key in count:
            ctx.ref((*path, key), count[key], known, what)
    for key in ("duty", "rule"):
        if key not in count:
            continue
        if kind not in _OF_DUTIES:
            ctx.add(
                (*path, key), f"'{key}' narrows a count of breaches, duties_due or duties_met, not of {kind}"
            )
        elif key == "duty":
            ctx.ref((*path, key), count[key], [d["id"] for _, d in ctx.stage_duties()], "duty")
        else:
            cited = sorted({d["rule"] for _, d in ctx.stage_duties() if "rule" in d})
            ctx.ref((*path, key), count[key], cited, "rule of a duty")
    if "where" in count:
        ctx.condition((*path, "where"), count["where"], ctx.variable_types)
    group = count.get("group_by")
    if group is None:
        return
    groups = set(ctx.section("variables"))
    if kind == "records" and count.get("form") in ctx.section("forms"):
        groups |= set(ctx.form_fields(count["form"]))
    if kind in _OF_DUTIES:
        groups |= set(_BREAKDOWNS)
    ctx.ref((*path, "group_by"), group, sorted(groups), "grouping")

"""Semantic checks of a schema-valid process document: references, values and conditions.

The schema says what shape a document has; these checks say whether it makes sense: every role,
form, stage, variable, event, field, table and duty it names exists, durations and cron expressions
parse, conditions name known variables and compare compatible types, ids are unique.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from datetime import datetime
from typing import Any

from engine.errors import TimeError
from engine.loading.context import Context, var_type
from engine.loading.yaml_source import Path
from engine.time.calendar import check_intervals, country_code, parse_hours, zone
from engine.time.durations import Unit
from engine.time.recurrence import check_cron

_APPROX_MINUTES = {
    Unit.MINUTE: 1,
    Unit.HOUR: 60,
    Unit.DAY: 1440,
    Unit.WEEK: 10080,
    Unit.WORKING_MINUTE: 1,
    Unit.WORKING_HOUR: 60,
    Unit.WORKING_DAY: 1440,
    Unit.MONTH: 43830,
    Unit.YEAR: 525960,
}
"""Rough lengths, only to check that a list of offsets is in increasing order."""


def check_document(ctx: Context, *, calendar_checked: bool = False) -> None:
    """Every check of the document; a calendar read from its own file was checked there."""
    if not calendar_checked:
        check_calendar(ctx, ctx.section("calendar"), ("calendar",))
    check_json_schemas(ctx)
    check_forms(ctx)
    check_events(ctx)
    check_stages(ctx)
    check_duties(ctx)
    check_start(ctx)


def check_calendar(ctx: Context, calendar: dict[str, Any], path: Path) -> None:
    try:
        zone(calendar["timezone"])
    except TimeError as error:
        ctx.add((*path, "timezone"), str(error))
    if "country" in calendar:
        try:
            country_code(calendar["country"])
        except TimeError as error:
            ctx.add((*path, "country"), str(error))
    hour_lists: list[tuple[Path, list[str]]] = [((*path, "hours"), calendar.get("hours", []))]
    hour_lists += [((*path, "weekdays", day), hours) for day, hours in calendar.get("weekdays", {}).items()]
    for list_path, hours in hour_lists:
        intervals = []
        for index, text in enumerate(hours):
            try:
                intervals.append(parse_hours(text))
            except TimeError as error:
                ctx.add((*list_path, index), str(error))
        try:
            check_intervals(tuple(intervals))
        except TimeError as error:
            ctx.add(list_path, str(error))


def check_json_schemas(ctx: Context) -> None:
    """Every variable's and field's schema against the meta-schema, and the titles of its values."""
    places: list[tuple[Path, dict[str, Any]]] = [
        (("variables", name), body) for name, body in ctx.section("variables").items()
    ]
    for section, key in (("forms", "fields"), ("events", "data")):
        for owner, body in ctx.section(section).items():
            for name, field_body in body.get(key, {}).items():
                places.append(((section, owner, key, name), field_body))
    for path, body in places:
        error = _schema_error(json.dumps(body["schema"], sort_keys=True))
        if error is not None:
            ctx.add((*path, "schema", *error[0]), f"not a valid JSON Schema: {error[1]}")
        elif "value_titles" in body:
            _check_value_titles(ctx, path, body["schema"], body["value_titles"])


def _check_value_titles(ctx: Context, path: Path, schema: dict[str, Any], titles: dict[str, str]) -> None:
    """Titles only for values the schema allows: its `enum`, or the `enum` of its list items."""
    items = schema.get("items") if schema.get("type") == "array" else None
    allowed = (items if isinstance(items, dict) else schema).get("enum")
    for value in titles:
        if not isinstance(allowed, list):
            ctx.add((*path, "value_titles"), "value titles need a schema with an enum of the allowed values")
            return
        if value not in [str(a) for a in allowed]:
            choices = ", ".join(str(a) for a in allowed)
            ctx.add(
                (*path, "value_titles", value),
                f"'{value}' is not an allowed value (allowed: {choices})",
                key=True,
            )


@functools.lru_cache(maxsize=4096)
def _schema_error(schema_text: str) -> tuple[Path, str] | None:
    """Where and why a schema breaks the 2020-12 meta-schema; forms repeat a few field schemas many
    times, and checking one against the meta-schema costs a millisecond."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(json.loads(schema_text))
    except SchemaError as error:
        return tuple(error.absolute_path), error.message
    return None


def _check_sets(ctx: Context, path: Path, sets: dict[str, str], fields: dict[str, Any], what: str) -> None:
    variables = ctx.section("variables")
    for variable, field_name in sets.items():
        known_variable = ctx.ref((*path, variable), variable, variables, "variable")
        known_field = ctx.ref((*path, variable), field_name, fields, f"field of this {what}")
        if known_variable and known_field:
            target = var_type(variables[variable]["schema"]).kinds
            given = var_type(fields[field_name]["schema"]).kinds
            if not target & given:
                mismatch = f"({_kinds(given)}) cannot set variable '{variable}' ({_kinds(target)})"
                ctx.add((*path, variable), f"field '{field_name}' {mismatch}")


def _kinds(kinds: frozenset[Any]) -> str:
    return " or ".join(sorted(kind.value for kind in kinds))


def check_forms(ctx: Context) -> None:
    for form_id, form in ctx.section("forms").items():
        path: Path = ("forms", form_id)
        ctx.roles((*path, "filled_by"), form["filled_by"])
        ctx.roles((*path, "signed_by"), form.get("signed_by", []))
        _check_sets(ctx, (*path, "sets"), form.get("sets", {}), form["fields"], "form")


def check_events(ctx: Context) -> None:
    triggers = ctx.triggers
    for event_id, event in ctx.section("events").items():
        path: Path = ("events", event_id)
        if event_id in triggers:
            ctx.add(path, f"'{event_id}' is both an event and a trigger; give them different names", key=True)
        ctx.roles((*path, "by"), event["by"])
        data = event.get("data", {})
        _check_sets(ctx, (*path, "sets"), event.get("sets", {}), data, "event's data")
        child = event.get("start_child")
        if child is None:
            continue
        if ctx.known_processes is not None:
            ctx.ref((*path, "start_child", "process"), child["process"], ctx.known_processes, "process")
        sources = [*ctx.section("variables"), *data]
        for name, source in child.get("inputs", {}).items():
            ctx.ref((*path, "start_child", "inputs", name), source, sources, "variable or event data field")


def check_stages(ctx: Context) -> None:
    stages = ctx.section("stages")
    forms = ctx.section("forms")
    types = ctx.variable_types
    if "initial" in ctx.data:
        ctx.ref(("initial",), ctx.data["initial"], stages, "stage")
    if not ctx.left_out and not any(stage.get("end") for stage in stages.values()):
        ctx.add(("stages",), "no stage is marked 'end: true'; an instance could never finish")
    for stage_id, stage in stages.items():
        path: Path = ("stages", stage_id)
        if "owner" in stage:
            ctx.ref((*path, "owner"), stage["owner"], ctx.section("roles"), "role")
        ctx.roles((*path, "assist"), stage.get("assist", []))
        ctx.roles((*path, "notify_on_entry"), stage.get("notify_on_entry", []))
        for index, form_id in enumerate(stage.get("produces", [])):
            ctx.ref((*path, "produces", index), form_id, forms, "form")
        window = stage.get("window")
        if window is not None:
            for key in ("from", "to"):
                if key in window:
                    ctx.duration((*path, "window", key), window[key])
        if stage.get("end") and stage.get("exits"):
            ctx.add((*path, "exits"), "an end stage has no exits")
    exit_ids: dict[str, Path] = {}
    for path, _, exit_ in ctx.exits():
        ctx.ref((*path, "to"), exit_["to"], stages, "stage")
        if "on_record" in exit_:
            ctx.ref((*path, "on_record"), exit_["on_record"], forms, "form")
        on_signed: str = exit_.get("on_signed", "")
        known = bool(on_signed) and ctx.ref((*path, "on_signed"), on_signed, forms, "form")
        if known and not forms[on_signed].get("signed_by"):
            ctx.add((*path, "on_signed"), f"form '{on_signed}' has no signed_by: it is never signed")
        if "on_event" in exit_:
            ctx.ref((*path, "on_event"), exit_["on_event"], ctx.section("events"), "event")
        ctx.roles((*path, "by"), exit_.get("by", []))
        for index, form_id in enumerate(exit_.get("requires", [])):
            ctx.ref((*path, "requires", index), form_id, forms, "form")
        if "fallback" in exit_:
            ctx.ref((*path, "fallback"), exit_["fallback"], stages, "stage")
        if "when" in exit_:
            ctx.condition((*path, "when"), exit_["when"], types)
        if "id" in exit_:
            if exit_["id"] in exit_ids:
                first = ctx.source.locate(exit_ids[exit_["id"]])
                ctx.add((*path, "id"), f"duplicate exit id '{exit_['id']}' (first used at line {first[0]})")
            exit_ids.setdefault(exit_["id"], (*path, "id"))


def check_duties(ctx: Context) -> None:
    seen: dict[str, Path] = {}
    duty_ids = {duty["id"] for _, duty in ctx.stage_duties()}
    for path, duty in ctx.stage_duties():
        if duty["id"] in seen:
            first = ctx.source.locate(seen[duty["id"]])
            ctx.add((*path, "id"), f"duplicate duty id '{duty['id']}' (first used at line {first[0]})")
        seen.setdefault(duty["id"], (*path, "id"))
        _check_duty(ctx, path, duty, duty_ids)


def _check_duty(ctx: Context, path: Path, duty: dict[str, Any], duty_ids: set[str]) -> None:
    ctx.ref((*path, "role"), duty["role"], ctx.section("roles"), "role")
    due = duty["due"]
    if isinstance(due, str):
        ctx.duration((*path, "due"), due)
    else:
        ctx.ref((*path, "due", "table"), due["table"], ctx.section("decision_tables"), "decision table")
    if "when" in duty:
        ctx.condition((*path, "when"), duty["when"], ctx.variable_types)
    _check_anchor(ctx, (*path, "anchor"), duty.get("anchor", "scope_start"), duty_ids, duty["id"])
    satisfied = duty["satisfied_by"]
    known = {
        "form": (ctx.section("forms"), "form"),
        "event": (ctx.section("events"), "event"),
        "trigger": (ctx.triggers, "trigger"),
    }
    for key, (options, what) in known.items():
        if key in satisfied:
            ctx.ref((*path, "satisfied_by", key), satisfied[key], options, what)
    if "warn" in duty:
        _check_warning(ctx, (*path, "warn"), duty["warn"])
    for index, action in enumerate(duty.get("on_breach", [])):
        for key in ("escalate", "notify"):
            roles = action.get(key, [])
            if isinstance(roles, str):
                ctx.ref((*path, "on_breach", index, key), roles, ctx.section("roles"), "role")
            else:
                ctx.roles((*path, "on_breach", index, key), roles)
    if "repeat" in duty:
        _check_repeat(ctx, (*path, "repeat"), duty["repeat"])
    paused = duty.get("paused_while")
    if isinstance(paused, str):
        ctx.condition((*path, "paused_while"), paused, ctx.variable_types)
    elif isinstance(paused, dict):
        for index, stage_id in enumerate(paused["stages"]):
            ctx.ref((*path, "paused_while", "stages", index), stage_id, ctx.section("stages"), "stage")


_SHARE = re.compile(r"^([1-9][0-9]?)%$")


def _check_warning(ctx: Context, path: Path, text: str) -> None:
    """A wall-clock time before the deadline (`2h`), or a share of the allowed time (`75%`)."""
    if text.endswith("%"):
        if _SHARE.match(text) is None:
            ctx.add(
                path, f"'{text}' is not a share of the allowed time; write a whole percentage from 1% to 99%"
            )
        return
    warn = ctx.duration(path, text)
    if warn is not None and not warn.is_wall:
        ctx.add(
            path,
            f"a warning before the deadline is given in wall-clock time (m, h, d, w), not '{warn}'; "
            "for a share of the allowed time write a percentage such as 75%",
        )


def _check_anchor(ctx: Context, path: Path, anchor: Any, duty_ids: set[str], own_id: str) -> None:
    if isinstance(anchor, str):
        return
    kind, value = next(iter(anchor.items()))
    where = (*path, kind)
    if kind == "record":
        ctx.ref(where, value, ctx.section("forms"), "form")
    elif kind == "event":
        ctx.ref(where, value, ctx.section("events"), "event")
    elif kind in ("duty", "breach"):
        if value == own_id:
            ctx.add(where, f"duty '{own_id}' cannot be anchored on itself")
        else:
            ctx.ref(where, value, duty_ids, "duty")
    elif kind == "field":
        form_id, field_id = value.split(".", 1)
        if ctx.ref(where, form_id, ctx.section("forms"), "form"):
            fields = ctx.form_fields(form_id)
            if ctx.ref(where, field_id, fields, f"field of form '{form_id}'"):
                fmt = fields[field_id]["schema"].get("format")
                if fmt not in ("date", "date-time"):
                    ctx.add(where, f"field '{value}' must have format date or date-time to anchor a deadline")


def _check_repeat(ctx: Context, path: Path, repeat: dict[str, Any]) -> None:
    for key in ("every", "after_done"):
        if key in repeat:
            interval = ctx.duration((*path, key), repeat[key])
            if interval is not None and interval.amount == 0:
                ctx.add((*path, key), "a repeat interval must be longer than zero")
    if "cron" in repeat:
        try:
            check_cron(repeat["cron"])
        except TimeError as error:
            ctx.add((*path, "cron"), str(error))
    offsets = [ctx.duration((*path, "at", i), text) for i, text in enumerate(repeat.get("at", []))]
    lengths = [o.amount * _APPROX_MINUTES[o.unit] for o in offsets if o is not None]
    if len(lengths) == len(offsets) and any(b <= a for a, b in itertools.pairwise(lengths)):
        ctx.add((*path, "at"), "the offsets must be in increasing order")
    if "until" in repeat:
        try:
            until = datetime.fromisoformat(repeat["until"])
        except ValueError:
            ctx.add((*path, "until"), f"'{repeat['until']}' is not an ISO 8601 instant")
        else:
            if until.tzinfo is None:
                ctx.add((*path, "until"), f"'{repeat['until']}' needs a timezone offset such as +08:00")


def check_start(ctx: Context) -> None:
    start = ctx.data.get("start")
    if start is None:
        return
    ctx.roles(("start", "by"), start["by"])
    schedule = start.get("schedule")
    if schedule is not None:
        try:
            check_cron(schedule["cron"])
        except TimeError as error:
            ctx.add(("start", "schedule", "cron"), str(error))
        _check_schedule_inputs(ctx, schedule.get("inputs", {}))


def _check_schedule_inputs(ctx: Context, inputs: dict[str, Any]) -> None:
    """What a self-started instance is given must be what a start may be given."""
    from jsonschema import Draft202012Validator

    variables = ctx.section("variables")
    given = {name: body for name, body in variables.items() if body.get("input", "none") != "none"}
    schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {name: body["schema"] for name, body in given.items()},
        "required": [name for name, body in given.items() if body["input"] == "required"],
    }
    checker = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    for error in checker.iter_errors(inputs):
        ctx.add(("start", "schedule", "inputs", *error.absolute_path), f"a start input: {error.message}")

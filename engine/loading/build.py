"""Turns a checked process document into immutable specs.

Only called once every check has passed, so lookups cannot fail here; anything this module would
have to reject belongs in the checks instead.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from engine.expressions import Condition, parse_condition, parse_expression
from engine.spec.model import (
    AnchorKind,
    AnchorSpec,
    BreachActionSpec,
    ChildSpec,
    CountSpec,
    DecisionRowSpec,
    DecisionTableSpec,
    DueSpec,
    DutySpec,
    EventSpec,
    ExitSpec,
    FieldSpec,
    FormSpec,
    MetricSpec,
    ProcessSpec,
    ReportSpec,
    RoleSpec,
    ScheduleSpec,
    Scope,
    StageSpec,
    VariableSpec,
    WindowSpec,
)
from engine.time.calendar import WEEKDAYS, CalendarSpec, country_code, parse_hours
from engine.time.durations import parse_duration
from engine.time.recurrence import OnNonWorking, RecurrenceSpec


def build_process(data: dict[str, Any], path: str) -> ProcessSpec:
    start = data.get("start", {})
    schedule = start.get("schedule")
    report = data.get("report")
    stages = data["stages"]
    return ProcessSpec(
        id=data["id"],
        version=data["version"],
        title=data["title"],
        title_en=data.get("title_en", ""),
        locale=data.get("locale", "en"),
        description=data.get("description", ""),
        source=data.get("source", ""),
        path=path,
        calendar=build_calendar(data["calendar"]),
        roles=tuple(RoleSpec(id=k, **_texts(v)) for k, v in data["roles"].items()),
        variables=tuple(_variable(k, v) for k, v in data.get("variables", {}).items()),
        forms=tuple(_form(k, v) for k, v in data.get("forms", {}).items()),
        events=tuple(_event(k, v) for k, v in data.get("events", {}).items()),
        decision_tables=tuple(_table(k, v) for k, v in data.get("decision_tables", {}).items()),
        stages=tuple(_stage(k, v) for k, v in stages.items()),
        initial=data.get("initial", next(iter(stages))),
        duties=tuple(_duty(d, Scope.INSTANCE, "") for d in data.get("duties", [])),
        start_by=tuple(start.get("by", ())),
        schedule=(
            ScheduleSpec(
                cron=schedule["cron"],
                on_non_working=OnNonWorking(schedule.get("on_non_working", "keep")),
                inputs_json=_canonical(schedule.get("inputs", {})),
            )
            if schedule
            else None
        ),
        metrics=tuple(_metric(k, v) for k, v in data.get("metrics", {}).items()),
        report=(
            ReportSpec(
                title=report["title"],
                title_en=report.get("title_en", ""),
                period=report["period"],
                rules=tuple(report.get("rules", ())),
            )
            if report
            else None
        ),
    )


def build_calendar(data: dict[str, Any]) -> CalendarSpec:
    weekend = data.get("weekend")
    return CalendarSpec(
        timezone=data["timezone"],
        country=country_code(data["country"]) if "country" in data else None,
        subdivision=data.get("subdivision"),
        hours=tuple(parse_hours(h) for h in data["hours"]) if "hours" in data else CalendarSpec().hours,
        weekday_hours=tuple(
            (WEEKDAYS.index(day), tuple(parse_hours(h) for h in hours))
            for day, hours in data.get("weekdays", {}).items()
        ),
        weekend=tuple(WEEKDAYS.index(day) for day in weekend) if weekend is not None else None,
        days_off=frozenset(date.fromisoformat(d) for d in data.get("days_off", ())),
        working_days=frozenset(date.fromisoformat(d) for d in data.get("working_days", ())),
    )


def _texts(body: dict[str, Any]) -> dict[str, Any]:
    return {key: body[key] for key in ("title", "title_en", "description") if key in body}


def _canonical(schema: dict[str, Any]) -> str:
    return json.dumps(schema, sort_keys=True, ensure_ascii=False)


def _variable(name: str, body: dict[str, Any]) -> VariableSpec:
    derive = body.get("derive")
    return VariableSpec(
        id=name,
        schema_json=_canonical(body["schema"]),
        input=body.get("input", "none"),
        derive_table=derive["table"] if isinstance(derive, dict) else "",
        derive=parse_expression(derive) if isinstance(derive, str) else None,
        value_titles=tuple(body.get("value_titles", {}).items()),
        **_texts(body),
    )


def _fields(fields: dict[str, Any]) -> tuple[FieldSpec, ...]:
    return tuple(
        FieldSpec(
            id=k,
            schema_json=_canonical(v["schema"]),
            required=v.get("required", True),
            default=parse_expression(v["default"]) if "default" in v else None,
            value_titles=tuple(v.get("value_titles", {}).items()),
            **_texts(v),
        )
        for k, v in fields.items()
    )


def _form(name: str, body: dict[str, Any]) -> FormSpec:
    return FormSpec(
        id=name,
        fields=_fields(body["fields"]),
        filled_by=tuple(body["filled_by"]),
        signed_by=tuple(body.get("signed_by", ())),
        distinct_signers=body.get("distinct_signers", True),
        sets=tuple(body.get("sets", {}).items()),
        rules=tuple(body.get("rules", ())),
        **_texts(body),
    )


def _event(name: str, body: dict[str, Any]) -> EventSpec:
    child = body.get("start_child")
    return EventSpec(
        id=name,
        by=tuple(body["by"]),
        data=_fields(body.get("data", {})),
        sets=tuple(body.get("sets", {}).items()),
        start_child=(
            ChildSpec(process=child["process"], inputs=tuple(child.get("inputs", {}).items()))
            if child
            else None
        ),
        rules=tuple(body.get("rules", ())),
        **_texts(body),
    )


def _table(name: str, body: dict[str, Any]) -> DecisionTableSpec:
    rows = tuple(
        DecisionRowSpec(
            when=tuple((k, tuple(v) if isinstance(v, list) else (v,)) for k, v in row["when"].items()),
            then=row["then"],
            note=row.get("note", ""),
        )
        for row in body["rows"]
    )
    return DecisionTableSpec(
        id=name,
        inputs=tuple(body["inputs"]),
        rows=rows,
        default=body.get("default"),
        rules=tuple(body.get("rules", ())),
        **_texts(body),
    )


def _condition(text: str | None) -> Condition | None:
    return parse_condition(text) if text is not None else None


def _anchor(value: Any) -> AnchorSpec:
    if isinstance(value, str):
        return AnchorSpec(kind=AnchorKind(value))
    kind, ref = next(iter(value.items()))
    if kind == "field":
        form_id, field_id = ref.split(".", 1)
        return AnchorSpec(kind=AnchorKind.FIELD, ref=form_id, field=field_id)
    return AnchorSpec(kind=AnchorKind(kind), ref=ref)


def _repeat(body: dict[str, Any]) -> RecurrenceSpec:
    return RecurrenceSpec(
        every=parse_duration(body["every"]) if "every" in body else None,
        cron=body.get("cron"),
        offsets=tuple(parse_duration(text) for text in body.get("at", ())),
        after_done=parse_duration(body["after_done"]) if "after_done" in body else None,
        on_non_working=OnNonWorking(body.get("on_non_working", "keep")),
        count=body.get("count"),
        until=datetime.fromisoformat(body["until"]) if "until" in body else None,
    )


def _duty(body: dict[str, Any], scope: Scope, stage: str) -> DutySpec:
    due = body["due"]
    satisfied = body["satisfied_by"]
    paused = body.get("paused_while")
    return DutySpec(
        id=body["id"],
        title=body["title"],
        title_en=body.get("title_en", ""),
        rule=body.get("rule", ""),
        role=body["role"],
        scope=scope,
        stage=stage,
        due=DueSpec(duration=parse_duration(due)) if isinstance(due, str) else DueSpec(table=due["table"]),
        anchor=_anchor(body.get("anchor", "scope_start")),
        when=_condition(body.get("when")),
        satisfied_by_form=satisfied.get("form", ""),
        satisfied_by_event=satisfied.get("event", ""),
        satisfied_by_trigger=satisfied.get("trigger", ""),
        needs_signatures=satisfied.get("signed", False),
        repeat=_repeat(body["repeat"]) if "repeat" in body else None,
        warn=parse_duration(body["warn"]) if "warn" in body and not _is_share(body["warn"]) else None,
        warn_share=int(body["warn"][:-1]) if "warn" in body and _is_share(body["warn"]) else None,
        on_breach=tuple(
            BreachActionSpec(escalate=_roles(a.get("escalate", ())), notify=_roles(a.get("notify", ())))
            for a in body.get("on_breach", ())
        ),
        paused_in=tuple(paused["stages"]) if isinstance(paused, dict) else (),
        paused_when=parse_condition(paused) if isinstance(paused, str) else None,
    )


def _is_share(text: str) -> bool:
    """`75%`: a warning when that share of the allowed time has run."""
    return text.endswith("%")


def _roles(value: str | list[str]) -> tuple[str, ...]:
    """One role or a list of them."""
    return (value,) if isinstance(value, str) else tuple(value)


def _exit(body: dict[str, Any]) -> ExitSpec:
    return ExitSpec(
        to=body["to"],
        trigger=body.get("trigger", ""),
        on_record=body.get("on_record", ""),
        on_signed=body.get("on_signed", ""),
        on_event=body.get("on_event", ""),
        when=_condition(body.get("when")),
        by=tuple(body.get("by", ())),
        requires=tuple(body.get("requires", ())),
        max_rounds=body.get("max_rounds"),
        fallback=body.get("fallback", ""),
        id=body.get("id", ""),
        title=body.get("title", ""),
    )


def _stage(name: str, body: dict[str, Any]) -> StageSpec:
    window = body.get("window")
    return StageSpec(
        id=name,
        owner=body.get("owner", ""),
        assist=tuple(body.get("assist", ())),
        window=(
            WindowSpec(
                start=parse_duration(window["from"]) if "from" in window else None,
                end=parse_duration(window["to"]),
                anchor=window.get("anchor", "instance_start"),
            )
            if window
            else None
        ),
        produces=tuple(body.get("produces", ())),
        notify_on_entry=tuple(body.get("notify_on_entry", ())),
        duties=tuple(_duty(d, Scope.STAGE, name) for d in body.get("duties", ())),
        exits=tuple(_exit(e) for e in body.get("exits", ())),
        end=body.get("end", False),
        rules=tuple(body.get("rules", ())),
        **_texts(body),
    )


def _count(body: dict[str, Any]) -> CountSpec:
    return CountSpec(
        of=body["of"],
        form=body.get("form", ""),
        stage=body.get("stage", ""),
        event=body.get("event", ""),
        exit=body.get("exit", ""),
        duty=body.get("duty", ""),
        rule=body.get("rule", ""),
        where=_condition(body.get("where")),
        group_by=body.get("group_by", ""),
    )


def _metric(name: str, body: dict[str, Any]) -> MetricSpec:
    rate = body.get("rate")
    mean = body.get("mean")
    top = body.get("top")
    return MetricSpec(
        id=name,
        count=_count(body["count"]) if "count" in body else None,
        rate=(_count(rate["numerator"]), _count(rate["denominator"])) if rate else None,
        mean=(mean["form"], tuple(mean["fields"])) if mean else None,
        top=(
            ("form", top["form"]) if "form" in top else ("event", top["event"]),
            top["field"],
            top.get("limit", 5),
        )
        if top
        else None,
        funnel=tuple(body.get("funnel", {}).get("stages", ())),
        on_time=_count({"of": "duties_met", **body["on_time"]}) if "on_time" in body else None,
        rules=tuple(body.get("rules", ())),
        **_texts(body),
    )

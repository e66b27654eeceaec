"""The handbook of a process: for the people who work it, per stage who does what by when, the
decision tables and the forms; in the process's language (or the one asked for)."""

from __future__ import annotations

import json

from engine.locale import N_, Words
from engine.render.document import Block, Bullets, Heading, Paragraph, Table
from engine.render.words import (
    breach_text,
    condition_text,
    due_text,
    exit_text,
    form_name,
    hours_text,
    repeat_text,
    role_name,
    roles_text,
    satisfied_text,
    title_of,
    value_title,
    warning_text,
    window_text,
)
from engine.spec.model import DutySpec, ExitSpec, FieldSpec, ProcessSpec
from engine.time.durations import parse_duration


def handbook(process: ProcessSpec, w: Words) -> list[Block]:
    calendar = process.calendar
    blocks: list[Block] = [
        Heading(1, title_of(process, w)),
        Paragraph(
            w.t(
                "Process {id}, version {version}. Source: {source}.",
                id=process.id,
                version=process.version,
                source=process.source or w.t("not given"),
            )
        ),
    ]
    if process.description:
        blocks.append(Paragraph(process.description))
    hours = hours_text(process, w)
    if calendar.country:
        time = w.t(
            "Deadlines are counted in {zone}. Working time is {hours} on working days, "
            "with the public holidays and moved working days of {country}.",
            zone=w.timezone(calendar.timezone),
            hours=hours,
            country=w.country(calendar.country),
        )
    else:
        time = w.t(
            "Deadlines are counted in {zone}. Working time is {hours} on working days.",
            zone=w.timezone(calendar.timezone),
            hours=hours,
        )
    blocks += [
        Paragraph(time),
        Heading(2, w.t("Roles")),
        _roles(process, w),
    ]
    if process.duties:
        blocks += [Heading(2, w.t("Throughout the case")), _duty_table(process, process.duties, w)]
    for stage in process.stages:
        blocks.append(Heading(2, title_of(stage, w)))
        facts = []
        if stage.owner:
            facts.append(w.t("Owner: {role}", role=role_name(process, stage.owner, w)))
        if stage.assist:
            facts.append(w.t("Assisted by: {roles}", roles=roles_text(process, stage.assist, w)))
        if stage.window is not None:
            facts.append(w.t("Planned window: {window}", window=window_text(stage, w)))
        if stage.produces:
            forms = w.join([form_name(process, f, w) for f in stage.produces])
            facts.append(w.t("Produces: {forms}", forms=forms))
        if stage.notify_on_entry:
            facts.append(
                w.t("On entry, notify: {roles}", roles=roles_text(process, stage.notify_on_entry, w))
            )
        if stage.rules:
            facts.append(w.t("Rules: {rules}", rules=", ".join(stage.rules)))
        if stage.end:
            facts.append(w.t("The case ends here."))
        blocks.append(Bullets(tuple(facts)))
        if stage.duties:
            blocks.append(_duty_table(process, stage.duties, w))
        if stage.exits:
            rows = tuple(
                (
                    title_of(process.stage(e.to), w),
                    exit_text(process, e, w),
                    roles_text(process, _movers(process, e), w),
                )
                for e in stage.exits
            )
            blocks.append(Table((w.t("Next stage"), w.t("How"), w.t("Who")), rows))
    return blocks + _tables(process, w) + forms_section(process, w)


def _roles(process: ProcessSpec, w: Words) -> Block:
    """The roles, with what they do where the process says it."""
    if any(r.description for r in process.roles):
        rows = tuple((title_of(r, w), r.description) for r in process.roles)
        return Table((w.t("Role"), w.t("What they do")), rows)
    return Bullets(tuple(title_of(r, w) for r in process.roles))


def _movers(process: ProcessSpec, exit_: ExitSpec) -> tuple[str, ...]:
    """Who can take an exit: its roles, or whoever submits, signs or reports what takes it."""
    if exit_.on_record:
        return process.form(exit_.on_record).filled_by
    if exit_.on_signed:
        return process.form(exit_.on_signed).signed_by
    if exit_.on_event:
        return process.event(exit_.on_event).by
    return exit_.by


def _duty_table(process: ProcessSpec, duties: tuple[DutySpec, ...], w: Words) -> Table:
    rows = []
    for duty in duties:
        when = (
            w.t("only if {condition}", condition=condition_text(process, duty.when, w)) if duty.when else ""
        )
        repeat = repeat_text(process, duty, duty.repeat, w) if duty.repeat is not None else ""
        parts = [x for x in (repeat, due_text(process, duty, w), when, warning_text(duty, w)) if x]
        rows.append(
            (
                title_of(duty, w),
                role_name(process, duty.role, w),
                "; ".join(parts) if w.spaced else "；".join(parts),
                satisfied_text(process, duty, w),
                breach_text(process, duty, w),
                duty.rule,
            )
        )
    header = (w.t("What"), w.t("Who"), w.t("By when"), w.t("Done by"), w.t("If late"), w.t("Rule"))
    return Table(header, tuple(rows))


def _tables(process: ProcessSpec, w: Words) -> list[Block]:
    blocks: list[Block] = []
    variables = {v.id: v for v in process.variables}
    for table in process.decision_tables:
        blocks.append(Heading(2, w.t("Decision table: {title}", title=title_of(table, w))))
        inputs = [variables.get(name) for name in table.inputs]
        answer = next((v for v in process.variables if v.derive_table == table.id), None)
        rows = tuple(
            (
                *(
                    _choice(variable, dict(row.when).get(name), w)
                    for name, variable in zip(table.inputs, inputs, strict=True)
                ),
                _answer(answer, row.then, w),
                row.note,
            )
            for row in table.rows
        )
        header = tuple(
            title_of(v, w) if v is not None else n for n, v in zip(table.inputs, inputs, strict=True)
        )
        blocks.append(Table((*header, w.t("Result"), w.t("Note")), rows))
    return blocks


def _choice(variable: object, values: tuple[object, ...] | None, w: Words) -> str:
    if values is None:
        return w.t("any")
    return w.join([value_title(variable, v, w) for v in values], alternatives=True)


def _answer(variable: object, then: object, w: Words) -> str:
    """A row's result: a value of the variable the table derives, or a deadline's duration."""
    if variable is None and isinstance(then, str):
        return w.duration(parse_duration(then))
    return value_title(variable, then, w)


def forms_section(process: ProcessSpec, w: Words) -> list[Block]:
    """The blank forms of a process: who fills and signs each, and its fields."""
    blocks: list[Block] = [Heading(2, w.t("Forms"))] if process.forms else []
    for form in process.forms:
        blocks.append(Heading(3, form_name(process, form.id, w)))
        facts = [w.t("Filled by: {roles}", roles=roles_text(process, form.filled_by, w))]
        if form.signed_by:
            facts.append(w.t("Signed by: {roles}", roles=roles_text(process, form.signed_by, w)))
        if form.rules:
            facts.append(w.t("Rules: {rules}", rules=", ".join(form.rules)))
        blocks.append(Bullets(tuple(facts)))
        blocks.append(blank_form_table(form.fields, w))
    return blocks


def blank_form_table(fields: tuple[FieldSpec, ...], w: Words) -> Table:
    header = (w.t("Field"), w.t("Type"), w.t("Required"), w.t("Notes"))
    rows = tuple(
        (title_of(f, w), field_type(f, w), w.t("yes") if f.required else w.t("no"), f.description)
        for f in fields
    )
    return Table(header, rows)


def field_type(field: FieldSpec, w: Words) -> str:
    """What a field takes, in words: a choice of its values' titles, a kind of value, a list."""
    schema = field.schema()
    items = schema.get("items") if isinstance(schema.get("items"), dict) else None
    if "enum" in schema:
        choices = [value_title(field, v, w) for v in schema["enum"]]
        return w.t("one of: {values}", values=w.join(choices, alternatives=True))
    if items is not None and "enum" in items:
        return w.t("any of: {values}", values=w.join([value_title(field, v, w) for v in items["enum"]]))
    if "const" in schema:
        return w.t("exactly {value}", value=json.dumps(schema["const"], ensure_ascii=False))
    kind = _KIND_WORDS.get(f"{schema.get('type')}:{schema.get('format', '')}") or _KIND_WORDS.get(
        str(schema.get("type")), ""
    )
    if schema.get("type") == "array" and items is not None:
        inner = _KIND_WORDS.get(str(items.get("type")), "")
        return w.t("a list of {kind}", kind=w.t(inner)) if inner else w.t("a list")
    return w.t(kind) if kind else w.t("any value")


_KIND_WORDS = {
    "string": N_("text"),
    "string:date-time": N_("a date and time"),
    "string:date": N_("a date"),
    "string:email": N_("an email address"),
    "integer": N_("a whole number"),
    "number": N_("a number"),
    "boolean": N_("yes or no"),
    "object": N_("a set of values"),
}

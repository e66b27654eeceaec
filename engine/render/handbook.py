"""The handbook of a process: for the people who work it, per stage who does what by when, and the forms."""

from __future__ import annotations

import json

from engine.render.document import Block, Bullets, Heading, Paragraph, Table
from engine.render.words import (
    both,
    breach_text,
    due_text,
    exit_text,
    form_name,
    hours_text,
    repeat_text,
    role_name,
    satisfied_text,
    warning_text,
    window_text,
)
from engine.spec.model import DutySpec, ExitSpec, FieldSpec, ProcessSpec


def handbook(process: ProcessSpec) -> list[Block]:
    calendar = process.calendar
    country = f", holidays and adjusted working days of {calendar.country}" if calendar.country else ""
    blocks: list[Block] = [
        Heading(1, both(process.title, process.title_en)),
        Paragraph(
            f"Process `{process.id}` version {process.version}. Source: {process.source or 'not given'}."
        ),
    ]
    if process.description:
        blocks.append(Paragraph(process.description))
    blocks += [
        Paragraph(
            f"Deadlines are computed in {calendar.timezone}; working time is {hours_text(process)} "
            f"on working days{country}."
        ),
        Heading(2, "Roles"),
        Table(("Role", "Id"), tuple((both(r.title, r.title_en), r.id) for r in process.roles)),
    ]
    if process.duties:
        blocks += [Heading(2, "Throughout the case"), _duty_table(process, process.duties)]
    for stage in process.stages:
        blocks.append(Heading(2, both(stage.title, stage.title_en)))
        facts = []
        if stage.owner:
            facts.append(f"Owner: {role_name(process, stage.owner)}")
        if stage.assist:
            facts.append("Assisted by: " + ", ".join(role_name(process, r) for r in stage.assist))
        if stage.window is not None:
            facts.append(f"Planned window: {window_text(stage)}")
        if stage.produces:
            facts.append("Produces: " + ", ".join(form_name(process, f) for f in stage.produces))
        if stage.notify_on_entry:
            facts.append(
                "On entry, notify: " + ", ".join(role_name(process, r) for r in stage.notify_on_entry)
            )
        if stage.rules:
            facts.append("Rules: " + ", ".join(stage.rules))
        if stage.end:
            facts.append("The case ends here.")
        blocks.append(Bullets(tuple(facts)))
        if stage.duties:
            blocks.append(_duty_table(process, stage.duties))
        if stage.exits:
            blocks.append(
                Table(
                    ("Next stage", "How", "Who"),
                    tuple(
                        (
                            process.stage(e.to).title,
                            exit_text(e),
                            ", ".join(process.role(r).title for r in _movers(process, e)),
                        )
                        for e in stage.exits
                    ),
                )
            )
    blocks += _tables(process) + forms_section(process)
    return blocks


def _movers(process: ProcessSpec, exit_: ExitSpec) -> tuple[str, ...]:
    """Who can take an exit: its roles, or whoever submits, signs or reports what takes it."""
    if exit_.on_record:
        return process.form(exit_.on_record).filled_by
    if exit_.on_signed:
        return process.form(exit_.on_signed).signed_by
    if exit_.on_event:
        return process.event(exit_.on_event).by
    return exit_.by


def _duty_table(process: ProcessSpec, duties: tuple[DutySpec, ...]) -> Table:
    rows = []
    for duty in duties:
        when = f"only if {duty.when.text}" if duty.when is not None else ""
        repeat = repeat_text(duty.repeat) if duty.repeat is not None else ""
        warn = warning_text(duty)
        rows.append(
            (
                both(duty.title, duty.title_en),
                process.role(duty.role).title,
                "; ".join(x for x in (due_text(process, duty), repeat, when, warn) if x),
                satisfied_text(process, duty),
                breach_text(process, duty),
                duty.rule,
            )
        )
    return Table(("What", "Who", "By when", "Done by", "If late", "Rule"), tuple(rows))


def _tables(process: ProcessSpec) -> list[Block]:
    blocks: list[Block] = []
    for table in process.decision_tables:
        blocks.append(Heading(2, f"Decision table: {both(table.title, table.title_en)}"))
        rows = tuple(
            (
                *(", ".join(str(v) for v in dict(row.when).get(name, ("any",))) for name in table.inputs),
                str(row.then),
                row.note,
            )
            for row in table.rows
        )
        blocks.append(Table((*table.inputs, "Result", "Note"), rows))
    return blocks


def forms_section(process: ProcessSpec) -> list[Block]:
    """The blank forms of a process: who fills and signs each, and its fields."""
    blocks: list[Block] = [Heading(2, "Forms")] if process.forms else []
    for form in process.forms:
        blocks.append(Heading(3, f"{form_name(process, form.id)} {form.title_en}".strip()))
        facts = ["Filled by: " + ", ".join(process.role(r).title for r in form.filled_by)]
        if form.signed_by:
            facts.append("Signed by: " + ", ".join(process.role(r).title for r in form.signed_by))
        if form.rules:
            facts.append("Rules: " + ", ".join(form.rules))
        blocks.append(Bullets(tuple(facts)))
        blocks.append(blank_form_table(form.fields))
    return blocks


def blank_form_table(fields: tuple[FieldSpec, ...]) -> Table:
    return Table(
        ("Field", "Type", "Required", "Notes"),
        tuple(
            (both(f.title, f.title_en), field_type(f), "yes" if f.required else "no", f.description)
            for f in fields
        ),
    )


def field_type(field: FieldSpec) -> str:
    schema = field.schema()
    if "enum" in schema:
        return "one of " + ", ".join(str(v) for v in schema["enum"])
    if "const" in schema:
        return f"must be {json.dumps(schema['const'], ensure_ascii=False)}"
    kind = str(schema.get("type", "any"))
    if "format" in schema:
        kind += f" ({schema['format']})"
    if kind == "array" and isinstance(schema.get("items"), dict):
        kind = f"list of {schema['items'].get('type', 'items')}"
    return kind

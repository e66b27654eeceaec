"""Exporting records (submitted forms) as JSON, Markdown, CSV and XLSX, titled as the documents name
them, in the process's language.

One row per record version. JSON and CSV are for reading back: values exactly as recorded (ids of
choices; CSV in long form, one line per field, each value as JSON text), instants as ISO 8601 with
the process's offset. Markdown and XLSX are for people: choices by their titles, lists joined in
words. The XLSX has one sheet per form with typed cells (instants and dates as Excel date-times in
the process's timezone, numbers as numbers), a frozen header row, a filter and fitted column widths.
"Signed" is said only of forms that are signed at all.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from engine.locale import Words
from engine.render.document import Block, Heading, Table, to_markdown
from engine.render.words import title_of, value_title
from engine.runtime.events import instant
from engine.runtime.instance import Instance
from engine.spec.model import FieldSpec, FormSpec, ProcessSpec
from engine.time.calendar import zone


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordRow:
    case: str
    spec: ProcessSpec
    form: str
    version: int
    submitted_at: datetime
    submitted_by: str
    complete: bool
    data: dict[str, Any]

    @property
    def form_spec(self) -> FormSpec:
        return self.spec.form(self.form)

    @property
    def signed(self) -> bool | None:
        """Fully signed, for a form that has signers; None for one that is never signed."""
        return self.complete if self.form_spec.signed_by else None

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(zone(self.spec.calendar.timezone))

    def field(self, field_id: str) -> FieldSpec | None:
        return next((f for f in self.form_spec.fields if f.id == field_id), None)


def record_rows(cases: list[tuple[str, Instance, ProcessSpec]]) -> list[RecordRow]:
    return [
        RecordRow(
            case=name,
            spec=spec,
            form=form,
            version=record.version,
            submitted_at=record.submitted_at,
            submitted_by=record.submitted_by,
            complete=record.complete,
            data=record.data,
        )
        for name, instance, spec in cases
        for form, versions in instance.records.items()
        for record in versions
    ]


def as_json(rows: list[RecordRow]) -> str:
    documents = [
        {
            "case": r.case,
            "process": r.spec.id,
            "form": r.form,
            "form_title": r.form_spec.title,
            "version": r.version,
            "submitted_at": r.local(r.submitted_at).isoformat(),
            "submitted_by": r.submitted_by,
            "signed": r.signed,
            "data": r.data,
        }
        for r in rows
    ]
    return json.dumps(documents, ensure_ascii=False, indent=2) + "\n"


def _columns(w: Words) -> tuple[str, ...]:
    return (
        w.t("Case"),
        w.t("Form"),
        w.t("Form id"),
        w.t("Version"),
        w.t("Submitted at"),
        w.t("Submitted by"),
        w.t("Signed"),
        w.t("Field"),
        w.t("Field id"),
        w.t("Value (JSON)"),
    )


def as_csv(rows: list[RecordRow], w: Words) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_columns(w))
    for r in rows:
        signed = "" if r.signed is None else json.dumps(r.signed)
        for field_id, value in r.data.items():
            field = r.field(field_id)
            writer.writerow(
                (r.case, title_of(r.form_spec, w), r.form, r.version, r.local(r.submitted_at).isoformat(),
                 r.submitted_by, signed, title_of(field, w) if field else field_id, field_id,
                 json.dumps(value, ensure_ascii=False))
            )  # fmt: skip
    return out.getvalue()


def _signed_text(r: RecordRow, w: Words) -> str:
    if r.signed is None:
        return ""
    return w.t("fully signed") if r.signed else w.t("awaiting signatures")


def readable(field: FieldSpec | None, value: Any, timezone: str, w: Words) -> str:
    """A recorded value as a person reads it: an instant in local time, a choice by its title, a
    list in words."""
    if field is not None and field.schema().get("format") == "date-time" and isinstance(value, str):
        try:
            return instant(value).astimezone(zone(timezone)).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            return value
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return value_title(field, value, w)


def _shown(r: RecordRow, field_id: str, value: Any, w: Words) -> str:
    return readable(r.field(field_id), value, r.spec.calendar.timezone, w)


def as_markdown(rows: list[RecordRow], w: Words) -> str:
    blocks: list[Block] = []
    for r in rows:
        title = w.t(
            "{case}: {form}, version {version}",
            case=r.case,
            form=w.title(title_of(r.form_spec, w)),
            version=r.version,
        )
        blocks.append(Heading(2, title))
        submitted = w.t(
            "{at} by {actor}", at=r.local(r.submitted_at).strftime("%Y-%m-%d %H:%M"), actor=r.submitted_by
        )
        details = [(w.t("Submitted"), submitted)]
        if r.signed is not None:
            details.append((w.t("Signatures"), _signed_text(r, w)))
        fields = [(title_of(f, w) if (f := r.field(k)) else k, _shown(r, k, v, w)) for k, v in r.data.items()]
        blocks.append(Table((w.t("Field"), w.t("Content")), tuple(details + fields)))
    return to_markdown(blocks)


DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"


def as_xlsx(rows: list[RecordRow], w: Words) -> bytes:
    """The workbook's bytes: one sheet per form."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    sheets: dict[tuple[str, str], Any] = {}
    for r in rows:
        key = (r.spec.id, r.form)
        fields = r.form_spec.fields
        if key not in sheets:
            sheet = sheets[key] = book.create_sheet(_sheet_title(title_of(r.form_spec, w), len(sheets)))
            signed = [w.t("Signatures")] if r.signed is not None else []
            sheet.append(
                [w.t("Case"), w.t("Version"), w.t("Submitted at"), w.t("Submitted by"), *signed]
                + [title_of(f, w) for f in fields]
            )
        sheet = sheets[key]
        signed_cells = [_signed_text(r, w)] if r.signed is not None else []
        submitted = r.local(r.submitted_at).replace(tzinfo=None)
        values = [_cell(r, f, r.data.get(f.id), w) for f in fields]
        sheet.append([r.case, r.version, submitted, r.submitted_by, *signed_cells, *values])
        sheet.cell(sheet.max_row, 3).number_format = DATETIME_FORMAT
        for offset, value in enumerate(values, start=5 + len(signed_cells)):
            if isinstance(value, datetime):
                sheet.cell(sheet.max_row, offset).number_format = DATETIME_FORMAT
            elif isinstance(value, date):
                sheet.cell(sheet.max_row, offset).number_format = DATE_FORMAT
    for sheet in sheets.values():
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = sheet.dimensions
        for index, column in enumerate(sheet.iter_cols(values_only=True), start=1):
            width = max(_width(v) for v in column)
            sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _width(value: Any) -> float:
    """Roughly how many character widths a cell needs: a CJK character takes two."""
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    return sum(2 if ord(c) >= 0x2E80 else 1 for c in str(value if value is not None else ""))


def _cell(r: RecordRow, field: FieldSpec, value: Any, w: Words) -> Any:
    """A value as a typed cell: instants and dates as Excel date-times, numbers as numbers, the
    rest as the text a person reads."""
    schema = field.schema()
    if str(value) in dict(field.value_titles) and not isinstance(value, list | dict | bool):
        return value_title(field, value, w)
    if isinstance(value, str) and schema.get("format") == "date-time":
        try:
            return r.local(instant(value)).replace(tzinfo=None)
        except ValueError:
            return value
    if isinstance(value, str) and schema.get("format") == "date":
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if value is None:
        return None
    return _shown(r, field.id, value, w)


def _sheet_title(title: str, index: int) -> str:
    """Excel sheet titles: at most 31 characters, none of []:*?/\\, and unique."""
    clean = "".join(c for c in title if c not in "[]:*?/\\")[:28]
    return f"{clean}{index + 1:>3}" if len(title) > 28 else clean

"""Exporting records (submitted forms) as JSON, Markdown, CSV and XLSX, titled as the documents name them.

One row per record version. CSV is in long form (one line per field) with every value as JSON text,
so reading a file back gives exactly the data that was recorded; XLSX has one sheet per form with
the fields' Chinese titles as columns, lists and objects as JSON text.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Any

from engine.render.document import Block, Heading, Table, to_markdown
from engine.runtime.instance import Instance
from engine.spec.model import ProcessSpec

CSV_COLUMNS = (
    "case",
    "form",
    "form_title",
    "version",
    "submitted_at",
    "submitted_by",
    "signed",
    "field",
    "title",
    "value",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordRow:
    case: str
    spec: ProcessSpec
    form: str
    version: int
    submitted_at: str
    submitted_by: str
    signed: bool
    data: dict[str, Any]

    @property
    def form_title(self) -> str:
        return self.spec.form(self.form).title

    def field_title(self, field: str) -> str:
        return next((f.title for f in self.spec.form(self.form).fields if f.id == field), field)


def record_rows(cases: list[tuple[str, Instance, ProcessSpec]], zone: tzinfo) -> list[RecordRow]:
    return [
        RecordRow(
            case=name,
            spec=spec,
            form=form,
            version=record.version,
            submitted_at=record.submitted_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            submitted_by=record.submitted_by,
            signed=record.complete,
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
            "form_title": r.form_title,
            "version": r.version,
            "submitted_at": r.submitted_at,
            "submitted_by": r.submitted_by,
            "signed": r.signed,
            "data": r.data,
        }
        for r in rows
    ]
    return json.dumps(documents, ensure_ascii=False, indent=2)


def as_csv(rows: list[RecordRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        for field, value in r.data.items():
            writer.writerow(
                (r.case, r.form, r.form_title, r.version, r.submitted_at, r.submitted_by, r.signed, field,
                 r.field_title(field), json.dumps(value, ensure_ascii=False))
            )  # fmt: skip
    return out.getvalue()


def as_markdown(rows: list[RecordRow]) -> str:
    blocks: list[Block] = []
    for r in rows:
        signed = ", signed" if r.signed else ", awaiting signatures"
        blocks.append(Heading(2, f"{r.case}: 《{r.form_title}》 version {r.version}"))
        details = (("提交时间", r.submitted_at), ("提交人", f"{r.submitted_by}{signed}"))
        fields = tuple((r.field_title(k), _text(v)) for k, v in r.data.items())
        blocks.append(Table(("字段", "内容"), details + fields))
    return to_markdown(blocks)


def write_xlsx(rows: list[RecordRow], path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    sheets: dict[tuple[str, str], Any] = {}
    for r in rows:
        key = (r.spec.id, r.form)
        fields = r.spec.form(r.form).fields
        if key not in sheets:
            sheets[key] = book.create_sheet(_sheet_title(r.form_title, len(sheets)))
            sheets[key].append(
                ["case", "version", "提交时间", "提交人", "已签署", *(f.title for f in fields)]
            )
        row = [r.case, r.version, r.submitted_at, r.submitted_by, r.signed]
        sheets[key].append(row + [_cell(r.data.get(f.id)) for f in fields])
    book.save(path)


def _sheet_title(title: str, index: int) -> str:
    """Excel sheet titles: at most 31 characters, none of []:*?/\\, and unique."""
    clean = "".join(c for c in title if c not in "[]:*?/\\")[:28]
    return f"{clean}{index + 1:>3}" if len(title) > 28 else clean


def _cell(value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else value


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)

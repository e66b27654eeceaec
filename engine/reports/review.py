"""The periodic review report of a process: its declared metrics over a period, as a document."""

from __future__ import annotations

from typing import Any

from engine.render.document import Bars, Block, Heading, Paragraph, Table
from engine.render.words import both
from engine.reports.metrics import Figure, Value
from engine.spec.model import ProcessSpec


def review(spec: ProcessSpec, figures: list[Figure], label: str, instances: int) -> list[Block]:
    title = both(spec.report.title, spec.report.title_en) if spec.report else both(spec.title, spec.title_en)
    blocks: list[Block] = [
        Heading(1, f"{title} · {label}"),
        Paragraph(f"Process `{spec.id}`: {instances} instance(s) considered."),
        Table(
            ("指标 Metric", "Value"),
            tuple((both(f.metric.title, f.metric.title_en), _text(f.value)) for f in figures),
        ),
    ]
    for figure in figures:
        items = _items(figure.value)
        if items:
            blocks += [Heading(2, both(figure.metric.title, figure.metric.title_en)), Bars(items)]
    return blocks


def review_json(spec: ProcessSpec, figures: list[Figure], label: str) -> dict[str, Any]:
    return {
        "process": spec.id,
        "version": spec.version,
        "period": label,
        "metrics": {f.metric.id: {"title": f.metric.title, "value": f.value} for f in figures},
    }


def _items(value: Value) -> tuple[tuple[str, float], ...]:
    if isinstance(value, dict):
        return tuple((str(k), float(v)) for k, v in value.items())
    if isinstance(value, list):
        return tuple((str(k), float(v)) for k, v in value)
    return ()


def _text(value: Value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1%}" if value <= 1 and not value.is_integer() else f"{value:g}"
    items = _items(value)
    if items or isinstance(value, dict | list):
        return ", ".join(f"{k}: {v:g}" for k, v in items) or "none"
    return str(value)

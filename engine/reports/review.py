"""The periodic review report of a process: its declared metrics over a period, as a document in
the process's language. Groups are labelled as people know them (stage, duty and role titles, the
titles of a variable's values), shares as percentages, and grouped figures drawn as bars."""

from __future__ import annotations

from typing import Any

from engine.locale import Words
from engine.render.document import Bars, Block, Heading, Paragraph, Table
from engine.render.words import title_of, value_title
from engine.reports.metrics import Figure, Value
from engine.spec.model import CountSpec, MetricSpec, ProcessSpec


def review(spec: ProcessSpec, figures: list[Figure], label: str, instances: int, w: Words) -> list[Block]:
    title = title_of(spec.report, w) if spec.report else title_of(spec, w)
    blocks: list[Block] = [
        Heading(1, f"{title} · {label}"),
        Paragraph(
            w.tn(
                "Process {process}: {n} case considered.",
                "Process {process}: {n} cases considered.",
                instances,
                process=title_of(spec, w),
            )
        ),
        Table(
            (w.t("Metric"), w.t("Value")),
            tuple((title_of(f.metric, w), _text(spec, f, w)) for f in figures),
        ),
    ]
    for figure in figures:
        items = _items(spec, figure, w)
        if items:
            header = (w.t("Item"), w.t("Value"))
            blocks += [
                Heading(2, title_of(figure.metric, w)),
                Bars(items, header, percent=_is_share(figure.metric)),
            ]
    return blocks


def review_json(spec: ProcessSpec, figures: list[Figure], label: str) -> dict[str, Any]:
    return {
        "process": spec.id,
        "version": spec.version,
        "period": label,
        "metrics": {f.metric.id: {"title": f.metric.title, "value": f.value} for f in figures},
    }


def _is_share(metric: MetricSpec) -> bool:
    return metric.rate is not None or metric.on_time is not None


def _grouping(metric: MetricSpec) -> CountSpec | None:
    return metric.count or metric.on_time


def _label(spec: ProcessSpec, metric: MetricSpec, key: str, w: Words) -> str:
    """A group's key as people name it."""
    if metric.funnel:
        return title_of(spec.stage(key), w)
    if metric.top is not None:
        (kind, owner), field_id, _ = metric.top
        fields = spec.form(owner).fields if kind == "form" else spec.event(owner).data
        return value_title(next((f for f in fields if f.id == field_id), None), key, w)
    count = _grouping(metric)
    by = count.group_by if count is not None else ""
    if key == "None":
        return w.t("not given")
    if by == "stage":
        return w.t("the whole case") if key == "(instance)" else title_of(spec.stage(key), w)
    if by == "duty":
        return title_of(spec.duty(key), w)
    if by == "role":
        return title_of(spec.role(key), w)
    if count is not None and count.form:
        field = next((f for f in spec.form(count.form).fields if f.id == by), None)
        if field is not None:
            return value_title(field, key, w)
    variables = {v.id: v for v in spec.variables}
    return value_title(variables[by], key, w) if by in variables else key


def _items(spec: ProcessSpec, figure: Figure, w: Words) -> tuple[tuple[str, float, str], ...]:
    """The groups of a grouped figure: (label, value, the value as text)."""
    value = figure.value
    pairs = value.items() if isinstance(value, dict) else value if isinstance(value, list) else ()
    share = _is_share(figure.metric)
    return tuple((_label(spec, figure.metric, str(k), w), float(v), _number(v, share, w)) for k, v in pairs)


def _number(value: float, share: bool, w: Words) -> str:
    return w.percent(value) if share else w.number(value)


def _text(spec: ProcessSpec, figure: Figure, w: Words) -> str:
    value: Value = figure.value
    share = _is_share(figure.metric)
    if value is None:
        return w.t("no data")
    if isinstance(value, int | float):
        return _number(value, share, w)
    parts = [w.t("{label}: {value}", label=label, value=text) for label, _, text in _items(spec, figure, w)]
    return (", " if w.spaced else "，").join(parts) or w.t("none")

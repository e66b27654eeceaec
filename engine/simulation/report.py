"""The HTML report of simulations: one self-contained page (inline CSS and SVG, no scripts), in the
language of the scenario's process.

For each scenario a timeline chart: a time axis with ticks at a step that suits the span (minutes
to months), one band per case with the stages it went through, titled, and one lane per role, titled
as the process titles it. Each duty occurrence is drawn as what was planned and what happened: a
pale frame from when it opened to its deadline, a bar from when it opened to when it ended (done,
cancelled, or still open at the end of the chart), a dot where it was done (green on time, orange
late), a red tick at the deadline it missed, and its outcome in its hover text. A legend says what
each mark means. Occurrences that overlap in time take rows of their own within their lane. Under
the chart: the summary, failed expectations and the full timeline as a table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from dateutil.relativedelta import relativedelta

from engine.locale import N_, Words
from engine.render.words import title_of
from engine.runtime.events import EventType
from engine.runtime.instance import Duty, Instance
from engine.simulation.runner import Simulation
from engine.simulation.timeline import failure_lines, language, lines, outcome_text, summary
from engine.time.calendar import zone

WIDTH = 1180
LABEL = 190
"""Room for the lane titles left of the plot."""
ROW = 18
RIGHT = 170
"""Room right of the plot for the titles of bars that reach its end."""
AXIS = 34
FONTS = '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", system-ui, sans-serif'
STYLE = f"""
body {{ font: 14px/1.5 {FONTS}; margin: 2em; color: #1d2330; }}
h1 {{ font-size: 1.5em; }} h2 {{ margin-top: 2em; border-bottom: 1px solid #cbd5e0; }}
.ok {{ color: #1a7f37; }} .failed {{ color: #c62828; }}
svg text {{ font-family: {FONTS}; font-size: 11px; fill: #2d3748; }}
svg .tick text {{ fill: #4a5568; }} svg .tick line {{ stroke: #e2e8f0; }}
.plan {{ fill: none; stroke: #90a4ae; stroke-dasharray: 3 2; }}
.bar {{ fill: #64b5f6; }} .bar.breach {{ fill: #ef9a9a; }} .bar.cancelled {{ fill: #cfd8dc; }}
.met {{ fill: #1a7f37; }} .late {{ fill: #f57c00; }} .deadline {{ stroke: #c62828; stroke-width: 2.5; }}
.stage {{ fill: #e2e8f0; stroke: #fff; }} .stage-title {{ font-size: 10px; }}
.lane-title {{ font-weight: 600; }} .lane-line {{ stroke: #e2e8f0; }}
.legend {{ display: flex; flex-wrap: wrap; gap: .3em 1.4em; font-size: 12px; margin: .4em 0 1em; }}
.legend-item {{ display: inline-flex; align-items: center; gap: .4em; }}
.duty-title {{ font-size: 10px; fill: #4a5568; }}
table {{ border-collapse: collapse; font-size: 12px; }} td {{ padding: 1px 8px; vertical-align: top; }}
tr:nth-child(even) {{ background: #f6f8fa; }} pre {{ white-space: pre-wrap; font-family: inherit; }}
"""


def html_report(simulations: list[Simulation], lang: str | None = None) -> str:
    w = language(simulations[0], lang)
    body = "".join(_scenario(s, language(s, lang)) for s in simulations)
    title = (
        simulations[0].scenario.title
        if len(simulations) == 1
        else w.tn("{n} scenario", "{n} scenarios", len(simulations))
    )
    heading = w.t("Simulation: {title}", title=title)
    return (
        f'<!DOCTYPE html>\n<html lang="{w.code}"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{STYLE}</style></head><body><h1>{escape(heading)}</h1>{body}</body></html>\n"
    )


def _scenario(simulation: Simulation, w: Words) -> str:
    scenario = simulation.scenario
    failed = failure_lines(simulation, w)
    if failed:
        said = w.tn("{n} expectation failed", "{n} expectations failed", len(failed))
        verdict = f'<p class="failed">{escape(said)}</p><pre>{escape(chr(10).join(failed))}</pre>'
    else:
        said = w.t("all {n} expectations hold", n=len(simulation.checks))
        verdict = f'<p class="ok">{escape(said)}</p>'
    everything = w.t("Everything that happened")
    rows = "".join(
        f"<tr><td>{escape(line[:16])}</td><td>{escape(line[18:])}</td></tr>" for line in lines(simulation, w)
    )
    rules = w.t("rules: {rules}", rules=", ".join(scenario.rules)) if scenario.rules else ""
    return (
        f'<section class="scenario"><h2>{escape(scenario.title)}</h2><p>{escape(rules)}</p>'
        f"{chart(simulation, w)}{verdict}<pre>{escape(chr(10).join(summary(simulation, w)))}</pre>"
        f"<details><summary>{escape(everything)}</summary><table>{rows}</table>"
        "</details></section>"
    )


@dataclass(frozen=True, slots=True)
class _Scale:
    start: datetime
    end: datetime

    def x(self, moment: datetime) -> float:
        span = max((self.end - self.start).total_seconds(), 1.0)
        share = min(max((moment - self.start).total_seconds() / span, 0.0), 1.0)
        return LABEL + (WIDTH - LABEL - RIGHT) * share


def chart(simulation: Simulation, w: Words) -> str:
    instances = [simulation.engine.instance(i) for i in simulation.cases.values()]
    duties = [(i, d) for i in instances for d in i.duties.values()]
    start = simulation.scenario.start
    happened = [e.at for e in simulation.events] or [simulation.scenario.until]
    end = max([*happened, *(d.due for _, d in duties if d.is_open)])
    scale = _Scale(start, end if end > start else start + timedelta(hours=1))
    top = AXIS + 8
    parts: list[str] = []
    for instance in instances:
        parts.append(_stage_band(simulation, w, instance, top, scale))
        top += 2 * ROW
    titles = {d.key: _short(title_of(simulation.engine.definition_of(i).duty(d.id), w)) for i, d in duties}
    for role, title in _roles(simulation, w, duties):
        mine = [(i, d) for i, d in duties if d.role == role]
        rows = _rows(titles, [d for _, d in mine], scale)
        height = max(len(set(rows.values())), 1) * ROW + 8
        parts.append(
            f'<g class="lane" data-role="{escape(role)}"><text class="lane-title" x="4" y="{top + 14}">'
            f"{escape(title)}</text>"
        )
        parts.extend(
            _duty(simulation, w, i, d, top + 4 + rows[d.key] * ROW, scale, titles[d.key]) for i, d in mine
        )
        parts.append(f'<line class="lane-line" x1="0" x2="{WIDTH}" y1="{top + height}" y2="{top + height}"/>')
        parts.append("</g>")
        top += height
    axis = _axis(simulation, w, scale, top)
    return (
        f'<svg class="timeline" viewBox="0 0 {WIDTH} {top + 8}" width="{WIDTH}" role="img">'
        f"{axis}{''.join(parts)}</svg>{_legend(w)}"
    )


def _roles(simulation: Simulation, w: Words, duties: list[tuple[Instance, Duty]]) -> list[tuple[str, str]]:
    """Each role that had a duty, with its title, in the order the processes declare them (the
    scenario's own process first)."""
    titles: dict[str, str] = {}
    main_first = sorted(simulation.scenario.specs.values(), key=lambda s: s.id != simulation.scenario.process)
    for spec in main_first:
        for role in spec.roles:
            titles.setdefault(role.id, title_of(role, w))
    used = {d.role for _, d in duties}
    return [(role, title) for role, title in titles.items() if role in used]


def _ended(duty: Duty, scale: _Scale) -> datetime:
    return duty.satisfied_at or duty.cancelled_at or scale.end


def _rows(spec_of: dict[str, str], duties: list[Duty], scale: _Scale) -> dict[str, int]:
    """A row for each occurrence, the lowest free one, so that none overlaps another on screen,
    its title after it included."""
    free_from: list[float] = []
    rows: dict[str, int] = {}
    for duty in sorted(duties, key=lambda d: d.opened_at):
        left = scale.x(duty.opened_at)
        right = max(scale.x(max(_ended(duty, scale), duty.due)), left + 6) + _width(spec_of[duty.key])
        row = next((n for n, edge in enumerate(free_from) if edge <= left), len(free_from))
        if row == len(free_from):
            free_from.append(right + 2)
        free_from[row] = right + 2
        rows[duty.key] = row
    return rows


TITLE_CHARACTERS = 16


def _short(title: str) -> str:
    return title if len(title) <= TITLE_CHARACTERS else title[: TITLE_CHARACTERS - 1] + "…"


def _width(text: str) -> float:
    """About how wide `text` is drawn at 10px: CJK characters are twice as wide as Latin ones."""
    return 6 + sum(10.0 if ord(c) >= 0x2E80 else 5.6 for c in text)


_STEPS = (
    [timedelta(minutes=m) for m in (5, 10, 15, 30)]
    + [timedelta(hours=h) for h in (1, 2, 3, 6, 12)]
    + [timedelta(days=d) for d in (1, 2, 7, 14)]
)


def _axis(simulation: Simulation, w: Words, scale: _Scale, bottom: int) -> str:
    """Ticks at the first step that gives at most ten over the span, labelled to that step."""
    tz = zone(simulation.scenario.timezone)
    start, end = scale.start.astimezone(tz), scale.end.astimezone(tz)
    span = end - start
    step = next((s for s in _STEPS if span / s <= 10), None)
    ticks: list[datetime] = []
    if step is not None:
        first = start.replace(hour=0, minute=0, second=0, microsecond=0)
        while first < start:
            first += step
        ticks = [first + k * step for k in range(int((end - first) / step) + 1)]
        spec = "%H:%M" if step < timedelta(days=1) else "%m-%d"
    else:
        months = next(m for m in (1, 2, 3, 6, 12, 24, 60) if span.days / 30.4 / m <= 10)
        moment = start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        while moment <= end:
            if moment >= start:
                ticks.append(moment)
            moment += relativedelta(months=months)
        spec = "%Y-%m"
    parts = ['<g class="axis">']
    day = None
    for tick in ticks:
        x = scale.x(tick)
        label = tick.strftime(spec)
        if spec == "%H:%M" and tick.date() != day:
            label, day = tick.strftime("%m-%d %H:%M"), tick.date()
        parts.append(
            f'<g class="tick"><line x1="{x:.1f}" x2="{x:.1f}" y1="{AXIS - 6}" y2="{bottom}"/>'
            f'<text x="{x:.1f}" y="{AXIS - 10}" text-anchor="middle">{escape(label)}</text></g>'
        )
    parts.append(f'<text x="4" y="{AXIS - 10}">{escape(w.timezone(simulation.scenario.timezone))}</text></g>')
    return "".join(parts)


_LEGEND = (
    ('<rect class="plan" x="1" y="3" width="26" height="10"/>', N_("planned: from opening to deadline")),
    ('<rect class="bar" x="1" y="4" width="26" height="8"/>', N_("open, or done in time")),
    ('<rect class="bar breach" x="1" y="4" width="26" height="8"/>', N_("past its deadline")),
    ('<rect class="bar cancelled" x="1" y="4" width="26" height="8"/>', N_("cancelled before its deadline")),
    ('<circle class="met" cx="14" cy="8" r="4"/>', N_("done on time")),
    ('<circle class="late" cx="14" cy="8" r="4"/>', N_("done late")),
    ('<line class="deadline" x1="14" x2="14" y1="1" y2="15"/>', N_("deadline missed")),
    ('<rect class="stage" x="1" y="3" width="26" height="10"/>', N_("a stage of the case")),
)


def _legend(w: Words) -> str:
    items = "".join(
        f'<span class="legend-item"><svg width="28" height="16">{mark}</svg>{escape(said)}</span>'
        for mark, said in ((mark, w.t(text)) for mark, text in _LEGEND)
    )
    return f'<div class="legend">{items}</div>'


def _stage_band(simulation: Simulation, w: Words, instance: Instance, top: int, scale: _Scale) -> str:
    spec = simulation.engine.definition_of(instance)
    entries = [e for e in instance.journal if e.type is EventType.STAGE_ENTERED]
    name = escape(simulation.case_name(instance.id))
    parts = [
        f'<g class="case" data-case="{name}"><text class="lane-title" x="4" y="{top + 20}">{name}</text>'
    ]
    for entry, following in zip(entries, [*entries[1:], None], strict=True):
        left = scale.x(entry.at)
        right = scale.x(following.at if following else (instance.completed_at or scale.end))
        title = escape(title_of(spec.stage(entry.data["stage"]), w))
        width = max(right - left, 1)
        parts.append(
            f'<g class="stage-visit"><title>{title}</title><rect class="stage" x="{left:.1f}" y="{top + 4}" '
            f'width="{width:.1f}" height="{2 * ROW - 8}"/>'
        )
        if width > 30:  # a title only where it has room, clipped to its band
            parts.append(
                f'<svg x="{left + 3:.1f}" y="{top + 4}" width="{width - 6:.1f}" height="{2 * ROW - 8}">'
                f'<text class="stage-title" x="0" y="{ROW - 2}">{title}</text></svg>'
            )
        parts.append("</g>")
    return "".join(parts) + "</g>"


def _duty(
    simulation: Simulation, w: Words, instance: Instance, duty: Duty, top: int, scale: _Scale, short: str
) -> str:
    spec = simulation.engine.definition_of(instance)
    opened, due, ended = scale.x(duty.opened_at), scale.x(duty.due), scale.x(_ended(duty, scale))
    breached = duty.breached_at is not None
    label = w.t(
        "{case} {key} {title}: due {due}; {outcome}",
        case=simulation.case_name(instance.id),
        key=duty.key,
        title=title_of(spec.duty(duty.id), w),
        due=simulation.local(duty.due),
        outcome=outcome_text(w, duty),
    )
    kind = " breach" if breached else (" cancelled" if duty.cancelled_at is not None else "")
    h = ROW - 6
    parts = [
        f'<g class="duty{kind}" data-duty="{escape(duty.key)}" data-outcome="{duty.outcome}">'
        f"<title>{escape(label)}</title>"
        f'<rect class="plan" x="{opened:.1f}" y="{top}" width="{max(due - opened, 2):.1f}" height="{h}"/>'
    ]
    in_time_end = min(ended, due) if breached else ended
    bar = "bar cancelled" if kind == " cancelled" else "bar"
    parts.append(
        f'<rect class="{bar}" x="{opened:.1f}" y="{top + 2}" width="{max(in_time_end - opened, 2):.1f}" '
        f'height="{h - 4}"/>'
    )
    if breached and ended > due:
        parts.append(
            f'<rect class="bar breach" x="{due:.1f}" y="{top + 2}" width="{ended - due:.1f}" '
            f'height="{h - 4}"/>'
        )
    if breached:
        parts.append(
            f'<line class="deadline" x1="{due:.1f}" x2="{due:.1f}" y1="{top - 2}" y2="{top + h + 2}"/>'
        )
    if duty.satisfied_at is not None:
        parts.append(
            f'<circle class="{"late" if breached else "met"}" cx="{ended:.1f}" cy="{top + h / 2}" r="4"/>'
        )
    after = max(ended, due) + 6
    parts.append(f'<text class="duty-title" x="{after:.1f}" y="{top + h - 2}">{escape(short)}</text>')
    return "".join(parts) + "</g>"

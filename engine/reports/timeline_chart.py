"""A timeline chart of cases, as one self-contained SVG (and its legend): a time axis with ticks at a
step that suits the span (minutes to months), one band per case with the stages it went through,
titled, and one lane per role, titled as the process titles it. Each duty occurrence is drawn as
what was planned and what happened: a pale frame from when it opened to its deadline, a bar from
when it opened to when it ended (done, cancelled, or still open at the end of the chart), a dot
where it was done (green on time, orange late), a red tick at the deadline it missed, and its
outcome in its hover text. Occurrences that overlap in time take rows of their own within their
lane. The simulation report and the instance pages of `sopflow serve` draw the same chart.
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
from engine.spec.model import ProcessSpec
from engine.time.calendar import wall_text, zone

WIDTH = 1180
LABEL = 190
"""Room for the lane titles left of the plot."""
ROW = 18
RIGHT = 170
"""Room right of the plot for the titles of bars that reach its end."""
AXIS = 34
FONTS = '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", system-ui, sans-serif'
CHART_STYLE = f"""
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
"""
"""What a page that shows the chart puts in its style sheet."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Timeline:
    """What a chart draws: named cases with their definitions, from `start` to `end` (the last thing
    that happened, or now), in a timezone; the roles of `specs` give the lanes, in that order."""

    cases: list[tuple[str, Instance, ProcessSpec]]
    start: datetime
    end: datetime
    timezone: str
    specs: list[ProcessSpec]

    def spec(self, instance: Instance) -> ProcessSpec:
        return next(spec for _, known, spec in self.cases if known is instance)

    def name(self, instance: Instance) -> str:
        return next(name for name, known, _ in self.cases if known is instance)


_OUTCOME_WORDS = {
    "met": N_("met on time"),
    "late": N_("done late"),
    "breached": N_("breached, still open"),
    "missed": N_("breached, never done"),
    "open": N_("open, not yet due"),
    "cancelled": N_("cancelled before due"),
}


def outcome_text(w: Words, duty: Duty) -> str:
    return w.t(_OUTCOME_WORDS[duty.outcome])


@dataclass(frozen=True, slots=True)
class _Scale:
    start: datetime
    end: datetime

    def x(self, moment: datetime) -> float:
        span = max((self.end - self.start).total_seconds(), 1.0)
        share = min(max((moment - self.start).total_seconds() / span, 0.0), 1.0)
        return LABEL + (WIDTH - LABEL - RIGHT) * share


def chart(timeline: Timeline, w: Words) -> str:
    instances = [instance for _, instance, _ in timeline.cases]
    duties = [(i, d) for i in instances for d in i.duties.values()]
    start = timeline.start
    end = max([timeline.end, *(d.due for _, d in duties if d.is_open)])
    scale = _Scale(start, end if end > start else start + timedelta(hours=1))
    top = AXIS + 8
    parts: list[str] = []
    for instance in instances:
        parts.append(_stage_band(timeline, w, instance, top, scale))
        top += 2 * ROW
    titles = {d.key: _short(title_of(timeline.spec(i).duty(d.id), w)) for i, d in duties}
    for role, title in _roles(timeline, w, duties):
        mine = [(i, d) for i, d in duties if d.role == role]
        rows = _rows(titles, [d for _, d in mine], scale)
        height = max(len(set(rows.values())), 1) * ROW + 8
        parts.append(
            f'<g class="lane" data-role="{escape(role)}"><text class="lane-title" x="4" y="{top + 14}">'
            f"{escape(title)}</text>"
        )
        parts.extend(
            _duty(timeline, w, i, d, top + 4 + rows[d.key] * ROW, scale, titles[d.key]) for i, d in mine
        )
        parts.append(f'<line class="lane-line" x1="0" x2="{WIDTH}" y1="{top + height}" y2="{top + height}"/>')
        parts.append("</g>")
        top += height
    axis = _axis(timeline, w, scale, top)
    return (
        f'<svg class="timeline" viewBox="0 0 {WIDTH} {top + 8}" width="{WIDTH}" role="img">'
        f"{axis}{''.join(parts)}</svg>{_legend(w)}"
    )


def _roles(timeline: Timeline, w: Words, duties: list[tuple[Instance, Duty]]) -> list[tuple[str, str]]:
    """Each role that had a duty, with its title, in the order the processes declare them (the
    scenario's own process first)."""
    titles: dict[str, str] = {}
    for spec in timeline.specs:
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


def _axis(timeline: Timeline, w: Words, scale: _Scale, bottom: int) -> str:
    """Ticks at the first step that gives at most ten over the span, labelled to that step."""
    tz = zone(timeline.timezone)
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
    parts.append(f'<text x="4" y="{AXIS - 10}">{escape(w.timezone(timeline.timezone))}</text></g>')
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


def _stage_band(timeline: Timeline, w: Words, instance: Instance, top: int, scale: _Scale) -> str:
    spec = timeline.spec(instance)
    entries = [e for e in instance.journal if e.type is EventType.STAGE_ENTERED]
    name = escape(timeline.name(instance))
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
    timeline: Timeline, w: Words, instance: Instance, duty: Duty, top: int, scale: _Scale, short: str
) -> str:
    spec = timeline.spec(instance)
    opened, due, ended = scale.x(duty.opened_at), scale.x(duty.due), scale.x(_ended(duty, scale))
    breached = duty.breached_at is not None
    label = w.t(
        "{case} {key} {title}: due {due}; {outcome}",
        case=timeline.name(instance),
        key=duty.key,
        title=title_of(spec.duty(duty.id), w),
        due=wall_text(duty.due, timeline.timezone),
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

"""The HTML report of simulations: one self-contained page (inline CSS and SVG, no scripts).

For each scenario a timeline chart with one lane per role: each duty is a bar from when it opened to
its deadline (the plan), a dot where it was done (green on time, orange late), its deadline in red
when breached; above the lanes, one band per case shows the stages as they were actually visited.
Under the chart: the summary, failed expectations and the full timeline as a table.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from html import escape

from engine.runtime.events import EventType
from engine.runtime.instance import Duty, Instance
from engine.simulation.runner import Simulation
from engine.simulation.timeline import failure_lines, lines, summary

Scale = Callable[[datetime], float]
WIDTH = 1100
LABEL = 170
LANE = 34
STYLE = """
body { font: 14px/1.5 system-ui, "PingFang SC", "Microsoft YaHei", sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.5em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
.ok { color: #1a7f37; } .failed { color: #c62828; }
svg text { font-size: 11px; fill: #333; }
.plan { fill: #90caf9; } .plan.breach { fill: #ef9a9a; } .met { fill: #1a7f37; } .late { fill: #f57c00; }
.deadline.breach { stroke: #c62828; stroke-width: 2; } .stage { fill: #e0e0e0; stroke: #fff; }
table { border-collapse: collapse; font-size: 12px; } td { padding: 1px 8px; vertical-align: top; }
tr:nth-child(even) { background: #f6f6f6; } pre { white-space: pre-wrap; }
"""


def html_report(simulations: list[Simulation]) -> str:
    body = "".join(_scenario(s) for s in simulations)
    title = simulations[0].scenario.title if len(simulations) == 1 else f"{len(simulations)} scenarios"
    return (
        f'<!DOCTYPE html>\n<html lang="zh"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{STYLE}</style></head><body><h1>sopflow simulation: {escape(title)}</h1>"
        f"{body}</body></html>\n"
    )


def _scenario(simulation: Simulation) -> str:
    scenario = simulation.scenario
    failed = failure_lines(simulation)
    verdict = (
        f'<p class="failed">{len(failed)} expectation(s) failed</p><pre>{escape(chr(10).join(failed))}</pre>'
        if failed
        else f'<p class="ok">all {len(simulation.checks)} expectations hold</p>'
    )
    rows = "".join(
        f"<tr><td>{escape(line[:16])}</td><td>{escape(line[18:])}</td></tr>" for line in lines(simulation)
    )
    return (
        f'<section class="scenario"><h2>{escape(scenario.title)}</h2>'
        f"<p>{escape(scenario.title_en)} — rules {escape(', '.join(scenario.rules))}</p>"
        f"{chart(simulation)}{verdict}<pre>{escape(chr(10).join(summary(simulation)))}</pre>"
        f"<details><summary>timeline</summary><table>{rows}</table></details></section>"
    )


def chart(simulation: Simulation) -> str:
    instances = [simulation.engine.instance(i) for i in simulation.cases.values()]
    duties = [(i, d) for i in instances for d in i.duties.values()]
    roles = sorted({d.role for _, d in duties})
    start = simulation.scenario.start
    end = max([simulation.scenario.until, *(d.due for _, d in duties)])
    span = max((end - start).total_seconds(), 1.0)

    def x(moment: datetime) -> float:
        return LABEL + (WIDTH - LABEL - 10) * max((moment - start).total_seconds(), 0.0) / span

    parts: list[str] = []
    top = 20
    for instance in instances:
        parts.append(_stage_band(simulation, instance, top, x, end))
        top += LANE
    for role in roles:
        parts.append(
            f'<g class="lane" data-role="{escape(role)}"><text x="4" y="{top + 20}">{escape(role)}</text>'
        )
        parts.append(f'<line x1="{LABEL}" x2="{WIDTH}" y1="{top + LANE}" y2="{top + LANE}" stroke="#eee"/>')
        parts.extend(
            _duty(simulation, instance, duty, top, x) for instance, duty in duties if duty.role == role
        )
        parts.append("</g>")
        top += LANE
    axis = (
        f'<text x="{LABEL}" y="12">{escape(simulation.local(start))}</text>'
        f'<text x="{WIDTH - 120}" y="12">{escape(simulation.local(end))}</text>'
    )
    return (
        f'<svg class="timeline" width="{WIDTH}" height="{top + 10}" role="img">{axis}{"".join(parts)}</svg>'
    )


def _stage_band(simulation: Simulation, instance: Instance, top: int, x: Scale, end: datetime) -> str:
    entries = [e for e in instance.journal if e.type is EventType.STAGE_ENTERED]
    name = escape(simulation.case_name(instance.id))
    parts = [f'<g class="case" data-case="{name}"><text x="4" y="{top + 20}">{name}</text>']
    for entry, following in zip(entries, [*entries[1:], None], strict=True):
        left = x(entry.at)
        right = x(following.at if following else (instance.completed_at or end))
        stage = escape(entry.data["stage"])
        parts.append(
            f'<rect class="stage" x="{left:.1f}" y="{top + 6}" width="{max(right - left, 1):.1f}" '
            f'height="{LANE - 12}"><title>{stage}</title></rect>'
        )
    return "".join(parts) + "</g>"


def _duty(simulation: Simulation, instance: Instance, duty: Duty, top: int, x: Scale) -> str:
    left, right = x(duty.opened_at), x(duty.due)
    breached = duty.breached_at is not None
    label = escape(
        f"{simulation.case_name(instance.id)} {duty.key}: due {simulation.local(duty.due)}, {duty.outcome}"
    )
    kind = " breach" if breached else ""
    parts = [
        f'<g class="duty{kind}" data-duty="{escape(duty.key)}"><title>{label}</title>'
        f'<rect class="plan{kind}" x="{left:.1f}" y="{top + 10}" width="{max(right - left, 2):.1f}" '
        f'height="{LANE - 20}"/>'
    ]
    if breached:
        parts.append(
            f'<line class="deadline breach" x1="{right:.1f}" x2="{right:.1f}" '
            f'y1="{top + 4}" y2="{top + LANE - 4}"/>'
        )
    if duty.satisfied_at is not None:
        done = x(duty.satisfied_at)
        parts.append(
            f'<circle class="{"late" if breached else "met"}" cx="{done:.1f}" cy="{top + LANE / 2}" r="4"/>'
        )
    return "".join(parts) + "</g>"

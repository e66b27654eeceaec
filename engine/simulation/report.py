"""The HTML report of simulations: one self-contained page (inline CSS and SVG, no scripts), in the
language of the scenario's process. For each scenario its timeline chart (see
`engine.reports.timeline_chart`) with its legend, the summary, the failed expectations and
everything that happened as a table.
"""

from __future__ import annotations

from html import escape

from engine.locale import Words
from engine.reports.timeline_chart import CHART_STYLE, FONTS, Timeline, chart
from engine.simulation.runner import Simulation
from engine.simulation.timeline import failure_lines, language, lines, summary

STYLE = f"""
body {{ font: 14px/1.5 {FONTS}; margin: 2em; color: #1d2330; }}
h1 {{ font-size: 1.5em; }} h2 {{ margin-top: 2em; border-bottom: 1px solid #cbd5e0; }}
.ok {{ color: #1a7f37; }} .failed {{ color: #c62828; }}
table {{ border-collapse: collapse; font-size: 12px; }} td {{ padding: 1px 8px; vertical-align: top; }}
tr:nth-child(even) {{ background: #f6f8fa; }} pre {{ white-space: pre-wrap; font-family: inherit; }}
{CHART_STYLE}"""


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
    summarised = escape("\n".join(summary(simulation, w)))
    return (
        f'<section class="scenario"><h2>{escape(scenario.title)}</h2><p>{escape(rules)}</p>'
        f"{chart(timeline_of(simulation), w)}{verdict}<pre>{summarised}</pre>"
        f"<details><summary>{escape(everything)}</summary><table>{rows}</table>"
        "</details></section>"
    )


def timeline_of(simulation: Simulation) -> Timeline:
    """What the chart of a simulation draws: its cases from the scenario's start to the last thing
    that happened, the scenario's own process first."""
    scenario, engine = simulation.scenario, simulation.engine
    instances = [(name, engine.instance(i)) for name, i in simulation.cases.items()]
    return Timeline(
        cases=[(name, instance, engine.definition_of(instance)) for name, instance in instances],
        start=scenario.start,
        end=max([e.at for e in simulation.events] or [scenario.until]),
        timezone=scenario.timezone,
        specs=sorted(scenario.specs.values(), key=lambda s: s.id != scenario.process),
    )

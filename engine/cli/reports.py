"""`sopflow forms | report`: blank forms, exported records and periodic review reports."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from engine.cli.output import cannot_run, error
from engine.errors import DefinitionError, SopflowError
from engine.loading.loader import load_process, read_source
from engine.render.document import Heading, to_html, to_markdown
from engine.render.handbook import forms_section
from engine.reports import records
from engine.reports.metrics import compute
from engine.reports.period import parse_period, period_containing
from engine.reports.review import review, review_json
from engine.simulation.runner import Simulation, simulate
from engine.simulation.scenario import load_scenario
from engine.time.calendar import zone


def register(commands: Any) -> None:
    forms = commands.add_parser(
        "forms",
        help="print blank forms, or export the records of a simulated scenario",
        description="Given a process file: its blank forms as Markdown. Given a scenario file: simulate it "
        "and export every record (each version) as Markdown, JSON, CSV or XLSX, titled as the documents "
        "name the forms.",
    )
    forms.add_argument("path", metavar="PATH", help="a process file or a scenario file")
    forms.add_argument("--format", choices=("md", "json", "csv", "xlsx"), default="md", help="default md")
    forms.add_argument("--output", "-o", metavar="FILE", help="write to FILE (required for xlsx)")
    forms.set_defaults(run=run_forms)

    report = commands.add_parser(
        "report",
        help="compute a process's review metrics over a period",
        description="Simulate a scenario and compute the metrics its processes declare over a period: a "
        "month (2026-11), an ISO week (2026-W48) or a day (2026-11-23); by default the process's own "
        "report period around the scenario's start.",
    )
    report.add_argument("path", metavar="SCENARIO", help="a scenario file")
    report.add_argument("--period", help="2026-11, 2026-W48 or 2026-11-23")
    report.add_argument("--format", choices=("md", "json", "html"), default="md", help="default md")
    report.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
    report.set_defaults(run=run_report)


def run_forms(args: Any) -> int:
    try:
        source, problems = read_source(args.path)
        if problems:
            raise DefinitionError(problems)
        if "steps" not in source.data:
            spec = load_process(args.path)
            return _emit(to_markdown([Heading(1, spec.title), *forms_section(spec)]), args.output)
        simulation = _simulated(args.path)
    except SopflowError as failure:
        return cannot_run(failure)
    engine = simulation.engine
    cases = [
        (name, engine.instance(i), engine.definition_of(engine.instance(i)))
        for name, i in simulation.cases.items()
    ]
    rows = records.record_rows(cases, zone(simulation.scenario.timezone))
    if args.format == "xlsx":
        if not args.output:
            error("--format xlsx needs --output FILE")
            return 2
        records.write_xlsx(rows, Path(args.output))
        return 0
    render = {"md": records.as_markdown, "json": records.as_json, "csv": records.as_csv}[args.format]
    return _emit(render(rows), args.output)


def run_report(args: Any) -> int:
    try:
        simulation = _simulated(args.path)
        documents = []
        for spec in simulation.scenario.specs.values():
            if not spec.metrics:
                continue
            timezone = spec.calendar.timezone
            if args.period:
                period, label = parse_period(args.period, timezone)
            else:
                kind = spec.report.period if spec.report else "month"
                period, label = period_containing(simulation.scenario.start, kind, timezone)
            period = replace(
                period, as_of=min(period.end or simulation.scenario.until, simulation.scenario.until)
            )
            instances = [i for i in simulation.engine.instances() if i.process == spec.id]
            documents.append((spec, compute(spec, instances, period), label, len(instances)))
    except SopflowError as failure:
        return cannot_run(failure)
    if args.format == "json":
        data = [review_json(spec, figures, label) for spec, figures, label, _ in documents]
        return _emit(json.dumps(data, ensure_ascii=False, indent=2) + "\n", args.output)
    blocks = [block for document in documents for block in review(*document)]
    text = to_html(blocks, simulation.scenario.title) if args.format == "html" else to_markdown(blocks)
    return _emit(text, args.output)


def _simulated(path: str) -> Simulation:
    return simulate(load_scenario(path))


def _emit(text: str, output: str | None) -> int:
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0

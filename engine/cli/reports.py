"""`sopflow forms | report`: blank forms, exported records and periodic review reports, in the
language of the process (or the one `--lang` asks for)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from engine.cli.files import STDIN, STDIN_NAME, emit, read_stdin
from engine.cli.output import add_language_option, cannot_run, error
from engine.errors import DefinitionError, SopflowError
from engine.loading.loader import check_process, read_document
from engine.locale import words
from engine.persistence import STORE_HELP, open_store, store_location
from engine.render.document import Heading, to_html, to_markdown
from engine.render.handbook import forms_section
from engine.render.words import title_of
from engine.reports import records
from engine.reports.metrics import Figure, compute
from engine.reports.period import parse_period, period_containing
from engine.reports.review import review, review_json
from engine.runtime.engine import Engine
from engine.runtime.instance import Instance
from engine.simulation.runner import simulate
from engine.simulation.scenario import load_scenario
from engine.spec.model import ProcessSpec
from engine.time.clock import SystemClock


def register(commands: Any) -> None:
    forms = commands.add_parser(
        "forms",
        help="print blank forms, or export the records of a simulated scenario",
        description="Given a process file: its blank forms as Markdown. Given a scenario file: simulate it "
        "and export every record (each version) as Markdown, JSON, CSV or XLSX, titled as the documents "
        "name the forms.",
    )
    forms.add_argument(
        "path", metavar="PATH", help="a process file or a scenario file (- for standard input)"
    )
    forms.add_argument("--format", choices=("md", "json", "csv", "xlsx"), default="md", help="default md")
    forms.add_argument(
        "--output", "-o", metavar="FILE", help="write to FILE (- for standard output; xlsx needs one)"
    )
    add_language_option(forms)
    forms.set_defaults(run=run_forms)

    report = commands.add_parser(
        "report",
        help="compute a process's review metrics over a period",
        description="Compute the metrics the processes declare over a period: a month (2026-11), an ISO "
        "week (2026-W48) or a day (2026-11-23). Over the cases of a simulated scenario, or over the "
        "real cases in a durable store (--store); by default over the process's own report period, "
        "around the scenario's start or, for a store, now.",
    )
    report.add_argument(
        "path", metavar="SCENARIO", nargs="?", help="a scenario file, - for standard input (or give --store)"
    )
    report.add_argument(
        "--store", metavar="LOCATION", help=f"report on a durable store instead: {STORE_HELP}"
    )
    report.add_argument("--process", default="", help="only this process (default: every one with metrics)")
    report.add_argument("--period", help="2026-11, 2026-W48 or 2026-11-23")
    report.add_argument("--format", choices=("md", "json", "html"), default="md", help="default md")
    report.add_argument("--output", "-o", metavar="FILE", help="write to FILE (- or none: standard output)")
    add_language_option(report)
    report.set_defaults(run=run_report)


def run_forms(args: Any) -> int:
    stdin = read_stdin() if args.path == STDIN else None
    name = STDIN_NAME if stdin is not None else args.path
    try:
        source, problems = read_document(name, stdin)
        if problems:
            raise DefinitionError(problems)
        if "steps" not in source.data:
            result = check_process(name, raw=stdin)
            if result.spec is None:
                raise DefinitionError(result.problems)
            w = words(args.lang or result.spec.locale)
            blank = [Heading(1, title_of(result.spec, w)), *forms_section(result.spec, w)]
            return emit(to_markdown(blank), args.output)
        simulation = simulate(load_scenario(name, stdin))
    except SopflowError as failure:
        return cannot_run(failure)
    engine = simulation.engine
    cases = [
        (name, engine.instance(i), engine.definition_of(engine.instance(i)))
        for name, i in simulation.cases.items()
    ]
    rows = records.record_rows(cases)
    w = words(args.lang or simulation.scenario.specs[simulation.scenario.process].locale)
    if args.format == "xlsx":
        if not args.output:
            error("--format xlsx needs --output FILE (- for standard output)")
            return 2
        return emit(records.as_xlsx(rows, w), args.output)
    if args.format == "json":
        return emit(records.as_json(rows), args.output)
    render = records.as_markdown if args.format == "md" else records.as_csv
    return emit(render(rows, w), args.output)


Report = tuple[ProcessSpec, list[Figure], str, int]


def run_report(args: Any) -> int:
    if (args.path is None) == (args.store is None):
        error("give a scenario file or --store LOCATION, not both")
        return 2
    try:
        documents = _from_store(args) if args.store is not None else _from_scenario(args)
    except SopflowError as failure:
        return cannot_run(failure)
    if not documents:
        error("no process with metrics" + (f" named '{args.process}'" if args.process else ""))
        return 2
    if args.format == "json":
        data = [review_json(spec, figures, label) for spec, figures, label, _ in documents]
        return emit(json.dumps(data, ensure_ascii=False, indent=2) + "\n", args.output)
    first = documents[0][0]
    w = words(args.lang or first.locale)
    blocks = [block for document in documents for block in review(*document, w)]
    title = title_of(first.report or first, w)
    text = to_html(blocks, title, w.code) if args.format == "html" else to_markdown(blocks)
    return emit(text, args.output)


def _from_scenario(args: Any) -> list[Report]:
    stdin = read_stdin() if args.path == STDIN else None
    simulation = simulate(load_scenario(STDIN_NAME if stdin is not None else args.path, stdin))
    scenario = simulation.scenario
    specs = [s for s in scenario.specs.values() if s.metrics and args.process in ("", s.id)]
    instances = simulation.engine.instances()
    return [_report(spec, instances, args.period, scenario.start, scenario.until) for spec in specs]


def _from_store(args: Any) -> list[Report]:
    """The metrics over the cases a durable store holds, each process by its newest definition."""
    store = open_store(store_location(args.store))
    try:
        engine = Engine(SystemClock(), store)
        engine.resume()
        now = engine.clock.now()
        processes = sorted({process for process, _ in store.definition_versions()})
        specs = [engine.definition(p) for p in processes if args.process in ("", p)]
        instances = engine.instances()
        return [_report(spec, instances, args.period, now, now) for spec in specs if spec.metrics]
    finally:
        store.close()


def _report(
    spec: ProcessSpec,
    instances: Iterable[Instance],
    period_text: str | None,
    around: datetime,
    until: datetime,
) -> Report:
    """`spec`'s figures over the period `period_text` names (else its report period around
    `around`), taken as they stand at `until` at the latest."""
    timezone = spec.calendar.timezone
    if period_text:
        period, label = parse_period(period_text, timezone)
    else:
        kind = spec.report.period if spec.report else "month"
        period, label = period_containing(around, kind, timezone)
    period = replace(period, as_of=min(period.end or until, until))
    mine = [i for i in instances if i.process == spec.id]
    return spec, compute(spec, mine, period), label, len(mine)

"""`sopflow validate | graph | docs`: commands that read process definitions."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from engine.cli.output import add_language_option, error, green, printable, red
from engine.errors import Problem
from engine.loading.loader import LoadResult, check_process, sibling_process_ids
from engine.spec.model import ProcessSpec
from engine.time.clock import SystemClock


def register(commands: Any) -> None:
    validate = commands.add_parser(
        "validate",
        help="check process definitions and report every problem",
        description="Check process files against the schema and the semantic rules; report every problem "
        "as file:line:column: message [json.path]. Exit 0 when all are valid, 1 when any is not.",
    )
    validate.add_argument("paths", nargs="+", metavar="PATH", help="process files or folders of *.yaml files")
    validate.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default text)"
    )
    validate.set_defaults(run=run_validate)

    graph = commands.add_parser(
        "graph",
        help="draw the stages, exits and duties of a process",
        description="Print the stage graph of a process: stages, exits with their conditions, duties with "
        "their deadlines.",
    )
    graph.add_argument("path", metavar="PATH", help="a process file")
    graph.add_argument("--format", choices=("mermaid", "dot"), default="mermaid", help="graph language")
    graph.add_argument("--no-duties", action="store_true", help="leave duties out")
    add_language_option(graph)
    graph.set_defaults(run=run_graph)

    docs = commands.add_parser(
        "docs",
        help="write the handbook of a process",
        description="Print a handbook for the people who work the process: per stage who does what by "
        "when, the decision tables and the forms with their fields.",
    )
    docs.add_argument("path", metavar="PATH", help="a process file")
    docs.add_argument("--format", choices=("md", "html"), default="md", help="output format (default md)")
    docs.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
    add_language_option(docs)
    docs.set_defaults(run=run_docs)


def expand(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for name in paths:
        path = Path(name)
        files.extend(sorted(path.glob("*.yaml")) if path.is_dir() else [path])
    return files


def check_all(files: list[Path]) -> dict[Path, LoadResult]:
    """Check each file; child-process references resolve against every process in the files' folders."""
    known: set[str] = set()
    for folder in {file.resolve().parent: file for file in files if file.exists()}.values():
        known |= sibling_process_ids(folder)
    return {file: check_process(file, known) for file in files}


def run_validate(args: argparse.Namespace) -> int:
    files = expand(args.paths)
    if not files:
        error("no process files found in " + ", ".join(args.paths))
        return 2
    results = check_all(files)
    _probe_coming_years(result.spec for result in results.values() if result.spec is not None)
    problems = [p for result in results.values() for p in result.problems]
    if args.format == "json":
        report = {
            "valid": not problems,
            "files": [
                {"file": str(file), "valid": result.ok, "problems": [p.as_dict() for p in result.problems]}
                for file, result in results.items()
            ],
        }
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        for file, result in results.items():
            if result.spec is not None:
                print(f"{green('ok')}   {printable(f'{file}: {_summary(result.spec)}')}")
            for problem in result.problems:
                print(_problem_line(problem))
        invalid = sum(1 for result in results.values() if not result.ok)
        if invalid:
            print(f"{invalid} of {len(results)} files invalid, {len(problems)} problems", file=sys.stderr)
    return 1 if problems else 0


def _probe_coming_years(specs: Iterable[ProcessSpec]) -> None:
    """Deadlines will fall this year and the next: find out whether the calendars know them."""
    year = SystemClock().now().year
    for spec in specs:
        for probe in (year, year + 1):
            spec.business_calendar().adjustments_known(probe)


def _summary(spec: ProcessSpec) -> str:
    return (
        f"{spec.id} v{spec.version}: {len(spec.stages)} stages, {len(spec.all_duties())} duties, "
        f"{len(spec.forms)} forms"
    )


def _problem_line(problem: Problem) -> str:
    return f"{red('error')} {printable(str(problem))}"


def load_one(path: str) -> ProcessSpec | None:
    """Load one process for a rendering command, printing its problems when it is invalid."""
    result = check_all([Path(path)])[Path(path)]
    for problem in result.problems:
        print(_problem_line(problem), file=sys.stderr)
    return result.spec


def run_graph(args: argparse.Namespace) -> int:
    from engine.locale import words
    from engine.render.graph import to_dot, to_mermaid

    spec = load_one(args.path)
    if spec is None:
        return 1
    render = to_mermaid if args.format == "mermaid" else to_dot
    sys.stdout.write(render(spec, words(args.lang or spec.locale), duties=not args.no_duties))
    return 0


def run_docs(args: argparse.Namespace) -> int:
    from engine.locale import words
    from engine.render.document import to_html, to_markdown
    from engine.render.handbook import handbook
    from engine.render.words import title_of

    spec = load_one(args.path)
    if spec is None:
        return 1
    w = words(args.lang or spec.locale)
    blocks = handbook(spec, w)
    text = to_markdown(blocks) if args.format == "md" else to_html(blocks, title_of(spec, w), w.code)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0

"""`sopflow validate | graph | docs`: commands that read process definitions."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from engine.cli.files import STDIN, STDIN_NAME, emit, read_stdin
from engine.cli.output import add_language_option, error, green, printable, red
from engine.errors import DefinitionError, Problem
from engine.loading.loader import LoadResult, check_process, read_document, sibling_process_ids
from engine.spec.model import ProcessSpec
from engine.time.clock import SystemClock


def register(commands: Any) -> None:
    validate = commands.add_parser(
        "validate",
        help="check process definitions (and scenarios) and report every problem",
        description="Check process files against the schema and the semantic rules, and scenario files "
        "(recognised by their steps) against theirs and the processes they run; report every problem "
        "as file:line:column: message [json.path]. '-' reads standard input. Exit 0 when all are "
        "valid, 1 when any is not, 2 when a file cannot be read as YAML at all.",
    )
    validate.add_argument(
        "paths", nargs="+", metavar="PATH", help="process or scenario files, folders of *.yaml files, or -"
    )
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
    graph.add_argument("path", metavar="PATH", help="a process file, or - for standard input")
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
    docs.add_argument("path", metavar="PATH", help="a process file, or - for standard input")
    docs.add_argument("--format", choices=("md", "html"), default="md", help="output format (default md)")
    docs.add_argument("--output", "-o", metavar="FILE", help="write to FILE (- or none: standard output)")
    add_language_option(docs)
    docs.set_defaults(run=run_docs)


def expand(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for name in paths:
        path = Path(name)
        files.extend(sorted(path.glob("*.yaml")) if path.is_dir() else [path])
    return files


def check_all(files: list[Path], stdin: bytes | None = None) -> dict[Path, LoadResult]:
    """Check each file (`-` is `stdin`); child-process references resolve against every process in
    the files' folders."""
    known: set[str] = set()
    for folder in {file.resolve().parent: file for file in files if file.exists()}.values():
        known |= sibling_process_ids(folder)
    return {file: _check(file, known, stdin) for file in files}


def _check(file: Path, known: set[str], stdin: bytes | None) -> LoadResult:
    if str(file) == STDIN:
        return check_process(STDIN_NAME, known, raw=stdin)
    return check_process(file, known)


def run_validate(args: argparse.Namespace) -> int:
    files = expand(args.paths)
    if not files:
        error("no process files found in " + ", ".join(args.paths))
        return 2
    stdin = read_stdin() if STDIN in args.paths else None
    scenarios = {file: "" for file in files if _is_scenario(file, stdin)}
    results = check_all([f for f in files if f not in scenarios], stdin)
    for file in scenarios:
        results[file], scenarios[file] = _check_scenario(file, stdin)
    results = {
        file: _without_others(file, results[file], results) if file in scenarios else results[file]
        for file in files
    }
    _probe_coming_years(result.spec for result in results.values() if result.spec is not None)
    problems = [p for result in results.values() for p in result.problems]
    if args.format == "json":
        report = {
            "valid": not problems,
            "files": [
                {
                    "file": _shown(file),
                    "kind": "scenario" if file in scenarios else "process",
                    "valid": not result.problems,
                    "problems": [p.as_dict() for p in result.problems],
                }
                for file, result in results.items()
            ],
        }
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        for file, result in results.items():
            if not result.problems:
                what = f"{_shown(file)}: {_summary(result.spec) if result.spec else scenarios[file]}"
                print(f"{green('ok')}   {printable(what)}")
            for problem in result.problems:
                print(_problem_line(problem))
        invalid = sum(1 for result in results.values() if result.problems)
        if invalid:
            print(
                f"{invalid} of {_count(len(results), 'file')} invalid, {_count(len(problems), 'problem')}",
                file=sys.stderr,
            )
    if any(not result.readable for result in results.values()):
        return 2
    return 1 if problems else 0


def _shown(file: Path) -> str:
    return STDIN_NAME if str(file) == STDIN else str(file)


def _is_scenario(file: Path, stdin: bytes | None) -> bool:
    """A scenario is a mapping with `steps`; whatever else is checked as a process."""
    source, problems = read_document(_shown(file), stdin if str(file) == STDIN else None)
    return not problems and "steps" in source.data


def _check_scenario(file: Path, stdin: bytes | None) -> tuple[LoadResult, str]:
    """Its problems, or what it is."""
    from engine.simulation.scenario import load_scenario

    try:
        scenario = load_scenario(_shown(file), stdin if str(file) == STDIN else None)
    except DefinitionError as failure:
        return LoadResult(None, tuple(failure.problems)), ""
    steps = _count(len(scenario.steps), "step")
    return LoadResult(None, ()), f"scenario of {scenario.process}, {steps}"


def _without_others(file: Path, result: LoadResult, results: dict[Path, LoadResult]) -> LoadResult:
    """A scenario's problems less those of the process files it runs that are reported already: a
    broken process is said once, and its scenarios say they wait on it."""
    checked = {os.path.abspath(other) for other in results if other != file and str(other) != STDIN}
    own = tuple(p for p in result.problems if os.path.abspath(p.file) not in checked)
    if own or not result.problems:
        return replace(result, problems=own)
    message = "cannot be checked: a process it runs has problems (reported above)"
    return replace(result, problems=(Problem(file=_shown(file), line=1, column=1, path=(), message=message),))


def _count(n: int, thing: str, things: str = "") -> str:
    return f"{n} {thing}" if n == 1 else f"{n} {things or thing + 's'}"


def _probe_coming_years(specs: Iterable[ProcessSpec]) -> None:
    """Deadlines will fall this year and the next: find out whether the calendars know them."""
    year = SystemClock().now().year
    for spec in specs:
        for probe in (year, year + 1):
            spec.business_calendar().adjustments_known(probe)


def _summary(spec: ProcessSpec) -> str:
    parts = (
        _count(len(spec.stages), "stage"),
        _count(len(spec.all_duties()), "duty"),
        _count(len(spec.forms), "form"),
    )
    return f"{spec.id} v{spec.version}: " + ", ".join(parts).replace("dutys", "duties")


def _problem_line(problem: Problem) -> str:
    return f"{red('error')} {printable(str(problem))}"


def load_one(path: str) -> ProcessSpec | None:
    """Load one process (`-`: from standard input) for a rendering command, printing its problems
    when it has any; the command then cannot run (exit 2)."""
    stdin = read_stdin() if path == STDIN else None
    result = check_all([Path(path)], stdin)[Path(path)]
    for problem in result.problems:
        print(_problem_line(problem), file=sys.stderr)
    return result.spec


def run_graph(args: argparse.Namespace) -> int:
    from engine.locale import words
    from engine.render.graph import to_dot, to_mermaid

    spec = load_one(args.path)
    if spec is None:
        return 2
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
        return 2
    w = words(args.lang or spec.locale)
    blocks = handbook(spec, w)
    text = to_markdown(blocks) if args.format == "md" else to_html(blocks, title_of(spec, w), w.code)
    return emit(text, args.output)

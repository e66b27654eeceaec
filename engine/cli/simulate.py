"""`sopflow simulate`: replay scenario files on a virtual clock and check their expectations."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from engine.cli.definitions import expand
from engine.cli.files import STDIN, STDIN_NAME, emit, read_stdin
from engine.cli.output import add_language_option, cannot_run, error, green, lines_out, printable, red
from engine.errors import SopflowError
from engine.locale import Words
from engine.persistence.sqlite import SqliteStore
from engine.simulation.runner import Simulation, simulate
from engine.simulation.scenario import load_scenario
from engine.simulation.timeline import as_json, failure_lines, language, lines, summary

SIMULATION_STORE = "simulation.db"
PURPOSE = "simulation"


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "simulate",
        help="replay scenarios on a virtual clock and check their expectations",
        description="Run each scenario file on a virtual clock: print the timeline (what was due when, "
        "what was done when, what slipped) and a summary. Every instance is written to a SQLite store, "
        "replaced at each run, to inspect afterwards with `sopflow run history|list --store FILE`. "
        "Exit 0 when every expectation holds, 1 when one fails (each shown as expected vs actual), "
        "2 on a bad file.",
    )
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="SCENARIO",
        help="scenario files, folders of *.yaml files, or - for standard input",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON document instead: {ok, scenarios: [...]} (schemas/simulation.schema.json)",
    )
    parser.add_argument(
        "--html",
        metavar="FILE",
        help="also write an HTML report with a timeline chart (- for standard output)",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="only the summary and failures")
    add_language_option(parser)
    parser.add_argument(
        "--store",
        default=SIMULATION_STORE,
        metavar="FILE",
        help=f"the SQLite file the runs are written to (default: ./{SIMULATION_STORE}); replaced at each "
        "run, so only a store made by `sopflow simulate` is accepted",
    )
    parser.set_defaults(run=run_simulate)


def run_simulate(args: Any) -> int:
    results: list[Simulation] = []
    try:
        stdin = read_stdin() if STDIN in args.paths else None
        scenarios = [
            load_scenario(STDIN_NAME, stdin) if str(path) == STDIN else load_scenario(path)
            for path in expand(args.paths)
        ]
        store = simulation_store(args.store)
    except SopflowError as failure:
        return cannot_run(failure)
    try:
        with store.batch():
            for scenario in scenarios:
                results.append(simulate(scenario, _progress(Path(scenario.path)), store))
    except SopflowError as failure:
        return cannot_run(failure)
    finally:
        store.close()
    if not results:
        error("no scenario files found")
        return 2
    if args.json:
        document = {"ok": not any(s.failures for s in results), "scenarios": [as_json(s) for s in results]}
        print(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        for simulation in results:
            _print(simulation, language(simulation, args.lang), quiet=args.quiet)
    if args.html:
        from engine.simulation.report import html_report

        emit(html_report(results, args.lang), args.html)
    return 1 if any(s.failures for s in results) else 0


def simulation_store(path: str) -> SqliteStore:
    """A fresh store for this run's journals, replacing the last run's (and nothing else)."""
    if Path(path).exists():
        try:
            previous = SqliteStore(path)
            purpose = previous.meta("purpose")
            previous.close()
        except SopflowError:
            purpose = None
        if purpose != PURPOSE:
            raise SopflowError(f"{path} is not a store made by `sopflow simulate`; give another --store")
        for suffix in ("", "-wal", "-shm"):
            Path(path + suffix).unlink(missing_ok=True)
    store = SqliteStore(path, synchronous="OFF")
    store.set_meta("purpose", PURPOSE)
    return store


def _print(simulation: Simulation, w: Words, *, quiet: bool) -> None:
    scenario = simulation.scenario
    rules = f"  [{', '.join(scenario.rules)}]" if scenario.rules else ""
    lines_out([f"== {scenario.title}{rules}", f"   {scenario.path}"])
    if not quiet:
        lines_out(lines(simulation, w))
    lines_out(summary(simulation, w))
    passed = sum(1 for c in simulation.checks if c.ok)
    failed = failure_lines(simulation, w)
    verdict = (
        red(w.t("{n} failed", n=len(failed)), sys.stdout) if failed else green(w.t("all hold"), sys.stdout)
    )
    print(w.t("expectations: {passed} passed, {verdict}", passed=passed, verdict=verdict))
    for line in failed:
        print(red("✗ ", sys.stdout) + "\n".join(printable(part) for part in line.split("\n")))
    print()


def _progress(path: Path) -> Any:
    """A progress line on a terminal for long scenarios; nothing when output is piped."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        if total >= 50:
            end = "\n" if done == total else ""
            print(f"\r{path.name}: step {done}/{total}", end=end, file=sys.stderr, flush=True)

    return show

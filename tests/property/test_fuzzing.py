"""Fuzzing every input: process files, scenario files, command data and command lines.

Inputs start from the real ones (the seed processes and scenarios) and are mutated: keys deleted or
renamed, values replaced by wrong types, unicode, huge numbers, NaN, nested junk; files truncated and
spliced with random characters. Whatever comes in, the answer is a result or a clear, located error:
never a traceback, a hang (each example has a deadline) or a partially applied change.
"""

from __future__ import annotations

import contextlib
import io
import math
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.cli import main
from engine.errors import CommandRefused, DefinitionError, Problem
from engine.loading.loader import check_process
from engine.loading.yaml_source import read_data
from engine.runtime.engine import Engine
from engine.runtime.events import Actor
from engine.runtime.validation import data_bounds, fields_checker
from engine.simulation.scenario import load_scenario
from engine.spec.model import fields_schema
from engine.time.clock import VirtualClock
from tests.conftest import FILE_FUZZ_EXAMPLES, PROCESSES, ROOT, SHIPPED_PROCESSES
from tests.processes.harness import SPECS
from tests.property.values import JSON_VALUES, valid
from tests.unit.time.cn import at

SCENARIOS = ROOT / "scenarios"
NO_HANG = settings(deadline=timedelta(seconds=20))
"""Loading a mutated file must finish; the deadline is generous so a slow machine is not a failure."""
DEEP = settings(NO_HANG, max_examples=FILE_FUZZ_EXAMPLES)

PROCESS_FILES = SHIPPED_PROCESSES
SCENARIO_FILES = sorted(SCENARIOS.glob("*.yaml"))


def paths(tree: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a YAML tree, the root excluded."""
    found = []
    items = tree.items() if isinstance(tree, dict) else enumerate(tree) if isinstance(tree, list) else ()
    for key, value in items:
        found.append((*prefix, key))
        found.extend(paths(value, (*prefix, key)))
    return found


@st.composite
def mutated(draw: st.DrawFn, tree: Any) -> Any:
    """`tree` with one to three places deleted, renamed or replaced."""
    tree = yaml.safe_load(yaml.safe_dump(tree))  # a private copy
    for _ in range(draw(st.integers(1, 3))):
        places = paths(tree)
        if not places:
            break
        *parent_path, last = draw(st.sampled_from(places))
        parent = tree
        for part in parent_path:
            parent = parent[part]
        how = draw(st.sampled_from(["delete", "replace", "rename"]))
        if how == "delete":
            del parent[last]
        elif how == "replace":
            parent[last] = draw(JSON_VALUES | st.integers(min_value=10**18) | st.text(min_size=200))
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=12))] = parent.pop(last)
    return tree


@st.composite
def spliced(draw: st.DrawFn, text: str) -> str:
    """`text` cut short or with random characters put in somewhere."""
    cut = draw(st.integers(0, len(text)))
    if draw(st.booleans()):
        return text[:cut]
    return text[:cut] + draw(st.text(min_size=1, max_size=20)) + text[cut:]


def dumped(tree: Any) -> str:
    return yaml.safe_dump(tree, allow_unicode=True, sort_keys=False)


def assert_located(problems: tuple[Problem, ...], file: str) -> None:
    assert problems
    for problem in problems:
        assert problem.file == file
        assert problem.line >= 1 and problem.column >= 1
        assert problem.message


def seed_trees(files: list[Path]) -> dict[str, Any]:
    return {path.name: yaml.safe_load(path.read_text(encoding="utf-8")) for path in files}


PROCESS_TREES = seed_trees(PROCESS_FILES)
SCENARIO_TREES = seed_trees(SCENARIO_FILES)


@DEEP
@given(st.sampled_from(sorted(PROCESS_TREES)).flatmap(lambda name: mutated(PROCESS_TREES[name])))
def test_a_mutated_process_file_loads_or_says_where_it_is_wrong(tree: Any) -> None:
    result = check_process("fuzzed.yaml", raw=dumped(tree).encode())
    if result.spec is None:
        assert_located(result.problems, "fuzzed.yaml")


@DEEP
@given(st.sampled_from(PROCESS_FILES).flatmap(lambda path: spliced(path.read_text(encoding="utf-8"))))
def test_a_spliced_process_file_loads_or_says_where_it_is_wrong(text: str) -> None:
    result = check_process("fuzzed.yaml", raw=text.encode("utf-8", "surrogatepass"))
    if result.spec is None:
        assert_located(result.problems, "fuzzed.yaml")


@contextlib.contextmanager
def scenario_file(text: str) -> Any:
    """A scenario file beside the real processes, as `scenarios/` would hold it."""
    with tempfile.TemporaryDirectory() as directory:
        (Path(directory) / "processes").symlink_to(PROCESSES)
        (Path(directory) / "scenarios").mkdir()
        path = Path(directory) / "scenarios" / "fuzzed.yaml"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        yield path


def assert_scenario_loads_or_is_located(text: str) -> None:
    with scenario_file(text) as path:
        try:
            load_scenario(path)
        except DefinitionError as error:
            assert_located(error.problems, str(path))


@DEEP
@given(st.sampled_from(sorted(SCENARIO_TREES)).flatmap(lambda name: mutated(SCENARIO_TREES[name])))
def test_a_mutated_scenario_loads_or_says_where_it_is_wrong(tree: Any) -> None:
    assert_scenario_loads_or_is_located(dumped(tree))


@DEEP
@given(st.sampled_from(SCENARIO_FILES).flatmap(lambda path: spliced(path.read_text(encoding="utf-8"))))
def test_a_spliced_scenario_loads_or_says_where_it_is_wrong(text: str) -> None:
    assert_scenario_loads_or_is_located(text)


# Command data

R1 = SPECS["sales-service-interaction"]
EVERYONE = Actor.of("everyone", *(r.id for r in R1.roles))


@given(form=st.sampled_from(R1.forms), data=st.data())
def test_any_form_data_is_recorded_as_valid_json_or_refused_leaving_the_instance_as_it_was(
    form: Any, data: st.DataObject
) -> None:
    engine = Engine(VirtualClock(at("2026-11-23 10:00")))
    for spec in SPECS.values():
        if spec.schedule is None:
            engine.register(spec)
    case = engine.start(
        R1.id, {"customer_name": "信达", "existing_customer": False, "source_channel": "referral"}, EVERYONE
    ).instance
    before = engine.instance(case).snapshot()
    payload = data.draw(
        JSON_VALUES | valid(fields_schema(form.fields)) | _with_a_bad_number(fields_schema(form.fields))
    )
    try:
        engine.submit(case, form.id, payload, EVERYONE)
    except CommandRefused as refusal:
        assert refusal.message
        after = engine.instance(case).snapshot()
        assert {k for k in before if before[k] != after[k]} <= {"journal_length", "updated_at"}
        return
    recorded = engine.instance(case).latest(form.id)
    assert recorded is not None
    assert _finite(recorded.data)


@st.composite
def yaml_structures(draw: st.DrawFn) -> str:
    """YAML text with the structure hostile data has: anchors and aliases nested (bombs), long
    strings repeated by aliases, deep nesting in flow and block style, duplicate keys, YAML 1.1
    scalars, tags; mixed with plain fields."""
    scalars = st.sampled_from(["yes", "on", "2026-11-23", "0x1F", "1_000", "null", "~", "text"])
    parts = [f"field_{i}: {draw(scalars)}" for i in range(draw(st.integers(0, 3)))]
    shape = draw(st.sampled_from(["bomb", "repeated", "flow", "block", "duplicate", "tag", "plain"]))
    width, levels = draw(st.integers(1, 12)), draw(st.integers(1, 9))
    if shape == "bomb":
        parts.append(f"a0: &a0 [{', '.join(['x'] * width)}]")
        parts += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels)]
    elif shape == "repeated":
        length = draw(st.sampled_from([10, 10_000, 500_000]))
        parts.append(f"s: &s {'A' * length}")
        parts.append(f"many: [{', '.join(['*s'] * draw(st.integers(1, 300)))}]")
    elif shape == "flow":
        depth = draw(st.integers(1, 2_000))
        parts.append("deep: " + "[" * depth + "]" * depth)
    elif shape == "block":
        depth = draw(st.integers(1, 300))
        parts.append("".join("  " * i + "k:\n" for i in range(depth)) + "  " * depth + "v")
    elif shape == "duplicate":
        parts += ["twice: 1", "twice: 2"]
    elif shape == "tag":
        parts.append(
            draw(st.sampled_from(["t: !!python/object:os.system x", "t: !!binary aGk=", "t: !custom 1"]))
        )
    return "\n".join(parts) + "\n"


@NO_HANG
@given(text=yaml_structures())
def test_command_data_of_any_yaml_structure_is_read_or_refused_quickly(text: str) -> None:
    """What `--data` (and any HTTP body after it) reads: a mapping, or located problems, in
    bounded time; what is read passes the engine's bounds without a traceback."""
    started = time.perf_counter()
    data, problems = read_data(text.encode("utf-8"), "data.yaml")
    assert time.perf_counter() - started < 5
    if problems:
        assert data == {}
        assert_located(problems, "data.yaml")
        return
    assert isinstance(data, dict)
    refused, too_large = data_bounds(data)
    assert isinstance(refused, list) and isinstance(too_large, bool)


@NO_HANG
@given(shared=st.integers(1, 400), depth=st.integers(0, 3_000), length=st.sampled_from([1, 1_000, 100_000]))
def test_library_data_of_any_shape_is_bounded_without_recursion(shared: int, depth: int, length: int) -> None:
    """Python objects handed to the engine may share values (what an alias makes) and nest deeply."""
    value = "x" * length
    nested: Any = [value] * shared
    for _ in range(depth):
        nested = {"k": nested}
    started = time.perf_counter()
    problems = fields_checker(R1.form("customer_profile").fields).problems({"customer_name": nested})
    assert time.perf_counter() - started < 5
    assert problems


def _with_a_bad_number(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Valid data with one value replaced by NaN or an infinity, which JSON Schema lets through."""
    names = sorted(schema["properties"])
    return st.tuples(
        valid(schema), st.sampled_from(names), st.sampled_from([math.nan, math.inf, -math.inf])
    ).map(lambda t: {**t[0], t[1]: t[2]})


def _finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return True


# Command lines

FILES = [str(p) for p in (*PROCESS_FILES[:2], SCENARIO_FILES[0])] + ["missing.yaml", "-", ""]
WORDS = st.sampled_from(
    [
        *FILES,
        "--json", "--format", "json", "md", "dot", "xlsx", "--output", "out.txt", "--store", "store.db",
        "--actor", "li.lei", "--role", "sales_rep", "--key", "k1", "--data", "--period", "week",
        "--timezone", "Mars/Olympus", "--country", "CN", "--calendar", "2026-11-23 10:00",
        "2026-02-30T25:00", "3 working days", "-5h", "99999999999 working days", "--quiet", "--once",
        "sales-rapid-response", "sales-rapid-response-1", "receive", "confirm", "--help",
    ]
)  # fmt: skip
COMMANDS = st.sampled_from(
    [
        ["validate"], ["graph"], ["docs"], ["due"], ["simulate"], ["forms"], ["report"],
        ["run", "register"], ["run", "start"], ["run", "fire"], ["run", "submit"], ["run", "sign"],
        ["run", "event"], ["run", "list"], ["run", "overdue"], ["run", "history"], ["run", "versions"],
        ["worker", "--once"], ["nonsense"],
    ]
)  # fmt: skip


@settings(NO_HANG, max_examples=max(settings.default.max_examples // 3, 10))
@given(command=COMMANDS, words=st.lists(WORDS | st.text(max_size=12), max_size=6))
def test_any_command_line_ends_with_an_exit_code_never_a_traceback(
    command: list[str], words: list[str]
) -> None:
    argv = command + words
    err = io.StringIO()
    with (
        tempfile.TemporaryDirectory() as directory,
        contextlib.chdir(directory),
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(err),
    ):
        try:
            code = main(argv)
        except SystemExit as exit:  # argparse: --help or a usage error
            code = exit.code if isinstance(exit.code, int) else 2
    assert code in (0, 1, 2), (argv, err.getvalue())
    assert "Traceback" not in err.getvalue()

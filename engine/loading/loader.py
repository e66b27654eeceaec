"""Load a process definition: the library entry point of `engine.loading`.

`check_process` returns the spec or every problem found; `load_process` raises `DefinitionError`.
Schema problems stop the pass before the semantic checks, which assume a well-shaped document.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from engine.errors import DefinitionError, Problem
from engine.loading.build import build_process
from engine.loading.checks import check_document
from engine.loading.context import Context
from engine.loading.graph_checks import check_graph
from engine.loading.includes import bundle, named_calendar
from engine.loading.pruning import pruned
from engine.loading.schema import schema_problems
from engine.loading.table_checks import check_metrics, check_tables
from engine.loading.value_checks import check_values
from engine.loading.yaml_source import Source, read_bounded, read_yaml, top_level_text
from engine.spec.model import ProcessSpec

PROCESS_SCHEMA = "process.schema.json"


@dataclass(frozen=True, slots=True)
class LoadResult:
    """Either a spec or the problems that prevented one."""

    spec: ProcessSpec | None
    problems: tuple[Problem, ...]
    readable: bool = True
    """False when the file could not be read as a YAML mapping at all (missing, not text, broken
    YAML): a command cannot run on it, rather than finding it invalid."""

    @property
    def ok(self) -> bool:
        return self.spec is not None


def read_document(path: str | Path, raw: bytes | None = None) -> tuple[Source, list[Problem]]:
    """Read a YAML mapping from a file (or `raw`, its content); the problems say why it cannot be."""
    name = str(path)
    content = _read(name) if raw is None else raw
    if isinstance(content, Problem):
        return Source(name), [content]
    source, problems = read_yaml(content, name)
    if problems:
        return source, problems
    if not isinstance(source.data, dict):
        kind = "a list" if isinstance(source.data, list) else f"the value {source.data!r}"
        return source, [source.problem((), f"the document must be a mapping of keys to values, not {kind}")]
    return source, []


def read_source(path: str | Path, schema: str = "", raw: bytes | None = None) -> tuple[Source, list[Problem]]:
    """Read a YAML mapping from a file (or `raw`, its content) and validate it against `schema`."""
    source, problems = read_document(path, raw)
    if problems:
        return source, problems
    return source, schema_problems(source, schema) if schema else []


def _read(name: str) -> bytes | Problem:
    content = read_bounded(name)
    if isinstance(content, str):
        return Problem(file=name, line=1, column=1, path=(), message=content)
    return content


def check_process(
    path: str | Path,
    known_processes: Iterable[str] | None = None,
    raw: bytes | None = None,
    files: Mapping[str, str] | None = None,
) -> LoadResult:
    """Load `path` (or `raw`, its content); `known_processes` (ids) lets child-process references
    be checked; `files` holds the files the definition names (a stored bundle's), else they are
    read from beside `path`."""
    content = _read(str(path)) if raw is None else raw
    if isinstance(content, Problem):
        return LoadResult(None, (content,), readable=False)
    source, unreadable = read_document(path, content)
    if unreadable:
        return LoadResult(None, tuple(unreadable), readable=False)
    schema_found = schema_problems(source, PROCESS_SCHEMA)
    left_out: set[str] = set()
    if schema_found:
        sound = pruned(source.data, schema_found) if isinstance(source.data, dict) else None
        if sound is None:
            return LoadResult(None, tuple(schema_found))
        data, left_out = sound
        source = replace(source, data=data)
    included: dict[str, str] = {}
    reference = source.data["calendar"]
    if isinstance(reference, str):
        found = named_calendar(str(path), reference, files)
        if isinstance(found, str):
            why = found.removeprefix("cannot read: ")
            return LoadResult(None, (source.problem(("calendar",), f"cannot read the calendar file: {why}"),))
        calendar, text, problems = found
        if problems:
            return LoadResult(None, tuple(problems))
        source.data["calendar"] = calendar.data
        included[reference] = text
    known = frozenset(known_processes) if known_processes is not None else None
    ctx = Context(source, known_processes=known, left_out=frozenset(left_out))
    check_document(ctx, calendar_checked=bool(included))
    check_tables(ctx)
    check_values(ctx)
    check_metrics(ctx)
    if not ctx.problems and not schema_found:
        check_graph(ctx)
    if ctx.problems or schema_found:
        ordered = sorted([*schema_found, *ctx.problems], key=lambda p: (p.line, p.column, p.message))
        return LoadResult(None, tuple(ordered))
    spec = build_process(source.data, str(path))
    return LoadResult(replace(spec, text=bundle(content.decode("utf-8"), included)), ())


def load_process(path: str | Path, known_processes: Iterable[str] | None = None) -> ProcessSpec:
    result = check_process(path, known_processes)
    if result.spec is None:
        raise DefinitionError(result.problems)
    return result.spec


def sibling_process_ids(path: str | Path) -> set[str]:
    """Ids of the process files next to `path`, so a child reference can be checked against them."""
    contents = (read_bounded(str(candidate)) for candidate in Path(path).resolve().parent.glob("*.yaml"))
    ids = (top_level_text(content, "id") for content in contents if isinstance(content, bytes))
    return {found for found in ids if found}

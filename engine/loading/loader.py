"""Load a process definition: the library entry point of `engine.loading`.

`check_process` returns the spec or every problem found; `load_process` raises `DefinitionError`.
Schema problems stop the pass before the semantic checks, which assume a well-shaped document.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from engine.errors import DefinitionError, Problem
from engine.loading.build import build_process
from engine.loading.checks import check_document
from engine.loading.context import Context
from engine.loading.graph_checks import check_graph
from engine.loading.schema import schema_problems
from engine.loading.table_checks import check_metrics, check_tables
from engine.loading.yaml_source import Source, read_yaml
from engine.spec.model import ProcessSpec

PROCESS_SCHEMA = "process.schema.json"


@dataclass(frozen=True, slots=True)
class LoadResult:
    """Either a spec or the problems that prevented one."""

    spec: ProcessSpec | None
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return self.spec is not None


def read_source(path: str | Path, schema: str = "") -> tuple[Source, list[Problem]]:
    """Read a YAML mapping from a file and validate it against `schema` (if given)."""
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        return Source(name), [
            Problem(file=name, line=1, column=1, path=(), message=f"cannot read: {error.strerror}")
        ]
    source, problems = read_yaml(raw, name)
    if problems:
        return source, problems
    if not isinstance(source.data, dict):
        kind = "a list" if isinstance(source.data, list) else f"the value {source.data!r}"
        return source, [source.problem((), f"the document must be a mapping of keys to values, not {kind}")]
    return source, schema_problems(source, schema) if schema else []


def check_process(path: str | Path, known_processes: Iterable[str] | None = None) -> LoadResult:
    """Load `path`; `known_processes` (ids) lets child-process references be checked."""
    source, problems = read_source(path, PROCESS_SCHEMA)
    if problems:
        return LoadResult(None, tuple(problems))
    ctx = Context(source, known_processes=frozenset(known_processes) if known_processes is not None else None)
    check_document(ctx)
    check_tables(ctx)
    check_metrics(ctx)
    if not ctx.problems:
        check_graph(ctx)
    if ctx.problems:
        ordered = sorted(ctx.problems, key=lambda p: (p.line, p.column, p.message))
        return LoadResult(None, tuple(ordered))
    return LoadResult(build_process(source.data, str(path)), ())


def load_process(path: str | Path, known_processes: Iterable[str] | None = None) -> ProcessSpec:
    result = check_process(path, known_processes)
    if result.spec is None:
        raise DefinitionError(result.problems)
    return result.spec


def sibling_process_ids(path: str | Path) -> set[str]:
    """Ids of the process files next to `path`, so a child reference can be checked against them."""
    ids: set[str] = set()
    for candidate in sorted(Path(path).resolve().parent.glob("*.yaml")):
        source, problems = read_yaml(candidate.read_bytes(), str(candidate))
        if not problems and isinstance(source.data, dict) and isinstance(source.data.get("id"), str):
            ids.add(source.data["id"])
    return ids

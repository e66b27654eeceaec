"""The shape of the package: which modules may import which. Every import at module level counts,
those made only for type checking too (a type is a dependency); imports inside functions, made
lazily to keep start-up fast, are left out. The imports must form no cycle, so each module can be
understood, and tested, from the ones below it."""

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "engine"


def module_name(path: Path) -> str:
    parts = path.relative_to(ENGINE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(tree: ast.Module, modules: set[str]) -> set[str]:
    """The engine modules a module imports when it is loaded (`from engine.runtime import effects`
    imports the module engine.runtime.effects)."""
    found: set[str] = set()
    for node in tree.body:
        for inner in ast.walk(node) if not isinstance(node, ast.FunctionDef | ast.ClassDef) else ():
            if isinstance(inner, ast.ImportFrom) and inner.module and inner.level == 0:
                found.add(inner.module)
                found |= {f"{inner.module}.{alias.name}" for alias in inner.names}
            elif isinstance(inner, ast.Import):
                found |= {alias.name for alias in inner.names}
    return found & modules


def graph() -> dict[str, set[str]]:
    paths = {module_name(path): path for path in ENGINE.rglob("*.py")}
    return {
        name: imported(ast.parse(path.read_text("utf-8")), set(paths)) - {name}
        for name, path in paths.items()
    }


def test_the_modules_import_each_other_without_a_cycle() -> None:
    edges = graph()
    try:
        order = list(TopologicalSorter(edges).static_order())
    except CycleError as error:
        raise AssertionError(f"import cycle: {' -> '.join(error.args[1])}") from None
    assert len(order) == len(edges)


def test_effects_know_the_engine_only_through_their_host_interface() -> None:
    assert "engine.runtime.engine" not in graph()["engine.runtime.effects"]

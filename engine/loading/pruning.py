"""Every problem at once: after schema errors, the semantic checks still run on the parts of the
document that are valid.

Each schema problem condemns the smallest element that holds it (a role, a variable, a form, an
event, a table, a metric, a stage, one duty or exit of a stage), which is left out of the copy the
semantic checks read; an unknown key condemns only itself. The ids of elements left out stay known,
so a reference to one is not reported again as unknown. A problem in the header or the calendar
leaves nothing to check against: then the schema problems are all there is.
"""

from __future__ import annotations

import copy
from typing import Any

from engine.errors import Problem
from engine.loading.yaml_source import Path

_SECTIONS = ("roles", "variables", "forms", "events", "decision_tables", "metrics", "stages")
_LISTS = ("duties", "exits")


def pruned(data: dict[str, Any], problems: list[Problem]) -> tuple[dict[str, Any], set[str]] | None:
    """A copy of `data` without the elements the schema problems condemn, and the ids of the
    elements left out; None when a problem leaves nothing sound to check."""
    cut: set[Path] = set()
    for problem in problems:
        element = _element(problem.path, unknown_key=problem.message.startswith("unknown key "))
        if element is None:
            return None
        cut.add(element)
    copied = copy.deepcopy(data)
    left_out: set[str] = set()
    for path in sorted(cut, key=len, reverse=True):  # the deepest first, so list indices still hold
        parent = _at(copied, path[:-1])
        if isinstance(parent, dict) and path[-1] in parent:
            if path[0] in _SECTIONS and len(path) == 2:
                left_out.add(str(path[-1]))
            del parent[path[-1]]
        elif isinstance(parent, list) and isinstance(path[-1], int) and path[-1] < len(parent):
            item = parent[path[-1]]
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                left_out.add(item["id"])
            parent[path[-1]] = None
    for section in ("duties",):
        if isinstance(copied.get(section), list):
            copied[section] = [item for item in copied[section] if item is not None]
    for stage in copied.get("stages", {}).values() if isinstance(copied.get("stages"), dict) else ():
        for key in _LISTS:
            if isinstance(stage, dict) and isinstance(stage.get(key), list):
                stage[key] = [item for item in stage[key] if item is not None]
    return copied, left_out


def _element(path: Path, *, unknown_key: bool) -> Path | None:
    """The smallest element holding `path`, or the key itself for an unknown key."""
    if unknown_key and len(path) > 1:
        return path
    if len(path) >= 2 and path[0] in _SECTIONS:
        if path[0] == "stages" and len(path) >= 4 and path[2] in _LISTS:
            return path[:4]
        return path[:2]
    if len(path) >= 2 and path[0] == "duties":
        return path[:2]
    return None


def _at(data: Any, path: Path) -> Any:
    for part in path:
        data = data[part]
    return data

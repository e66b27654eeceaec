"""Checks of the stage graph: every stage reachable, an end reachable from every stage, loops bounded.

Edges are exits (to their target and, past their bound, to their fallback). A loop is bounded when
one of its exits has `max_rounds`: removing the bounded exits must leave a graph without cycles.
"""

from __future__ import annotations

from collections import deque

from engine.loading.context import Context
from engine.loading.yaml_source import Path


def check_graph(ctx: Context) -> None:
    stages = ctx.section("stages")
    initial = ctx.data.get("initial", next(iter(stages)))
    edges: dict[str, list[str]] = {stage_id: [] for stage_id in stages}
    unbounded: dict[str, list[tuple[str, Path]]] = {stage_id: [] for stage_id in stages}
    for path, stage_id, exit_ in ctx.exits():
        for target in (exit_["to"], exit_.get("fallback")):
            if target in stages:
                edges[stage_id].append(target)
        if exit_["to"] in stages and "max_rounds" not in exit_:
            unbounded[stage_id].append((exit_["to"], path))
    reachable = _reach(initial, edges)
    for stage_id in stages:
        if stage_id not in reachable:
            ctx.add(("stages", stage_id), f"stage '{stage_id}' cannot be reached from '{initial}'", key=True)
    reverse: dict[str, list[str]] = {stage_id: [] for stage_id in stages}
    for source, targets in edges.items():
        for target in targets:
            reverse[target].append(source)
    finishing: set[str] = set()
    for stage_id, stage in stages.items():
        if stage.get("end"):
            finishing |= _reach(stage_id, reverse)
    if finishing:
        for stage_id in stages:
            if stage_id in reachable and stage_id not in finishing:
                ctx.add(
                    ("stages", stage_id), f"no end stage can be reached from stage '{stage_id}'", key=True
                )
    _check_loops(ctx, stages, unbounded)


def _reach(start: str, edges: dict[str, list[str]]) -> set[str]:
    seen = {start}
    queue = deque([start])
    while queue:
        for target in edges.get(queue.popleft(), []):
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


def _check_loops(
    ctx: Context, stages: dict[str, object], unbounded: dict[str, list[tuple[str, Path]]]
) -> None:
    """Report each exit that closes a cycle of unbounded exits (an iterative depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    for root in stages:
        if root in state:
            continue
        trail = [root]
        state[root] = 1
        stack = [iter(unbounded[root])]
        while stack:
            step = next(stack[-1], None)
            if step is None:
                state[trail.pop()] = 2
                stack.pop()
                continue
            target, path = step
            if state.get(target) == 1:
                loop = [*trail[trail.index(target) :], target]
                ctx.add(
                    (*path, "to"),
                    f"the loop {' → '.join(loop)} has no bound; give one of its exits an id and max_rounds",
                )
            elif target not in state:
                state[target] = 1
                trail.append(target)
                stack.append(iter(unbounded[target]))

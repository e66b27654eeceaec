"""Stage graphs in Mermaid and Graphviz DOT: stages, exits with their conditions, duties with deadlines.

Both languages draw the same picture: what is drawn is decided once (`_edges`, `_duty_nodes`), and
each renderer only spells it.
"""

from __future__ import annotations

from collections.abc import Iterator

from engine.locale import Words
from engine.render.words import condition_text, due_text, exit_text, repeat_text, role_name, title_of
from engine.spec.model import DutySpec, ProcessSpec, StageSpec

START = "start"


def _stage_label(process: ProcessSpec, stage: StageSpec, w: Words) -> list[str]:
    lines = [title_of(stage, w)]
    if stage.owner:
        lines.append(w.t("Owner: {role}", role=role_name(process, stage.owner, w)))
    return lines


def _edges(process: ProcessSpec, w: Words) -> Iterator[tuple[str, str, str, bool]]:
    """(from, to, label, is a fallback) for every exit, and for every loop's way out past its bound."""
    for stage in process.stages:
        for exit_ in stage.exits:
            yield stage.id, exit_.to, exit_text(process, exit_, w), False
            if exit_.fallback:
                rounds = exit_.max_rounds or 0
                yield stage.id, exit_.fallback, w.tn("past {n} round", "past {n} rounds", rounds), True


def _duty_nodes(process: ProcessSpec, w: Words) -> Iterator[tuple[str, str, list[str]]]:
    """(node id, the node it hangs from, label lines) for every duty: process-wide ones hang from start."""
    owned: list[tuple[str, DutySpec]] = [(START, duty) for duty in process.duties]
    owned += [(stage.id, duty) for stage in process.stages for duty in stage.duties]
    for owner, duty in owned:
        lines = [f"⏱ {title_of(duty, w)}", due_text(process, duty, w)]
        if duty.repeat is not None:
            lines.append(repeat_text(process, duty, duty.repeat, w))
        if duty.when is not None:
            lines.append(w.t("only if {condition}", condition=condition_text(process, duty.when, w)))
        yield f"{owner}__{duty.id}", owner, lines


def to_mermaid(process: ProcessSpec, w: Words, *, duties: bool = True) -> str:
    def quote(lines: list[str]) -> str:
        escaped = (line.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;") for line in lines)
        return '"' + "<br/>".join(escaped) + '"'

    out = ["flowchart TD", f"  %% {process.id} v{process.version}: {title_of(process, w)}"]
    for stage in process.stages:
        label = quote(_stage_label(process, stage, w))
        out.append(f"  {stage.id}" + (f"(({label}))" if stage.end else f"[{label}]"))
    start = quote([w.t("start")])
    out.append(f"  {START}(({start})) --> {process.initial}")
    for source, target, label, fallback in _edges(process, w):
        arrow = "-.->" if fallback else "-->"
        out.append(f"  {source} {arrow}|{quote([label])}| {target}")
    if duties:
        nodes = list(_duty_nodes(process, w))
        for node, owner, lines in nodes:
            out.append(f"  {node}>{quote(lines)}]")
            out.append(f"  {node} -.- {owner}")
        out.append("  classDef duty fill:#fffbea,stroke:#d69e2e")
        if nodes:
            out.append(f"  class {','.join(node for node, _, _ in nodes)} duty")
    return "\n".join(out) + "\n"


def to_dot(process: ProcessSpec, w: Words, *, duties: bool = True) -> str:
    def quote(lines: list[str]) -> str:
        return '"' + "\\n".join(line.replace("\\", "\\\\").replace('"', '\\"') for line in lines) + '"'

    start = quote([w.t("start")])
    out = [
        f"digraph {quote([process.id])} {{",
        f"  label={quote([f'{title_of(process, w)} v{process.version}'])};",
        "  rankdir=TB;",
        '  node [shape=box, style=rounded, fontname="Noto Sans CJK SC"];',
        f"  {START} [shape=circle, label={start}];",
    ]
    for stage in process.stages:
        shape = ", shape=doublecircle" if stage.end else ""
        out.append(f"  {stage.id} [label={quote(_stage_label(process, stage, w))}{shape}];")
    out.append(f"  {START} -> {process.initial};")
    for source, target, label, fallback in _edges(process, w):
        style = "style=dashed, " if fallback else ""
        out.append(f"  {source} -> {target} [{style}label={quote([label])}];")
    if duties:
        for node, owner, lines in _duty_nodes(process, w):
            out.append(f'  {node} [shape=note, style=filled, fillcolor="#fffbea", label={quote(lines)}];')
            out.append(f"  {node} -> {owner} [style=dotted, arrowhead=none];")
    out.append("}")
    return "\n".join(out) + "\n"

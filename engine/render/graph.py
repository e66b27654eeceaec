"""Stage graphs in Mermaid and Graphviz DOT: stages, exits with their conditions, duties with deadlines.

Both languages draw the same picture: what is drawn is decided once (`_edges`, `_duty_nodes`), and
each renderer only spells it.
"""

from __future__ import annotations

from collections.abc import Iterator

from engine.render.words import due_text, exit_text, repeat_text
from engine.spec.model import DutySpec, ProcessSpec, StageSpec

START = "start"


def _stage_label(process: ProcessSpec, stage: StageSpec) -> list[str]:
    lines = [stage.title]
    if stage.title_en:
        lines.append(stage.title_en)
    if stage.owner:
        lines.append(f"owner: {process.role(stage.owner).title}")
    return lines


def _edges(process: ProcessSpec) -> Iterator[tuple[str, str, str, bool]]:
    """(from, to, label, is a fallback) for every exit, and for every loop's way out past its bound."""
    for stage in process.stages:
        for exit_ in stage.exits:
            yield stage.id, exit_.to, exit_text(exit_), False
            if exit_.fallback:
                yield stage.id, exit_.fallback, f"past {exit_.max_rounds} rounds", True


def _duty_nodes(process: ProcessSpec) -> Iterator[tuple[str, str, list[str]]]:
    """(node id, the node it hangs from, label lines) for every duty: process-wide ones hang from start."""
    owned: list[tuple[str, DutySpec]] = [(START, duty) for duty in process.duties]
    owned += [(stage.id, duty) for stage in process.stages for duty in stage.duties]
    for owner, duty in owned:
        lines = [f"⏱ {duty.id}", due_text(process, duty)]
        if duty.repeat is not None:
            lines.append(repeat_text(duty.repeat))
        if duty.when is not None:
            lines.append(f"if {duty.when.text}")
        yield f"{owner}__{duty.id}", owner, lines


def to_mermaid(process: ProcessSpec, *, duties: bool = True) -> str:
    def quote(lines: list[str]) -> str:
        escaped = (line.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;") for line in lines)
        return '"' + "<br/>".join(escaped) + '"'

    out = ["flowchart TD", f"  %% {process.id} v{process.version}: {process.title}"]
    for stage in process.stages:
        label = quote(_stage_label(process, stage))
        out.append(f"  {stage.id}" + (f"(({label}))" if stage.end else f"[{label}]"))
    out.append(f"  {START}(({START})) --> {process.initial}")
    for source, target, label, fallback in _edges(process):
        arrow = "-.->" if fallback else "-->"
        out.append(f"  {source} {arrow}|{quote([label])}| {target}")
    if duties:
        nodes = list(_duty_nodes(process))
        for node, owner, lines in nodes:
            out.append(f"  {node}>{quote(lines)}]")
            out.append(f"  {node} -.- {owner}")
        out.append("  classDef duty fill:#fffbea,stroke:#d69e2e")
        if nodes:
            out.append(f"  class {','.join(node for node, _, _ in nodes)} duty")
    return "\n".join(out) + "\n"


def to_dot(process: ProcessSpec, *, duties: bool = True) -> str:
    def quote(lines: list[str]) -> str:
        return '"' + "\\n".join(line.replace("\\", "\\\\").replace('"', '\\"') for line in lines) + '"'

    out = [
        f"digraph {quote([process.id])} {{",
        f"  label={quote([f'{process.title} v{process.version}'])};",
        "  rankdir=TB;",
        '  node [shape=box, style=rounded, fontname="Noto Sans CJK SC"];',
        f"  {START} [shape=circle, label={START}];",
    ]
    for stage in process.stages:
        shape = ", shape=doublecircle" if stage.end else ""
        out.append(f"  {stage.id} [label={quote(_stage_label(process, stage))}{shape}];")
    out.append(f"  {START} -> {process.initial};")
    for source, target, label, fallback in _edges(process):
        style = "style=dashed, " if fallback else ""
        out.append(f"  {source} -> {target} [{style}label={quote([label])}];")
    if duties:
        for node, owner, lines in _duty_nodes(process):
            out.append(f'  {node} [shape=note, style=filled, fillcolor="#fffbea", label={quote(lines)}];')
            out.append(f"  {node} -> {owner} [style=dotted, arrowhead=none];")
    out.append("}")
    return "\n".join(out) + "\n"

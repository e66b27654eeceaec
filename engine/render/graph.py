"""Stage graphs in Mermaid and Graphviz DOT: stages, exits with their conditions, duties with deadlines."""

from __future__ import annotations

from engine.render.words import due_text, exit_text, repeat_text
from engine.spec.model import DutySpec, ProcessSpec, StageSpec


def _stage_label(process: ProcessSpec, stage: StageSpec) -> list[str]:
    lines = [stage.title]
    if stage.title_en:
        lines.append(stage.title_en)
    if stage.owner:
        lines.append(f"owner: {process.role(stage.owner).title}")
    return lines


def _duty_label(process: ProcessSpec, duty: DutySpec) -> list[str]:
    lines = [f"⏱ {duty.id}", due_text(process, duty)]
    if duty.repeat is not None:
        lines.append(repeat_text(duty.repeat))
    if duty.when is not None:
        lines.append(f"if {duty.when.text}")
    return lines


def _duty_groups(process: ProcessSpec) -> list[tuple[str, tuple[DutySpec, ...]]]:
    groups = [(stage.id, stage.duties) for stage in process.stages if stage.duties]
    return ([("case", process.duties)] if process.duties else []) + groups


def to_mermaid(process: ProcessSpec, *, duties: bool = True) -> str:
    def quote(lines: list[str]) -> str:
        escaped = (line.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;") for line in lines)
        return '"' + "<br/>".join(escaped) + '"'

    out = ["flowchart TD", f"  %% {process.id} v{process.version}: {process.title}"]
    for stage in process.stages:
        label = quote(_stage_label(process, stage))
        shape = f"(({label}))" if stage.end else f"[{label}]"
        out.append(f"  {stage.id}{shape}")
    out.append(f"  start((start)) --> {process.initial}")
    for stage in process.stages:
        for exit_ in stage.exits:
            out.append(f"  {stage.id} -->|{quote([exit_text(exit_)])}| {exit_.to}")
            if exit_.fallback:
                out.append(
                    f"  {stage.id} -.->|{quote([f'past {exit_.max_rounds} rounds'])}| {exit_.fallback}"
                )
    if duties:
        for owner, group in _duty_groups(process):
            for duty in group:
                node = f"{owner}__{duty.id}"
                out.append(f"  {node}>{quote(_duty_label(process, duty))}]")
                out.append(f"  {node} -.- {owner if owner != 'case' else 'start'}")
        out.append("  classDef duty fill:#fffbea,stroke:#d69e2e")
        nodes = [f"{owner}__{d.id}" for owner, group in _duty_groups(process) for d in group]
        if nodes:
            out.append(f"  class {','.join(nodes)} duty")
    return "\n".join(out) + "\n"


def to_dot(process: ProcessSpec, *, duties: bool = True) -> str:
    def quote(lines: list[str]) -> str:
        return '"' + "\\n".join(line.replace("\\", "\\\\").replace('"', '\\"') for line in lines) + '"'

    out = [
        f"digraph {quote([process.id])} {{",
        f"  label={quote([f'{process.title} v{process.version}'])};",
        "  rankdir=TB;",
        '  node [shape=box, style=rounded, fontname="Noto Sans CJK SC"];',
        "  start [shape=circle, label=start];",
    ]
    for stage in process.stages:
        shape = ", shape=doublecircle" if stage.end else ""
        out.append(f"  {stage.id} [label={quote(_stage_label(process, stage))}{shape}];")
    out.append(f"  start -> {process.initial};")
    for stage in process.stages:
        for exit_ in stage.exits:
            out.append(f"  {stage.id} -> {exit_.to} [label={quote([exit_text(exit_)])}];")
            if exit_.fallback:
                fallback_label = quote([f"past {exit_.max_rounds} rounds"])
                out.append(f"  {stage.id} -> {exit_.fallback} [style=dashed, label={fallback_label}];")
    if duties:
        for owner, group in _duty_groups(process):
            for duty in group:
                node = f"{owner}__{duty.id}"
                label = quote(_duty_label(process, duty))
                out.append(f'  {node} [shape=note, style=filled, fillcolor="#fffbea", label={label}];')
                target = owner if owner != "case" else "start"
                out.append(f"  {node} -> {target} [style=dotted, arrowhead=none];")
    out.append("}")
    return "\n".join(out) + "\n"

"""A hypothesis strategy for small valid process definitions, built from the language's concepts.

A generated process is a chain of stages `s0 → s1 → … → done`. Each stage is left by a trigger or by
submitting a form; some stages also have a bounded way back. Stage and instance-wide duties have
fixed deadlines (wall minutes or working hours) counted from their scope's start or the instance's,
are satisfied by a form or a trigger, may warn (minutes before, or a share of the time), repeat
every few minutes or a few minutes after they were done, and escalate or notify on breach. Roles,
forms and triggers are drawn from small pools so that random commands often hit something real.

The definition comes back as YAML text, so it goes through the same loader as a file on disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from hypothesis import strategies as st

from engine.loading.loader import check_process
from engine.spec.model import ProcessSpec

FIELD = "note"


@dataclass(frozen=True)
class Generated:
    spec: ProcessSpec
    text: str


def trigger_of(stage: int) -> str:
    return f"go_{stage}"


def back_trigger_of(stage: int) -> str:
    return f"back_{stage}"


@st.composite
def _duty(
    draw: st.DrawFn, ident: str, roles: list[str], forms: list[str], triggers: list[str]
) -> dict[str, Any]:
    role = draw(st.sampled_from(roles))
    working = draw(st.booleans())
    due = f"{draw(st.integers(1, 3))} working hours" if working else f"{draw(st.integers(5, 240))}m"
    duty: dict[str, Any] = {"id": ident, "title": ident.upper(), "role": role, "due": due}
    sources = [{"form": f} for f in forms] + [{"trigger": t} for t in triggers]
    duty["satisfied_by"] = draw(st.sampled_from(sources))
    if draw(st.booleans()):
        duty["warn"] = draw(st.sampled_from([f"{draw(st.integers(1, 4))}m", f"{draw(st.integers(1, 99))}%"]))
    if draw(st.booleans()):
        duty["anchor"] = "instance_start"  # for a stage's duty: counted from before the stage
    actions: list[dict[str, Any]] = []
    if draw(st.booleans()):
        actions.append({"escalate": draw(st.sampled_from([roles[0], roles[:2]]))})
    if draw(st.booleans()):
        actions.append(
            {"notify": draw(st.lists(st.sampled_from(roles), min_size=1, max_size=2, unique=True))}
        )
    if actions:
        duty["on_breach"] = actions
    if draw(st.integers(0, 3)) == 0:
        kind = draw(st.sampled_from(["every", "after_done"]))
        repeat: dict[str, Any] = {kind: f"{draw(st.integers(10, 180))}m"}
        if draw(st.booleans()):
            repeat["count"] = draw(st.integers(1, 5))
        duty["repeat"] = repeat
    return duty


@st.composite
def definitions(draw: st.DrawFn) -> Generated:
    roles = [f"r{i}" for i in range(draw(st.integers(2, 4)))]
    forms = [f"f{i}" for i in range(draw(st.integers(1, 3)))]
    stage_count = draw(st.integers(1, 4))
    document: dict[str, Any] = {
        "id": "generated",
        "version": 1,
        "title": "生成的流程",
        "calendar": {"timezone": "Asia/Shanghai", "country": "CN", "hours": ["09:00-12:00", "13:00-18:00"]},
        "roles": {r: {"title": r.upper()} for r in roles},
        "start": {"by": [roles[0]]},
        "forms": {
            f: {
                "title": f.upper(),
                "filled_by": draw(st.lists(st.sampled_from(roles), min_size=1, max_size=2, unique=True)),
                "fields": {FIELD: {"title": "备注", "schema": {"type": "string", "maxLength": 20}}},
            }
            for f in forms
        },
    }
    every_trigger: list[str] = []
    stages: dict[str, Any] = {}
    duty_number = 0
    for index in range(stage_count):
        following = f"s{index + 1}" if index + 1 < stage_count else "done"
        leave: dict[str, Any] = {"to": following}
        if draw(st.booleans()):
            leave["trigger"] = trigger_of(index)
            leave["by"] = draw(st.lists(st.sampled_from(roles), min_size=1, max_size=2, unique=True))
        else:
            leave["on_record"] = draw(st.sampled_from(forms))
        exits = [leave]
        if index > 0 and draw(st.booleans()):
            back = back_trigger_of(index)
            exits.append(
                {
                    "id": back,
                    "to": f"s{index - 1}",
                    "trigger": back,
                    "by": draw(st.lists(st.sampled_from(roles), min_size=1, max_size=2, unique=True)),
                    "max_rounds": draw(st.integers(1, 3)),
                }
            )
        triggers = [e["trigger"] for e in exits if "trigger" in e]
        every_trigger += triggers
        duties = []
        for _ in range(draw(st.integers(0, 2))):
            duties.append(draw(_duty(f"d{duty_number}", roles, forms, triggers)))
            duty_number += 1
        stage: dict[str, Any] = {"title": f"S{index}", "owner": draw(st.sampled_from(roles)), "exits": exits}
        if duties:
            stage["duties"] = duties
        stages[f"s{index}"] = stage
    stages["done"] = {"title": "完成", "end": True}
    document["stages"] = stages
    instance_duties = [
        draw(_duty(f"d{duty_number + i}", roles, forms, every_trigger))
        for i in range(draw(st.integers(0, 1)))
    ]
    if instance_duties:
        document["duties"] = instance_duties
    text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
    result = check_process("generated.yaml", raw=text.encode())
    assert result.spec is not None, "\n".join(map(str, result.problems)) + "\n" + text
    return Generated(result.spec, text)

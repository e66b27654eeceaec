"""The shipped process files: they load, cite every rule, and render as reviewed (golden files).

To accept a deliberate change to a rendering: SOPFLOW_UPDATE_GOLDEN=1 pytest tests/unit/test_processes.py,
then review the diff of tests/golden/ before committing it.
"""

import os
import re
from pathlib import Path

import pytest

from engine.loading.loader import check_process, sibling_process_ids
from engine.locale import words
from engine.render.document import to_html, to_markdown
from engine.render.graph import to_dot, to_mermaid
from engine.render.handbook import handbook
from engine.spec.model import ProcessSpec
from tests.conftest import SHIPPED_PROCESSES

ROOT = Path(__file__).resolve().parents[2]
PROCESS_FILES = SHIPPED_PROCESSES
GOLDEN = ROOT / "tests" / "golden"
RULE = re.compile(r"^- (R\d\.\d+[a-z]?) — ", re.MULTILINE)


def load(path: Path) -> ProcessSpec:
    result = check_process(path, sibling_process_ids(path))
    assert result.problems == ()
    assert result.spec is not None
    return result.spec


@pytest.mark.parametrize("path", PROCESS_FILES, ids=lambda p: p.stem)
def test_process_loads_without_problems(path: Path) -> None:
    spec = load(path)
    assert spec.id == path.stem


@pytest.mark.parametrize("path", PROCESS_FILES, ids=lambda p: p.stem)
def test_every_part_is_found_by_its_id(path: Path) -> None:
    spec = load(path)
    for stage in spec.stages:
        assert spec.stage(stage.id) is stage
        assert spec.duties_in(stage.id) == spec.duties + stage.duties
    assert spec.duties_in("") == spec.duties
    assert [spec.duty(d.id) for d in spec.all_duties()] == list(spec.all_duties())
    assert all(spec.form(f.id) is f for f in spec.forms)
    assert all(spec.event(e.id) is e for e in spec.events)
    assert all(spec.role(r.id) is r for r in spec.roles)
    assert all(spec.decision_table(t.id) is t for t in spec.decision_tables)
    with pytest.raises(KeyError):
        spec.stage("no-such-stage")


@pytest.mark.parametrize("path", PROCESS_FILES, ids=lambda p: p.stem)
def test_process_file_declares_its_schema_for_editors(path: Path) -> None:
    assert path.read_text("utf-8").startswith(
        "# yaml-language-server: $schema=../schemas/process.schema.json\n"
    )


def test_every_rule_is_cited_by_a_process_file() -> None:
    rules = RULE.findall((ROOT / "docs" / "rules.md").read_text("utf-8"))
    assert len(rules) == 51  # 25 of R0, 26 of R1
    text = "\n".join(path.read_text("utf-8") for path in PROCESS_FILES)
    missing = [rule for rule in rules if not re.search(re.escape(rule) + r"(?![a-z0-9])", text)]
    assert missing == []


def test_both_seed_procedures_have_the_expected_shape() -> None:
    r0 = load(ROOT / "processes" / "sales-rapid-response.yaml")
    assert [s.id for s in r0.stages] == [
        "receive",
        "analysis",
        "solution",
        "supervisor_decision",
        "execution",
        "review",
        "closed",
    ]
    revise = next(e for e in r0.stage("solution").exits if e.id == "revise")
    assert (revise.max_rounds, revise.fallback) == (2, "supervisor_decision")
    table = r0.decision_tables[0]
    assert str(table.lookup({"demand_type": "after_sales", "urgency": "high"})) == "30m"
    assert str(table.lookup({"demand_type": "inquiry", "urgency": "low"})) == "2h"
    r1 = load(ROOT / "processes" / "sales-service-interaction.yaml")
    surveys = next(d for d in r1.duties if d.id == "satisfaction_surveys")
    assert surveys.repeat is not None
    assert [str(o) for o in surveys.repeat.offsets] == ["3 months", "6 months", "12 months"]


RENDERINGS = {
    "mmd": lambda spec: to_mermaid(spec, words(spec.locale)),
    "dot": lambda spec: to_dot(spec, words(spec.locale)),
    "md": lambda spec: to_markdown(handbook(spec, words(spec.locale))),
}
SEEDS = ["sales-rapid-response", "sales-service-interaction"]


@pytest.mark.parametrize("kind", sorted(RENDERINGS))
@pytest.mark.parametrize("name", SEEDS)
def test_rendering_matches_the_reviewed_golden_file(name: str, kind: str) -> None:
    rendered = RENDERINGS[kind](load(ROOT / "processes" / f"{name}.yaml"))
    golden = GOLDEN / f"{name}.{kind}"
    if os.environ.get("SOPFLOW_UPDATE_GOLDEN"):
        golden.write_text(rendered, encoding="utf-8")
    assert rendered == golden.read_text("utf-8")


def test_html_handbook_is_a_complete_page() -> None:
    from html.parser import HTMLParser

    spec = load(ROOT / "processes" / "sales-rapid-response.yaml")
    page = to_html(handbook(spec, words("zh-CN")), spec.title, "zh-CN")
    tags: list[str] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag: str, attrs: object) -> None:
            tags.append(tag)

    Collect().feed(page)
    assert tags[:4] == ["html", "head", "meta", "title"]
    assert tags.count("h2") == len(spec.stages) + 1 + 1 + 1 + len(spec.decision_tables)  # roles, case, forms
    assert "客户需求初始记录表" in page

"""Every scenario of the suite runs green; a wrong expectation and a broken scenario file are reported
exactly; the HTML report has one lane per role and shows every breach."""

from __future__ import annotations

import gc
from html.parser import HTMLParser
from pathlib import Path

import pytest

from engine.errors import DefinitionError
from engine.locale import words
from engine.simulation import runner
from engine.simulation.report import html_report
from engine.simulation.runner import simulate
from engine.simulation.scenario import load_scenario
from engine.simulation.timeline import failure_lines, summary

SUITE = sorted((Path(__file__).parents[2] / "scenarios").glob("*.yaml"))
HERE = Path(__file__).parent


def test_the_suite_covers_both_documents() -> None:
    rules = {rule for path in SUITE for rule in load_scenario(path).rules}
    assert {r[:2] for r in rules} >= {"R0", "R1"}
    assert len(SUITE) >= 11


@pytest.mark.parametrize("path", SUITE, ids=[p.stem for p in SUITE])
def test_scenario_holds(path: Path) -> None:
    simulation = simulate(load_scenario(path))
    assert simulation.checks, "a scenario must expect something"
    assert failure_lines(simulation) == []


def test_a_wrong_expectation_fails_with_expected_and_actual() -> None:
    simulation = simulate(load_scenario(HERE / "wrong-expectation.yaml"))
    assert failure_lines(simulation)[0] == (  # in the language of the process, Chinese
        f"{HERE / 'wrong-expectation.yaml'}:12：第 2 步，2026-11-23 10:10 [x] "
        "stage：预期 'analysis'，实际 'receive'"
    )
    where = f"{HERE / 'wrong-expectation.yaml'}:12: step 2 at 2026-11-23 10:10 [x]"
    assert failure_lines(simulation, words("en")) == [
        f"{where} stage: expected 'analysis', got 'receive'",
        f"{where} duties.confirm_details#1.due: expected '2026-11-23 10:06', got '2026-11-23 10:05'",
        f"{where} duties.confirm_details#1.status: expected 'met', got 'breached'",
        f"{HERE / 'wrong-expectation.yaml'}:16: step 3 at 2026-11-23 10:11 [x] event customer_contacted: "
        "expected 'done', got 'refused: role_not_allowed'\n"
        "    chen (customer) may not report customer_contacted; allowed: sales_rep",
    ]


def test_a_broken_scenario_is_reported_at_each_line() -> None:
    with pytest.raises(DefinitionError) as caught:
        load_scenario(HERE / "bad-scenario.yaml")
    path = HERE / "bad-scenario.yaml"
    assert [str(p).replace(str(path), "bad") for p in caught.value.problems] == [
        "bad:9:22: unknown actor 'li.le' (did you mean 'li.lei'?) [steps[1].by]",
        "bad:10:11: steps must be in time order; this one is earlier than the last [steps[2].at]",
        "bad:10:36: no trigger 'accept_solutoin' in sales-rapid-response (did you mean 'accept_solution'?)"
        " [steps[2].fire]",
        "bad:11:24: unknown case 'y' [steps[3].case]",
        "bad:12:36: no stage 'recieve' in sales-rapid-response (did you mean 'receive'?)"
        " [steps[4].expect.stage]",
        "bad:12:56: 'refused' belongs to a step that issues a command (start, fire, submit, sign, event)"
        " [steps[4].refused]",
        "bad:12:56: unknown reason 'nope' [steps[4].refused]",
    ]


def test_the_html_report_has_a_lane_per_role_and_every_breach() -> None:
    simulation = simulate(
        load_scenario(Path(__file__).parents[2] / "scenarios" / "r0-breached-confirmation.yaml")
    )
    page = _Page()
    page.feed(html_report([simulation]))
    instance = simulation.engine.instance(simulation.cases["minghui"])
    assert page.lanes == sorted({d.role for d in instance.duties.values()})
    assert page.breaches == sorted(d.key for d in instance.breaches())
    assert page.cases == ["minghui"]


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.lanes: list[str] = []
        self.breaches: list[str] = []
        self.cases: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        kind = found.get("class") or ""
        if kind == "lane":
            self.lanes.append(found["data-role"] or "")
        elif kind == "duty breach":
            self.breaches.append(found["data-duty"] or "")
            self.breaches.sort()
        elif kind == "case":
            self.cases.append(found["data-case"] or "")


def test_the_history_is_kept_from_the_cycle_collector_only_while_simulating(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(runner, "FREEZE_EVERY", 2)
    frozen: list[int] = []
    simulation = simulate(
        load_scenario(SUITE[0]), progress=lambda n, total: frozen.append(gc.get_freeze_count())
    )
    assert failure_lines(simulation) == []
    assert len(frozen) > 2 and frozen[:2] == [0, 0] and all(count > 0 for count in frozen[2:])
    assert gc.get_freeze_count() == 0


def test_a_caller_that_freezes_objects_itself_keeps_them_frozen() -> None:
    gc.freeze()
    try:
        simulation = simulate(load_scenario(SUITE[0]))
        assert failure_lines(simulation) == []
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_the_readme_scenarios_summaries_count_every_breach_the_timeline_shows() -> None:
    """Counted by hand from the timelines. R0: of 19 occurrences, the second 4-hourly progress update
    (due 22:00) was breached, escalated and then superseded by the third at 22:00: never done; the
    other 18 were met. R1: the regular check-ins #2 to #11 (one a month from October) were each
    breached five working days after they opened and ended unmet when the next one opened; three
    daily pipeline updates, the complaint's daily tracking and check-in #12 ended with their stage
    before they were due; the other 17 and 2 were met."""
    r0 = simulate(load_scenario(Path(__file__).parents[2] / "scenarios" / "r0-after-sales-level1.yaml"))
    assert summary(r0, words("en"))[:2] == [
        "huadong: Sales rapid-response standard process, stage Closed (finished); duties: 18 met on time, "
        "0 done late, 1 never done after the deadline, 0 open, 0 cancelled before due",
        "  ✗ progress_update_urgent#2 due 2026-11-23 22:00: never done (ended 2026-11-23 22:00)",
    ]
    r1 = simulate(load_scenario(Path(__file__).parents[2] / "scenarios" / "r1-customer-lifecycle.yaml"))
    rows = summary(r1)
    assert rows[0] == (
        "huadong：销售与客户服务交互式管理模板，阶段 服务周期结束（已结束）；"
        "职责：按时完成 17，逾期完成 0，逾期未完成 10，进行中 0，到期前取消 4"
    )
    assert [row.split()[1] for row in rows[1:11]] == [f"regular_check_in#{n}" for n in range(2, 12)]
    assert rows[11:] == [
        "complaint-1：客户意见/投诉处理，阶段 已闭环（已结束）；"
        "职责：按时完成 2，逾期完成 0，逾期未完成 0，进行中 0，到期前取消 1",
        "全部 2 个案例：按时完成 19，逾期完成 0，逾期未完成 10，进行中 0，到期前取消 5",
    ]

"""The simulation report's timeline, opened in a real browser (Debian's Chromium, driven by
Playwright) and checked as a manager would read it: a legend, a time axis with ticks at a step that
suits the span, lanes titled with the roles' titles, stage bands with the stages' titles, and one
red deadline mark for each breach; the bar of a duty done early ends where it was done."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from engine.simulation.report import html_report
from engine.simulation.runner import simulate
from engine.simulation.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def opened(browser: Any, scenario: str, tmp_path: Path) -> tuple[Page, Any]:
    simulation = simulate(load_scenario(SCENARIOS / scenario))
    page_file = tmp_path / "report.html"
    page_file.write_text(html_report([simulation]), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    page.goto(page_file.as_uri())
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    return page, simulation


def texts(page: Page, selector: str) -> list[str]:
    return [t.strip() for t in page.locator(selector).all_text_contents()]


def test_a_two_hour_case_reads_as_a_manager_would(browser: Any, tmp_path: Path) -> None:
    page, simulation = opened(browser, "r0-breached-confirmation.yaml", tmp_path)
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert texts(page, ".legend-item") == [
        "计划：从开始到时限",
        "进行中或按时完成",
        "超出时限",
        "到期前取消",
        "按时完成",
        "逾期完成",
        "错过时限",
        "案例所处阶段",
    ]
    assert all(item.is_visible() for item in page.locator(".legend-item").all())
    ticks = texts(page, ".tick text")  # a 15-minute step over two hours, the first with its date
    assert ticks[:3] == ["11-30 10:00", "10:15", "10:30"] and len(ticks) == 9
    assert texts(page, ".lane .lane-title") == ["销售代表", "销售主管"]  # the roles' titles
    assert texts(page, ".case .lane-title") == ["minghui"]
    assert texts(page, ".stage-title") == ["需求接收与初步响应", "需求分析与内部协同"]
    instance = simulation.engine.instance(simulation.cases["minghui"])
    breached = sorted(d.key for d in instance.breaches())
    marked = sorted(g.get_attribute("data-duty") for g in page.locator(".duty:has(.deadline)").all())
    assert marked == breached == ["confirm_details#1", "first_response#1", "record_request#1"]
    assert page.locator("svg.timeline .deadline").count() == 3  # one mark a breach
    late = page.locator('.duty[data-duty="first_response#1"]')
    assert "逾期完成" in (late.locator("title").text_content() or "")
    done = page.locator('.duty[data-duty="grade_request#1"]')  # done at 10:30, due 10:35
    bar, dot, plan = (
        done.locator(".bar").bounding_box(),
        done.locator(".met").bounding_box(),
        done.locator(".plan").bounding_box(),
    )
    assert bar and dot and plan
    assert (
        abs(bar["x"] + bar["width"] - (dot["x"] + dot["width"] / 2)) < 1.5
    )  # the bar ends where it was done
    assert plan["x"] + plan["width"] > bar["x"] + bar["width"] + 10  # its plan ran on to the deadline
    chart = page.locator("svg.timeline").bounding_box()
    assert chart
    for label in page.locator(".duty-title").all():  # every duty's title stays inside the chart
        box = label.bounding_box()
        assert box and box["x"] + box["width"] <= chart["x"] + chart["width"] + 1


def test_a_year_long_case_has_month_ticks(browser: Any, tmp_path: Path) -> None:
    page, _ = opened(browser, "r1-customer-lifecycle.yaml", tmp_path)
    assert texts(page, ".tick text") == ["2026-08", "2026-10", "2026-12", "2027-02", "2027-04", "2027-06"]
    assert texts(page, ".lane .lane-title") == ["销售代表", "客户服务专员", "销售经理"]
    assert page.locator("svg.timeline .deadline").count() == 10  # the ten regular check-ins never done

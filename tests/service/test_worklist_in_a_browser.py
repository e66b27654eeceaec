"""A whole R0 case worked in the browser (Debian's Chromium, driven by Playwright) against a real
server: the rep signs in, starts the case and sees its duties, submits the initial record; the
supervisor sees the grading waiting, grades; time passes and a missed deadline shows as overdue."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Page

from engine.persistence import open_store
from engine.service.app import create_app
from engine.service.state import Service
from engine.time.clock import VirtualClock
from tests.service.conftest import PASSWORD, START, people


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, VirtualClock]]:
    location = str(tmp_path / "served.db")
    clock = VirtualClock(START)
    people(location, clock)
    service = Service(open_store(location), clock)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    running = uvicorn.Server(
        uvicorn.Config(create_app(service), host="127.0.0.1", port=port, log_level="error")
    )
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    for _ in range(100):
        if running.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", clock
    running.should_exit = True
    thread.join(timeout=10)
    service.store.close()


def signed_in(browser: Any, base: str, user: str) -> Page:
    page: Page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    page.goto(base + "/")
    page.fill("input[name=user]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(base + "/")
    return page


def duties(page: Page) -> list[tuple[str, bool]]:
    rows = page.locator("tr[data-duty]")
    return [
        (r.get_attribute("data-duty") or "", "overdue" in (r.get_attribute("class") or ""))
        for r in rows.all()
    ]


def test_a_case_worked_in_the_browser(server: tuple[str, VirtualClock], browser: Any, tmp_path: Path) -> None:
    base, clock = server
    rep = signed_in(browser, base, "li.lei")
    rep.click("text=销售业务快速响应标准化流程")
    rep.fill("#f-customer_name", "明辉科技")
    rep.select_option("#f-demand_type", "inquiry")
    rep.select_option("#f-urgency", "high")
    rep.click("main button[type=submit]")
    rep.wait_for_url(base + "/instances/sales-rapid-response-1")
    assert rep.locator("p.stage strong").text_content() == "需求接收与初步响应"
    rep.goto(base + "/")
    assert duties(rep) == [
        ("confirm_details#1", False),
        ("record_request#1", False),
        ("first_response#1", False),
    ]
    rep.screenshot(path=str(tmp_path / "1-rep-work.png"), full_page=True)

    rep.click("text=完整记录客户需求并明确初步响应时限")
    rep.click("text=填写《客户需求初始记录表》")
    record = {
        "customer_name": "明辉科技",
        "contact_person": "吴工",
        "contact_details": "13600000003",
        "core_request": "咨询产品能否兼容现有产线",
        "first_response_deadline": "2026-11-23T11:00",
    }
    for field, value in record.items():
        rep.fill(f"#f-{field}", value)
    rep.select_option("#f-demand_type", "inquiry")
    rep.select_option("#f-urgency", "high")
    rep.check("input[name=supervisor_informed]")
    rep.click("main button[type=submit]")
    rep.wait_for_url(base + "/instances/sales-rapid-response-1")
    assert rep.locator("p.stage strong").text_content() == "需求分析与内部协同"
    assert rep.locator('.record[data-form="initial_record"]').count() == 1
    rep.screenshot(path=str(tmp_path / "2-rep-instance.png"), full_page=True)

    supervisor = signed_in(browser, base, "wang.fang")
    assert ("grade_request#1", False) in duties(supervisor)
    supervisor.click("text=销售主管对需求分级")
    supervisor.click("text=填写《需求分级记录》")
    supervisor.select_option("#f-level", "3")
    supervisor.fill("#f-reason", "常规咨询")
    supervisor.click("main button[type=submit]")
    supervisor.wait_for_url(base + "/instances/sales-rapid-response-1")
    graded = supervisor.locator('.record[data-form="grading"]').text_content() or ""
    assert "三级（常规）" in graded
    supervisor.goto(base + "/")
    assert duties(supervisor) == []

    clock.advance(timedelta(hours=2))  # the first response was due at 11:00
    rep.goto(base + "/")
    late = dict(duties(rep))
    assert late["first_response#1"] is True
    assert "已逾期" in (rep.locator('tr[data-duty="first_response#1"]').text_content() or "")
    rep.screenshot(path=str(tmp_path / "3-rep-overdue.png"), full_page=True)

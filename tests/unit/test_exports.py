"""Records exported as CSV and XLSX read back equal to the records; the review report's figures match
hand counts on a small scenario."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from engine.cli import main

ROOT = Path(__file__).resolve().parents[2]
REVISIONS = str(ROOT / "scenarios" / "r0-terms-change-revisions.yaml")


def recorded(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    assert main(["forms", REVISIONS, "--format", "json"]) == 0
    records: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return records


def test_csv_reads_back_equal_to_the_records(capsys: pytest.CaptureFixture[str]) -> None:
    records = recorded(capsys)
    assert main(["forms", REVISIONS, "--format", "csv"]) == 0
    rebuilt: dict[tuple[str, int], dict[str, object]] = {}
    for row in csv.DictReader(io.StringIO(capsys.readouterr().out)):
        rebuilt.setdefault((row["form"], int(row["version"])), {})[row["field"]] = json.loads(row["value"])
    assert rebuilt == {(r["form"], r["version"]): r["data"] for r in records}  # type: ignore[misc]
    assert [r["version"] for r in records if r["form"] == "solution"] == [1, 2, 3]


def test_xlsx_reads_back_equal_to_the_records(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = recorded(capsys)
    book = tmp_path / "records.xlsx"
    assert main(["forms", REVISIONS, "--format", "xlsx", "-o", str(book)]) == 0
    sheets = load_workbook(book)
    solution = sheets["定制化解决方案表"]
    header, *rows = [list(r) for r in solution.iter_rows(values_only=True)]
    assert header[:5] == ["case", "version", "提交时间", "提交人", "已签署"]
    assert header[5:10] == ["产品规格", "价格明细", "交付时间", "服务保障", "核心内容"]
    expected = [r for r in records if r["form"] == "solution"]
    assert [row[1] for row in rows] == [r["version"] for r in expected]
    assert [row[9] for row in rows] == [r["data"]["core_content"] for r in expected]  # type: ignore[index]
    coordination = [list(r) for r in sheets["跨部门协同需求单"].iter_rows(values_only=True)]
    assert json.loads(coordination[1][5]) == ["finance"]  # lists are JSON text


def test_blank_forms_of_a_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["forms", str(ROOT / "processes" / "customer-complaint.yaml")]) == 0
    out = capsys.readouterr().out
    assert "### 《客户投诉处理记录表·响应》 Complaint record — response" in out
    assert "| 客户评价 (Customer rating) | one of 非常满意, 满意, 一般, 不满意 | yes |  |" in out


def test_weekly_review_figures_match_hand_counts(capsys: pytest.CaptureFixture[str]) -> None:
    week = str(ROOT / "scenarios" / "r0-week-of-requests.yaml")
    assert main(["report", week, "--period", "2026-W49", "--format", "json"]) == 0
    (report,) = json.loads(capsys.readouterr().out)
    values = {name: metric["value"] for name, metric in report["metrics"].items()}
    assert values["cases_by_level"] == {"1": 1, "2": 1, "3": 1}
    assert values["deadlines_met"] == 0.9167  # 11 of 12 deadlines due by 10:30 were met
    assert values["breaches_by_rule"] == {"R0.1b": 1}
    assert values["mean_satisfaction"] is None
    assert main(["report", week, "--period", "2026-W48", "--format", "json"]) == 0
    (before,) = json.loads(capsys.readouterr().out)
    assert before["metrics"]["cases_by_level"]["value"] == {}  # nothing happened the week before


def test_report_html_has_a_chart(tmp_path: Path) -> None:
    page = tmp_path / "review.html"
    lifecycle = str(ROOT / "scenarios" / "r1-customer-lifecycle.yaml")
    assert main(["report", lifecycle, "--period", "2026-06", "--format", "html", "-o", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert text.count('<svg class="bars"') == 1 and "各销售阶段转化" in text  # the June pipeline funnel
    assert '<text x="0" y="16">first_contact</text>' in text

"""Records exported as CSV and XLSX read back equal to the records; the review report's figures match
hand counts on a small scenario."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
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
    header, *rows = csv.reader(io.StringIO(capsys.readouterr().out))
    assert header == [
        "案例",
        "表单",
        "表单编号",
        "版本",
        "提交时间",
        "提交人",
        "已签署",
        "字段",
        "字段编号",
        "值（JSON）",
    ]
    rebuilt: dict[tuple[str, int], dict[str, object]] = {}
    for row in rows:
        rebuilt.setdefault((row[2], int(row[3])), {})[row[8]] = json.loads(row[9])
    assert rebuilt == {(r["form"], r["version"]): r["data"] for r in records}  # type: ignore[misc]
    assert [r["version"] for r in records if r["form"] == "solution"] == [1, 2, 3]
    assert rows[0][4] == "2026-11-26T16:10:00+08:00"  # with the process's offset, as in the JSON
    assert records[0]["submitted_at"] == "2026-11-26T16:10:00+08:00"
    assert {r["signed"] for r in records if r["form"] == "initial_record"} == {None}  # never signed


def test_xlsx_cells_are_typed_and_read_as_a_clerk_would(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = recorded(capsys)
    book = tmp_path / "records.xlsx"
    assert main(["forms", REVISIONS, "--format", "xlsx", "-o", str(book)]) == 0
    sheets = load_workbook(book)
    intake = sheets["客户需求初始记录表"]
    header, row = [list(r) for r in intake.iter_rows(values_only=True)]
    assert header == [
        "案例", "版本", "提交时间", "提交人", "客户名称", "联系人", "联系方式", "需求类型", "核心诉求",
        "紧急程度", "初步响应时限", "已同步销售主管",
    ]  # fmt: skip
    assert row[2] == datetime(2026, 11, 26, 16, 10)  # noqa: DTZ001  # an Excel date-time, in Shanghai time
    assert intake.cell(2, 3).number_format == "yyyy-mm-dd hh:mm"
    assert row[7] == "合作条款调整" and row[9] == "低"  # choices by their titles
    assert row[10] == datetime(2026, 11, 27, 18, 0)  # noqa: DTZ001 and row[11] == "是"
    assert (intake.freeze_panes, intake.auto_filter.ref) == ("A2", "A1:L2")
    assert intake.column_dimensions["I"].width == 26  # 付款周期由30天调整为60天: 24 wide, and a margin
    grading = [list(r) for r in sheets["需求分级记录"].iter_rows(values_only=True)]
    assert grading[1][4] == "二级（重要）"
    solution = [list(r) for r in sheets["定制化解决方案表"].iter_rows(values_only=True)]
    expected = [r for r in records if r["form"] == "solution"]
    assert [row[1] for row in solution[1:]] == [r["version"] for r in expected]
    coordination = [list(r) for r in sheets["跨部门协同需求单"].iter_rows(values_only=True)]
    assert coordination[1][4] == "财务部"  # a list, joined in words, of titled choices


def test_blank_forms_of_a_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["forms", str(ROOT / "processes" / "customer-complaint.yaml")]) == 0
    out = capsys.readouterr().out
    assert "### 《客户投诉处理记录表·响应》\n" in out
    assert "| 客户评价 | 单选：非常满意、满意、一般或不满意 | 是 |  |" in out
    assert main(["forms", "--lang", "en", str(ROOT / "processes" / "customer-complaint.yaml")]) == 0
    out = capsys.readouterr().out
    assert "### “Complaint record — response”\n" in out
    assert "| Customer rating | one of: 非常满意, 满意, 一般, or 不满意 | yes |  |" in out


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
    assert "<title>商务谈判</title>商务谈判</text>" in text  # stages by their titles

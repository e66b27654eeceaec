"""R0, the rapid-response process, end to end on the virtual clock. Every instant below is Shanghai
wall time computed by hand from the document's rules and the CN calendar (2026-11-23 is a Monday;
National Day 2026 is Thu 1 to Wed 7 October)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from engine.errors import CommandRefused
from engine.runtime.events import EventType
from engine.runtime.instance import Instance
from tests.processes.harness import (
    AFTER_SALES,
    CUSTOMER,
    EXPERT,
    OPERATIONS,
    REP,
    SUPERVISOR,
    Run,
    breaches,
    due,
    duty,
    local,
    of_type,
    open_keys,
    stages_entered,
)
from tests.unit.time.cn import at

R0 = "sales-rapid-response"
MakeRun = Callable[[str], Run]

SOLUTION = {
    "product_spec": "定制型号 X-100",
    "price_breakdown": "单价 2万元 × 100台",
    "delivery_time": "3天内",
    "service_guarantees": "两年质保",
    "core_content": "100台定制设备，3天内交付",
}


PLAN = {
    "execution_order": "生产部下达定制订单，售后部安排服务人员",
    "milestones": [{"name": "生产完成", "owner": "生产部", "date": "2026-11-24"}],
}


def request(demand_type: str = "after_sales", urgency: str = "high") -> dict[str, Any]:
    return {"customer_name": "华东机械", "demand_type": demand_type, "urgency": urgency}


def initial_record(demand_type: str = "after_sales", urgency: str = "high") -> dict[str, Any]:
    return {
        "customer_name": "华东机械",
        "contact_person": "张工",
        "contact_details": "13800000000",
        "demand_type": demand_type,
        "core_request": "需要100台定制设备，3天内交付",
        "urgency": urgency,
        "first_response_deadline": "2026-11-23T10:30:00+08:00",
        "supervisor_informed": True,
    }


def analysis(level: int) -> dict[str, Any]:
    return {
        "level": level,
        "departments": ["product"],
        "risks": "产能紧张",
        "alternatives": "分批交付",
        "customer_told_of_risks": True,
    }


def to_solution(run: Run, level: int, day: str = "2026-11-23") -> Instance:
    """Receive at 10:00, record at 10:10, grade at 10:15, analyse at 11:00: in `solution` from 11:00."""
    run.to(f"{day} 10:00")
    case = run.start(R0, request(), REP)
    run.to(f"{day} 10:02")
    run.happen(case, "customer_contacted", REP, {"method": "phone"})
    run.to(f"{day} 10:08")
    run.happen(case, "first_response_given", EXPERT)
    run.to(f"{day} 10:10")
    run.submit(case, "initial_record", initial_record(), REP)
    run.to(f"{day} 10:15")
    run.submit(case, "grading", {"level": level, "reason": "生产设备故障导致停产"}, SUPERVISOR)
    run.to(f"{day} 10:28")
    if level == 1:  # R0.2b
        run.happen(case, "emergency_meeting_held", REP, {"attendees": ["销售代表", "技术专家", "售后主管"]})
    elif level == 2:  # R0.2c
        run.submit(case, "coordination_request", {"departments": ["product"], "request": "产品部提供定制方案",
                   "feedback_deadline": f"{day}T10:55:00+08:00"}, REP)  # fmt: skip
        run.to(f"{day} 10:50")
        run.happen(case, "department_feedback_received", REP)
    else:  # R0.2d
        run.happen(case, "direct_answer_given", REP)
    run.to(f"{day} 11:00")
    run.submit(case, "analysis_record", analysis(level), REP)
    return case


def execute(run: Run, case: Instance, plan_at: str, done_at: str) -> None:
    run.to(plan_at)
    run.submit(case, "execution_plan", PLAN, REP)
    run.to(done_at)
    run.fire(case, "complete_execution", REP)


def reviewed_solution(run: Run, case: Instance, submit_at: str, signed_at: str) -> None:
    run.to(submit_at)
    run.submit(case, "solution", SOLUTION, REP)
    run.to(signed_at)
    run.sign(case, "solution", SUPERVISOR)
    run.sign(case, "solution", EXPERT)


FIRST_RESPONSE = [  # R0.1c the decision table, from a Monday 10:00 receipt
    ("after_sales", "high", "2026-11-23 10:30"),  # the document's example: 30 min
    ("after_sales", "low", "2026-11-23 12:00"),
    ("urgent_order", "high", "2026-11-23 10:30"),
    ("urgent_order", "medium", "2026-11-23 11:00"),
    ("inquiry", "high", "2026-11-23 11:00"),
    ("inquiry", "medium", "2026-11-23 12:00"),  # the document's example: 2 h
    ("terms_change", "high", "2026-11-23 12:00"),
    ("competitor", "medium", "2026-11-23 14:00"),
    ("competitor", "low", "2026-11-24 18:00"),  # 1 working day: the end of Tuesday
]


@pytest.mark.parametrize(("demand_type", "urgency", "expected"), FIRST_RESPONSE)
def test_r0_1c_first_response_deadline_by_demand_type_and_urgency(
    run: MakeRun, demand_type: str, urgency: str, expected: str
) -> None:
    r = run("2026-11-23 10:00")
    case = r.start(R0, request(demand_type, urgency), REP)
    assert due(case, "first_response#1") == expected
    assert case.stage == "receive"
    assert sorted(open_keys(case)) == ["confirm_details#1", "first_response#1", "record_request#1"]


def test_r0_1b_confirmation_breached_at_five_minutes_and_escalated(run: MakeRun) -> None:
    r = run("2026-11-23 10:00")
    case = r.start(R0, request(), REP)
    r.to("2026-11-23 10:30")  # one step: each timer still fires at its own instant
    assert breaches(case) == [
        ("confirm_details#1", "2026-11-23 10:05"),
        ("record_request#1", "2026-11-23 10:15"),
        ("first_response#1", "2026-11-23 10:30"),
    ]
    escalated = of_type(case, EventType.DUTY_ESCALATED)
    assert [(e.data["key"], e.data["role"], local(e.at)) for e in escalated] == [
        ("confirm_details#1", "sales_supervisor", "2026-11-23 10:05"),
        ("record_request#1", "sales_supervisor", "2026-11-23 10:15"),
        ("first_response#1", "sales_supervisor", "2026-11-23 10:30"),
    ]
    warned = [(e.data["key"], local(e.at)) for e in of_type(case, EventType.DUTY_WARNED)]
    assert warned == [("confirm_details#1", "2026-11-23 10:03"), ("first_response#1", "2026-11-23 10:20")]
    r.to("2026-11-23 10:40")
    r.happen(case, "customer_contacted", REP, {"method": "im"})
    late = duty(case, "confirm_details#1")
    assert late.satisfied_at is not None and not late.met  # done, but late


def test_r0_1b_a_confirmation_at_the_fifth_minute_exactly_is_in_time(run: MakeRun) -> None:
    """At one instant, commands come before the timers due at it: done at 10:05:00, due 10:05:00,
    the duty is met; advancing past 10:05 first (the timers of 10:05 fire) makes the call late."""
    r = run("2026-11-23 10:00")
    on_time, late = r.start(R0, request(), REP), r.start(R0, request(), REP)
    r.engine.advance_to(at("2026-11-23 10:05"), inclusive=False)
    r.happen(on_time, "customer_contacted", REP, {"method": "phone"})
    assert duty(r.now(on_time), "confirm_details#1").outcome == "met"
    assert breaches(r.now(late)) == []  # its deadline is this instant: not yet passed
    r.engine.run_due()  # the instant ends
    assert breaches(r.now(late)) == [("confirm_details#1", "2026-11-23 10:05")]
    r.happen(late, "customer_contacted", REP, {"method": "phone"})
    assert duty(r.now(late), "confirm_details#1").outcome == "late"
    assert duty(r.now(on_time), "confirm_details#1").outcome == "met"


def test_r0_level_1_happy_path_from_receipt_to_closure(run: MakeRun) -> None:
    r = run("2026-11-23 09:00")
    case = to_solution(r, level=1)
    assert stages_entered(case) == ["receive", "analysis", "solution"]
    assert due(case, "grade_request#1") == "2026-11-23 10:25"  # 15 min after entering analysis at 10:10
    assert due(case, "emergency_meeting#1") == "2026-11-23 10:30"  # R0.2b 15 min after grading at 10:15
    assert duty(case, "emergency_meeting#1").met
    assert due(case, "analysis_record#1") == "2026-11-23 12:00"  # within 2 h of receipt
    assert due(case, "draft_solution#1") == "2026-11-23 13:00"

    reviewed_solution(r, case, "2026-11-23 12:00", "2026-11-23 12:40")
    assert due(case, "review_solution#1") == "2026-11-23 13:00"
    assert duty(case, "review_solution#1").met
    assert due(case, "present_solution#1") == "2026-11-23 13:40"  # R0.3c level 1: presented on site
    assert "send_solution#1" not in case.duties  # R0.3d is for levels 2 and 3
    r.to("2026-11-23 13:30")
    r.happen(case, "solution_presented", AFTER_SALES)
    r.to("2026-11-23 14:00")
    r.fire(case, "accept_solution", CUSTOMER)

    assert case.stage == "execution"
    assert due(case, "kickoff#1") == "2026-11-23 18:00"  # 4 working hours from 14:00
    assert due(case, "daily_tracking#1") == "2026-11-24 18:00"
    assert due(case, "progress_update_urgent#1") == "2026-11-23 18:00"  # R0.4b every 4 h for level 1
    assert "progress_update_daily#1" not in case.duties
    r.to("2026-11-23 15:00")
    r.submit(case, "execution_plan", PLAN, REP)
    r.to("2026-11-23 17:00")
    r.happen(case, "customer_updated", REP, {"message": "已完成80%生产"})
    r.to("2026-11-23 22:00")  # the 18:00–22:00 update is missed
    for moment in ("2026-11-24 01:00", "2026-11-24 05:00", "2026-11-24 09:00", "2026-11-24 13:00"):
        r.to(moment)
        r.happen(case, "customer_updated", REP, {"message": "进展同步"})
    r.to("2026-11-24 13:30")
    r.submit(case, "progress_tracking", {"milestone": "生产", "progress": "设备已完成80%生产"}, REP)
    assert duty(case, "daily_tracking#1").met
    r.to("2026-11-24 16:00")
    updates = [d for d in case.duties.values() if d.id == "progress_update_urgent"]
    assert [(local(d.opened_at), local(d.due)) for d in updates] == [
        ("2026-11-23 14:00", "2026-11-23 18:00"),
        ("2026-11-23 18:00", "2026-11-23 22:00"),
        ("2026-11-23 22:00", "2026-11-24 02:00"),
        ("2026-11-24 02:00", "2026-11-24 06:00"),
        ("2026-11-24 06:00", "2026-11-24 10:00"),
        ("2026-11-24 10:00", "2026-11-24 14:00"),
        ("2026-11-24 14:00", "2026-11-24 18:00"),
    ]
    assert [d.status.value for d in updates] == ["satisfied", "cancelled"] + ["satisfied"] * 4 + ["open"]
    r.fire(case, "complete_execution", REP)
    assert duty(case, "progress_update_urgent#7").status.value == "cancelled"  # the scope ended
    assert due(case, "confirm_result#1") == "2026-11-25 18:00"  # R0.5 within 1 working day
    r.to("2026-11-24 17:00")
    r.submit(case, "result_confirmation", {"delivered_as_agreed": True, "running_normally": True}, REP)
    assert duty(case, "confirm_result#1").is_open  # R0.5a needs the customer's signature
    r.to("2026-11-25 10:00")
    r.sign(case, "result_confirmation", CUSTOMER)
    r.to("2026-11-25 10:10")
    r.submit(
        case, "satisfaction_survey", {"speed_score": 5, "quality_score": 5, "attitude_score": 4}, CUSTOMER
    )
    r.to("2026-11-25 10:20")
    r.submit(case, "retrospective", {"went_well": "跨部门协作高效", "went_badly": "物流地址确认晚"}, REP)
    r.to("2026-11-25 10:30")
    r.fire(case, "close", REP)

    assert case.finished and case.stage == "closed"
    assert stages_entered(case) == ["receive", "analysis", "solution", "execution", "review", "closed"]
    assert breaches(case) == [("progress_update_urgent#2", "2026-11-23 22:00")]
    assert not case.open_duties()


def test_r0_2c_level_2_department_feedback_deadline_from_the_form(run: MakeRun) -> None:
    r = run("2026-11-23 09:00")
    r.to("2026-11-23 10:00")
    case = r.start(R0, request("terms_change", "medium"), REP)
    r.to("2026-11-23 10:10")
    r.submit(case, "initial_record", initial_record("terms_change", "medium"), REP)
    r.to("2026-11-23 10:15")
    r.submit(case, "grading", {"level": 2, "reason": "付款周期调整需财务审批"}, SUPERVISOR)
    assert due(case, "dispatch_request#1") == "2026-11-23 10:45"
    r.to("2026-11-23 10:30")
    r.submit(case, "coordination_request", {"departments": ["finance"], "request": "核算付款周期",
             "feedback_deadline": "2026-11-23T15:00:00+08:00"}, REP)  # fmt: skip
    assert duty(case, "dispatch_request#1").met
    assert due(case, "department_feedback#1") == "2026-11-23 15:00"  # the agreed deadline itself
    r.to("2026-11-23 16:00")
    assert breaches(case) == [
        ("confirm_details#1", "2026-11-23 10:05"),  # nobody called the customer
        ("analysis_record#1", "2026-11-23 12:00"),
        ("first_response#1", "2026-11-23 14:00"),  # terms change, medium: 4 h
        ("department_feedback#1", "2026-11-23 15:00"),
    ]
    r.happen(case, "department_feedback_received", REP)
    assert duty(case, "department_feedback#1").satisfied_at is not None


def test_r0_2d_level_3_answered_directly_and_solution_sent(run: MakeRun) -> None:
    r = run("2026-11-23 09:00")
    case = to_solution(r, level=3)
    assert due(case, "direct_answer#1") == "2026-11-23 10:45"
    assert duty(case, "direct_answer#1").met
    assert "emergency_meeting#1" not in case.duties
    reviewed_solution(r, case, "2026-11-23 12:00", "2026-11-23 12:30")
    assert due(case, "send_solution#1") == "2026-11-23 13:00"  # 30 min after the review
    r.to("2026-11-23 12:50")
    r.happen(case, "solution_sent", REP)
    assert due(case, "follow_up_feedback#1") == "2026-11-24 12:50"  # R0.3d within 24 h
    assert local(duty(case, "follow_up_feedback#1").warn_at) == "2026-11-24 10:50"
    r.to("2026-11-24 11:00")
    r.happen(case, "customer_feedback_received", CUSTOMER)
    assert duty(case, "follow_up_feedback#1").met


def test_r0_3d_at_most_two_revision_rounds_then_the_supervisor_decides(run: MakeRun) -> None:
    r = run("2026-11-23 09:00")
    case = to_solution(r, level=2)
    reviewed_solution(r, case, "2026-11-23 12:00", "2026-11-23 12:30")
    r.fire(case, "request_revision", CUSTOMER)  # round 1
    with pytest.raises(CommandRefused) as refused:  # a new version is needed first
        r.fire(case, "request_revision", CUSTOMER)
    assert refused.value.details == (
        "the exit to 'solution' needs a new record of solution in this visit to the stage "
        "(version 1 is from before) first",
    )
    reviewed_solution(r, case, "2026-11-23 13:00", "2026-11-23 13:30")
    r.fire(case, "request_revision", CUSTOMER)  # round 2
    reviewed_solution(r, case, "2026-11-23 14:00", "2026-11-23 14:30")
    r.fire(case, "request_revision", CUSTOMER)  # a third request: past the bound
    case = r.now(case)
    assert stages_entered(case)[-4:] == ["solution", "solution", "solution", "supervisor_decision"]
    assert case.rounds == {"revise": 2}
    assert [r.version for r in case.records["solution"]] == [1, 2, 3]  # one record, three versions
    assert due(case, "decide_after_revisions#1") == "2026-11-24 18:00"  # 1 working day
    r.to("2026-11-23 15:00")
    r.fire(case, "proceed", SUPERVISOR)
    assert duty(case, "decide_after_revisions#1").met  # satisfied by the trigger itself
    assert case.stage == "execution"
    assert due(case, "progress_update_daily#1") == "2026-11-24 18:00"  # R0.4b daily for level 2


def test_r0_4c_delay_notified_within_one_hour_with_compensation(run: MakeRun) -> None:
    r = run("2026-11-23 09:00")
    case = to_solution(r, level=2)
    reviewed_solution(r, case, "2026-11-23 12:00", "2026-11-23 12:30")
    r.fire(case, "accept_solution", CUSTOMER)
    r.to("2026-11-24 10:00")
    r.happen(case, "delay_reported", OPERATIONS, {"cause": "物流故障"})
    assert due(case, "delay_notice#1") == "2026-11-24 11:00"
    assert local(duty(case, "delay_notice#1").warn_at) == "2026-11-24 10:45"
    r.to("2026-11-24 10:40")
    r.submit(case, "delay_notice", {"cause": "物流故障", "compensation": "免费延长质保6个月",
             "supervisor_informed": True}, REP)  # fmt: skip
    assert duty(case, "delay_notice#1").met
    r.to("2026-11-24 14:00")
    r.happen(case, "delay_reported", REP, {"cause": "生产延期"})  # a second delay: a new duty
    r.to("2026-11-24 15:30")
    assert breaches(case)[-1] == ("delay_notice#2", "2026-11-24 15:00")
    assert [e.data["role"] for e in of_type(case, EventType.DUTY_ESCALATED)][-1] == "sales_supervisor"


def test_r0_5_confirmation_within_one_working_day_across_national_day(run: MakeRun) -> None:
    r = run("2026-09-30 09:00")
    case = to_solution(r, level=3, day="2026-09-30")
    reviewed_solution(r, case, "2026-09-30 12:00", "2026-09-30 12:30")
    r.fire(case, "accept_solution", CUSTOMER)
    execute(r, case, "2026-09-30 14:00", "2026-09-30 15:00")
    assert case.stage == "review"
    assert due(case, "confirm_result#1") == "2026-10-08 18:00"  # 1–7 October are days off


def test_r0_5d_low_satisfaction_followed_up_within_three_working_days(run: MakeRun) -> None:
    r = run("2026-11-23 09:00")
    case = to_solution(r, level=3)
    reviewed_solution(r, case, "2026-11-23 12:00", "2026-11-23 12:30")
    r.fire(case, "accept_solution", CUSTOMER)
    execute(r, case, "2026-11-23 14:00", "2026-11-24 16:00")
    r.submit(case, "result_confirmation", {"delivered_as_agreed": True, "running_normally": False}, REP)
    r.sign(case, "result_confirmation", CUSTOMER)
    r.to("2026-11-25 10:10")
    r.submit(
        case, "satisfaction_survey", {"speed_score": 3, "quality_score": 4, "attitude_score": 5}, CUSTOMER
    )
    assert due(case, "low_satisfaction_follow_up#1") == "2026-11-30 18:00"  # Thu, Fri, Mon
    r.submit(case, "retrospective", {"went_well": "响应快", "went_badly": "设备调试不充分"}, REP)
    with pytest.raises(CommandRefused) as refused:
        r.fire(case, "close", REP)
    assert refused.value.details == (
        "the exit to 'closed' needs speed_score >= 4 and quality_score >= 4 and attitude_score >= 4",
        "the exit to 'closed' needs a record of follow_up_report first",
    )
    r.to("2026-11-27 11:00")
    r.submit(
        case,
        "follow_up_report",
        {"improvements": "增派技术人员复检", "reported_to_customer": True},
        SUPERVISOR,
    )
    r.fire(r.now(case), "close", SUPERVISOR)
    case = r.now(case)
    assert case.finished
    assert duty(case, "low_satisfaction_follow_up#1").met


def test_r0_5d_follow_up_breach_notifies_the_rep(run: MakeRun) -> None:
    r = run("2026-11-23 09:00")
    case = to_solution(r, level=3)
    reviewed_solution(r, case, "2026-11-23 12:00", "2026-11-23 12:30")
    r.fire(case, "accept_solution", CUSTOMER)
    execute(r, case, "2026-11-23 12:30", "2026-11-23 12:30")
    r.submit(
        case, "satisfaction_survey", {"speed_score": 2, "quality_score": 2, "attitude_score": 2}, CUSTOMER
    )
    r.to("2026-12-01 09:00")
    assert ("low_satisfaction_follow_up#1", "2026-11-26 18:00") in breaches(case)
    notices = [
        e.data
        for e in of_type(case, EventType.NOTIFIED)
        if e.data.get("duty") == "low_satisfaction_follow_up#1"
    ]
    assert notices == [{"roles": ["sales_rep"], "reason": "breach", "duty": "low_satisfaction_follow_up#1"}]

"""R1, sales and customer-service interaction, and its complaint child process, end to end on the
virtual clock. Instants are Shanghai wall time computed by hand (2026-06-22 is a Monday; 1–7 October
2026 are days off and Saturday 10 October is an adjusted working day)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from engine.errors import CommandRefused, Reason
from engine.runtime.events import EventType
from engine.runtime.instance import Instance
from tests.processes.harness import (
    CS,
    CUSTOMER,
    MANAGER,
    REP,
    Run,
    breaches,
    due,
    duty,
    local,
    of_type,
    stages_entered,
)

R1 = "sales-service-interaction"
MakeRun = Callable[[str], Run]

PROFILE = {
    "customer_name": "华东机械",
    "industry": "装备制造",
    "employees": 800,
    "annual_revenue": 52000,
    "contacts": [
        {"name": "陈总", "position": "采购总监", "phone": "13900000000", "email": "chen@example.com"}
    ],
    "source_channel": "trade_show",
    "first_contact_time": "2026-06-22T09:00:00+08:00",
    "customer_type": "intent",
}
NEEDS = {
    key: "已确认"
    for key in ("decision_maker", "situation", "problem", "implication", "need_payoff", "features",
                "delivery_cycle", "budget", "service_level", "pain_points", "goals")
} | {"priority": "high"}  # fmt: skip
PROPOSAL = {
    "configuration": "X-100 ×100",
    "quote": 2_000_000,
    "delivery_plan": "分两批",
    "service_commitments": "7×24",
}
DEAL = {
    "customer_type": "closed",
    "contract_amount": 2_000_000,
    "effective_date": "2026-07-05",  # a Sunday
    "payment_milestones": [{"date": "2026-07-10", "amount": 1_000_000}],
    "first_payment_date": "2026-07-10",
}
HANDOVER = {"profile_summary": "见档案", "needs_summary": "见清单", "solution_points": "X-100",
            "special_terms": "售后专属联系人：周敏", "service_plan": "每月回访"}  # fmt: skip


def new_customer(run: Run) -> Instance:
    data = {"customer_name": "华东机械", "existing_customer": False, "source_channel": "trade_show"}
    return run.start(R1, data, REP)


def survey(months: int) -> dict[str, Any]:
    return {
        "months_after_deal": months,
        "response_speed": 5,
        "resolution": 4,
        "professionalism": 5,
        "method": "phone",
    }


def test_r1_4a_pipeline_in_order_from_first_contact_to_the_twelve_month_survey(run: MakeRun) -> None:
    r = run("2026-06-22 09:00")
    c = new_customer(r)
    assert due(c, "profile_new_customer#1") == "2026-06-23 18:00"
    assert (
        "profile_existing_customer#1" not in c.duties
    )  # R1.1: the sales rep builds a new customer's profile
    with pytest.raises(CommandRefused) as refused:
        r.fire(c, "advance", REP)
    assert refused.value.reason is Reason.MISSING_RECORD
    with pytest.raises(
        CommandRefused
    ) as refused:  # no skipping ahead: the deal belongs to the contract stage
        r.submit(c, "deal_record", DEAL, REP)
    assert refused.value.reason is Reason.FORM_NOT_IN_STAGE

    r.to("2026-06-22 11:00")
    r.submit(c, "customer_profile", PROFILE, REP)
    r.submit(c, "pipeline_update", {"progress": "展会初次接触", "next_action": "预约需求访谈"}, REP)
    r.fire(c, "advance", REP)
    assert due(c, "discover_needs#1") == "2026-06-29 18:00"  # 5 working days
    r.to("2026-06-23 10:00")
    r.submit(c, "needs_list", NEEDS, REP)
    with pytest.raises(CommandRefused):  # R1.2 the needs list must be confirmed by the customer first
        r.fire(c, "advance", REP)
    r.to("2026-06-23 11:00")
    r.sign(c, "needs_list", CUSTOMER)
    r.fire(c, "advance", REP)

    assert due(c, "draft_proposal#1") == "2026-06-30 18:00"
    r.to("2026-06-24 10:00")
    r.submit(c, "solution_proposal", PROPOSAL, REP)
    assert due(c, "solution_meeting#1") == "2026-07-01 18:00"
    r.to("2026-06-25 10:00")
    r.happen(c, "solution_meeting_held", REP, {"objections": "价格偏高"})
    assert due(c, "confirmation_letter#1") == "2026-07-09 18:00"  # 10 working days
    r.to("2026-06-26 10:00")
    r.submit(c, "solution_confirmation", {"accepted": True, "scan_reference": "SC-001"}, REP)
    r.sign(c, "solution_confirmation", REP)
    r.sign(c, "solution_confirmation", CUSTOMER)  # R1.3b signed by both sides
    r.fire(c, "advance", REP)

    assert c.stage == "negotiation"  # R1.4b the CS specialist is told in advance
    told = [e.data["roles"] for e in of_type(c, EventType.NOTIFIED) if e.data.get("stage") == "negotiation"]
    assert told == [["cs_specialist", "sales_manager"]]
    assert due(c, "review_negotiation#1") == "2026-07-01 18:00"
    assert local(duty(c, "review_negotiation#1").warn_at) == "2026-06-30 18:00"  # the reminder, a day ahead
    r.to("2026-06-29 10:00")
    r.submit(c, "key_step_review", {"approved": True}, MANAGER)
    r.fire(c, "advance", REP)

    assert due(c, "record_deal#1") == "2026-06-30 18:00"
    r.to("2026-06-30 10:00")
    r.submit(c, "deal_record", DEAL, REP)
    assert c.variables["customer_type"] == "closed"  # R1.5a
    assert due(c, "handover_checklist#1") == "2026-07-03 18:00"
    assert local(c.series["satisfaction_surveys"].next_at) == "2026-10-08 00:00"  # 5 Oct is a holiday
    r.to("2026-07-01 10:00")
    r.submit(c, "handover_checklist", HANDOVER, REP)
    with pytest.raises(CommandRefused):  # R1.5c both sides sign before the CS team takes over
        r.fire(c, "complete_handover", CS)
    r.sign(c, "handover_checklist", REP)
    r.sign(c, "handover_checklist", CS)
    r.happen(c, "handover_meeting_held", CS)
    r.fire(c, "complete_handover", CS)

    assert due(c, "collect_payment#1") == "2026-07-10 18:00"  # by the end of the first payment date
    r.to("2026-07-10 10:00")
    r.submit(c, "payment_record", {"amount": 1_000_000, "received_on": "2026-07-10"}, REP)
    assert c.stage == "service"
    assert local(c.series["regular_check_in"].next_at) == "2026-08-03 10:00"  # 1 August is a Saturday

    surveys = [("2026-10-09 10:00", 3), ("2027-01-06 10:00", 6), ("2027-07-06 10:00", 12)]
    for moment, months in surveys:
        r.to(moment)
        r.submit(c, "satisfaction_survey", survey(months), CS)
    opened = [d for d in c.duties.values() if d.id == "satisfaction_surveys"]
    assert [(local(d.opened_at), local(d.due), d.met) for d in opened] == [
        ("2026-10-08 00:00", "2026-10-14 18:00", True),  # the adjusted Saturday 10 Oct counts
        ("2027-01-05 00:00", "2027-01-12 18:00", True),
        ("2027-07-05 00:00", "2027-07-12 18:00", True),
    ]
    assert c.series["satisfaction_surveys"].next_at is None  # three surveys, no more
    r.fire(c, "end_service", CS)
    pipeline = [
        "first_contact",
        "needs_confirmed",
        "proposal",
        "negotiation",
        "contract",
        "payment",
        "service",
    ]
    assert stages_entered(c) == [*pipeline, "closed"]
    assert c.finished


def test_r1_4c_risk_warning_within_24_hours(run: MakeRun) -> None:
    r = run("2026-06-22 09:00")
    c = new_customer(r)
    r.to("2026-06-22 10:00")
    r.happen(c, "risk_identified", MANAGER, {"risk": "客户预算调整"})
    assert due(c, "risk_warning#1") == "2026-06-23 10:00"
    r.to("2026-06-23 09:00")
    assert [local(e.at) for e in of_type(c, EventType.DUTY_WARNED) if e.data["key"] == "risk_warning#1"] == [
        "2026-06-23 06:00"
    ]
    r.submit(
        c, "risk_warning", {"risk": "客户预算调整", "risk_level": "high", "countermeasures": "分期方案"}, REP
    )
    assert duty(c, "risk_warning#1").met and c.variables["risk_level"] == "high"
    r.to("2026-06-23 11:00")
    r.happen(c, "risk_identified", REP, {"risk": "竞争对手介入"})
    r.to("2026-06-25 09:00")
    assert ("risk_warning#2", "2026-06-24 11:00") in breaches(c)
    escalated = [(e.data["key"], e.data["role"]) for e in of_type(c, EventType.DUTY_ESCALATED)]
    assert ("risk_warning#2", "sales_manager") in escalated


def test_r1_1a_a_lost_customer_ends_the_instance(run: MakeRun) -> None:
    r = run("2026-06-22 09:00")
    c = new_customer(r)
    r.to("2026-06-22 15:00")
    r.fire(c, "mark_lost", MANAGER)
    assert c.finished and c.stage == "lost"
    assert not c.open_duties() and not c.series
    with pytest.raises(CommandRefused) as refused:
        r.submit(c, "customer_profile", PROFILE, REP)
    assert refused.value.reason is Reason.INSTANCE_FINISHED


def complaint(run: Run) -> tuple[Instance, Instance]:
    parent = new_customer(run)
    run.to("2026-06-22 10:00")
    outcome = run.happen(
        parent, "complaint_received", CUSTOMER, {"category": "service_delay", "summary": "响应太慢"}
    )
    started = [e for e in outcome.events if e.type is EventType.INSTANCE_STARTED]
    assert len(started) == 1
    child = run.engine.instance(started[0].instance)
    return parent, child


def test_r1_7a_complaint_answered_in_24h_and_solved_in_48h(run: MakeRun) -> None:
    r = run("2026-06-22 09:00")
    parent, child = complaint(r)
    assert child.process == "customer-complaint" and child.parent == parent.id
    assert child.variables == {
        "customer_name": "华东机械",
        "category": "service_delay",
        "summary": "响应太慢",
    }
    assert due(child, "respond_in_24h#1") == "2026-06-23 10:00"
    assert due(child, "solve_in_48h#1") == "2026-06-24 10:00"
    r.to("2026-06-22 13:00")
    r.submit(child, "complaint_response", {"acknowledgement": "已致歉并受理", "handler": "周敏"}, CS)
    r.to("2026-06-23 16:00")
    r.submit(child, "complaint_solution", {"root_cause": "排班不足", "solution": "增派工程师"}, CS)
    r.to("2026-06-24 10:00")
    r.submit(child, "complaint_closure", {"resolved": True, "rating": "满意"}, CS)
    r.sign(child, "complaint_closure", CUSTOMER)
    r.fire(child, "close", CS)
    assert child.finished and not breaches(child)
    assert duty(child, "respond_in_24h#1").met and duty(child, "solve_in_48h#1").met
    done = of_type(parent, EventType.CHILD_COMPLETED)
    assert [(e.data["child"], local(e.at)) for e in done] == [(child.id, "2026-06-24 10:00")]
    assert parent.children == {child.id: True}


def test_r1_7a_complaint_that_breaches_both_deadlines(run: MakeRun) -> None:
    r = run("2026-06-22 09:00")
    _, child = complaint(r)
    r.to("2026-06-25 09:00")
    assert breaches(child) == [
        ("respond_in_24h#1", "2026-06-23 10:00"),
        ("solve_in_48h#1", "2026-06-24 10:00"),
    ]
    escalated = [
        (e.data["key"], e.data["role"], local(e.at)) for e in of_type(child, EventType.DUTY_ESCALATED)
    ]
    assert escalated == [
        ("respond_in_24h#1", "sales_manager", "2026-06-23 10:00"),
        ("solve_in_48h#1", "sales_manager", "2026-06-24 10:00"),
    ]
    assert r.engine.instances(breached=True, process="customer-complaint") == [child]


def test_r1_3b_the_confirmation_letter_clock_stops_while_the_solution_is_with_the_customer(
    run: MakeRun,
) -> None:
    r = run("2026-06-22 09:00")
    c = new_customer(r)
    r.submit(c, "customer_profile", PROFILE, REP)
    r.fire(c, "advance", REP)
    r.submit(c, "needs_list", NEEDS, REP)
    r.sign(c, "needs_list", CUSTOMER)
    r.fire(c, "advance", REP)
    r.submit(c, "solution_proposal", PROPOSAL, REP)
    r.to("2026-06-25 10:00")
    r.happen(c, "solution_meeting_held", REP)
    assert due(c, "confirmation_letter#1") == "2026-07-09 18:00"  # 10 working days
    r.to("2026-06-26 10:00")  # a Friday: 7 working hours that day and 9 working days after remained
    r.happen(c, "solution_sent_for_review", REP)
    r.to("2026-07-01 10:00")  # the customer answers on Wednesday: 7 hours that day, then 9 days
    r.happen(c, "customer_feedback_received", CUSTOMER, {"feedback": "交付分三批"})
    assert due(c, "confirmation_letter#1") == "2026-07-14 18:00"
    assert [(e.type.value, local(e.at)) for e in of_type(c, EventType.DUTY_PAUSED)] == [
        ("duty_paused", "2026-06-26 10:00")
    ]
    assert duty(c, "confirmation_letter#1").stopped.days == 5

"""Warnings as a share of the allowed time (`warn: 75%`, in working time for a working-time duty),
and metrics over named duties and rules (`on_time`, counts narrowed by `duty` or `rule`)."""

from collections.abc import Callable

from engine.reports.metrics import Period, compute
from engine.runtime.events import Actor
from engine.spec.model import ProcessSpec
from tests.language.conftest import Drive, load, problems

MakeDrive = Callable[[ProcessSpec, str], Drive]

TICKETS = """
id: tickets
version: 1
title: Tickets
calendar: { timezone: Europe/Berlin, country: DE }
roles:
  agent: { title: Agent }
  lead: { title: Team lead }
variables:
  priority: { title: Priority, schema: { type: string, enum: [high, low] }, input: required }
events:
  acknowledged: { title: Acknowledged, by: [agent] }
  answered: { title: Answered, by: [agent] }
duties:
  - id: acknowledge
    rule: "2.1"
    title: Acknowledge the ticket
    role: agent
    due: 4h
    warn: 75%
    satisfied_by: { event: acknowledged }
    on_breach: [{ escalate: lead }]
  - id: answer
    rule: "2.2"
    title: Answer the ticket
    role: agent
    due: 3 working days
    warn: 75%
    satisfied_by: { event: answered }
stages:
  open:
    title: Open
    exits: [{ to: closed, trigger: close, by: [agent] }]
  closed: { title: Closed, end: true }
metrics:
  acknowledged_on_time: { title: Acknowledged on time, on_time: { duty: acknowledge } }
  acknowledged_on_time_by_priority:
    title: Acknowledged on time, by priority
    on_time: { duty: acknowledge, group_by: priority }
  rule_2_on_time: { title: Rule 2.2 on time, on_time: { rule: "2.2" } }
  acknowledgements_missed: { title: Acknowledgements missed, count: { of: breaches, duty: acknowledge } }
"""

AGENT = Actor.of("kim", "agent")


def test_a_share_of_wall_time_and_of_working_time(drive: MakeDrive) -> None:
    d = drive(load(TICKETS), "2026-11-23 10:00")  # a Monday
    case = d.start({"priority": "high"}, AGENT)
    # 4h from 10:00: three quarters is 13:00
    assert d.local(case.duties["acknowledge#1"].warn_at) == "2026-11-23 13:00"
    # 3 working days from Monday 10:00 end Thursday 18:00: 7 + 8 + 8 + 8 = 31 working hours, of
    # which three quarters (23h15m) have run on Thursday at 09:15
    assert d.duty(case, "answer#1")["due"] == "2026-11-26 18:00"
    assert d.local(case.duties["answer#1"].warn_at) == "2026-11-26 09:15"
    d.to("2026-11-26 09:15")
    assert d.local(d.now(case).duties["answer#1"].warned_at) == "2026-11-26 09:15"


def test_metrics_over_a_named_duty_and_a_rule(drive: MakeDrive) -> None:
    d = drive(load(TICKETS), "2026-11-23 10:00")
    quick = d.start({"priority": "high"}, AGENT)
    slow = d.start({"priority": "high"}, AGENT)
    other = d.start({"priority": "low"}, AGENT)
    d.to("2026-11-23 11:00")
    d.happen(quick, "acknowledged", AGENT)
    d.happen(other, "acknowledged", AGENT)
    d.happen(quick, "answered", AGENT)
    d.to("2026-11-23 15:00")  # slow's acknowledgement was due at 14:00
    d.happen(slow, "acknowledged", AGENT)
    d.to("2026-11-27 09:00")  # slow and other never answered (due Thursday 18:00)
    figures = {
        f.metric.id: f.value for f in compute(d.spec, d.engine.instances(), Period(as_of=d.clock.now()))
    }
    assert figures == {
        "acknowledged_on_time": round(2 / 3, 4),
        "acknowledged_on_time_by_priority": {"high": 0.5, "low": 1.0},
        "rule_2_on_time": round(1 / 3, 4),
        "acknowledgements_missed": 1,
    }


def test_a_share_is_a_whole_percentage_and_a_count_narrows_only_duties() -> None:
    text = TICKETS.replace(
        "    warn: 75%\n    satisfied_by: { event: acknowledged }",
        "    warn: 100%\n    satisfied_by: { event: acknowledged }",
    )
    text = text.replace(
        "count: { of: breaches, duty: acknowledge }", "count: { of: instances, duty: acknowledge }"
    )
    text = text.replace('on_time: { rule: "2.2" }', 'on_time: { rule: "2.3" }')
    assert problems(text) == [
        "20:11: '100%' is not a share of the allowed time; write a whole percentage from 1% to 99% "
        "[duties[0].warn]",
        "40:63: unknown rule of a duty '2.3' (did you mean '2.2'?) [metrics.rule_2_on_time.on_time.rule]",
        "41:92: 'duty' narrows a count of breaches, duties_due or duties_met, not of instances "
        "[metrics.acknowledgements_missed.count.duty]",
    ]

"""Pausing a duty's clock (`paused_while`): while paused its remaining time does not run; resumed,
its deadline moves by the paused span in the duty's own time, and the pause is journaled."""

from collections.abc import Callable
from datetime import timedelta

from engine.runtime.events import Actor, EventType
from engine.spec.model import ProcessSpec
from tests.language.conftest import Drive, load, problems

MakeDrive = Callable[[ProcessSpec, str], Drive]

SUPPORT = """
id: support
version: 1
title: Support request
calendar: { timezone: Europe/Berlin, country: DE }
roles:
  agent: { title: Agent }
  customer: { title: Customer }
variables:
  waiting_on: { title: Waiting on, schema: { type: string, enum: [team, customer] } }
events:
  asked_customer:
    title: Question to the customer
    by: [agent]
    data: { who: { title: Who, schema: { type: string, enum: [customer] }, default: "'customer'" } }
    sets: { waiting_on: who }
  answered:
    title: Customer answered
    by: [customer]
    data: { who: { title: Who, schema: { type: string, enum: [team] }, default: "'team'" } }
    sets: { waiting_on: who }
duties:
  - id: respond
    title: Respond
    role: agent
    due: 2h
    warn: 30m
    paused_while: "waiting_on == 'customer'"
    satisfied_by: { trigger: close }
  - id: resolve
    title: Resolve
    role: agent
    due: 8 working hours
    paused_while: { stages: [awaiting_customer] }
    satisfied_by: { trigger: close }
stages:
  working:
    title: Working
    exits:
      - { id: asked, to: awaiting_customer, trigger: ask, by: [agent], max_rounds: 5 }
      - { to: closed, trigger: close, by: [agent] }
  awaiting_customer:
    title: Awaiting the customer
    exits:
      - { to: working, trigger: reply, by: [customer] }
  closed: { title: Closed, end: true }
"""

AGENT = Actor.of("ana", "agent")
CUSTOMER = Actor.of("cleo", "customer")


def test_working_time_stops_while_the_case_waits_on_the_customer(drive: MakeDrive) -> None:
    d = drive(load(SUPPORT), "2026-11-23 10:00")  # a Monday
    case = d.start({}, AGENT)
    assert d.duty(case, "resolve#1")["due"] == "2026-11-24 10:00"  # 2h + 5h Monday, 1h Tuesday
    d.to("2026-11-23 14:00")
    d.fire(case, "ask", AGENT)
    d.to("2026-11-24 11:00")  # the old deadline passed while paused: no breach
    assert d.duty(case, "resolve#1")["outcome"] == "open"
    d.fire(case, "reply", CUSTOMER)
    case = d.now(case)
    # 5 working hours remained at 14:00 Monday (14-18, then 9-10): from 11:00 Tuesday, 11-12 and 13-17
    assert d.duty(case, "resolve#1")["due"] == "2026-11-24 17:00"
    assert case.duties["resolve#1"].stopped == timedelta(hours=21)
    assert [
        (e.type.value, d.local(e.at)) for e in d.events(case, EventType.DUTY_PAUSED, EventType.DUTY_RESUMED)
    ] == [
        ("duty_paused", "2026-11-23 14:00"),
        ("duty_resumed", "2026-11-24 11:00"),
    ]


def test_wall_time_stops_while_a_condition_holds(drive: MakeDrive) -> None:
    d = drive(load(SUPPORT), "2026-11-23 10:00")
    case = d.start({}, AGENT)
    assert (d.duty(case, "respond#1")["due"], d.local(case.duties["respond#1"].warn_at)) == (
        "2026-11-23 12:00",
        "2026-11-23 11:30",
    )
    d.to("2026-11-23 10:30")
    d.happen(case, "asked_customer", AGENT)
    d.to("2026-11-23 11:15")
    d.happen(case, "answered", CUSTOMER)
    case = d.now(case)
    assert (d.duty(case, "respond#1")["due"], d.local(case.duties["respond#1"].warn_at)) == (
        "2026-11-23 12:45",
        "2026-11-23 12:15",
    )
    d.to("2026-11-23 13:00")
    assert [(e.data["key"], d.local(e.at)) for e in d.events(case, EventType.DUTY_BREACHED)] == [
        ("respond#1", "2026-11-23 12:45")
    ]


def test_what_pauses_a_duty_is_checked() -> None:
    text = SUPPORT.replace("stages: [awaiting_customer]", "stages: [awaiting]").replace(
        "\"waiting_on == 'customer'\"", "\"waiting_on == 'client'\""
    )
    assert problems(text) == [
        "28:34: in condition 'waiting_on == 'client'': 'client' is not a value of 'waiting_on' "
        "(one of 'team', 'customer') [duties[0].paused_while]",
        "34:30: unknown stage 'awaiting' (did you mean 'awaiting_customer'?) "
        "[duties[1].paused_while.stages[0]]",
    ]

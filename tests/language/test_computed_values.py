"""Computed values: decision tables that give any value, derived variables (from a table or an
expression) recomputed when their inputs change, deadlines that move with them, the engine's own
instants in expressions, and field defaults that fill in what the engine knows."""

from collections.abc import Callable

from engine.runtime.events import Actor, EventType
from engine.spec.model import ProcessSpec
from tests.language.conftest import Drive, load, problems

MakeDrive = Callable[[ProcessSpec, str], Drive]

INCIDENTS = """
id: incidents
version: 1
title: Incidents
calendar: { timezone: Europe/Berlin, country: DE }
roles:
  operator: { title: Operator }
  engineer: { title: Engineer }
variables:
  impact: { title: Impact, schema: { type: string, enum: [high, medium, low] }, input: required }
  urgency: { title: Urgency, schema: { type: string, enum: [high, medium, low] }, input: required }
  priority:
    title: Priority
    schema: { type: string, enum: [P1, P2, P3, P4] }
    derive: { table: priority_matrix }
  major: { title: Major incident, schema: { type: boolean }, derive: "priority == 'P1'" }
  minutes_to_resolve:
    title: Minutes to resolve
    schema: { type: integer }
    derive: "minutes_between(instance.started_at, duties.resolve.done_at)"
decision_tables:
  priority_matrix:
    title: Priority by impact and urgency
    inputs: [impact, urgency]
    rows:
      - { when: { impact: high, urgency: high }, then: P1 }
      - { when: { impact: high, urgency: medium }, then: P2 }
      - { when: { impact: medium, urgency: high }, then: P2 }
      - { when: { impact: high, urgency: low }, then: P3 }
      - { when: { impact: medium, urgency: medium }, then: P3 }
      - { when: { impact: low, urgency: high }, then: P3 }
      - { when: { impact: medium, urgency: low }, then: P4 }
      - { when: { impact: low, urgency: [medium, low] }, then: P4 }
  response_time:
    title: Response time by priority
    inputs: [priority]
    rows:
      - { when: { priority: P1 }, then: 15m }
      - { when: { priority: P2 }, then: 1h }
      - { when: { priority: P3 }, then: 4 working hours }
      - { when: { priority: P4 }, then: 1 working day }
forms:
  reprioritisation:
    title: Reprioritisation
    filled_by: [operator]
    fields:
      impact: { title: Impact, schema: { type: string, enum: [high, medium, low] } }
      urgency: { title: Urgency, schema: { type: string, enum: [high, medium, low] } }
    sets: { impact: impact, urgency: urgency }
  resolution:
    title: Resolution report
    filled_by: [engineer]
    fields:
      acknowledged_at:
        title: Acknowledged at
        schema: { type: string, format: date-time }
        default: duties.acknowledge.done_at
      resolved_at: { title: Resolved at, schema: { type: string, format: date-time }, default: now }
      minutes_open:
        title: Minutes open
        schema: { type: integer }
        default: "minutes_between(instance.started_at, now)"
      channel: { title: Channel, schema: { type: string }, default: "'phone'" }
      notes: { title: Notes, schema: { type: string }, required: false }
events:
  acknowledged: { title: Acknowledged, by: [engineer] }
duties:
  - id: acknowledge
    title: Acknowledge
    role: engineer
    due: { table: response_time }
    satisfied_by: { event: acknowledged }
  - id: resolve
    title: Resolve
    role: engineer
    due: 2 working days
    satisfied_by: { form: resolution }
stages:
  open:
    title: Open
    exits:
      - { to: resolved, on_record: resolution }
  resolved: { title: Resolved, end: true }
"""

OPERATOR = Actor.of("olga", "operator")
ENGINEER = Actor.of("emil", "engineer")


def test_a_table_derives_a_value_and_a_deadline_follows_it(drive: MakeDrive) -> None:
    d = drive(load(INCIDENTS), "2026-11-23 10:00")  # a Monday
    case = d.start({"impact": "medium", "urgency": "medium"}, OPERATOR)
    assert (case.variables["priority"], case.variables["major"]) == ("P3", False)
    assert d.duty(case, "acknowledge#1")["due"] == "2026-11-23 15:00"  # 10-12, 13-15: 4 working hours


def test_reprioritised_the_deadline_moves_and_is_breached_at_once_if_passed(drive: MakeDrive) -> None:
    d = drive(load(INCIDENTS), "2026-11-23 10:00")
    case = d.start({"impact": "medium", "urgency": "medium"}, OPERATOR)
    d.to("2026-11-23 10:30")
    d.submit(case, "reprioritisation", {"impact": "high", "urgency": "high"}, OPERATOR)
    case = d.now(case)
    assert (case.variables["priority"], case.variables["major"]) == ("P1", True)
    moved = d.events(case, EventType.DUTY_DUE_CHANGED)
    assert [(e.data["key"], d.local(e.at), e.data["previous"], e.data["due"]) for e in moved] == [
        ("acknowledge#1", "2026-11-23 10:30", "2026-11-23T14:00:00+00:00", "2026-11-23T09:15:00+00:00"),
    ]  # P1: 15 minutes from 10:00, which have passed
    assert [(e.data["key"], d.local(e.at)) for e in d.events(case, EventType.DUTY_BREACHED)] == [
        ("acknowledge#1", "2026-11-23 10:30")
    ]
    derived = [e.data for e in d.events(case, EventType.VARIABLES_SET) if e.data.get("derived")]
    assert derived[-1] == {"values": {"priority": "P1", "major": True}, "derived": True}


def test_lowered_priority_gives_more_time(drive: MakeDrive) -> None:
    d = drive(load(INCIDENTS), "2026-11-23 10:00")
    case = d.start({"impact": "high", "urgency": "medium"}, OPERATOR)
    assert d.duty(case, "acknowledge#1")["due"] == "2026-11-23 11:00"  # P2: 1h
    d.to("2026-11-23 10:20")
    d.submit(case, "reprioritisation", {"impact": "low", "urgency": "low"}, OPERATOR)
    assert d.duty(case, "acknowledge#1")["due"] == "2026-11-24 18:00"  # P4: 1 working day
    d.to("2026-11-23 12:00")
    assert d.now(case).breaches() == []


def test_field_defaults_fill_in_what_the_engine_knows(drive: MakeDrive) -> None:
    d = drive(load(INCIDENTS), "2026-11-23 10:00")
    case = d.start({"impact": "low", "urgency": "low"}, OPERATOR)
    d.to("2026-11-23 10:07")
    d.happen(case, "acknowledged", ENGINEER)
    d.to("2026-11-23 16:45")
    d.submit(case, "resolution", {"notes": "restarted the router"}, ENGINEER)
    case = d.now(case)
    assert case.latest("resolution").data == {  # type: ignore[union-attr]
        "acknowledged_at": "2026-11-23T10:07:00+01:00",
        "resolved_at": "2026-11-23T16:45:00+01:00",
        "minutes_open": 405,
        "channel": "phone",
        "notes": "restarted the router",
    }
    assert case.variables["minutes_to_resolve"] == 405  # derived from the duty done at 16:45
    given = {"acknowledged_at": "2026-11-23T10:00:00+01:00", "channel": "email"}
    other = d.start({"impact": "low", "urgency": "low"}, OPERATOR)
    d.submit(other, "resolution", given, ENGINEER)  # what is given is kept; nothing acknowledged
    assert d.now(other).latest("resolution").data["channel"] == "email"  # type: ignore[union-attr]


def test_computed_values_are_checked_at_load() -> None:
    text = (
        INCIDENTS.replace("then: P4 }\n  response_time", "then: P5 }\n  response_time")
        .replace("derive: \"priority == 'P1'\"", 'derive: "priority + 1"')
        .replace("default: now }", 'default: "now > 3" }')
        .replace(
            "      - { when: { priority: P2 }, then: 1h }", "      - { when: { priority: P2 }, then: 60 }"
        )
    )
    assert problems(text) == [
        "16:71: in expression 'priority + 1': arithmetic needs numbers, not string [variables.major.derive]",
        "33:64: 'P5' is not a value of 'priority' (one of 'P1', 'P2', 'P3', 'P4') "
        "[decision_tables.priority_matrix.rows[7].then]",
        "39:41: a deadline table answers durations such as 2h, not 60 "
        "[decision_tables.response_time.rows[1].then]",
        "58:101: in expression 'now > 3': cannot order instant and number with '>' "
        "[forms.resolution.fields.resolved_at.default]",
    ]

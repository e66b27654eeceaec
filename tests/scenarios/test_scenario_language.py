"""Scenario files as a process owner writes them: mistakes said in words at their line, names checked
against the process before anything runs, and the expectations a scenario needs: any refusal, at
least these breaches, what must not exist, instants to the second, steps after the step before.

The process is the store tests' ticket: answered within one hour, or escalated to the supervisor."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import DefinitionError
from engine.locale import words
from engine.simulation.runner import simulate
from engine.simulation.scenario import load_scenario
from engine.simulation.timeline import failure_lines

TICKET = Path(__file__).parents[1] / "persistence"
HEAD = f"""title: Ticket
process: ticket
processes: {TICKET}
start: "2026-11-23 10:00"
actors:
  clerk: [clerk]
  guest: [supervisor]
steps:
  - {{ at: "2026-11-23 10:00", by: clerk, start: {{ case: t, data: {{ subject: printer }} }} }}
"""


def scenario(tmp_path: Path, steps: str, head: str = HEAD) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(head + steps, encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        load_scenario(path)
    return [f"{p.line}:{p.column}: {p.message}" for p in caught.value.problems]


def failures(path: Path) -> list[str]:
    return [line.split("[t] ", 1)[1] for line in failure_lines(simulate(load_scenario(path)), words("en"))]


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ('  - { at: "+5m", note: nothing }\n',
         "10:5: a step needs something to do (start, fire, submit, sign, event or scheduled) or an expect"),
        ('  - { at: "+5m", by: clerk, submit: answer, fire: close }\n',
         "10:51: a step does one thing, and this one has submit and fire: make them separate steps"),
        ('  - { at: "+5m", expect: { duties: { "answer#1": { due: "11:00" } } } }\n',
         "10:57: '11:00' has no date: write the day too, as '2026-11-23 11:00'"),
        ('  - { at: "11:00", expect: { stage: open } }\n',
         "10:11: '11:00' has no date: write the day too, as '2026-11-23 11:00'"),
        ('  - { at: "+5m", expect: { duties: { "anwser#1": { status: open } } } }\n',
         "10:38: no duty 'anwser' in ticket (did you mean 'answer'?)"),
        ('  - { at: "+5m", expect: { breaches_include: [answer] } }\n',
         "10:47: 'answer' is not a duty occurrence: write the duty and its number, as 'answer#1'"),
        ('  - { at: "+5m", expect: { escalations: { "answer#1": supervsor } } }\n',
         "10:55: no role 'supervsor' in ticket (did you mean 'supervisor'?)"),
        ('  - { at: "+5m", expect: { absent: { records: [anser] } } }\n',
         "10:48: no form 'anser' in ticket (did you mean 'answer'?)"),
        ('  - { at: "+5m", after: 5m, expect: { stage: open } }\n', "10:25: give 'at' or 'after', not both"),
        ('  - { expect: { stage: open } }\n',
         "10:5: a step needs 'at' (an instant) or 'after' (a duration since the step before)"),
        ('  - { after: 5 minuts, expect: { stage: open } }\n',
         "10:14: '5 minuts' is not a duration; write a whole number and a unit: 5m, 2h, 24h, 1d, 2w, "
         "8 working hours, 3 working days, 3 months, 1 year"),
    ],
    ids=["no action", "two actions", "time without date", "at without date", "misspelt duty",
         "occurrence without number", "misspelt role", "misspelt form", "at and after", "no instant",
         "bad after"],
)  # fmt: skip
def test_a_mistake_is_said_in_words_at_its_line(tmp_path: Path, step: str, message: str) -> None:
    assert problems(scenario(tmp_path, step)) == [message]


def test_any_refusal_and_at_least_these_breaches(tmp_path: Path) -> None:
    path = scenario(
        tmp_path,
        "  - { after: 10m, by: guest, submit: answer, data: { text: hi }, refused: true }\n"
        '  - { after: 1h, expect: { breaches_include: ["answer#1"], escalations_include: {} } }\n'
        '  - { after: 1m, expect: { escalations_include: { "answer#1": supervisor },'
        " absent: { records: [answer] } } }\n"
        "  - { after: 1m, by: clerk, submit: answer, data: { text: late } }\n"
        '  - { after: 0m, expect: { absent: { records: [answer], duties: ["answer#1", "answer#2"] } } }\n',
    )
    assert failures(path) == [
        "absent.duties.answer#1: expected 'absent', got 'present'",
        "absent.records.answer: expected 'absent', got 'present'",
    ]


def test_instants_are_compared_to_the_precision_written(tmp_path: Path) -> None:
    head = HEAD.replace('"2026-11-23 10:00"', '"2026-11-23 10:00:30"')  # due at 11:00:30
    path = scenario(
        tmp_path,
        '  - { after: 1m, expect: { duties: { "answer#1": { due: "2026-11-23 11:00" } } } }\n'
        '  - { after: 1m, expect: { duties: { "answer#1": { due: "2026-11-23 11:00:30" } } } }\n'
        '  - { after: 1m, expect: { duties: { "answer#1": { due: "2026-11-23 11:00:00" } } } }\n'
        '  - { after: 1m, expect: { duties: { "answer#1": { opened: "2026-11-23T02:00:30+00:00" } } } }\n',
        head,
    )
    assert failures(path) == [
        "duties.answer#1.due: expected '2026-11-23 11:00:00', got '2026-11-23 11:00:30'"
    ]


def test_a_refusal_for_another_reason_fails_with_both(tmp_path: Path) -> None:
    path = scenario(
        tmp_path, "  - { after: 1m, by: guest, submit: answer, data: {}, refused: invalid_data }\n"
    )
    assert failures(path)[0].startswith(
        "submit answer: expected 'refused: invalid_data', got 'refused: role_not_allowed'"
    )

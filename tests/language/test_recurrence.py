"""Recurring duties across stage re-entry (the slots that fell while the instance was elsewhere are
skipped, not opened and breached at once), and duties that recur a time after they were last done
(`repeat: {after_done: 4h}`)."""

from collections.abc import Callable

import pytest

from engine.runtime.events import Actor, EventType
from engine.spec.model import ProcessSpec
from tests.language.conftest import Drive, load

MakeDrive = Callable[[ProcessSpec, str], Drive]

ROUNDS = """
id: rounds
version: 1
title: Rounds
calendar: { timezone: UTC }
roles:
  nurse: { title: Nurse }
events:
  checked: { title: Patient checked, by: [nurse] }
  restocked: { title: Trolley restocked, by: [nurse] }
stages:
  a:
    title: Elsewhere
    exits: [{ to: b, trigger: go, by: [nurse] }]
  b:
    title: On the ward
    duties:
      - id: check
        title: Check the patient
        role: nurse
        anchor: instance_start
        due: DUE
        repeat: { every: 30m }
        satisfied_by: { event: checked }
      - id: restock
        title: Restock the trolley
        role: nurse
        due: 1h
        repeat: { after_done: 4h }
        satisfied_by: { event: restocked }
    exits:
      - { id: away, to: a, trigger: leave, by: [nurse], max_rounds: 10 }
      - { to: done, trigger: finish, by: [nurse] }
  done: { title: Done, end: true }
"""

NURSE = Actor.of("nia", "nurse")


def rounds(due: str) -> ProcessSpec:
    return load(ROUNDS.replace("due: DUE", f"due: {due}"))


def test_a_series_counted_from_the_start_resumes_at_the_slot_in_progress(drive: MakeDrive) -> None:
    d = drive(rounds("30m"), "2026-11-23 00:00")
    case = d.start({}, NURSE)
    d.to("2026-11-23 00:05")
    d.fire(case, "go", NURSE)
    assert d.duty(case, "check#1") == {
        "opened": "2026-11-23 00:05",
        "due": "2026-11-23 00:30",
        "outcome": "open",
    }
    d.to("2026-11-23 00:10")
    d.happen(case, "checked", NURSE)
    d.to("2026-11-23 00:15")
    d.fire(case, "leave", NURSE)
    d.to("2026-11-23 02:10")
    d.fire(case, "go", NURSE)
    case = d.now(case)
    assert case.breaches() == []  # the slots of 00:30 to 01:30 fell while the patient was elsewhere
    assert d.duty(case, "check#2") == {
        "opened": "2026-11-23 02:10",
        "due": "2026-11-23 02:30",
        "outcome": "open",
    }
    assert case.duties["check#2"].occurrence == 5  # the slot of 02:00
    assert [d.local(e.at) for e in d.events(case, EventType.DUTY_OPENED) if e.data["duty"] == "check"] == [
        "2026-11-23 00:05",
        "2026-11-23 02:10",
    ]
    d.happen(case, "checked", NURSE)
    d.to("2026-11-23 02:30")
    assert d.duty(case, "check#3") == {
        "opened": "2026-11-23 02:30",
        "due": "2026-11-23 03:00",
        "outcome": "open",
    }


def test_a_slot_whose_deadline_passed_while_elsewhere_is_skipped_too(drive: MakeDrive) -> None:
    d = drive(rounds("10m"), "2026-11-23 00:00")
    case = d.start({}, NURSE)
    d.to("2026-11-23 02:15")
    d.fire(case, "go", NURSE)  # the slot of 02:00 was due at 02:10
    assert d.now(case).open_duties()[0].key == "restock#1"
    d.to("2026-11-23 02:30")
    assert d.duty(case, "check#1") == {
        "opened": "2026-11-23 02:30",
        "due": "2026-11-23 02:40",
        "outcome": "open",
    }
    assert d.now(case).breaches() == []


@pytest.mark.parametrize("done", ["2026-11-23 00:35", "2026-11-23 01:05"], ids=["early", "at the deadline"])
def test_again_four_hours_after_it_was_last_done(drive: MakeDrive, done: str) -> None:
    d = drive(rounds("30m"), "2026-11-23 00:00")
    case = d.start({}, NURSE)
    d.to("2026-11-23 00:05")
    d.fire(case, "go", NURSE)
    assert d.duty(case, "restock#1") == {
        "opened": "2026-11-23 00:05",
        "due": "2026-11-23 01:05",
        "outcome": "open",
    }
    d.to(done, inclusive=False)
    d.happen(case, "restocked", NURSE)
    assert d.duty(case, "restock#1")["outcome"] == "met"
    d.to("2026-11-23 12:00")
    again = d.local(d.now(case).duties["restock#2"].opened_at)
    assert again == {"2026-11-23 00:35": "2026-11-23 04:35", "2026-11-23 01:05": "2026-11-23 05:05"}[done]
    assert d.duty(case, "restock#2")["outcome"] == "breached"  # never done: no third occurrence
    assert "restock#3" not in d.now(case).duties
    d.happen(case, "restocked", NURSE)  # done late, at 12:00: the next one 4h later
    d.to("2026-11-23 16:00")
    assert d.duty(case, "restock#3") == {
        "opened": "2026-11-23 16:00",
        "due": "2026-11-23 17:00",
        "outcome": "open",
    }

"""A calendar in its own file, named by several process files; problems in it are located in it, and
a definition kept in a store carries it, so another engine reads it without the file."""

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from engine.cli import main
from engine.loading.loader import check_process, load_process
from engine.persistence import open_store
from engine.runtime.engine import Engine
from engine.runtime.events import Actor
from engine.time.clock import VirtualClock

OFFICE = """\
timezone: Europe/Berlin
country: DE
subdivision: BY
hours: ["08:00-12:00", "13:00-17:00"]
days_off: ["2026-12-24"]
"""

PROCESS = """\
id: {id}
version: 1
title: {id}
calendar: ../calendars/office.yaml
roles:
  clerk: {{ title: Clerk }}
stages:
  open:
    title: Open
    duties:
      - {{ id: answer, title: Answer, role: clerk, due: 1 working day, satisfied_by: {{ trigger: done }} }}
    exits: [{{ to: closed, trigger: done, by: [clerk] }}]
  closed: {{ title: Closed, end: true }}
"""

BERLIN = ZoneInfo("Europe/Berlin")
CLERK = Actor.of("kai", "clerk")


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    (tmp_path / "calendars").mkdir()
    (tmp_path / "calendars" / "office.yaml").write_text(OFFICE, "utf-8")
    (tmp_path / "processes").mkdir()
    for name in ("leave-request", "expense-claim"):
        (tmp_path / "processes" / f"{name}.yaml").write_text(PROCESS.format(id=name), "utf-8")
    return tmp_path


def test_two_processes_share_one_calendar(repository: Path) -> None:
    leave = load_process(repository / "processes" / "leave-request.yaml")
    expense = load_process(repository / "processes" / "expense-claim.yaml")
    assert leave.calendar == expense.calendar
    assert (leave.calendar.subdivision, leave.calendar.hours) == ("BY", ((480, 720), (780, 1020)))
    engine = Engine(VirtualClock(datetime(2026, 12, 23, 10, 0, tzinfo=BERLIN)))
    engine.register(leave)
    case = engine.instance(engine.start("leave-request", {}, CLERK).instance)
    # Wednesday 23 December + 1 working day: the 24th is a company day off, the 25th and 26th are
    # public holidays, the 27th a Sunday: the end of Monday the 28th, at 17:00
    assert case.duties["answer#1"].due == datetime(2026, 12, 28, 17, 0, tzinfo=BERLIN)


def test_problems_in_the_calendar_file_are_located_in_it(repository: Path) -> None:
    office = repository / "calendars" / "office.yaml"
    office.write_text(OFFICE.replace("Europe/Berlin", "Europe/Berln").replace("08:00-12:00", "8-12"), "utf-8")
    result = check_process(repository / "processes" / "leave-request.yaml")
    assert [f"{p.file}:{p.line}:{p.column}: {p.message} [{p.json_path}]" for p in result.problems] == [
        f"{office}:4:9: '8-12' does not have the required form: a working interval written HH:MM-HH:MM, "
        "e.g. 09:00-12:00 [hours[0]]",
    ]
    office.unlink()
    result = check_process(repository / "processes" / "leave-request.yaml")
    assert [str(p) for p in result.problems] == [
        f"{repository / 'processes' / 'leave-request.yaml'}:4:11: cannot read the calendar file: "
        "No such file or directory [calendar]"
    ]


def test_a_stored_definition_carries_its_calendar(repository: Path) -> None:
    location = str(repository / "store.db")
    clock = VirtualClock(datetime(2026, 12, 23, 10, 0, tzinfo=BERLIN))
    first = Engine(clock, open_store(location))
    first.register(load_process(repository / "processes" / "leave-request.yaml"))
    (repository / "calendars" / "office.yaml").unlink()  # the other engine has no such file
    other = Engine(clock, open_store(location))
    case = other.instance(other.start("leave-request", {}, CLERK).instance)
    assert case.duties["answer#1"].due == datetime(2026, 12, 28, 17, 0, tzinfo=BERLIN)


def test_sopflow_due_reads_the_calendar_file(repository: Path, capsys: pytest.CaptureFixture[str]) -> None:
    office = str(repository / "calendars" / "office.yaml")
    assert main(["due", "2026-12-23T10:00:00+01:00", "1 working day", "--calendar", office]) == 0
    assert capsys.readouterr().out == "2026-12-28T17:00:00+01:00\n"

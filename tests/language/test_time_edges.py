"""Time at the edges: instants a calendar cannot count are refused with a message, never a traceback
(and the engine carries on); scenario wall times the clocks skip or show twice are located errors, and
the timeline shows the offset where a wall time repeats."""

from collections.abc import Callable
from pathlib import Path

import pytest

from engine.cli import main
from engine.errors import CommandRefused, DefinitionError, Reason
from engine.runtime.events import Actor
from engine.simulation.runner import simulate
from engine.simulation.scenario import load_scenario
from engine.simulation.timeline import lines
from engine.spec.model import ProcessSpec
from tests.language.conftest import Drive, load

MakeDrive = Callable[[ProcessSpec, str], Drive]

CONTRACT = """
id: contract
version: 1
title: Contract
calendar: { timezone: America/New_York, country: US }
roles:
  clerk: { title: Clerk }
forms:
  contract:
    title: Contract
    filled_by: [clerk]
    fields: { effective: { title: Effective, schema: { type: string, format: date-time } } }
stages:
  open:
    title: Open
    produces: [contract]
    duties:
      - id: renew
        title: Renew
        role: clerk
        anchor: { field: contract.effective }
        due: 1 month
        satisfied_by: { trigger: close }
      - id: call
        title: Call
        role: clerk
        due: 1h
        satisfied_by: { trigger: close }
    exits: [{ to: done, trigger: close, by: [clerk] }]
  done: { title: Done, end: true }
"""

CLERK = Actor.of("cy", "clerk")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["9999-12-31T23:00:00+00:00", "2h"], "9999-12-31T23:00:00+00:00 + 2h"),
        (["9999-12-31T23:00:00+00:00", "1 month"], "9999-12-31T23:00:00+00:00 + 1 month"),
    ],
)
def test_due_past_year_9999_is_a_message(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(["due", *argv]) == 2
    assert capsys.readouterr().err == (
        f"sopflow: error: {message} falls outside the instants a calendar can count (years 1 to 9999)\n"
    )


def test_a_form_date_a_calendar_cannot_count_from_is_refused(drive: MakeDrive) -> None:
    d = drive(load(CONTRACT), "2026-11-23 10:00")
    case = d.start({}, CLERK)
    with pytest.raises(CommandRefused) as refused:
        d.submit(case, "contract", {"effective": "9999-12-31T23:59:59Z"}, CLERK)
    assert refused.value.reason is Reason.INVALID_DATA
    assert "falls outside the instants a calendar can count" in refused.value.message
    d.submit(case, "contract", {"effective": "2026-12-01T00:00:00Z"}, CLERK)  # the engine carries on
    # midnight UTC is 19:00 on 30 November in New York; a month later, 19:00 on 30 December
    assert d.duty(d.now(case), "renew#1")["due"] == "2026-12-30 19:00"


SCENARIO = """
title: Around the clock changes
process: contract
processes: {processes}
start: "2026-03-07 09:00"
actors: {{ cy: [clerk] }}
steps:
  - {{ at: "+0m", by: cy, start: {{ case: c }} }}
  - {{ at: "{at}", case: c, expect: {{ stage: open }} }}
"""


@pytest.mark.parametrize(
    ("at", "message"),
    [
        (
            "2026-03-08 02:30",
            "'2026-03-08 02:30' does not exist in America/New_York: the clocks skip it; write another time",
        ),
        (
            "2026-11-01 01:30",
            "'2026-11-01 01:30' happens twice in America/New_York (the clocks go back): "
            "write 2026-11-01T01:30-04:00 or 2026-11-01T01:30-05:00",
        ),
    ],
    ids=["skipped", "twice"],
)
def test_a_scenario_time_the_clocks_skip_or_repeat_is_located(tmp_path: Path, at: str, message: str) -> None:
    (tmp_path / "processes").mkdir()
    (tmp_path / "processes" / "contract.yaml").write_text(CONTRACT, "utf-8")
    path = tmp_path / "scenario.yaml"
    path.write_text(SCENARIO.format(processes="processes", at=at), "utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_scenario(path)
    assert [f"{p.line}:{p.column}: {p.message}" for p in caught.value.problems] == [f"9:11: {message}"]


def test_the_timeline_shows_the_offset_where_a_wall_time_repeats(tmp_path: Path) -> None:
    (tmp_path / "processes").mkdir()
    (tmp_path / "processes" / "contract.yaml").write_text(CONTRACT, "utf-8")
    path = tmp_path / "scenario.yaml"
    path.write_text(
        SCENARIO.format(processes="processes", at="2026-11-01T01:30-04:00").replace(
            "2026-03-07 09:00", "2026-11-01 00:30"
        ),
        "utf-8",
    )
    simulation = simulate(load_scenario(path))
    timeline = "\\n".join(lines(simulation))
    # started 00:30 EDT; the call is due an hour later, at 01:30 EDT, and breached then; the wall
    # time 01:30 comes again an hour later, EST
    assert "2026-11-01 01:30 -04:00" in timeline
    assert simulation.local(simulation.engine.instance(simulation.cases["c"]).duties["call#1"].due) == (
        "2026-11-01 01:30 -04:00"
    )

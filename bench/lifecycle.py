"""One R0 lifecycle three ways: sopflow, bare `transitions`, SpiffWorkflow (BPMN).

The lifecycle (levels 1, 2 and 3 in turn): receipt, contact and first response, initial record,
grading, the level's own step, analysis record, a reviewed solution revised twice, acceptance, a
delay reported and notified, execution plan and completion, the customer's signed confirmation,
satisfaction survey, retrospective, closure. sopflow does it with every duty created, satisfied or
cancelled and every event journaled; the peers only move through the same states and decisions.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from transitions import Machine

from engine import Engine, VirtualClock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.processes.harness import CUSTOMER, EXPERT, OPERATIONS, REP, SPECS, SUPERVISOR  # noqa: E402
from tests.processes.test_rapid_response import PLAN, SOLUTION, analysis, initial_record, request  # noqa: E402

R0 = "sales-rapid-response"
BPMN = Path(__file__).with_name("rapid_response.bpmn")
LEVELS = (1, 2, 3)
DELAY = {"cause": "物流故障", "compensation": "免费延长质保6个月", "supervisor_informed": True}
SURVEY = {"speed_score": 5, "quality_score": 5, "attitude_score": 4}


BEGIN = datetime(2026, 11, 23, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
"""A Monday morning: where every benchmark's virtual clock starts."""


def sopflow_engine() -> Engine:
    engine = Engine(VirtualClock(BEGIN))
    for spec in SPECS.values():
        if spec.schedule is None:
            engine.register(spec)
    return engine


def sopflow_lifecycle(engine: Engine, level: int) -> str:
    case = engine.start(R0, request(), REP).instance
    engine.raise_event(case, "customer_contacted", {"method": "phone"}, REP)
    engine.raise_event(case, "first_response_given", None, EXPERT)
    engine.submit(case, "initial_record", initial_record(), REP)
    engine.submit(case, "grading", {"level": level, "reason": "r"}, SUPERVISOR)
    if level == 1:
        engine.raise_event(case, "emergency_meeting_held", {"attendees": ["销售代表", "技术专家"]}, REP)
    elif level == 2:
        coordination = {
            "departments": ["product"],
            "request": "r",
            "feedback_deadline": "2026-11-23T12:00:00+08:00",
        }
        engine.submit(case, "coordination_request", coordination, REP)
        engine.raise_event(case, "department_feedback_received", None, REP)
    else:
        engine.raise_event(case, "direct_answer_given", None, REP)
    engine.submit(case, "analysis_record", analysis(level), REP)
    for revision in range(3):
        engine.submit(case, "solution", SOLUTION, REP)
        engine.sign(case, "solution", SUPERVISOR)
        engine.sign(case, "solution", EXPERT)
        if revision < 2:
            engine.fire(case, "request_revision", CUSTOMER)
    engine.fire(case, "accept_solution", CUSTOMER)
    engine.raise_event(case, "delay_reported", {"cause": "物流故障"}, OPERATIONS)
    engine.submit(case, "delay_notice", DELAY, REP)
    engine.submit(case, "execution_plan", PLAN, REP)
    engine.fire(case, "complete_execution", REP)
    engine.submit(case, "result_confirmation", {"delivered_as_agreed": True, "running_normally": True}, REP)
    engine.sign(case, "result_confirmation", CUSTOMER)
    engine.submit(case, "satisfaction_survey", SURVEY, CUSTOMER)
    engine.submit(case, "retrospective", {"went_well": "a", "went_badly": "b"}, REP)
    engine.fire(case, "close", REP)
    return case


class _Counted:
    """An engine whose command calls are counted."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.engine, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return method(*args, **kwargs)

        return counted


def sopflow_commands(level: int) -> int:
    """How many commands one lifecycle of `level` issues."""
    counted = _Counted(sopflow_engine())
    sopflow_lifecycle(counted, level)  # type: ignore[arg-type]
    return counted.calls


def transitions_triggers(level: int) -> int:
    """How many triggers one bare `transitions` lifecycle of `level` pulls."""
    machine = transitions_machine()
    pulled: list[object] = []
    machine.prepare_event.append(lambda *_, **__: pulled.append(None))
    transitions_lifecycle(machine, level)
    return len(pulled)


class Case:
    """The bare `transitions` model: the state, the records and the counters the guards read."""

    def __init__(self) -> None:
        self.records: set[str] = set()
        self.level = 0
        self.rounds = 0
        self.scores: dict[str, int] = {}

    def has_grading(self) -> bool:
        return "grading" in self.records

    def has_solution(self) -> bool:
        return "solution" in self.records

    def has_plan(self) -> bool:
        return "execution_plan" in self.records

    def has_follow_up(self) -> bool:
        return "follow_up_report" in self.records

    def can_revise(self) -> bool:
        return "solution" in self.records and self.rounds < 2

    def satisfied(self) -> bool:
        return min(self.scores.values()) >= 4

    def unsatisfied(self) -> bool:
        return not self.satisfied()

    def reviewed(self) -> bool:
        return {"result_confirmation", "satisfaction_survey", "retrospective"} <= self.records


def transitions_machine() -> Machine:
    states = ["receive", "analysis", "solution", "supervisor_decision", "execution", "review", "closed"]
    machine = Machine(model=None, states=states, initial="receive", auto_transitions=False)
    machine.add_transition("initial_record", "receive", "analysis")
    machine.add_transition("analysis_record", "analysis", "solution", conditions="has_grading")
    machine.add_transition("accept_solution", "solution", "execution", conditions="has_solution")
    machine.add_transition("request_revision", "solution", "solution", conditions="can_revise")
    machine.add_transition("request_revision", "solution", "supervisor_decision")
    machine.add_transition("proceed", "supervisor_decision", "execution")
    machine.add_transition("complete_execution", "execution", "review", conditions="has_plan")
    machine.add_transition("close", "review", "closed", conditions=["reviewed", "satisfied"])
    machine.add_transition(
        "close", "review", "closed", conditions=["reviewed", "unsatisfied", "has_follow_up"]
    )
    return machine


def transitions_lifecycle(machine: Machine, level: int) -> None:
    case = Case()
    machine.add_model(case)
    case.records.add("initial_record")
    case.initial_record()  # type: ignore[attr-defined]
    case.records.add("grading")
    case.level = level
    case.records.add("analysis_record")
    case.analysis_record()  # type: ignore[attr-defined]
    for revision in range(3):
        case.records.add("solution")
        if revision < 2:
            case.request_revision()  # type: ignore[attr-defined]
            case.rounds += 1
    case.accept_solution()  # type: ignore[attr-defined]
    case.records.update(("delay_notice", "execution_plan"))
    case.complete_execution()  # type: ignore[attr-defined]
    case.records.update(("result_confirmation", "satisfaction_survey", "retrospective"))
    case.scores = dict(SURVEY)
    case.close()  # type: ignore[attr-defined]
    assert case.state == "closed"  # type: ignore[attr-defined]
    machine.remove_model(case)


def spiff_spec() -> Any:
    try:
        from SpiffWorkflow.bpmn.parser import BpmnParser
    except ImportError:
        raise SystemExit("the peers are not installed: pip install -r bench/requirements.txt") from None

    parser = BpmnParser()
    parser.add_bpmn_file(str(BPMN))
    return parser.get_spec("rapid_response")


def spiff_lifecycle(spec: Any, level: int) -> None:
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.util.task import TaskState

    workflow = BpmnWorkflow(spec)
    answers: dict[str, dict[str, Any]] = {
        "grading": {"level": level, "rounds": 0},
        "satisfaction_survey": dict(SURVEY),
    }
    workflow.do_engine_steps()
    while not workflow.is_completed():
        task = workflow.get_next_task(state=TaskState.READY, manual=True)
        name = task.task_spec.name
        task.data.update(answers.get(name, {}))
        if name == "customer_feedback":
            task.data["rounds"] = task.data["rounds"] + 1
            task.data["accepted"] = task.data["rounds"] > 2
        task.run()
        workflow.do_engine_steps()

"""Refused commands change nothing, say exactly why, and leave a trace in the history; idempotency
keys make a repeated command harmless."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from engine.errors import CommandRefused, Reason
from engine.runtime import effects
from engine.runtime.engine import Engine, IncidentError
from engine.runtime.events import Actor, EventType
from engine.runtime.instance import Instance
from engine.runtime.store import ConflictError
from tests.processes.harness import CUSTOMER, REP, SUPERVISOR, Run, of_type
from tests.processes.test_rapid_response import R0, initial_record, request

MakeRun = Callable[[str], Run]


def refused(run: Run, command: Callable[[], object]) -> CommandRefused:
    with pytest.raises(CommandRefused) as caught:
        command()
    return caught.value


def started(run: Run) -> tuple[Instance, int]:
    case = run.start(R0, request(), REP)
    return case, len(case.journal)


def last_refusal(case: Instance) -> dict[str, object]:
    return dict(of_type(case, EventType.COMMAND_REFUSED)[-1].data)


def test_wrong_role_is_refused_and_recorded(run: MakeRun) -> None:
    r = run("2026-11-23 10:00")
    case, length = started(r)
    before = case.snapshot()
    error = refused(r, lambda: r.submit(case, "initial_record", initial_record(), CUSTOMER))
    assert error.reason is Reason.ROLE_NOT_ALLOWED
    assert error.message == "acme.chen (customer) may not fill in initial_record; allowed: sales_rep"
    case = r.now(case)
    assert len(case.journal) == length + 1  # only the refusal was added
    assert last_refusal(case) == {
        "command": "submit",
        "target": case.id,
        "reason": "role_not_allowed",
        "message": error.message,
        "details": [],
    }
    after = case.snapshot()
    assert {k: v for k, v in after.items() if k not in ("journal_length", "updated_at")} == {
        k: v for k, v in before.items() if k not in ("journal_length", "updated_at")
    }


def test_invalid_form_reports_every_error_and_stores_nothing(run: MakeRun) -> None:
    r = run("2026-11-23 10:00")
    case, _ = started(r)
    bad = initial_record() | {"urgency": "urgent", "first_response_deadline": "tomorrow", "extra": 1}
    del bad["contact_person"]
    error = refused(r, lambda: r.submit(case, "initial_record", bad, REP))
    assert error.reason is Reason.INVALID_DATA
    assert error.details == (
        "'contact_person' is a required property",
        "Additional properties are not allowed ('extra' was unexpected)",
        "first_response_deadline: 'tomorrow' is not a 'date-time'",
        "urgency: 'urgent' is not one of ['high', 'medium', 'low']",
    )
    case = r.now(case)
    assert "initial_record" not in case.records and case.stage == "receive"


def test_trigger_not_allowed_in_the_stage(run: MakeRun) -> None:
    r = run("2026-11-23 10:00")
    case, _ = started(r)
    error = refused(r, lambda: r.fire(case, "accept_solution", CUSTOMER))
    assert error.reason is Reason.TRIGGER_NOT_ALLOWED
    assert error.message == "'accept_solution' is not possible in stage 'receive'"
    error = refused(r, lambda: r.fire(case, "acept_solution", CUSTOMER))
    assert error.reason is Reason.UNKNOWN_NAME
    assert error.message == "no trigger 'acept_solution' in this process (did you mean 'accept_solution'?)"


def test_repeated_idempotency_key_returns_the_first_result(run: MakeRun) -> None:
    r = run("2026-11-23 10:00")
    first = r.engine.start(R0, request(), REP, key="req-1")
    again = r.engine.start(R0, request(), REP, key="req-1")
    assert again == first
    assert len(r.engine.instances()) == 1
    case = r.engine.instance(first.instance)
    length = len(case.journal)
    r.engine.raise_event(case.id, "customer_contacted", {"method": "phone"}, REP, key="call-1")
    r.engine.raise_event(case.id, "customer_contacted", {"method": "phone"}, REP, key="call-1")
    assert len(of_type(case, EventType.EVENT_RAISED)) == 1
    assert len(case.journal) > length
    assert all(e.key == "call-1" for e in case.journal[length:])


def test_idempotency_key_reused_for_another_command_is_refused(run: MakeRun) -> None:
    r = run("2026-11-23 10:00")
    case, _ = started(r)
    r.engine.raise_event(case.id, "customer_contacted", {"method": "phone"}, REP, key="k")
    error = refused(
        r, lambda: r.engine.raise_event(case.id, "customer_contacted", {"method": "im"}, REP, key="k")
    )
    assert error.reason is Reason.KEY_REUSED
    assert len(of_type(case, EventType.EVENT_RAISED)) == 1
    assert last_refusal(case)["reason"] == "key_reused"


def test_a_refused_keyed_command_is_refused_again_without_a_second_trace(run: MakeRun) -> None:
    r = run("2026-11-23 10:00")
    case, _ = started(r)
    first = refused(r, lambda: r.engine.fire(case.id, "close", REP, key="c"))
    count = len(of_type(case, EventType.COMMAND_REFUSED))
    again = refused(r, lambda: r.engine.fire(case.id, "close", REP, key="c"))
    assert (again.reason, again.message, again.details) == (first.reason, first.message, first.details)
    assert len(of_type(case, EventType.COMMAND_REFUSED)) == count


def test_unknown_process_and_instance(run: MakeRun) -> None:
    r = run("2026-11-23 10:00")
    error = refused(r, lambda: r.engine.start("sales-rapid-respons", {}, REP))
    assert error.reason is Reason.UNKNOWN_PROCESS
    assert [e.data["reason"] for e in r.engine.store.refusals] == ["unknown_process"]  # type: ignore[attr-defined]
    error = refused(r, lambda: r.engine.fire("nope-1", "close", REP))
    assert error.reason is Reason.UNKNOWN_INSTANCE


def test_start_needs_a_starting_role_and_valid_inputs(run: MakeRun) -> None:
    r = run("2026-11-23 10:00")
    error = refused(r, lambda: r.engine.start(R0, request(), SUPERVISOR))
    assert error.reason is Reason.ROLE_NOT_ALLOWED
    error = refused(r, lambda: r.engine.start(R0, {"demand_type": "gossip", "level": 1}, REP))
    assert error.details == (
        "'customer_name' is a required property",
        "'urgency' is a required property",
        "Additional properties are not allowed ('level' was unexpected)",
        "demand_type: 'gossip' is not one of "
        "['inquiry', 'urgent_order', 'after_sales', 'terms_change', 'competitor']",
    )
    assert r.engine.instances() == []


def test_signing_rules(run: MakeRun) -> None:
    r = run("2026-11-23 10:00")
    case, _ = started(r)
    assert refused(r, lambda: r.sign(case, "initial_record", REP)).reason is Reason.NOTHING_TO_SIGN
    assert (
        refused(r, lambda: r.sign(case, "solution", SUPERVISOR)).message
        == "form 'solution' has no record yet"
    )
    nobody = Actor.of("x", "finance_dept")
    assert refused(r, lambda: r.sign(case, "result_confirmation", nobody)).reason is Reason.NOTHING_TO_SIGN


def test_of_two_writers_on_one_instance_the_second_gets_a_conflict_and_may_retry(run: MakeRun) -> None:
    """Another engine on the same store got there first: the stale command changes nothing, memory
    is read again from the store, and retrying the command is judged on the fresh state."""
    r = run("2026-11-23 10:00")
    case, _ = started(r)
    other = Engine(r.clock, r.engine.store)
    other.submit(case.id, "initial_record", initial_record(), REP)
    with pytest.raises(ConflictError, match=f"{case.id} is at version"):
        r.submit(case, "initial_record", initial_record(), REP)
    fresh = r.now(case)
    assert fresh.stage == "analysis" and len(fresh.records["initial_record"]) == 1
    assert r.engine.store.load(case.id) == fresh.journal
    error = refused(r, lambda: r.submit(fresh, "initial_record", initial_record(), REP))
    assert error.reason is Reason.FORM_NOT_IN_STAGE


def test_data_too_large_or_deep_is_refused_before_any_schema(run: MakeRun) -> None:
    """Library callers (and HTTP bodies) hand the engine Python objects: a shared megabyte counts each
    time it occurs, and nesting is bounded without recursion."""
    r = run("2026-11-23 10:00")
    case, length = started(r)
    shared = "A" * 1_000_000
    deep: dict[str, object] = {}
    for _ in range(5_000):
        deep = {"x": deep}
    for data, detail in (
        (
            {**initial_record(), "core_request": [shared] * 200},
            "the data holds more than 8 Mi characters of text",
        ),
        ({**initial_record(), "core_request": deep}, "the data is nested more than 64 levels deep"),
    ):
        error = refused(r, lambda data=data: r.submit(case, "initial_record", data, REP))  # type: ignore[misc]
        assert (error.reason, error.details) == (Reason.INVALID_DATA, (f"{detail}; refusing it",))
    assert len(r.now(case).journal) == length + 2  # two refusals, nothing else


@pytest.mark.parametrize(
    ("actor_id", "shown"),
    [
        ("", "''"),
        ("sopflow", None),
        ("x" * 100_000, "'" + "x" * 40 + "'…"),
        ("li\n#9 forged", "'li\\n#9 forged'"),
    ],
    ids=["empty", "the engine", "100,000 characters", "a newline"],
)
def test_an_actor_id_unfit_for_the_journal_is_refused_and_not_recorded(
    run: MakeRun, actor_id: str, shown: str | None
) -> None:
    r = run("2026-11-23 10:00")
    case, length = started(r)
    error = refused(r, lambda: r.fire(case, "grade", Actor.of(actor_id, "sales_supervisor")))
    assert error.reason is Reason.INVALID_ACTOR
    if shown is None:
        assert error.message == "'sopflow' is the engine's own id; an actor needs another"
    else:
        assert error.message == (
            f"the actor id {shown} is not usable: 1 to 200 printable characters, "
            "no control characters, no surrounding spaces"
        )
    assert len(r.now(case).journal) == length  # the forged id is nowhere


def test_a_key_is_its_actors_own(run: MakeRun) -> None:
    """A customer repeating a rep's key gets no answer of the rep's; two reps who pick the same key
    each get their own instance."""
    r = run("2026-11-23 10:00")
    first = r.engine.start(R0, request(), REP, key="monday-1")
    error = refused(r, lambda: r.engine.start(R0, request(), CUSTOMER, key="monday-1"))
    assert error.reason is Reason.ROLE_NOT_ALLOWED
    other = r.engine.start(R0, request(), Actor.of("han.mei", "sales_rep"), key="monday-1")
    assert other.instance != first.instance
    assert r.engine.start(R0, request(), REP, key="monday-1").instance == first.instance  # a repeat


def test_an_unexpected_error_leaves_memory_as_the_store_has_it(
    run: MakeRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = run("2026-11-23 10:00")
    case, length = started(r)

    def broken(*_: object) -> None:
        raise RuntimeError("a bug in a step")

    monkeypatch.setattr(effects, "_take_exit", broken)
    with pytest.raises(IncidentError, match="submit on sales-rapid-response-1 failed and is recorded"):
        r.submit(case, "initial_record", initial_record(), REP)
    monkeypatch.undo()
    journal = r.now(case).journal
    assert len(journal) == length + 1 == len(r.engine.store.load(case.id))  # the incident alone
    assert journal[-1].type is EventType.INCIDENT
    assert journal[-1].data["error"] == "RuntimeError: a bug in a step"
    r.submit(case, "initial_record", initial_record(), REP)  # no ConflictError: memory was rolled back
    assert r.now(case).latest("initial_record") is not None
    assert r.engine.retry(case.id) is True  # after the fix, the held timers run again
    assert r.now(case).incident is None

"""Approvals: exits taken when a record is fully signed (`on_signed`) or an event is raised
(`on_event`); each signature from a different person; a verdict that routes back, counted by
`max_rounds`; refusals that name what is missing; escalation to several roles."""

from collections.abc import Callable

import pytest

from engine.errors import CommandRefused, Reason
from engine.runtime.events import Actor, EventType
from engine.spec.model import ProcessSpec
from tests.language.conftest import Drive, load, problems

MakeDrive = Callable[[ProcessSpec, str], Drive]

CHANGE = """
id: change-request
version: 1
title: Change request
calendar: { timezone: Europe/London, country: GB }
roles:
  engineer: { title: Engineer }
  service_owner: { title: Service owner }
  security: { title: Security officer }
  cab: { title: Change advisory board }
variables:
  verdict: { title: Verdict, schema: { type: string, enum: [approve, reject] } }
forms:
  plan:
    title: Change plan
    filled_by: [engineer]
    signed_by: [service_owner, security]
    fields:
      summary: { title: Summary, schema: { type: string } }
  review:
    title: CAB review
    filled_by: [cab]
    fields:
      verdict: { title: Verdict, schema: { type: string, enum: [approve, reject] } }
      reason: { title: Reason, schema: { type: string }, required: false }
    sets: { verdict: verdict }
events:
  withdrawn: { title: Withdrawn by the requester, by: [engineer] }
stages:
  approval:
    title: Approval
    owner: engineer
    produces: [plan]
    duties:
      - id: approve_plan
        title: Approve the plan
        role: service_owner
        due: 2 working days
        satisfied_by: { form: plan, signed: true }
        on_breach: [{ escalate: [cab, service_owner] }]
    exits:
      - { to: cab, on_signed: plan }
      - { to: withdrawn, on_event: withdrawn }
      - { to: cab, trigger: push, by: [engineer], requires: [plan] }
  cab:
    title: CAB
    owner: cab
    produces: [review]
    exits:
      - id: rejected
        to: approval
        on_record: review
        when: "verdict == 'reject'"
        max_rounds: 2
        fallback: closed
      - { to: implement, on_record: review, when: "verdict == 'approve'" }
  implement: { title: Implementation, owner: engineer, end: true }
  withdrawn: { title: Withdrawn, end: true }
  closed: { title: Closed after two rejections, end: true }
"""

ENGINEER = Actor.of("ada", "engineer")
OWNER = Actor.of("bob", "service_owner")
SECURITY = Actor.of("cy", "security")
BOTH = Actor.of("dee", "service_owner", "security")
CAB = Actor.of("eve", "cab")


def refusal(command: Callable[[], object]) -> CommandRefused:
    with pytest.raises(CommandRefused) as caught:
        command()
    return caught.value


@pytest.mark.parametrize(
    "signers", [(OWNER, SECURITY), (SECURITY, OWNER)], ids=["owner first", "security first"]
)
def test_two_roles_sign_in_either_order_then_it_proceeds(
    drive: MakeDrive, signers: tuple[Actor, Actor]
) -> None:
    d = drive(load(CHANGE), "2026-11-23 09:00")
    case = d.start({}, ENGINEER)
    d.submit(case, "plan", {"summary": "patch"}, ENGINEER)
    d.to("2026-11-23 10:00")
    d.sign(case, "plan", signers[0])
    assert d.now(case).stage == "approval"
    d.to("2026-11-23 11:00")
    d.sign(case, "plan", signers[1])
    case = d.now(case)
    assert case.stage == "cab" and d.local(case.stage_entered_at) == "2026-11-23 11:00"
    assert d.duty(case, "approve_plan#1") == {
        "opened": "2026-11-23 09:00",
        "due": "2026-11-25 18:00",
        "outcome": "met",
    }


def test_one_person_holding_both_roles_gives_one_signature(drive: MakeDrive) -> None:
    d = drive(load(CHANGE), "2026-11-23 09:00")
    case = d.start({}, ENGINEER)
    d.submit(case, "plan", {"summary": "patch"}, ENGINEER)
    d.sign(case, "plan", BOTH)
    error = refusal(lambda: d.sign(case, "plan", BOTH))
    assert error.reason is Reason.SAME_SIGNER
    assert error.message == (
        "dee already signed plan version 1 as service_owner; "
        "the signature as security must come from someone else"
    )
    d.sign(case, "plan", SECURITY)
    assert d.now(case).stage == "cab"


def test_a_form_may_let_one_person_sign_in_several_roles(drive: MakeDrive) -> None:
    spec = load(
        CHANGE.replace(
            "    signed_by: [service_owner, security]\n",
            "    signed_by: [service_owner, security]\n    distinct_signers: false\n",
        )
    )
    d = drive(spec, "2026-11-23 09:00")
    case = d.start({}, ENGINEER)
    d.submit(case, "plan", {"summary": "patch"}, ENGINEER)
    d.sign(case, "plan", BOTH)
    d.sign(case, "plan", BOTH)
    assert [(e.actor, e.data["role"]) for e in d.events(case, EventType.RECORD_SIGNED)] == [
        ("dee", "service_owner"),
        ("dee", "security"),
    ]
    assert d.now(case).stage == "cab"


def test_signing_as_a_role_says_why_it_cannot(drive: MakeDrive) -> None:
    d = drive(load(CHANGE), "2026-11-23 09:00")
    case = d.start({}, ENGINEER)
    d.submit(case, "plan", {"summary": "patch"}, ENGINEER)
    not_held = refusal(lambda: d.sign(case, "plan", OWNER, role="security"))
    assert (not_held.reason, not_held.message) == (
        Reason.ROLE_NOT_ALLOWED,
        "bob (service_owner) does not hold the role security and cannot sign as it",
    )
    not_asked = refusal(lambda: d.sign(case, "plan", CAB, role="cab"))
    assert not_asked.message == "plan is not signed as cab; it is signed by service_owner, security"


def test_an_exit_needing_a_record_says_what_is_missing(drive: MakeDrive) -> None:
    d = drive(load(CHANGE), "2026-11-23 09:00")
    case = d.start({}, ENGINEER)
    assert refusal(lambda: d.fire(case, "push", ENGINEER)).details == (
        "the exit to 'cab' needs a record of plan first",
    )
    d.submit(case, "plan", {"summary": "patch"}, ENGINEER)
    d.sign(case, "plan", OWNER)
    assert refusal(lambda: d.fire(case, "push", ENGINEER)).details == (
        "the exit to 'cab' needs plan version 1 signed by security first",
    )
    d.sign(case, "plan", SECURITY)  # on to the CAB, which rejects: back to approval
    d.submit(case, "review", {"verdict": "reject", "reason": "no rollback"}, CAB)
    case = d.now(case)
    assert case.stage == "approval"
    error = refusal(lambda: d.fire(case, "push", ENGINEER))
    assert (error.reason, error.details) == (
        Reason.MISSING_RECORD,
        (
            "the exit to 'cab' needs a new record of plan in this visit to the stage "
            "(version 1 is from before) first",
        ),
    )


def test_a_rejection_routes_back_at_most_max_rounds_times(drive: MakeDrive) -> None:
    d = drive(load(CHANGE), "2026-11-23 09:00")
    case = d.start({}, ENGINEER)
    for _ in range(3):
        d.submit(case, "plan", {"summary": "patch"}, ENGINEER)
        d.sign(case, "plan", OWNER)
        d.sign(case, "plan", SECURITY)
        d.submit(case, "review", {"verdict": "reject"}, CAB)
    case = d.now(case)
    assert [e.data["stage"] for e in d.events(case, EventType.STAGE_ENTERED)] == [
        "approval", "cab", "approval", "cab", "approval", "cab", "closed",
    ]  # fmt: skip
    assert case.rounds == {"rejected": 2} and case.finished


def test_an_event_takes_its_exit(drive: MakeDrive) -> None:
    d = drive(load(CHANGE), "2026-11-23 09:00")
    case = d.start({}, ENGINEER)
    d.to("2026-11-23 09:30")
    d.happen(case, "withdrawn", ENGINEER)
    case = d.now(case)
    assert (case.stage, case.finished) == ("withdrawn", True)
    assert d.duty(case, "approve_plan#1")["outcome"] == "cancelled"


def test_a_breach_escalates_to_several_roles(drive: MakeDrive) -> None:
    d = drive(load(CHANGE), "2026-11-23 09:00")
    case = d.start({}, ENGINEER)
    d.to("2026-11-26 09:00")
    assert [(e.data["role"], d.local(e.at)) for e in d.events(case, EventType.DUTY_ESCALATED)] == [
        ("cab", "2026-11-25 18:00"),
        ("service_owner", "2026-11-25 18:00"),
    ]


def test_exits_on_what_can_never_happen_are_located() -> None:
    text = (
        CHANGE.replace("{ to: cab, on_signed: plan }", "{ to: cab, on_signed: review }")
        .replace("on_event: withdrawn", "on_event: withdrawal")
        .replace("escalate: [cab, service_owner]", "escalate: [cab, owner]")
    )
    assert problems(text) == [
        "40:39: unknown role 'owner' [stages.approval.duties[0].on_breach[0].escalate[1]]",
        "42:31: form 'review' has no signed_by: it is never signed [stages.approval.exits[0].on_signed]",
        "43:36: unknown event 'withdrawal' (did you mean 'withdrawn'?) [stages.approval.exits[1].on_event]",
    ]

"""The HTTP API: the caller is the token's user, never a name the client gives; refusals are RFC 9457
problems with the engine's reason and every problem; bodies are bounded as every input is."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine.persistence import open_store
from engine.persistence.accounts import Accounts
from engine.runtime.store import ConflictError
from tests.service.conftest import INTAKE, Served

PROBLEM = "application/problem+json"


def started(served: Served) -> str:
    answer = served.client.post(
        "/api/v1/processes/sales-rapid-response/instances", json=INTAKE, headers=served.api("li.lei")
    )
    assert answer.status_code == 201, answer.text
    instance: str = answer.json()["instance"]["id"]
    return instance


def problem(answer: Any, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM
    body: dict[str, Any] = answer.json()
    assert body["status"] == status
    return body


def test_nothing_is_served_without_a_valid_token(served: Served) -> None:
    assert problem(served.client.get("/api/v1/me"), 401)["detail"] == "a valid bearer token is needed"
    forged = {"Authorization": "Bearer sopflow_forged"}
    assert served.client.get("/api/v1/processes", headers=forged).status_code == 401
    assert served.client.get("/api/v1/me", headers=served.api("li.lei")).json() == {
        "id": "li.lei", "name": "li.lei", "roles": ["sales_rep"], "timezone": "Asia/Shanghai",
    }  # fmt: skip


def test_a_revoked_token_and_a_disabled_user_are_refused(served: Served) -> None:
    store = open_store(served.location)
    accounts = Accounts(store)
    (token,) = [t for t in accounts.tokens() if t.user_id == "li.lei"]
    assert accounts.revoke(token.id)
    accounts.update("wang.fang", disabled=True)
    store.close()
    assert served.client.get("/api/v1/me", headers=served.api("li.lei")).status_code == 401
    assert served.client.get("/api/v1/me", headers=served.api("wang.fang")).status_code == 401


def test_a_case_is_started_and_worked_as_the_token_s_user(served: Served) -> None:
    case = started(served)
    duties = served.client.get("/api/v1/me/duties", headers=served.api("li.lei")).json()
    assert [(d["key"], d["due"], d["overdue"]) for d in duties] == [
        ("confirm_details#1", "2026-11-23T10:05:00+08:00", False),
        ("record_request#1", "2026-11-23T10:15:00+08:00", False),
        ("first_response#1", "2026-11-23T11:00:00+08:00", False),
    ]  # by due
    assert served.client.get("/api/v1/me/duties", headers=served.api("wang.fang")).json() == []
    served.clock.advance(timedelta(minutes=3))
    answer = served.client.post(
        f"/api/v1/instances/{case}/events/customer_contacted",
        json={"method": "phone"},
        headers=served.api("li.lei"),
    )
    assert answer.status_code == 200, answer.text
    history = served.client.get(f"/api/v1/instances/{case}/history", headers=served.api("li.lei")).json()
    satisfied = [e for e in history if e["type"] == "duty_satisfied"]
    assert (satisfied[0]["actor"], satisfied[0]["at"]) == ("li.lei", "2026-11-23T10:03:00+08:00")


def test_refusals_say_why_with_their_status(served: Served) -> None:
    case = started(served)
    rep, supervisor = served.api("li.lei"), served.api("wang.fang")
    wrong_role = problem(
        served.client.post(f"/api/v1/instances/{case}/events/customer_contacted", headers=supervisor), 403
    )
    assert wrong_role["reason"] == "role_not_allowed"
    invalid = problem(
        served.client.post(
            f"/api/v1/instances/{case}/records/initial_record", json={"urgency": "now"}, headers=rep
        ),
        422,
    )
    assert (
        invalid["reason"] == "invalid_data"
        and "urgency: 'now' is not one of ['high', 'medium', 'low']" in invalid["problems"]
    )
    not_now = problem(
        served.client.post(
            f"/api/v1/instances/{case}/records/grading", json={"level": 1}, headers=supervisor
        ),
        409,
    )
    assert not_now["reason"] == "form_not_in_stage"
    unknown = problem(served.client.get("/api/v1/instances/nobody-1", headers=rep), 404)
    assert unknown["reason"] == "unknown_instance"
    assert (
        problem(served.client.post("/api/v1/processes/nope/instances", json={}, headers=rep), 404)["reason"]
        == "unknown_process"
    )


def test_an_idempotency_key_repeats_the_first_answer(served: Served) -> None:
    keyed = {**served.api("li.lei"), "Idempotency-Key": "intake-7"}
    first = served.client.post("/api/v1/processes/sales-rapid-response/instances", json=INTAKE, headers=keyed)
    again = served.client.post("/api/v1/processes/sales-rapid-response/instances", json=INTAKE, headers=keyed)
    assert first.status_code == again.status_code == 201
    assert first.json()["instance"]["id"] == again.json()["instance"]["id"] == "sales-rapid-response-1"
    other = served.client.post(
        "/api/v1/processes/sales-rapid-response/instances", json={**INTAKE, "urgency": "low"}, headers=keyed
    )
    assert problem(other, 422)["reason"] == "key_reused"


def test_another_writer_first_is_a_conflict_to_retry(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    case = started(served)

    def lost(*_: Any) -> None:
        raise ConflictError("instance sales-rapid-response-1 is at version 9, the writer expected 8")

    monkeypatch.setattr(served.service.store, "commit", lost)
    answer = served.client.post(
        f"/api/v1/instances/{case}/events/customer_contacted", headers=served.api("li.lei")
    )
    body = problem(answer, 409)
    assert (body["reason"], body["retry"]) == ("conflict", True)


@pytest.mark.parametrize(
    ("body", "status", "said"),
    [
        (
            b"[" * 100 + b"]" * 100,
            422,
            "the request body:1:65: the document is nested too deeply: the limit is 64 levels",
        ),
        (b'{"a": 1, "a": 2}', 422, "the request body:1:10: duplicate key 'a' (first defined at line 1)"),
        (
            b"[1, 2]",
            422,
            "the request body:1:1: the data must be a mapping of names to values, not a list",
        ),
        (b'{"x": "' + b"y" * 3_000_000 + b'"}', 413, "the request body is larger than 2 MiB"),
    ],
    ids=["deep", "duplicate key", "a list", "too large"],
)
def test_bodies_are_bounded_as_every_input_is(served: Served, body: bytes, status: int, said: str) -> None:
    case = started(served)
    answer = served.client.post(
        f"/api/v1/instances/{case}/records/initial_record",
        content=body,
        headers={**served.api("li.lei"), "Content-Type": "application/json"},
    )
    found = problem(answer, status)
    assert (
        [p.split(" [")[0] for p in found["problems"]] == [said] if status == 422 else found["detail"] == said
    )


def test_overdue_duties_and_metrics(served: Served) -> None:
    started(served)
    served.clock.advance(timedelta(minutes=20))
    overdue = served.client.get("/api/v1/duties/overdue", headers=served.api("wang.fang")).json()
    assert [(d["key"], d["seconds_left"]) for d in overdue] == [
        ("confirm_details#1", -900),
        ("record_request#1", -300),
    ]
    review = served.client.get(
        "/api/v1/processes/sales-rapid-response/metrics?period=2026-W48", headers=served.api("wang.fang")
    ).json()
    assert review["period"] == "2026-W48" and review["metrics"]["cases_by_demand_type"]["value"] == {
        "inquiry": 1
    }


def test_the_api_is_described_by_its_openapi_schema(served: Served) -> None:
    schema = served.client.get("/api/v1/openapi.json").json()
    assert {
        "/api/v1/processes", "/api/v1/processes/{process}/instances", "/api/v1/instances/{instance}",
        "/api/v1/instances/{instance}/records/{form}", "/api/v1/me/duties", "/api/v1/duties/overdue",
        "/api/v1/processes/{process}/metrics",
    } <= set(schema["paths"])  # fmt: skip
    start = schema["paths"]["/api/v1/processes/{process}/instances"]["post"]
    assert "application/json" in start["requestBody"]["content"]

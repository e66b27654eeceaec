"""The worklist pages: nothing shown before sign-in, failed sign-ins limited, every form post needing
the session's CSRF token, forms checked by the engine with its problems beside the fields, and a
person acting only in their own roles."""

from __future__ import annotations

import re
from datetime import timedelta

from engine.persistence import open_store
from engine.persistence.accounts import Accounts
from tests.service.conftest import INTAKE, PASSWORD, Served


def sign_in(served: Served, user: str) -> str:
    """Sign in as `user`; the CSRF token of the session."""
    answer = served.client.post("/login", data={"user": user, "password": PASSWORD}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    page = served.client.get("/")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


def started(served: Served) -> str:
    headers = served.api("li.lei")
    answer = served.client.post(
        "/api/v1/processes/sales-rapid-response/instances", json=INTAKE, headers=headers
    )
    instance: str = answer.json()["instance"]["id"]
    return instance


def test_nothing_is_shown_before_signing_in(served: Served) -> None:
    for path in ("/", "/instances/sales-rapid-response-1", "/start/sales-rapid-response"):
        answer = served.client.get(path, follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, f"/login?next={path}")
    login = served.client.get("/login")
    assert '<html lang="zh-CN">' in login.text and "登录" in login.text


def test_failed_sign_ins_are_limited(served: Served) -> None:
    for _ in range(5):
        wrong = served.client.post("/login", data={"user": "li.lei", "password": "guess"})
        assert wrong.status_code == 401 and "用户名或密码错误。" in wrong.text
    limited = served.client.post("/login", data={"user": "li.lei", "password": PASSWORD})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0


def test_the_worklist_shows_my_duties_in_my_time_overdue_first(served: Served) -> None:
    case = started(served)
    sign_in(served, "li.lei")
    served.clock.advance(timedelta(minutes=7))
    page = served.client.get("/").text
    rows = re.findall(r'<tr class="(overdue|)" data-duty="([^"]+)"', page)
    assert rows == [("overdue", "confirm_details#1"), ("", "record_request#1"), ("", "first_response#1")]
    assert "已逾期2分钟" in page and "剩余8分钟" in page and "2026-11-23 10:05" in page
    assert f'href="/instances/{case}"' in page and "角色：销售代表；时间按中国（上海）时间显示。" in page


def test_a_form_post_needs_the_session_s_csrf_token(served: Served) -> None:
    case = started(served)
    csrf = sign_in(served, "li.lei")
    path = f"/instances/{case}/forms/initial_record"
    for forged in ({}, {"csrf": "forged"}):
        refused = served.client.post(path, data={"customer_name": "x", **forged})
        assert refused.status_code == 403 and "此表单已过期或并非由本站发出" in refused.text
    assert served.client.post(path, data={"csrf": csrf, "customer_name": "x"}).status_code == 422


def test_a_form_s_problems_are_shown_beside_its_fields(served: Served) -> None:
    case = started(served)
    csrf = sign_in(served, "li.lei")
    path = f"/instances/{case}/forms/initial_record"
    answer = served.client.post(path, data={"csrf": csrf, "customer_name": "明辉科技", "urgency": "high"})
    assert answer.status_code == 422
    fields = dict(
        re.findall(
            r'<label for="f-(\w+)">.*?</label>.*?((?:<p class="error field-error">[^<]*</p>)*)\s*</div>',
            answer.text,
            re.S,
        )
    )
    assert fields["contact_person"] == '<p class="error field-error">此项必填</p>'
    assert fields["customer_name"] == "" and 'value="明辉科技"' in answer.text  # what was entered stays
    done = served.client.post(
        path,
        data={
            "csrf": csrf,
            "customer_name": "明辉科技",
            "contact_person": "吴工",
            "contact_details": "13600000003",
            "demand_type": "inquiry",
            "core_request": "兼容现有产线",
            "urgency": "high",
            "first_response_deadline": "2026-11-23T11:00",
            "supervisor_informed": "yes",
        },
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (303, f"/instances/{case}")
    record = served.client.get(f"/api/v1/instances/{case}", headers=served.api("li.lei")).json()["records"]
    data = record["initial_record"][0]["data"]
    assert (data["first_response_deadline"], data["supervisor_informed"]) == (
        "2026-11-23T11:00:00+08:00",
        True,
    )


def test_a_person_acts_only_in_their_own_roles(served: Served) -> None:
    case = started(served)
    csrf = sign_in(served, "wang.fang")
    page = served.client.get(f"/instances/{case}").text
    assert "填写《客户需求初始记录表》" not in page  # the rep's form is not offered to the supervisor
    refused = served.client.post(f"/instances/{case}/events/customer_contacted", data={"csrf": csrf})
    assert refused.status_code == 403 and "may not report customer_contacted" in refused.text
    history = served.client.get(f"/api/v1/instances/{case}/history", headers=served.api("li.lei")).json()
    assert not [e for e in history if e["type"] == "event_raised"]


def test_a_disabled_user_s_session_ends(served: Served) -> None:
    sign_in(served, "li.lei")
    assert served.client.get("/", follow_redirects=False).status_code == 200
    store = open_store(served.location)
    Accounts(store).update("li.lei", disabled=True)
    store.close()
    assert served.client.get("/", follow_redirects=False).status_code == 303


def test_an_unknown_instance_form_or_event_is_not_found(served: Served) -> None:
    case = started(served)
    sign_in(served, "li.lei")
    for path in (
        "/instances/no-such-case/forms/initial_record",
        f"/instances/{case}/forms/no_such_form",
        f"/instances/{case}/events/no_such_event",
    ):
        answer = served.client.get(path)
        assert answer.status_code == 404 and "没有这个页面。" in answer.text, path
    assert served.client.get(f"/instances/{case}/forms/initial_record").status_code == 200

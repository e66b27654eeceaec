"""Notifications leave through the outbox: each warning, breach, escalation and notification is
written in the transaction of its event and posted to a webhook endpoint, signed as Standard
Webhooks says, until the endpoint accepts it. Against a receiver on 127.0.0.1 that fails, then
times out, then accepts: every message is delivered, none is lost, and a repeat carries the same id."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from engine.cli import main
from engine.delivery.webhooks import Endpoint, deliver, endpoints, pause_after
from engine.errors import SopflowError
from engine.loading.loader import load_process
from engine.persistence import SqlStore, open_store
from engine.persistence.outbox import Outbox
from engine.runtime.engine import Engine
from engine.runtime.events import Actor
from engine.time.clock import VirtualClock
from tests.service.conftest import INTAKE, R0, START

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class Receiver:
    """A webhook receiver whose first answer is a 500, whose second comes too late, and whose
    others accept."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                with receiver.lock:
                    receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                    number = len(receiver.received)
                if number == 2:
                    time.sleep(1.0)  # the sender has given up by now
                self.send_response(500 if number == 1 else 204)
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.server.shutdown()
    found.server.server_close()


def breached(tmp_path: Path) -> tuple[SqlStore, VirtualClock, Engine]:
    """A store with an R0 case 20 minutes on: its 5- and 15-minute deadlines passed and escalated."""
    store = open_store(str(tmp_path / "s.db"))
    clock = VirtualClock(START)
    engine = Engine(clock, store)
    engine.register(load_process(R0))
    engine.start("sales-rapid-response", INTAKE, Actor.of("li.lei", "sales_rep"))
    engine.advance_to(START + timedelta(minutes=20))
    return store, clock, engine


def test_every_message_is_delivered_once_accepted_and_none_lost(tmp_path: Path, receiver: Receiver) -> None:
    store, clock, engine = breached(tmp_path)
    outbox = Outbox(store)
    expected = outbox.messages()
    assert expected == 6  # a warning, two breaches and their escalations, the supervisor told of the case
    hook = Endpoint(name="supervisors", url=receiver.url, secret=SECRET, timeout=0.3)
    attempts = []
    for _ in range(6):
        attempts += deliver(engine, store, [hook], clock.now())
        clock.advance(timedelta(hours=1))
    time.sleep(1.2)  # the late answer arrives
    failures = [(message, error) for message, _, error in attempts if error]
    assert [error.split(":")[0] for _, error in failures] == ["HTTP 500 Internal Server Error", "no answer"]
    delivered = {d.message for d in outbox.deliveries() if d.delivered_at is not None}
    assert len(delivered) == expected and not outbox.deliveries(failing=True)
    ids = [headers["webhook-id"] for headers, _ in receiver.received]
    assert set(ids) == delivered and len(ids) == expected + 2  # the two failed attempts came again
    bodies: dict[str, bytes] = {}
    signer = Webhook(SECRET)
    for headers, body in receiver.received:
        sent = datetime.fromtimestamp(int(headers["webhook-timestamp"]), UTC)  # the virtual clock's
        assert headers["webhook-signature"] == signer.sign(headers["webhook-id"], sent, body.decode())
        assert bodies.setdefault(headers["webhook-id"], body) == body  # a repeat is the same message
    last = json.loads(receiver.received[-1][1])
    assert {"id", "type", "at", "instance", "process", "roles", "data"} <= set(last)
    store.close()


def test_an_endpoint_gets_only_the_messages_it_wants(tmp_path: Path, receiver: Receiver) -> None:
    store, clock, engine = breached(tmp_path)
    escalations = Endpoint(name="esc", url=receiver.url, secret=SECRET, events=frozenset({"duty_escalated"}))
    receiver.received.append(({}, b""))  # the receiver's failing first answer is spent
    receiver.received.append(({}, b""))  # ... and its late one
    made = deliver(engine, store, [escalations], clock.now())
    assert len(made) == 2 and all(error == "" for _, _, error in made)
    skipped = [d for d in Outbox(store).deliveries() if d.error == "not for this endpoint"]
    assert len(skipped) == 4
    store.close()


def test_pauses_double_up_to_an_hour() -> None:
    assert [pause_after(n).total_seconds() for n in (1, 2, 3, 7, 8, 30)] == [30, 60, 120, 1920, 3600, 3600]


def test_endpoints_are_configured_with_a_secret() -> None:
    (hook,) = endpoints(
        {"webhooks": [{"url": "http://x/h", "secret": SECRET, "roles": ["sales_supervisor"]}]}
    )
    assert (hook.name, hook.roles) == ("http://x/h", frozenset({"sales_supervisor"}))
    with pytest.raises(SopflowError, match=r"webhooks\[0\] needs a secret"):
        endpoints({"webhooks": [{"url": "http://x/h"}]})
    assert endpoints({"webhooks": [{"url": "http://x/h", "secret": SECRET, "timeout": 2}]})[0].timeout == 2.0
    for timeout in ("10", 0, -1, 301, True):
        with pytest.raises(SopflowError, match=r"webhooks\[0\]: timeout is a number of seconds"):
            endpoints({"webhooks": [{"url": "http://x/h", "secret": SECRET, "timeout": timeout}]})


def test_deliveries_are_listed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store, clock, _ = breached(tmp_path)
    location = store.location
    outbox = Outbox(store)
    (message,) = outbox.take("hook", clock.now(), 1)
    outbox.attempted(
        message.id, "hook", clock.now(), error="HTTP 503", retry_at=clock.now() + timedelta(seconds=30)
    )
    store.close()
    assert main(["run", "deliveries", "--failing", "--store", location]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("sales-rapid-response-1/")
    assert "1 attempts" in captured.out and "last error: HTTP 503" in captured.out
    assert "6 messages in the outbox, 1 deliveries listed" in captured.err

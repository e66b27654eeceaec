"""Webhooks: each outbox message (a warning, a breach, an escalation, a notification) posted as JSON
to every endpoint that wants it, signed as the Standard Webhooks specification says (`webhook-id`,
`webhook-timestamp`, `webhook-signature`, with the `standardwebhooks` package), and tried again with
a pause that doubles each time (from 30 seconds to an hour) until the endpoint accepts it (2xx).

Endpoints are configured in `sopflow.toml`:

    [[webhooks]]
    name = "supervisors-chat"          # optional; the URL by default
    url = "https://chat.example/hooks/sopflow"
    secret = "whsec_..."               # or secret_env = "NAME OF AN ENVIRONMENT VARIABLE"
    roles = ["supervisor"]             # optional: only messages that concern these roles
    processes = ["my-process"]         # optional: only messages of these processes
    events = ["duty_breached", "duty_escalated"]  # optional: only these kinds

A message's id is stable (`instance/sequence`), so a receiver drops a repeat.
"""

from __future__ import annotations

import json
import os
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from engine.errors import SopflowError
from engine.persistence.outbox import Message, Outbox
from engine.persistence.sql import SqlStore
from engine.runtime.engine import Engine
from engine.runtime.events import EventType
from engine.time.calendar import zone

FIRST_PAUSE = timedelta(seconds=30)
LONGEST_PAUSE = timedelta(hours=1)
TIMEOUT = 10.0
"""Seconds an endpoint has to answer."""

Post = Callable[[str, bytes, dict[str, str], float], str]
"""Posts a body with headers to a URL within a timeout; the error, or '' when accepted."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Endpoint:
    name: str
    url: str
    secret: str
    roles: frozenset[str] = frozenset()
    processes: frozenset[str] = frozenset()
    events: frozenset[str] = frozenset()
    timeout: float = TIMEOUT

    def wants(self, payload: Mapping[str, Any]) -> bool:
        return (
            (not self.roles or bool(self.roles & set(payload["roles"])))
            and (not self.processes or payload["process"] in self.processes)
            and (not self.events or payload["type"] in self.events)
        )


def endpoints(config: Mapping[str, Any]) -> list[Endpoint]:
    """The endpoints a configuration's `[[webhooks]]` tables give; SopflowError for a wrong one."""
    found = []
    for index, table in enumerate(config.get("webhooks", [])):
        where = f"webhooks[{index}]"
        if not isinstance(table, dict) or not isinstance(table.get("url"), str):
            raise SopflowError(f"{where} needs a url")
        secret = table.get("secret") or os.environ.get(str(table.get("secret_env", "")), "")
        if not secret:
            raise SopflowError(f"{where} needs a secret (or secret_env naming a variable that holds one)")
        lists = {key: table.get(key, []) for key in ("roles", "processes", "events")}
        if not all(isinstance(v, list) and all(isinstance(i, str) for i in v) for v in lists.values()):
            raise SopflowError(f"{where}: roles, processes and events are lists of text")
        timeout = table.get("timeout", TIMEOUT)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 300:
            raise SopflowError(f"{where}: timeout is a number of seconds, more than 0 and at most 300")
        found.append(
            Endpoint(
                name=str(table.get("name", table["url"])),
                url=table["url"],
                secret=secret,
                roles=frozenset(lists["roles"]),
                processes=frozenset(lists["processes"]),
                events=frozenset(lists["events"]),
                timeout=float(timeout),
            )
        )
    return found


def configured(path: str = "sopflow.toml") -> list[Endpoint]:
    """The endpoints of `sopflow.toml` in the working folder, if there is one."""
    if not Path(path).is_file():
        return []
    try:
        return endpoints(tomllib.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise SopflowError(f"{path}: {error}") from error


def payload(engine: Engine, message: Message) -> dict[str, Any]:
    """What a message says, read from its instance's journal: the event, its duty, whom it concerns."""
    instance = engine.instance(message.instance)
    spec = engine.definition_of(instance)
    event = instance.journal[message.sequence - 1]
    data = dict(event.data)
    tz = zone(spec.calendar.timezone)
    body: dict[str, Any] = {
        "id": message.id,
        "type": event.type.value,
        "at": event.at.astimezone(tz).isoformat(),
        "instance": instance.id,
        "process": spec.id,
        "process_title": spec.title,
        "stage": instance.stage,
        "data": data,
    }
    duty = instance.duties.get(str(data.get("key", "")))
    if duty is not None:
        body["duty"] = {
            "key": duty.key,
            "id": duty.id,
            "title": spec.duty(duty.id).title,
            "role": duty.role,
            "due": duty.due.astimezone(tz).isoformat(),
        }
    if event.type is EventType.DUTY_ESCALATED:
        body["roles"] = [data["role"]]
    elif event.type is EventType.NOTIFIED:
        body["roles"] = list(data["roles"])
    else:
        body["roles"] = [duty.role] if duty is not None else []
    return body


def signed_headers(endpoint: Endpoint, message_id: str, now: datetime, body: str) -> dict[str, str]:
    from standardwebhooks.webhooks import Webhook

    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(endpoint.secret).sign(message_id, now, body),
    }


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> str:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            status = int(answer.status)
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code} {error.reason}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return f"no answer: {reason}"
    return "" if 200 <= status < 300 else f"HTTP {status}"


def pause_after(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt."""
    doubled: timedelta = FIRST_PAUSE * 2 ** max(min(attempts, 20) - 1, 0)
    return min(doubled, LONGEST_PAUSE)


def deliver(
    engine: Engine,
    store: SqlStore,
    targets: list[Endpoint],
    now: datetime,
    *,
    limit: int = 100,
    send: Post = post,
) -> list[tuple[str, str, str]]:
    """Attempt the deliveries due; (message, endpoint, error or '') for each attempt made."""
    outbox = Outbox(store)
    attempts = []
    for endpoint in targets:
        for message in outbox.take(endpoint.name, now, limit):
            body = payload(engine, message)
            if not endpoint.wants(body):
                outbox.skipped(message.id, endpoint.name, now)
                continue
            text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
            error = send(
                endpoint.url,
                text.encode("utf-8"),
                signed_headers(endpoint, message.id, now, text),
                endpoint.timeout,
            )
            retry = now + pause_after(message.attempts + 1) if error else None
            outbox.attempted(message.id, endpoint.name, now, error=error, retry_at=retry)
            attempts.append((message.id, endpoint.name, error))
    return attempts

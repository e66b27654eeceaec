"""A served store as the people of R0 use it: the rapid-response procedure registered, a sales rep
(li.lei) and a sales supervisor (wang.fang) with passwords and API tokens, on a virtual clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from engine.loading.loader import load_process
from engine.persistence import open_store
from engine.persistence.accounts import Accounts, User
from engine.runtime.engine import Engine
from engine.service.app import create_app
from engine.service.auth import hash_password, new_token
from engine.service.state import Service
from engine.time.clock import VirtualClock
from tests.unit.time.cn import at

R0 = Path(__file__).parents[2] / "processes" / "sales-rapid-response.yaml"
PASSWORD = "correct horse battery"
START = at("2026-11-23 10:00")
INTAKE = {"customer_name": "明辉科技", "demand_type": "inquiry", "urgency": "high"}


@dataclass
class Served:
    service: Service
    clock: VirtualClock
    client: TestClient
    tokens: dict[str, str]
    location: str

    def api(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}


def people(location: str, clock: VirtualClock) -> dict[str, str]:
    """The store's definitions and users; each user's API token."""
    store = open_store(location)
    Engine(clock, store).register(load_process(R0))
    accounts = Accounts(store)
    tokens = {}
    for user, role in (("li.lei", "sales_rep"), ("wang.fang", "sales_supervisor")):
        accounts.add(
            User(id=user, name=user, roles=frozenset({role}), timezone="Asia/Shanghai", locale="zh-CN"),
            hash_password(PASSWORD),
            clock.now(),
        )
        token, digest, token_id = new_token()
        accounts.add_token(digest, token_id, user, "tests", clock.now())
        tokens[user] = token
    store.close()
    return tokens


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    location = str(tmp_path / "served.db")
    clock = VirtualClock(START)
    tokens = people(location, clock)
    service = Service(open_store(location), clock)
    with TestClient(create_app(service), base_url="http://127.0.0.1") as client:
        yield Served(service=service, clock=clock, client=client, tokens=tokens, location=location)
    service.store.close()

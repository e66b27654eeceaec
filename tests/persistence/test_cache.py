"""An engine on a durable store keeps at most `cache` instances in memory: those used least recently
are let go after a command, read back identical when named again, their deadlines still fire at
their own instants, and what another writer did to them meanwhile is what they are read back as."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from engine.errors import CommandRefused, Reason
from engine.loading.loader import load_process
from engine.persistence import open_store
from engine.runtime.engine import Engine
from engine.runtime.events import EventType
from engine.runtime.store import ConflictError
from engine.time.clock import VirtualClock
from tests.persistence.conftest import TICKET
from tests.persistence.test_store_contract import CLERK, at

SPEC = load_process(TICKET)


def engine_on(location: str, cache: int | None) -> Engine:
    engine = Engine(VirtualClock(at("2026-11-23 10:00")), open_store(location), cache=cache)
    engine.register(SPEC)
    return engine


def counting_loads(engine: Engine) -> list[str]:
    """The instances the engine reads from its store from now on."""
    loads: list[str] = []
    load = engine.store.load

    def counted(instance: str, after: int = 0) -> Any:
        loads.append(instance)
        return load(instance, after)

    engine.store.load = counted  # type: ignore[method-assign]
    return loads


def test_an_instance_let_go_is_read_back_identical_and_its_deadline_fires(location: str) -> None:
    """Five tickets with room for two: the first is let go and read back when answered; it is the
    same instance as in an engine that kept everything. Those never answered are breached at 11:00,
    one hour after they opened (`due: 1h`), each once."""
    bounded, kept = engine_on(location, cache=2), Engine(VirtualClock(at("2026-11-23 10:00")))
    kept.register(SPEC)
    for number in range(5):
        assert bounded.start("ticket", {"subject": str(number)}, CLERK).instance == f"ticket-{number + 1}"
        kept.start("ticket", {"subject": str(number)}, CLERK)
    loads = counting_loads(bounded)
    bounded.submit("ticket-1", "answer", {"text": "好"}, CLERK)
    kept.submit("ticket-1", "answer", {"text": "好"}, CLERK)
    assert loads == ["ticket-1"]
    for engine in (bounded, kept):
        engine.advance_to(at("2026-11-23 12:00"))
    assert {i.id: i.snapshot() for i in bounded.instances()} == {i.id: i.snapshot() for i in kept.instances()}
    breached = [e for j in bounded.store.journals() for e in j if e.type is EventType.DUTY_BREACHED]
    assert Counter(e.instance for e in breached) == {f"ticket-{n}": 1 for n in (2, 3, 4, 5)}
    assert {e.at for e in breached} == {at("2026-11-23 11:00")}
    bounded.store.close()


def test_what_another_writer_did_is_seen_by_an_instance_let_go_and_refused_for_one_held(
    location: str,
) -> None:
    """ticket-1 was let go: the other writer's answer is what it is read back as, so its deadline no
    longer fires. ticket-3 is held: a command on its stale copy is refused with ConflictError, and
    the next one reads it again (finished by then)."""
    mine, other = engine_on(location, cache=1), engine_on(location, cache=None)
    for number in range(3):
        mine.start("ticket", {"subject": str(number)}, CLERK)
    for ticket in ("ticket-1", "ticket-3"):
        other.submit(ticket, "answer", {"text": "别人答复了"}, CLERK)
    with pytest.raises(ConflictError):
        mine.submit("ticket-3", "answer", {"text": "我"}, CLERK)
    with pytest.raises(CommandRefused) as refused:
        mine.submit("ticket-3", "answer", {"text": "我"}, CLERK)
    assert refused.value.reason is Reason.INSTANCE_FINISHED
    mine.advance_to(at("2026-11-23 12:00"))
    breached = {e.instance for j in mine.store.journals() for e in j if e.type is EventType.DUTY_BREACHED}
    assert breached == {"ticket-2"}
    assert mine.instance("ticket-1").stage == "closed"
    mine.store.close()
    other.store.close()


def test_a_cache_of_no_instance_is_refused() -> None:
    with pytest.raises(ValueError, match="cache must be at least 1 instance, not 0"):
        Engine(VirtualClock(at("2026-11-23 10:00")), cache=0)

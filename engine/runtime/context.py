"""The context of one step inside an instance: the transaction its events go to, and the little the
steps need of the engine running them (`Host`): its timers, its exit machines, the instances it holds
and the making of new ones. The engine implements `Host`; the steps know no more of it than this."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from engine.runtime.events import Event, EventType
from engine.runtime.instance import Instance
from engine.runtime.machine import StageMachine
from engine.runtime.scope import Scope
from engine.runtime.timing import Wakeups
from engine.runtime.transaction import Transaction
from engine.spec.model import ProcessSpec


class Host(Protocol):
    @property
    def wakeups(self) -> Wakeups: ...

    def machine(self, spec: ProcessSpec) -> StageMachine: ...

    def instance(self, instance_id: str) -> Instance: ...

    def new_instance(self, tx: Transaction, process: str) -> Instance: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Context:
    tx: Transaction
    host: Host

    @property
    def at(self) -> datetime:
        return self.tx.at

    def emit(self, instance: Instance, event_type: EventType, data: dict[str, Any]) -> Event:
        event = self.tx.emit(instance, event_type, data)
        self.host.wakeups.track(event, instance)
        return event

    def scope(self, spec: ProcessSpec, instance: Instance) -> Scope:
        """What the definition's expressions see of `instance` now."""
        return Scope(instance, spec.instant_variables(), now=self.at, calendar=spec.business_calendar())

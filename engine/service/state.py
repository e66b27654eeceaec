"""What a running `sopflow serve` holds: one store connection and one engine, used one request at a
time (the engine is not thread-safe), caught up with the store's other writers before each use.

Reading what people need (their open duties, an instance) goes through the same engine and store as
the commands; nothing here reaches into the runtime's internals.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from engine.locale import DEFAULT, Words
from engine.persistence.accounts import Accounts, User
from engine.persistence.sql import SqlStore
from engine.render.words import title_of
from engine.runtime.engine import Engine
from engine.runtime.instance import Duty, Instance
from engine.service.auth import Sessions, SignInLimit
from engine.spec.model import ProcessSpec
from engine.time.clock import Clock

SESSION_KEY = "session_key"
"""Where the store keeps the key that signs browser sessions, shared by every server on it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenDuty:
    """An open duty occurrence as a worklist shows it."""

    instance: Instance
    spec: ProcessSpec
    duty: Duty

    @property
    def title(self) -> str:
        return self.spec.duty(self.duty.id).title


class Service:
    def __init__(self, store: SqlStore, clock: Clock, *, key: str = "") -> None:
        self.store = store
        self.clock = clock
        self.accounts = Accounts(store)
        self._engine = Engine(clock, store)
        self._lock = threading.RLock()
        self.sessions = Sessions(key or self._session_key(), self.accounts)
        self.sign_ins = SignInLimit()

    def _session_key(self) -> str:
        with self._lock:
            key = self.store.meta(SESSION_KEY)
            if key is None:
                key = secrets.token_urlsafe(32)
                self.store.set_meta(SESSION_KEY, key)
            return key

    @contextmanager
    def engine(self) -> Iterator[Engine]:
        """The engine, for one request at a time, up to date with the store."""
        with self._lock:
            self._engine.refresh()
            yield self._engine

    def open_duties(self, engine: Engine, user: User, now: datetime) -> list[OpenDuty]:
        """The open duties of the user's roles, overdue ones first (most overdue first), then by due."""
        found = []
        for summary in self.store.summaries():
            if summary.finished:
                continue
            instance = engine.instance(summary.id)
            spec = engine.definition_of(instance)
            found += [
                OpenDuty(instance=instance, spec=spec, duty=d)
                for d in instance.open_duties()
                if d.role in user.roles
            ]
        return sorted(found, key=lambda o: (o.duty.due > now, o.duty.due, o.instance.id, o.duty.key))

    def startable(self, engine: Engine, user: User) -> list[ProcessSpec]:
        """The newest version of every process the user may start (and that does not start itself)."""
        return [s for s in self.specs(engine) if (set(s.start_by) or {r.id for r in s.roles}) & user.roles]

    def specs(self, engine: Engine) -> list[ProcessSpec]:
        """The newest definition of every process in the store."""
        processes = sorted({process for process, _ in self.store.definition_versions()})
        return [engine.definition(p) for p in processes]

    def role_titles(self, engine: Engine, user: User, w: Words) -> list[str]:
        """The user's roles as the processes title them (a role no process has by its id)."""
        titles = {role.id: title_of(role, w) for spec in self.specs(engine) for role in spec.roles}
        return [titles.get(role, role) for role in sorted(user.roles)]

    def language(self, engine: Engine) -> str:
        """The language of pages before anyone signs in: the one most of the processes speak."""
        locales = [spec.locale for spec in self.specs(engine)]
        return max(set(locales), key=locales.count) if locales else DEFAULT

"""Where journals live. The engine needs only this small interface, so a durable store
(`engine.persistence`) can replace the in-memory one without the engine changing.

A `Commit` is applied whole or not at all: the events of every instance a command touched, each
instance's pending timers after it, the schedules it moved and the idempotency key it used. Each write
names the journal version (length) the writer last saw; a store refuses the commit when a journal has
moved on since, so of two writers on one instance exactly one wins.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from engine.errors import SopflowError
from engine.runtime.events import Event


class ConflictError(SopflowError):
    """Another writer changed the instance since this writer read it; reading it again and retrying
    the command is safe."""


class DamagedError(SopflowError):
    """What a store holds cannot be read back: a row is unreadable or a journal has a gap. The
    message names the instance and the event."""


class StoredTimer(NamedTuple):
    """A pending timer as stored: what wakes (`kind`, `ref`) and when. Every commit lists each
    touched instance's timers, so this is a tuple: three times cheaper to make than a dataclass."""

    kind: str
    ref: str
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Write:
    """New events of one instance, with what a store keeps beside the journal to answer queries."""

    instance: str
    expected_version: int
    events: tuple[Event, ...]
    process: str
    version: int
    stage: str
    finished: bool
    timers: tuple[StoredTimer, ...]
    incident: str = ""
    """The error of the instance's open incident, if it has one."""

    @property
    def next_due(self) -> datetime | None:
        return min((t.at for t in self.timers), default=None)


def command_key(actor: str, key: str) -> str:
    """Where a store keeps what a keyed command did: a key is its actor's, so someone else's command
    with the same key is not a repeat of it."""
    return json.dumps([actor, key], ensure_ascii=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredCommand:
    """What a command with an idempotency key did, so that repeating the key repeats the answer."""

    key: str
    fingerprint: str
    result: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class Commit:
    writes: tuple[Write, ...] = ()
    command: StoredCommand | None = None
    schedules: tuple[tuple[str, datetime, datetime | None], ...] = ()
    """(process id, the self-start that happened, the next one or None): refused like a stale write
    if the stored next self-start is no longer the one that happened, so each starts once."""
    refusal: Event | None = None
    """A refused command that concerns no existing instance (an unknown process, say)."""


@dataclass(frozen=True, slots=True)
class Claim:
    """Work due by an instant, held by one worker until the claim ends: instances with a due timer
    and processes due to start by themselves."""

    instances: list[str] = field(default_factory=list)
    schedules: list[tuple[str, datetime]] = field(default_factory=list)


@dataclass(frozen=True, slots=True, kw_only=True)
class Summary:
    """One instance as a list shows it, read from the store without replaying its journal."""

    id: str
    process: str
    version: int
    stage: str
    finished: bool
    events: int
    next_due: datetime | None
    incident: str = ""


class Store(Protocol):
    def commit(self, commit: Commit) -> None:
        """Apply `commit` atomically; raise `ConflictError` if an expected version is stale."""
        ...

    def load(self, instance: str, after: int = 0) -> list[Event]:
        """The instance's events with a sequence above `after`, in order."""
        ...

    def load_many(self, instances: list[str]) -> dict[str, list[Event]]:
        """The journals of several instances at once (those the store holds)."""
        ...

    def journals(self) -> Iterator[list[Event]]:
        """Every instance's journal, for a rebuild after a restart."""
        ...

    def summaries(self) -> list[Summary]: ...

    def timers(self) -> list[tuple[str, str, str, datetime]]:
        """(instance, kind, ref, due) of every pending timer, soonest first: the copy each write
        keeps, from which a restarted engine arms its timers without reading every journal."""
        ...

    def last_number(self) -> int:
        """The highest instance number handed out, so a new engine does not reuse one."""
        ...

    def command(self, key: str) -> StoredCommand | None: ...

    def save_definition(self, process: str, version: int, source: str) -> None:
        """Keep a definition's source; refuse one that differs from what is stored under its version."""
        ...

    def definitions(self, process: str) -> dict[int, str]:
        """Version → source of every stored version of `process`."""
        ...

    def schedule(self, process: str, first: datetime | None) -> datetime | None:
        """The next self-start of `process` as stored; store `first` if none is stored yet."""
        ...

    def claim(self, until: datetime, limit: int) -> AbstractContextManager[Claim]:
        """Hold instances and schedules due by `until`; commits made while the claim is held take
        effect when it ends. Two workers never hold the same instance."""
        ...

    def close(self) -> None: ...


class MemoryStore:
    """Journals in a dict: for tests, simulations and embedding without persistence."""

    def __init__(self) -> None:
        self._journals: dict[str, list[Event]] = {}
        self._writes: dict[str, Write] = {}
        self._commands: dict[str, StoredCommand] = {}
        self._definitions: dict[str, dict[int, str]] = {}
        self._schedules: dict[str, datetime | None] = {}
        self._last = 0
        self.refusals: list[Event] = []

    def commit(self, commit: Commit) -> None:
        for process, started, _ in commit.schedules:
            if self._schedules.get(process) != started:
                raise ConflictError(f"the self-start of {process} at {started} was already made")
        for write in commit.writes:
            length = len(self._journals.get(write.instance, ()))
            if length != write.expected_version:
                raise ConflictError(
                    f"instance {write.instance} is at version {length}, "
                    f"the writer expected {write.expected_version}"
                )
        for write in commit.writes:
            self._journals.setdefault(write.instance, []).extend(write.events)
            self._writes[write.instance] = write
            self._last = max(self._last, instance_number(write.instance))
        if commit.command is not None:
            self._commands[commit.command.key] = commit.command
        self._schedules.update((process, following) for process, _, following in commit.schedules)
        if commit.refusal is not None:
            self.refusals.append(commit.refusal)

    def load(self, instance: str, after: int = 0) -> list[Event]:
        return list(self._journals.get(instance, ())[after:])

    def load_many(self, instances: list[str]) -> dict[str, list[Event]]:
        return {i: list(self._journals[i]) for i in instances if i in self._journals}

    def journals(self) -> Iterator[list[Event]]:
        return (list(journal) for journal in list(self._journals.values()))

    def summaries(self) -> list[Summary]:
        return [
            Summary(
                id=w.instance,
                process=w.process,
                version=w.version,
                stage=w.stage,
                finished=w.finished,
                events=len(self._journals[w.instance]),
                next_due=w.next_due,
                incident=w.incident,
            )
            for w in self._writes.values()
        ]

    def timers(self) -> list[tuple[str, str, str, datetime]]:
        return sorted(
            ((w.instance, t.kind, t.ref, t.at) for w in self._writes.values() for t in w.timers),
            key=lambda timer: (timer[3], timer[0], timer[1]),
        )

    def last_number(self) -> int:
        return self._last

    def command(self, key: str) -> StoredCommand | None:
        return self._commands.get(key)

    def save_definition(self, process: str, version: int, source: str) -> None:
        versions = self._definitions.setdefault(process, {})
        check_same_definition(process, version, versions.get(version), source)
        versions[version] = source

    def definitions(self, process: str) -> dict[int, str]:
        return dict(self._definitions.get(process, {}))

    def schedule(self, process: str, first: datetime | None) -> datetime | None:
        return self._schedules.setdefault(process, first)

    @contextmanager
    def claim(self, until: datetime, limit: int) -> Iterator[Claim]:
        due = sorted(
            (w.next_due, w.instance)
            for w in self._writes.values()
            if w.next_due is not None and w.next_due <= until
        )
        starts = sorted((at, p) for p, at in self._schedules.items() if at is not None and at <= until)
        yield Claim([i for _, i in due[:limit]], [(p, at) for at, p in starts])

    def close(self) -> None:
        pass


def instance_number(instance: str) -> int:
    """Instance ids end in a number unique within the store (`process-7`)."""
    return int(instance.rsplit("-", 1)[-1])


def check_same_definition(process: str, version: int, stored: str | None, source: str) -> None:
    if stored is not None and stored != source:
        raise SopflowError(
            f"{process} version {version} is already stored with other content; "
            "give the changed definition a new version"
        )

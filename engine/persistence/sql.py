"""A durable store on a SQL database: the same statements on SQLite and PostgreSQL, with the few
differences (placeholders, how a write transaction begins, row locks) kept in a `Dialect`.

Every commit is one database transaction, so a process killed at any point leaves either the whole
command or nothing. Optimistic concurrency rests on `instances.journal_version`: a write updates the
row only if it still holds the version the writer read, which also locks the row until commit, so of
two writers on one instance exactly one wins and the other gets `ConflictError`. Nested transactions
(a commit inside a worker's claim) become savepoints: a conflict on one instance undoes that instance
only.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from hashlib import sha256
from itertools import groupby
from typing import Any, NamedTuple

from engine.errors import SopflowError
from engine.persistence.migrations import LATEST, MIGRATIONS
from engine.runtime.events import Event, EventType, instant, iso
from engine.runtime.store import (
    Claim,
    Commit,
    ConflictError,
    DamagedError,
    StoredCommand,
    StoredTimer,
    Summary,
    Write,
    check_same_definition,
    instance_number,
)


class StoreError(SopflowError):
    """The database could not be used: unreachable, locked for too long, or from a newer sopflow."""


class DamagedStoreError(StoreError, DamagedError):
    """A row of the store cannot be read back (see `DamagedError`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Dialect:
    placeholder: str
    begin: str
    """How a transaction that will write begins (SQLite takes its write lock up front)."""
    serial: str
    skip_locked: str
    """What makes a claim skip rows another worker holds."""
    tables: str
    """A query of the names of the tables in the database."""
    exclusive: str = ""
    """A statement that makes migrations run one at a time."""
    conflicts: tuple[type[BaseException], ...] = ()
    """Database errors that mean another writer was first."""
    failures: tuple[type[BaseException], ...] = ()
    """Database errors that mean the store cannot be used."""


EVENT_COLUMNS = "instance, sequence, at, actor, roles, type, data, key"
OUTBOX_TYPES = frozenset(
    {EventType.DUTY_WARNED, EventType.DUTY_BREACHED, EventType.DUTY_ESCALATED, EventType.NOTIFIED}
)
"""The events that tell someone something, and so leave through the outbox to webhooks."""


class Written(NamedTuple):
    """What a store wrote of an instance: its journal version, the hash of its last event, its timers."""

    version: int
    last_hash: str
    timers: tuple[StoredTimer, ...]


class _Rows(NamedTuple):
    """A commit's writes as the rows of each table, every value encoded once."""

    created: list[tuple[Any, ...]]
    updated: list[tuple[Any, ...]]
    events: list[tuple[Any, ...]]
    told: list[tuple[Any, ...]]
    """Outbox rows, for the events that tell someone something."""
    records: list[tuple[Any, ...]]
    written: dict[str, Written]

    @classmethod
    def of(cls, writes: list[Write], known: dict[str, Written], hashes: dict[str, str]) -> _Rows:
        """`known`: what the store last wrote of some instances; `hashes`: the others' last hashes."""
        rows = cls([], [], [], [], [], {})
        for write in writes:
            before = known.get(write.instance)
            last = before.last_hash if before is not None else hashes.get(write.instance, "")
            for event in write.events:
                row = _event_row(event)
                last = chain_hash(last, row)
                rows.events.append((*row, last))
                if event.type in OUTBOX_TYPES:
                    rows.told.append((message_id(event.instance, event.sequence), *row[:2], row[5], row[2]))
                elif event.type is EventType.RECORD_SUBMITTED:
                    data = event.data
                    rows.records.append(
                        (row[0], data["form"], data["version"], _json(data["data"]), *row[2:4])
                    )
            length = write.expected_version + len(write.events)
            rows.written[write.instance] = Written(length, last, write.timers)
            next_due = iso(write.next_due) if write.next_due else None
            state = (write.stage, int(write.finished), length, next_due, iso(write.events[-1].at), last)
            if write.expected_version == 0:
                number = instance_number(write.instance)
                rows.created.append(
                    (write.instance, number, write.process, write.version, *state, write.incident)
                )
            else:
                rows.updated.append((*state, write.incident, write.instance, write.expected_version))
        return rows


REMEMBERED = 10_000
"""How many instances a store remembers what it last wrote of (a few MB at most)."""


def message_id(instance: str, sequence: int) -> str:
    """The stable id of an event's message: the same at every attempt, so a receiver drops repeats."""
    return f"{instance}/{sequence}"


class SqlStore:
    def __init__(self, connection: Any, dialect: Dialect, location: str) -> None:
        self.location = location
        self._db = connection
        self._dialect = dialect
        self._errors = _Translated(dialect, location)
        self._depth = 0
        self._written: dict[str, Written] = {}
        """What this connection last stored of an instance, so that the next write of it needs
        neither to read its last hash nor to rewrite timers that did not change. Kept only for
        transactions that committed, and used only by a write that expects that very version: had
        another writer moved the instance on, the write is refused anyway."""
        self._pending: dict[str, Written] = {}
        """What the open transaction stored, kept in `_written` once it commits."""
        self._migrate()

    # Writing

    def commit(self, commit: Commit) -> None:
        with self._transaction():
            if commit.writes:
                self._write(sorted(commit.writes, key=lambda w: w.instance))
            if commit.command is not None:
                command = commit.command
                self._run(
                    "INSERT INTO commands (key, fingerprint, result) VALUES (?, ?, ?)",
                    (command.key, command.fingerprint, _json(command.result)),
                )
            for process, started, following in commit.schedules:
                with self._pipelined() as wait:
                    moved = self._run(
                        "UPDATE schedules SET next_at = ? WHERE process = ? AND next_at = ?",
                        (iso(following) if following else None, process, iso(started)),
                    )
                    wait()  # its count of rows is known once it is answered
                if moved.rowcount != 1:
                    raise ConflictError(f"the self-start of {process} at {iso(started)} was already made")
            if commit.refusal is not None:
                event = commit.refusal
                self._run(
                    "INSERT INTO refusals (at, actor, data) VALUES (?, ?, ?)",
                    (iso(event.at), event.actor, _json(dict(event.data))),
                )

    def _write(self, writes: list[Write]) -> None:
        """The writes of one commit, each statement run once for all of them (a worker's batch of
        firings is as many statements as one command)."""
        known = {
            w.instance: found
            for w in writes
            if (found := self._written.get(w.instance)) is not None and found.version == w.expected_version
        }
        unknown = [w.instance for w in writes if w.expected_version and w.instance not in known]
        rows = _Rows.of(writes, known, self._last_hashes(unknown))
        with self._pipelined() as wait:
            counted = (
                self._many(
                    "INSERT INTO instances (id, number, process, version, stage, finished, journal_version,"
                    " next_due, updated_at, last_hash, incident) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (id) DO NOTHING",
                    rows.created,
                ),
                self._many(
                    "UPDATE instances SET stage = ?, finished = ?, journal_version = ?, next_due = ?,"
                    " updated_at = ?, last_hash = ?, incident = ? WHERE id = ? AND journal_version = ?",
                    rows.updated,
                ),
            )
            wait()
            if sum(_changed(cursor) for cursor in counted) != len(writes):
                self._refuse_stale(writes, rows.written)
            self._many(
                f"INSERT INTO events ({EVENT_COLUMNS}, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows.events
            )
            self._many(
                "INSERT INTO outbox (id, instance, sequence, type, at) VALUES (?, ?, ?, ?, ?)", rows.told
            )
            self._many(
                "INSERT INTO records (instance, form, version, data, submitted_at, actor)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                rows.records,
            )
            self._store_timers(writes, known)
        self._pending.update(rows.written)

    def _store_timers(self, writes: list[Write], known: dict[str, Written]) -> None:
        """Each instance's timers as its write lists them: by difference from what this connection
        stored last, or all of them anew."""
        cleared: list[str] = []
        removed: list[tuple[str, str, str, str]] = []
        added: list[tuple[str, str, str, str]] = []
        for write in writes:
            before = known.get(write.instance)
            if before is None:
                cleared.append(write.instance)
                added += ((write.instance, t.kind, t.ref, iso(t.at)) for t in write.timers)
                continue
            old, new = Counter(before.timers), Counter(write.timers)
            for timer in old.keys() | new.keys():
                if old[timer] != new[timer]:  # every copy of a changed timer goes, then its new ones come
                    row = (write.instance, timer.kind, timer.ref, iso(timer.at))
                    if old[timer]:
                        removed.append(row)
                    added += [row] * new[timer]
        for chunk in _chunks(cleared):
            self._run(f"DELETE FROM timers WHERE target IN ({_marks(chunk)})", chunk)
        self._many("DELETE FROM timers WHERE target = ? AND kind = ? AND ref = ? AND due = ?", removed)
        self._many("INSERT INTO timers (target, kind, ref, due) VALUES (?, ?, ?, ?)", added)

    def _last_hashes(self, instances: list[str]) -> dict[str, str]:
        return dict(self._rows_in("SELECT id, last_hash FROM instances WHERE id IN ({})", instances))

    def _refuse_stale(self, writes: list[Write], written: dict[str, Written]) -> None:
        """Some write found its instance at another version than its writer read. A driver may
        count a batch's rows only in part, so each row is checked for the version and hash written."""
        rows = self._rows_in(
            "SELECT id, journal_version, last_hash FROM instances WHERE id IN ({})", list(written)
        )
        found = {row[0]: (row[1], row[2]) for row in rows}
        for write in writes:
            mine = written[write.instance]
            if found.get(write.instance) != (mine.version, mine.last_hash):
                raise ConflictError(
                    f"instance {write.instance} is at version {found.get(write.instance, (0, ''))[0]}, "
                    f"the writer expected {write.expected_version}"
                )

    def save_definition(self, process: str, version: int, source: str) -> None:
        with self._transaction():
            row = self._run(
                "SELECT source FROM definitions WHERE process = ? AND version = ?", (process, version)
            ).fetchone()
            check_same_definition(process, version, row[0] if row else None, source)
            if row is None:
                self._run(
                    "INSERT INTO definitions (process, version, source) VALUES (?, ?, ?)",
                    (process, version, source),
                )

    def schedule(self, process: str, first: datetime | None) -> datetime | None:
        with self._transaction():
            self._run(
                "INSERT INTO schedules (process, next_at) VALUES (?, ?) ON CONFLICT (process) DO NOTHING",
                (process, iso(first) if first else None),
            )
            row = self._run("SELECT next_at FROM schedules WHERE process = ?", (process,)).fetchone()
        return instant(row[0]) if row[0] else None

    @contextmanager
    def claim(self, until: datetime, limit: int) -> Iterator[Claim]:
        lock = self._dialect.skip_locked
        with self._transaction():
            instances = self._run(
                "SELECT id FROM instances WHERE next_due IS NOT NULL AND next_due <= ?"
                f" ORDER BY next_due LIMIT ?{lock}",
                (iso(until), limit),
            ).fetchall()
            schedules = self._run(
                f"SELECT process, next_at FROM schedules WHERE next_at IS NOT NULL AND next_at <= ?{lock}",
                (iso(until),),
            ).fetchall()
            yield Claim([row[0] for row in instances], [(row[0], instant(row[1])) for row in schedules])

    def batch(self) -> AbstractContextManager[None]:
        """Group commit: the commands run inside share one database transaction, which makes many
        commands much cheaper; none of them is durable until the block ends, and all are lost if it
        fails."""
        return self._transaction()

    def set_meta(self, name: str, value: str) -> None:
        with self._transaction():
            self._run(
                "INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = ?",
                (name, value, value),
            )

    # Reading

    def load(self, instance: str, after: int = 0) -> list[Event]:
        rows = self._rows(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE instance = ? AND sequence > ? ORDER BY sequence",
            (instance, after),
        )
        return self._journal(instance, rows, after)

    def load_many(self, instances: list[str]) -> dict[str, list[Event]]:
        rows = self._rows_in(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE instance IN ({{}}) ORDER BY instance, sequence",
            sorted(set(instances)),  # each in one chunk: its rows come together
        )
        return {
            instance: self._journal(instance, journal, 0)
            for instance, journal in groupby(rows, key=lambda row: row[0])
        }

    def journals(self) -> Iterator[list[Event]]:
        rows = self._rows(f"SELECT {EVENT_COLUMNS} FROM events ORDER BY instance, sequence")
        for instance, journal in groupby(rows, key=lambda row: row[0]):
            yield self._journal(instance, journal, 0)

    def _journal(self, instance: str, rows: Iterable[Sequence[Any]], after: int) -> list[Event]:
        """Events read back, numbered without a gap (a removed row is damage, not history)."""
        journal = [_event(row) for row in rows]
        if [e.sequence for e in journal] != list(range(after + 1, after + len(journal) + 1)):
            raise DamagedStoreError(
                f"store {self.location} is damaged: instance {instance} is missing an event"
            )
        return journal

    def summaries(self) -> list[Summary]:
        rows = self._rows(
            "SELECT id, process, version, stage, finished, journal_version, next_due, incident"
            " FROM instances ORDER BY number"
        )
        try:
            return [
                Summary(
                    id=row[0],
                    process=row[1],
                    version=row[2],
                    stage=row[3],
                    finished=bool(row[4]),
                    events=row[5],
                    next_due=instant(row[6]) if row[6] else None,
                    incident=row[7],
                )
                for row in rows
            ]
        except (TypeError, ValueError) as error:
            raise StoreError(
                f"store {self.location} is damaged: an instance row is unreadable ({error})"
            ) from error

    def check(self) -> list[str]:
        """What is damaged in the store: its pages (where the database can tell) and rows that cannot
        be read back. An empty list is a store that reads back whole."""
        found = self.pages_damaged()
        if found:
            return found
        try:
            for _ in self.journals():
                pass
            self.summaries()
        except StoreError as damaged:
            found.append(str(damaged))
        return found

    def pages_damaged(self) -> list[str]:
        """The database's own check of its pages; PostgreSQL checks its pages as it reads them."""
        return []

    def verify(self) -> list[str]:
        """Every journal checked against its hash chain: the first event of each instance whose hash
        does not follow from its content and the event before it (edited, inserted or removed), and
        an instance whose definition no longer has the text it started with. Events written before
        the store kept hashes have none and are not checked."""
        found: list[str] = []
        definitions = {
            (row[0], row[1]): sha256(row[2].encode("utf-8")).hexdigest()
            for row in self._rows("SELECT process, version, source FROM definitions")
        }
        last = dict(self._rows("SELECT id, last_hash FROM instances"))
        rows = self._rows(f"SELECT {EVENT_COLUMNS}, hash FROM events ORDER BY instance, sequence")
        for instance, journal in groupby(rows, key=lambda row: row[0]):
            previous = ""
            for expected_sequence, row in enumerate(journal, 1):
                if not row[8]:
                    break  # written before the store kept hashes
                if row[1] != expected_sequence or chain_hash(previous, tuple(row[:8])) != row[8]:
                    found.append(
                        f"instance {instance} event {row[1]}: its hash does not follow from its content"
                    )
                    break
                previous = row[8]
                if expected_sequence == 1:
                    found += _definition_check(instance, row, definitions)
            else:
                if previous and last.get(instance) != previous:
                    found.append(f"instance {instance}: events after {expected_sequence} are missing")
        return found

    def last_number(self) -> int:
        return int(self._run("SELECT coalesce(max(number), 0) FROM instances").fetchone()[0])

    def command(self, key: str) -> StoredCommand | None:
        row = self._run("SELECT fingerprint, result FROM commands WHERE key = ?", (key,)).fetchone()
        return StoredCommand(key=key, fingerprint=row[0], result=json.loads(row[1])) if row else None

    def definitions(self, process: str) -> dict[int, str]:
        rows = self._run("SELECT version, source FROM definitions WHERE process = ?", (process,))
        return {row[0]: row[1] for row in rows}

    def definition_versions(self) -> list[tuple[str, int]]:
        return [
            (row[0], row[1]) for row in self._run("SELECT process, version FROM definitions ORDER BY 1, 2")
        ]

    def meta(self, name: str) -> str | None:
        row = self._run("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def records(self, instance: str) -> list[tuple[str, int, Any]]:
        """(form, version, data) of every record submitted in `instance`, in order."""
        rows = self._run(
            "SELECT form, version, data FROM records WHERE instance = ? ORDER BY submitted_at, form, version",
            (instance,),
        )
        return [(row[0], row[1], json.loads(row[2])) for row in rows]

    def timers(self) -> list[tuple[str, str, str, datetime]]:
        """(instance, kind, ref, due) of every pending timer, soonest first."""
        rows = self._run("SELECT target, kind, ref, due FROM timers ORDER BY due, target, kind")
        return [(row[0], row[1], row[2], instant(row[3])) for row in rows]

    def refusals(self) -> list[dict[str, Any]]:
        rows = self._run("SELECT at, actor, data FROM refusals ORDER BY id")
        return [{"at": row[0], "actor": row[1], **json.loads(row[2])} for row in rows]

    def close(self) -> None:
        self._db.close()

    # For the modules that keep more than journals in the store (accounts, the outbox)

    def transaction(self) -> AbstractContextManager[None]:
        return self._transaction()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement (`?` placeholders); the number of rows it changed."""
        return int(self._run(sql, params).rowcount)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Every row of a query (`?` placeholders), read inside the store's error handling."""
        return self._rows(sql, params)

    # Internals

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One database transaction; nested ones are savepoints."""
        depth = self._depth
        self._run(self._dialect.begin if depth == 0 else f"SAVEPOINT s{depth}")
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth = depth
            self._pending.clear()  # what is still kept is not known here: read it again
            self._run("ROLLBACK" if depth == 0 else f"ROLLBACK TO SAVEPOINT s{depth}")
            raise
        self._depth = depth
        try:
            self._run("COMMIT" if depth == 0 else f"RELEASE SAVEPOINT s{depth}")
        except BaseException:
            self._pending.clear()
            raise
        if depth == 0:
            self._remember(self._pending)
            self._pending = {}

    def _remember(self, written: dict[str, Written]) -> None:
        self._written.update(written)
        for _ in range(len(self._written) - REMEMBERED):
            del self._written[next(iter(self._written))]  # the least recently stored go first

    def _run(self, sql: str, params: Sequence[Any] = ()) -> Any:
        with self._errors:
            return self._db.execute(_dialect_sql(sql, self._dialect.placeholder), params)

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Every row of a query, read inside the error handling (a damaged file fails while rows
        are read, not only when the query starts)."""
        with self._errors:
            return list(self._db.execute(_dialect_sql(sql, self._dialect.placeholder), params).fetchall())

    def _rows_in(self, sql: str, values: list[str]) -> list[Any]:
        """Every row of a query whose `IN ({})` takes `values`, run a chunk of them at a time."""
        rows: list[Any] = []
        for chunk in _chunks(values):
            rows += self._rows(sql.format(_marks(chunk)), chunk)
        return rows

    def _many(self, sql: str, rows: list[tuple[Any, ...]]) -> Any:
        """Run a statement for each row; the cursor, to count the rows changed (see `_changed`)."""
        if not rows:
            return None
        with self._errors:
            cursor = self._db.cursor()
            cursor.executemany(_dialect_sql(sql, self._dialect.placeholder), rows)
            return cursor

    @contextmanager
    def _pipelined(self) -> Iterator[Callable[[], None]]:
        """Statements sent without waiting for each one's answer, where the database allows it
        (PostgreSQL's pipeline mode); the function given waits until every answer is in, counts of
        changed rows included. SQLite answers each statement at once."""
        yield lambda: None

    def _migrate(self) -> None:
        """Create or bring up to date the store's tables. A store already up to date is only read,
        so a command that reads takes no write lock; a database holding other tables than a
        sopflow store's is refused, not adopted."""
        if self._current_version() == LATEST:
            return
        with self._transaction():
            if self._dialect.exclusive:
                self._run(self._dialect.exclusive)
            current = self._current_version()
            for number in range(current + 1, LATEST + 1):
                if number == 1:
                    self._run("CREATE TABLE schema_version (version INTEGER NOT NULL)")
                for statement in MIGRATIONS[number - 1]:
                    self._run(statement.format(serial=self._dialect.serial))
                self._run("INSERT INTO schema_version (version) VALUES (?)", (number,))
            self._run(
                "INSERT INTO meta (name, value) VALUES ('application', 'sopflow')"
                " ON CONFLICT (name) DO NOTHING"
            )

    def _current_version(self) -> int:
        tables = {row[0] for row in self._rows(self._dialect.tables)}
        if "schema_version" not in tables:
            if tables:
                raise StoreError(
                    f"{self.location} is not a sopflow store: it holds other tables "
                    f"({', '.join(sorted(tables)[:5])}); give another location"
                )
            return 0
        current = int(self._rows("SELECT coalesce(max(version), 0) FROM schema_version")[0][0])
        if current > LATEST:
            raise StoreError(
                f"store {self.location} has schema version {current}; "
                f"this sopflow knows up to {LATEST}: upgrade sopflow"
            )
        return current

    @property
    def schema_version(self) -> int:
        return int(self._run("SELECT max(version) FROM schema_version").fetchone()[0])


@cache
def _dialect_sql(sql: str, placeholder: str) -> str:
    return sql if placeholder == "?" else sql.replace("?", placeholder)


class _Translated:
    """What the database raises, as sopflow's errors: another writer was first (`ConflictError`) or
    the store cannot be used (`StoreError`). A class, not a generator: every statement enters it,
    and this costs a third of what `contextmanager` does."""

    __slots__ = ("_dialect", "_location")

    def __init__(self, dialect: Dialect, location: str) -> None:
        self._dialect = dialect
        self._location = location

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, error: BaseException | None, traceback: object) -> None:
        if isinstance(error, self._dialect.conflicts):
            raise ConflictError(f"another writer was first: {error}".strip()) from error
        if isinstance(error, self._dialect.failures):
            raise StoreError(f"store {self._location}: {error}".strip()) from error


def _changed(cursor: Any) -> int:
    """The rows a statement changed (every row of an `executemany`); none if it did not run."""
    return 0 if cursor is None else int(cursor.rowcount)


def _chunks(values: list[str], size: int = 500) -> Iterator[list[str]]:
    """Values a statement at a time, within every database's limit on parameters."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" * len(values))


_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
"""Compact JSON text; one encoder for every value (json.dumps makes one a call for these options)."""


@lru_cache(maxsize=1024)
def _roles_json(roles: tuple[str, ...]) -> str:
    """Events carry one of a few role sets, each written as JSON once."""
    return _json(list(roles))


@lru_cache(maxsize=1024)
def _roles(text: str) -> tuple[str, ...]:
    roles = json.loads(text)
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise ValueError("its roles are not a list of names")
    return tuple(roles)


def _event_row(event: Event) -> tuple[Any, ...]:
    return (
        event.instance,
        event.sequence,
        iso(event.at),
        event.actor,
        _roles_json(event.roles),
        event.type.value,
        _json(dict(event.data)),
        event.key,
    )


_TYPES = {kind.value: kind for kind in EventType}
_decode = json.JSONDecoder().decode


def _event(row: Sequence[Any]) -> Event:
    try:
        data = _decode(row[6])
        if not isinstance(data, dict):
            raise ValueError("its data is not a mapping")
        kind = _TYPES.get(row[5])
        if kind is None:
            raise ValueError(f"{row[5]!r} is not an event type")
        return Event(row[0], row[1], instant(row[2]), row[3], kind, data, _roles(row[4]), row[7])
    except (TypeError, ValueError) as error:  # JSONDecodeError is a ValueError
        raise DamagedStoreError(
            f"the store is damaged: instance {row[0]} event {row[1]} is unreadable ({error})"
        ) from error


def chain_hash(previous: str, row: Sequence[Any]) -> str:
    """An event's hash: its stored content after the hash of the event before it, so changing,
    inserting or removing an event breaks every hash after it."""
    text = _json([previous, *row])
    return sha256(text.encode("utf-8")).hexdigest()


def _definition_check(
    instance: str, row: Sequence[Any], definitions: dict[tuple[str, int], str]
) -> list[str]:
    """An instance's first event names the definition text it started with (its hash)."""
    data = json.loads(row[6])
    expected = data.get("definition")
    stored = definitions.get((data.get("process"), data.get("version")))
    if expected and stored != expected:
        return [
            f"instance {instance}: its definition {data.get('process')} v{data.get('version')} was changed"
        ]
    return []

"""The stores' tables, as migrations applied in order; `schema_version` says how far a store has come.

A migration is never edited once released: a change to the tables is a new migration at the end.
Instants are ISO 8601 text in UTC (see `engine.runtime.events.iso`), which sorts in time order, so
the same statements serve SQLite and PostgreSQL; `{serial}` is each dialect's self-numbering key.
"""

from __future__ import annotations

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)""",
        """CREATE TABLE definitions (
            process TEXT NOT NULL,
            version INTEGER NOT NULL,
            source TEXT NOT NULL,
            PRIMARY KEY (process, version))""",
        """CREATE TABLE instances (
            id TEXT PRIMARY KEY,
            number BIGINT NOT NULL,
            process TEXT NOT NULL,
            version INTEGER NOT NULL,
            stage TEXT NOT NULL,
            finished INTEGER NOT NULL,
            journal_version INTEGER NOT NULL,
            next_due TEXT,
            updated_at TEXT NOT NULL)""",
        """CREATE INDEX instances_next_due ON instances (next_due) WHERE next_due IS NOT NULL""",
        """CREATE INDEX instances_number ON instances (number)""",
        """CREATE TABLE events (
            instance TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            roles TEXT NOT NULL,
            type TEXT NOT NULL,
            data TEXT NOT NULL,
            key TEXT NOT NULL,
            PRIMARY KEY (instance, sequence))""",
        """CREATE TABLE records (
            instance TEXT NOT NULL,
            form TEXT NOT NULL,
            version INTEGER NOT NULL,
            data TEXT NOT NULL,
            submitted_at TEXT NOT NULL,
            actor TEXT NOT NULL,
            PRIMARY KEY (instance, form, version))""",
        """CREATE TABLE timers (
            target TEXT NOT NULL,
            kind TEXT NOT NULL,
            ref TEXT NOT NULL,
            due TEXT NOT NULL)""",
        """CREATE INDEX timers_target ON timers (target)""",
        """CREATE TABLE schedules (process TEXT PRIMARY KEY, next_at TEXT)""",
        """CREATE TABLE commands (key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, result TEXT NOT NULL)""",
        """CREATE TABLE refusals (
            id {serial},
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            data TEXT NOT NULL)""",
    ),
    (
        # Each event's hash chains it to the one before it in its instance's journal (see `verify`),
        # and an instance keeps its open incident (an error while acting on it) for listings.
        """ALTER TABLE events ADD COLUMN hash TEXT NOT NULL DEFAULT ''""",
        """ALTER TABLE instances ADD COLUMN last_hash TEXT NOT NULL DEFAULT ''""",
        """ALTER TABLE instances ADD COLUMN incident TEXT NOT NULL DEFAULT ''""",
    ),
    (
        # The people who work the procedures (`sopflow users`), their API tokens (kept as digests),
        # and the outbox: each event that tells someone something (a warning, a breach, an
        # escalation, a notification), written in the transaction of the event, and its deliveries
        # to each webhook endpoint, attempted until one succeeds.
        """CREATE TABLE users (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            password TEXT NOT NULL,
            roles TEXT NOT NULL,
            timezone TEXT NOT NULL,
            locale TEXT NOT NULL,
            disabled INTEGER NOT NULL,
            epoch INTEGER NOT NULL,
            created_at TEXT NOT NULL)""",
        """CREATE TABLE tokens (
            digest TEXT PRIMARY KEY,
            id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            label TEXT NOT NULL,
            created_at TEXT NOT NULL,
            revoked INTEGER NOT NULL)""",
        """CREATE TABLE outbox (
            id TEXT PRIMARY KEY,
            instance TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            type TEXT NOT NULL,
            at TEXT NOT NULL)""",
        """CREATE TABLE deliveries (
            message TEXT NOT NULL,
            endpoint TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            next_at TEXT,
            delivered_at TEXT,
            error TEXT NOT NULL,
            PRIMARY KEY (message, endpoint))""",
    ),
)
"""Migration n (counting from 1) takes a store from schema version n - 1 to n."""

LATEST = len(MIGRATIONS)

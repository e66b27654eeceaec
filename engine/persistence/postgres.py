"""The store for more than one machine: PostgreSQL through psycopg 3.

Workers claim due instances with `FOR UPDATE SKIP LOCKED`, so each timer fires once however many
workers share the database. psycopg is an optional dependency (`pip install 'sopflow[postgres]'`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from engine.persistence.sql import Dialect, SqlStore, StoreError


class PostgresStore(SqlStore):
    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError as error:
            raise StoreError("a PostgreSQL store needs psycopg: pip install 'sopflow[postgres]'") from error
        dialect = Dialect(
            placeholder="%s",
            begin="BEGIN",
            serial="BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
            skip_locked=" FOR UPDATE SKIP LOCKED",
            tables="SELECT tablename FROM pg_tables WHERE schemaname = current_schema()",
            exclusive="SELECT pg_advisory_xact_lock(7301)",
            conflicts=(
                psycopg.errors.UniqueViolation,
                psycopg.errors.DeadlockDetected,
                psycopg.errors.SerializationFailure,
            ),
            failures=(psycopg.OperationalError, psycopg.DatabaseError),
        )
        try:
            connection = psycopg.connect(url, autocommit=True)
        except psycopg.OperationalError as error:
            raise StoreError(f"cannot connect to {_redacted(url)}: {error}".strip()) from error
        super().__init__(connection, dialect, _redacted(url))

    @contextmanager
    def _pipelined(self) -> Iterator[Callable[[], None]]:
        """A write's statements go in one round trip (two when its rows are counted first), not one
        each: on a server a few hundred microseconds away, most of what a command costs."""

        def wait() -> None:
            with self._errors():
                pipeline.sync()

        with self._errors(), self._db.pipeline() as pipeline:
            yield wait


def _redacted(url: str) -> str:
    """The URL without its password, fit for messages and logs."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))

"""The store for more than one machine: PostgreSQL through psycopg 3.

Workers claim due instances with `FOR UPDATE SKIP LOCKED`, so each timer fires once however many
workers share the database. psycopg is an optional dependency (`pip install 'sopflow[postgres]'`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from engine.persistence.sql import Dialect, SqlStore, StoreError, Written
from engine.runtime.store import Commit


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
        self._wait: Callable[[], None] | None = None
        """While a pipeline is open, the function that waits for its answers."""
        self._held: dict[str, Written] | None = None
        """What a pipelined commit stored, remembered only once its end is answered."""
        super().__init__(connection, dialect, _redacted(url))

    def commit(self, commit: Commit) -> None:
        """A commit in two round trips, its BEGIN (or savepoint, in a batch) and COMMIT (or release)
        included: one that sends the transaction's start with the instances' rows and counts them,
        one that sends the rest and the end. A failure at the end is raised here, as the commit's."""
        from psycopg.pq import TransactionStatus

        depth, held = self._depth, dict[str, Written]()
        try:
            with self._pipelined():
                self._held = held
                try:
                    super().commit(commit)
                finally:
                    self._held = None
        except BaseException:
            if self._db.info.transaction_status == TransactionStatus.INERROR:  # refused at its end
                self._pending.clear()
                self._run("ROLLBACK" if depth == 0 else f"ROLLBACK TO SAVEPOINT s{depth}")
            raise
        super()._remember(held)

    def _remember(self, written: dict[str, Written]) -> None:
        if self._held is None:
            super()._remember(written)
        else:
            self._held.update(written)

    @contextmanager
    def _pipelined(self) -> Iterator[Callable[[], None]]:
        """Statements go without waiting for each one's answer: on a server a few hundred
        microseconds away, most of what a command costs. Within an open pipeline, that one."""
        if self._wait is not None:
            yield self._wait
            return

        def wait() -> None:
            with self._errors:
                pipeline.sync()

        with self._errors, self._db.pipeline() as pipeline:
            self._wait = wait
            try:
                yield wait
            finally:
                self._wait = None


def _redacted(url: str) -> str:
    """The URL without its password, fit for messages and logs."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))

"""The outbox as a store keeps it: one message per event that tells someone something (written by the
store in the transaction of the event, see `SqlStore._write`), and for each webhook endpoint its
delivery: how many attempts, when the next is due, when it was delivered, the last error.

A delivery is taken before it is attempted (its next attempt is put off by a lease), so workers
sharing a store rarely attempt one message at once; when they do, the receiver sees the same message
id twice and drops the repeat: delivery is at least once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from engine.persistence.sql import SqlStore
from engine.runtime.events import instant, iso

LEASE = timedelta(minutes=2)
"""How long a taken delivery is left to its worker before another may attempt it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    id: str
    instance: str
    sequence: int
    type: str
    at: datetime
    attempts: int = 0
    """Attempts made so far to the endpoint it was taken for."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    message: str
    endpoint: str
    attempts: int
    next_at: datetime | None
    delivered_at: datetime | None
    error: str


class Outbox:
    def __init__(self, store: SqlStore) -> None:
        self._store = store

    def take(self, endpoint: str, now: datetime, limit: int) -> list[Message]:
        """Messages not yet delivered to `endpoint` whose next attempt is due, oldest first; each is
        leased to the caller until it reports back (`attempted`)."""
        with self._store.transaction():
            rows = self._store.query(
                "SELECT o.id, o.instance, o.sequence, o.type, o.at, coalesce(d.attempts, 0) FROM outbox o"
                " LEFT JOIN deliveries d ON d.message = o.id AND d.endpoint = ?"
                " WHERE d.delivered_at IS NULL AND (d.next_at IS NULL OR d.next_at <= ?)"
                " ORDER BY o.at, o.id LIMIT ?",
                (endpoint, iso(now), limit),
            )
            for row in rows:
                self._store.execute(
                    "INSERT INTO deliveries (message, endpoint, attempts, next_at, delivered_at, error)"
                    " VALUES (?, ?, 0, ?, NULL, '')"
                    " ON CONFLICT (message, endpoint) DO UPDATE SET next_at = ?",
                    (row[0], endpoint, iso(now + LEASE), iso(now + LEASE)),
                )
        return [
            Message(
                id=r[0], instance=r[1], sequence=int(r[2]), type=r[3], at=instant(r[4]), attempts=int(r[5])
            )
            for r in rows
        ]

    def attempted(
        self, message: str, endpoint: str, now: datetime, *, error: str = "", retry_at: datetime | None = None
    ) -> None:
        """An attempt's outcome: delivered (no error), or failed with `error` and tried again at
        `retry_at`."""
        with self._store.transaction():
            previous = self._store.query(
                "SELECT attempts FROM deliveries WHERE message = ? AND endpoint = ?", (message, endpoint)
            )
            attempts = (int(previous[0][0]) if previous else 0) + 1
            delivered = None if error else now
            self._upsert(
                message, endpoint, attempts=attempts, next_at=retry_at, error=error, delivered=delivered
            )

    def skipped(self, message: str, endpoint: str, now: datetime) -> None:
        """A message that is not for `endpoint` (its roles or process are not the endpoint's)."""
        with self._store.transaction():
            self._upsert(
                message, endpoint, attempts=0, next_at=None, error="not for this endpoint", delivered=now
            )

    def deliveries(self, *, failing: bool = False) -> list[Delivery]:
        """Every delivery attempted, or those not delivered yet whose last attempt failed."""
        where = " WHERE delivered_at IS NULL AND error <> ''" if failing else ""
        rows = self._store.query(
            f"SELECT message, endpoint, attempts, next_at, delivered_at, error FROM deliveries{where}"
            " ORDER BY message, endpoint"
        )
        return [
            Delivery(
                message=r[0],
                endpoint=r[1],
                attempts=int(r[2]),
                next_at=instant(r[3]) if r[3] else None,
                delivered_at=instant(r[4]) if r[4] else None,
                error=r[5],
            )
            for r in rows
        ]

    def messages(self) -> int:
        return int(self._store.query("SELECT count(*) FROM outbox")[0][0])

    def _upsert(
        self, message: str, endpoint: str, *, attempts: int, next_at: datetime | None, error: str,
        delivered: datetime | None,
    ) -> None:  # fmt: skip
        values = (attempts, iso(next_at) if next_at else None, iso(delivered) if delivered else None, error)
        self._store.execute(
            "INSERT INTO deliveries (message, endpoint, attempts, next_at, delivered_at, error)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (message, endpoint)"
            " DO UPDATE SET attempts = ?, next_at = ?, delivered_at = ?, error = ?",
            (message, endpoint, *values, *values),
        )

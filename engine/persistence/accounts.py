"""The people who work the procedures, as a store keeps them: users with their roles, and API tokens.

Only what is needed to check a sign-in is kept: a password's hash (made by `engine.service.auth`),
a token's digest (the token itself is shown once, when it is made). A user's `epoch` changes when
they are disabled or their password or roles change, so the browser sessions signed before end.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from engine.persistence.sql import SqlStore, StoreError
from engine.runtime.events import iso


@dataclass(frozen=True, slots=True, kw_only=True)
class User:
    id: str
    name: str
    roles: frozenset[str]
    timezone: str
    """Where the user is: their deadlines are shown in this zone."""
    locale: str = "en"
    """The language of the pages that are not a process's own (their work across processes)."""
    disabled: bool = False
    epoch: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Token:
    id: str
    user_id: str
    label: str
    created_at: str
    revoked: bool


_USER = "id, name, roles, timezone, locale, disabled, epoch"


class Accounts:
    def __init__(self, store: SqlStore) -> None:
        self._store = store

    def add(self, user: User, password_hash: str, now: datetime) -> None:
        with self._store.transaction():
            if self._store.query("SELECT 1 FROM users WHERE id = ?", (user.id,)):
                raise StoreError(f"there is a user '{user.id}' already")
            self._store.execute(
                f"INSERT INTO users ({_USER}, password, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    user.id,
                    user.name,
                    _roles(user.roles),
                    user.timezone,
                    user.locale,
                    0,
                    0,
                    password_hash,
                    iso(now),
                ),
            )

    def user(self, user_id: str) -> User | None:
        rows = self._store.query(f"SELECT {_USER} FROM users WHERE id = ?", (user_id,))
        return _user(rows[0]) if rows else None

    def password_hash(self, user_id: str) -> str | None:
        rows = self._store.query("SELECT password FROM users WHERE id = ?", (user_id,))
        return str(rows[0][0]) if rows else None

    def users(self) -> list[User]:
        return [_user(row) for row in self._store.query(f"SELECT {_USER} FROM users ORDER BY id")]

    def update(
        self,
        user_id: str,
        *,
        roles: frozenset[str] | None = None,
        disabled: bool | None = None,
        password_hash: str | None = None,
    ) -> None:
        """Change what is given; every change ends the user's browser sessions (a new epoch)."""
        sets: list[str] = ["epoch = epoch + 1"]
        params: list[str | int] = []
        if roles is not None:
            sets.append("roles = ?")
            params.append(_roles(roles))
        if disabled is not None:
            sets.append("disabled = ?")
            params.append(int(disabled))
        if password_hash is not None:
            sets.append("password = ?")
            params.append(password_hash)
        with self._store.transaction():
            if not self._store.execute(
                f"UPDATE users SET {', '.join(sets)} WHERE id = ?", (*params, user_id)
            ):
                raise StoreError(f"there is no user '{user_id}'")

    def add_token(self, digest: str, token_id: str, user_id: str, label: str, now: datetime) -> None:
        with self._store.transaction():
            self._store.execute(
                "INSERT INTO tokens (digest, id, user_id, label, created_at, revoked)"
                " VALUES (?, ?, ?, ?, ?, 0)",
                (digest, token_id, user_id, label, iso(now)),
            )

    def token_user(self, digest: str) -> User | None:
        """The enabled user a token that is not revoked belongs to."""
        rows = self._store.query(
            f"SELECT {', '.join('u.' + c for c in _USER.split(', '))} FROM tokens t JOIN users u"
            " ON u.id = t.user_id WHERE t.digest = ? AND t.revoked = 0 AND u.disabled = 0",
            (digest,),
        )
        return _user(rows[0]) if rows else None

    def revoke(self, token_id: str) -> bool:
        with self._store.transaction():
            return self._store.execute("UPDATE tokens SET revoked = 1 WHERE id = ?", (token_id,)) > 0

    def tokens(self) -> list[Token]:
        rows = self._store.query(
            "SELECT id, user_id, label, created_at, revoked FROM tokens ORDER BY created_at"
        )
        return [
            Token(id=row[0], user_id=row[1], label=row[2], created_at=row[3], revoked=bool(row[4]))
            for row in rows
        ]


def _roles(roles: frozenset[str]) -> str:
    return json.dumps(sorted(roles))


def _user(row: tuple[object, ...] | list[object]) -> User:
    return User(
        id=str(row[0]),
        name=str(row[1]),
        roles=frozenset(json.loads(str(row[2]))),
        timezone=str(row[3]),
        locale=str(row[4]),
        disabled=bool(row[5]),
        epoch=int(str(row[6])),
    )

"""Who is asking: passwords hashed with Argon2 (argon2-cffi), API tokens kept as digests, browser
sessions in a signed cookie (itsdangerous) that carries a CSRF token, and a limit on failed sign-ins.

The acting person is always the signed-in user, never a name the client chooses: the engine's actor
is the user's id and the roles the store gives them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer

from engine.persistence.accounts import Accounts, User
from engine.runtime.events import Actor

SESSION_COOKIE = "sopflow_session"
SESSION_AGE = 12 * 3600
"""Seconds a browser session lasts."""
TOKEN_PREFIX = "sopflow_"

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(stored: str | None, password: str) -> bool:
    if stored is None:
        _hasher.hash(password)  # as slow as a real check, so a missing user is not told apart by time
        return False
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> tuple[str, str, str]:
    """(token, its digest, its id): the token is shown once, the digest kept, the id names it."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    digest = token_digest(token)
    return token, digest, digest[:12]


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def actor(user: User) -> Actor:
    return Actor(id=user.id, roles=user.roles)


@dataclass(frozen=True, slots=True)
class Session:
    user: User
    csrf: str


class Sessions:
    """Browser sessions: a cookie signed with the service's key, holding the user, the user's epoch
    (a changed password, roles or a disabled user end it) and the session's CSRF token."""

    def __init__(self, key: str, accounts: Accounts) -> None:
        self._signer = URLSafeTimedSerializer(key, salt="sopflow-session")
        self._accounts = accounts

    def cookie(self, user: User) -> str:
        return self._signer.dumps({"user": user.id, "epoch": user.epoch, "csrf": secrets.token_urlsafe(24)})

    def read(self, cookie: str | None) -> Session | None:
        if not cookie:
            return None
        try:
            data = self._signer.loads(cookie, max_age=SESSION_AGE)
        except BadSignature:
            return None
        if not isinstance(data, dict):
            return None
        user = self._accounts.user(str(data.get("user", "")))
        if user is None or user.disabled or user.epoch != data.get("epoch"):
            return None
        return Session(user=user, csrf=str(data.get("csrf", "")))

    @staticmethod
    def csrf_holds(session: Session, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(session.csrf, given or "")


class SignInLimit:
    """At most `attempts` failed sign-ins per user name and per client in `window` seconds; the
    next are refused until the oldest of those failures leaves the window.

    Only the last `attempts` failures of a key are kept, and at most `keys` keys (made-up user
    names cost no more memory than that): past it, keys whose failures have all left the window
    go first, then the longest-tracked."""

    def __init__(self, attempts: int = 5, window: float = 300.0, keys: int = 10_000) -> None:
        self.attempts, self.window, self.keys = attempts, window, keys
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait(self, *keys: str) -> float:
        """Seconds to wait before another attempt for these keys; 0 when one may be made now."""
        now = time.monotonic()
        with self._lock:
            waits = [self._wait(key, now) for key in keys]
        return max(waits, default=0.0)

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._failures.setdefault(key, deque(maxlen=self.attempts)).append(now)
            if len(self._failures) > self.keys:
                for key in [k for k, kept in self._failures.items() if now - kept[-1] > self.window]:
                    del self._failures[key]
            while len(self._failures) > self.keys:
                del self._failures[next(iter(self._failures))]

    def _wait(self, key: str, now: float) -> float:
        failures = self._failures.get(key)
        if not failures:
            return 0.0
        if len(failures) < self.attempts or now - failures[0] > self.window:
            return 0.0
        return self.window - (now - failures[0])

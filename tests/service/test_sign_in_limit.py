"""The limit on failed sign-ins: per key, within a window, and in bounded memory."""

from __future__ import annotations

import pytest

from engine.service import auth
from engine.service.auth import SignInLimit


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The monotonic clock the limit reads, set by the test."""
    moment = [1000.0]
    monkeypatch.setattr(auth.time, "monotonic", lambda: moment[0])
    return moment


def test_the_fifth_failure_in_the_window_makes_the_next_wait(now: list[float]) -> None:
    limit = SignInLimit(attempts=5, window=300)
    for second in range(4):
        now[0] = 1000.0 + second
        limit.failed("user:li.lei")
    assert limit.wait("user:li.lei") == 0
    now[0] = 1004.0
    limit.failed("user:li.lei")  # five failures, the oldest at 1000
    assert limit.wait("user:li.lei", "client:10.0.0.1") == 296
    now[0] = 1300.5  # the oldest has left the window: four remain
    assert limit.wait("user:li.lei") == 0


def test_made_up_names_cost_bounded_memory(now: list[float]) -> None:
    limit = SignInLimit(attempts=2, window=300, keys=3)
    limit.failed("user:old")
    now[0] += 301
    for name in ("a", "b", "c"):
        limit.failed(f"user:{name}")
    limit.failed("user:a")
    assert limit.wait("user:a") > 0  # the key whose failures left the window went first
    for name in ("d", "e"):
        limit.failed(f"user:{name}")
    assert limit.wait("user:a") == 0  # then the longest tracked
    assert len(limit._failures) == 3

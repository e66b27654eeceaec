import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = ROOT / "processes"
SHIPPED_PROCESSES = tuple(
    PROCESSES / f"{name}.yaml"
    for name in (
        "customer-complaint",
        "incident-management",
        "incident-review",
        "sales-monthly-review",
        "sales-rapid-response",
        "sales-service-interaction",
        "sales-weekly-review",
    )
)
"""The process files this repository ships, by name: a process owner adds their own files beside
them, and no test may depend on the folder holding these alone."""

settings.register_profile("ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=5_000, deadline=None)
settings.register_profile("dev", max_examples=50, deadline=None)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)
FILE_FUZZ_EXAMPLES = {"ci": 1_000, "dev": 50, "thorough": 5_000}.get(PROFILE, 1_000)
"""The file fuzzers go deeper than the other property tests: the loader's faults hide in rare
combinations (a field schema with a number for its type was found at a few hundred examples)."""


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
"""Debian's Chromium, which the browser tests drive (`.ci/browser` installs it with the CJK fonts)."""
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Chromium driven by Playwright, for the tests that look at pages as people see them."""
    from playwright.sync_api import sync_playwright

    assert CHROMIUM, "the browser tests need Chromium: apt-get install chromium fonts-noto-cjk"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()

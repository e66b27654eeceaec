import os
from pathlib import Path

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

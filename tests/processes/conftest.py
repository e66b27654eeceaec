from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from engine.runtime.engine import Engine
from engine.runtime.instance import Instance
from tests.processes.harness import Run


@pytest.fixture
def run() -> Iterator[Callable[[str], Run]]:
    """Make runs; afterwards prove that every instance is the fold of its stored journal, both one by
    one and by a fresh engine resuming from the store."""
    runs: list[Run] = []

    def make(start: str) -> Run:
        runs.append(Run(start))
        return runs[-1]

    yield make
    for made in runs:
        live = {i.id: i.snapshot() for i in made.engine.instances()}
        for instance_id, snapshot in live.items():
            assert Instance.replay(made.engine.store.load(instance_id)).snapshot() == snapshot
        resumed = Engine(made.clock, made.engine.store)
        assert resumed.resume() == len(live)
        assert {i.id: i.snapshot() for i in resumed.instances()} == live
        assert resumed.next_due() == made.engine.next_due()

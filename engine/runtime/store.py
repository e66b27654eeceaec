"""Where journals live. The engine needs only this small interface, so a durable store can replace the
in-memory one without the engine changing.

`append` takes the version (journal length) the writer last saw; a store refuses the write when the
journal has moved on since, so two writers cannot both win.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from engine.errors import SopflowError
from engine.runtime.events import Event


class ConflictError(SopflowError):
    """Another writer appended to the journal since this writer read it."""


class Store(Protocol):
    def append(self, instance: str, events: Sequence[Event], expected_version: int) -> None: ...

    def load(self, instance: str) -> list[Event]: ...

    def instance_ids(self) -> Iterator[str]: ...

    def record_refusal(self, event: Event) -> None:
        """Keep a refused command that concerns no existing instance (an unknown process, say)."""
        ...


class MemoryStore:
    """Journals in a dict: for tests, simulations and embedding without persistence."""

    def __init__(self) -> None:
        self._journals: dict[str, list[Event]] = {}
        self.refusals: list[Event] = []

    def append(self, instance: str, events: Sequence[Event], expected_version: int) -> None:
        journal = self._journals.setdefault(instance, [])
        if len(journal) != expected_version:
            raise ConflictError(
                f"instance {instance} is at version {len(journal)}, the writer expected {expected_version}"
            )
        journal.extend(events)

    def load(self, instance: str) -> list[Event]:
        return list(self._journals.get(instance, ()))

    def instance_ids(self) -> Iterator[str]:
        return iter(list(self._journals))

    def record_refusal(self, event: Event) -> None:
        self.refusals.append(event)

"""The definitions an engine knows, by process id and version, each with its exit machine (built once
per version). A definition another engine stored is read from the store when first asked for."""

from __future__ import annotations

from engine.errors import CommandRefused, DefinitionError, Reason, SopflowError
from engine.loading.includes import unbundle
from engine.loading.loader import check_process
from engine.runtime.machine import StageMachine
from engine.runtime.store import Store
from engine.spec.model import ProcessSpec


class Registry:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._specs: dict[str, dict[int, ProcessSpec]] = {}
        self._machines: dict[tuple[str, int], StageMachine] = {}

    def add(self, spec: ProcessSpec) -> bool:
        """Know `spec` (and keep its text in the store); False when this version was known already.
        A changed definition must come as a new version."""
        known = self._specs.get(spec.id, {}).get(spec.version)
        if known is not None:
            if known != spec:
                raise SopflowError(
                    f"{spec.id} version {spec.version} is already registered with other content"
                )
            return False
        if spec.text:
            self._store.save_definition(spec.id, spec.version, spec.text)
        self._know(spec)
        return True

    def newest(self, process: str) -> int:
        return max(self._specs[process])

    def definition(self, process: str, version: int | None = None) -> ProcessSpec:
        """A version of a process (the newest when `version` is None)."""
        versions = self._specs.get(process, {})
        if not versions or (version is not None and version not in versions):
            self._read(process)
            versions = self._specs.get(process, {})
        if not versions or (version is not None and version not in versions):
            known = ", ".join(sorted(self._specs)) or "none"
            which = f"'{process}'" if version is None else f"'{process}' version {version}"
            raise CommandRefused(Reason.UNKNOWN_PROCESS, f"no process {which} is registered (known: {known})")
        return versions[version if version is not None else max(versions)]

    def machine(self, spec: ProcessSpec) -> StageMachine:
        return self._machines[spec.id, spec.version]

    def _know(self, spec: ProcessSpec) -> None:
        self._specs.setdefault(spec.id, {})[spec.version] = spec
        self._machines[spec.id, spec.version] = StageMachine(spec)

    def _read(self, process: str) -> None:
        """Learn the versions of `process` that other engines stored."""
        for version, text in self._store.definitions(process).items():
            if version in self._specs.get(process, {}):
                continue
            process_text, files = unbundle(text)
            name = f"{process} version {version} (stored)"
            result = check_process(name, raw=process_text.encode("utf-8"), files=files or {})
            if result.spec is None:
                raise DefinitionError(result.problems)
            self._know(result.spec)

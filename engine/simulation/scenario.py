"""Scenario files: a case replayed on a virtual clock, read with the same located errors as process files.

A scenario names a process, a start instant, the actors and their roles, and timed steps: start an
instance, fire a trigger, submit or sign a form, raise an event, and expectations at instants. The
loader checks the file against `schemas/scenario.schema.json`, then that every name it uses exists
(actors, cases, triggers, forms, events, metrics; with a did-you-mean) and that steps are in time
order, so a mistake in a scenario is reported at its line before anything runs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from engine.errors import DefinitionError, Problem, Reason, did_you_mean
from engine.loading.loader import check_process, read_source, sibling_process_ids
from engine.loading.yaml_source import Path as JsonPath
from engine.loading.yaml_source import Source
from engine.simulation.expect_names import check_names
from engine.spec.model import ProcessSpec
from engine.time.calendar import BusinessCalendar, calendar_for
from engine.time.durations import add, parse_duration

SCENARIO_SCHEMA = "scenario.schema.json"
ACTIONS = ("start", "fire", "submit", "sign", "event")
"""The commands a step may issue; a step may instead name a `scheduled` instance, or only expect."""
ANY_REASON = "any reason"
"""What `refused: true` expects: a refusal, whatever its reason."""
_TIME_ONLY = re.compile(r"^\d{1,2}:\d\d(?::\d\d)?$")


@dataclass(frozen=True, slots=True, kw_only=True)
class StepSpec:
    index: int
    line: int
    at: datetime
    action: str
    """One of ACTIONS, or empty for a step that only checks expectations."""
    name: str
    """The trigger, form or event; for `start`, the process."""
    case: str
    actor: str = ""
    data: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    role: str = ""
    child: str = ""
    refused: str = ""
    expect: Mapping[str, Any] | None = None
    scheduled: str = ""
    """The process whose latest self-started instance this step names `case`."""
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ScenarioSpec:
    path: str
    title: str
    process: str
    start: datetime
    until: datetime
    timezone: str
    actors: Mapping[str, frozenset[str]]
    steps: tuple[StepSpec, ...]
    specs: Mapping[str, ProcessSpec]
    """The definitions the scenario runs: its process, the processes its steps start, their children."""
    rules: tuple[str, ...] = ()
    title_en: str = ""


def load_scenario(path: str | Path, raw: bytes | None = None) -> ScenarioSpec:
    """Read and check a scenario (from `raw`, its content, if given); DefinitionError lists every
    problem, located. Its `processes` folder is relative to the file, or to the working folder for
    content given without a file (default there: `processes`)."""
    source, problems = read_source(path, SCENARIO_SCHEMA, raw)
    if problems:
        raise DefinitionError(problems)
    return _Reader(source, Path(path), beside=raw is None).read()


class _Reader:
    def __init__(self, source: Source, path: Path, *, beside: bool) -> None:
        self.source = source
        self.path = path
        self.folder = path.parent if beside else Path.cwd()
        """Where `processes` is found from: the scenario file's folder, or the working folder."""
        self.processes = "../processes" if beside else "processes"
        self.data: dict[str, Any] = source.data
        self.problems: list[Problem] = []

    def add(self, where: JsonPath, message: str, key: bool = False) -> None:
        self.problems.append(self.source.problem(where, message, key=key))
        self.problems.sort(key=lambda p: (p.line, p.column))

    def read(self) -> ScenarioSpec:
        definitions = self._definitions()
        main = definitions.get(self.data["process"])
        if main is None:
            self.add(
                ("process",),
                f"no process '{self.data['process']}'{did_you_mean(self.data['process'], definitions)}",
            )
            raise DefinitionError(self.problems)
        calendar = calendar_for(main.calendar)
        start = self._instant(("start",), self.data["start"], None, calendar)
        if start is None:
            raise DefinitionError(self.problems)
        steps: list[StepSpec] = []
        cases: dict[str, str] = {}
        moment = start
        for index, raw in enumerate(self.data["steps"]):
            at = self._when(index, raw, start, moment, calendar)
            if at < moment:
                self.add(
                    ("steps", index, "at"), "steps must be in time order; this one is earlier than the last"
                )
            moment = max(moment, at)
            step = self._step(index, raw, at, cases, definitions)
            if step is not None:
                steps.append(step)
            for name, wanted in (raw.get("expect") or {}).get("duties", {}).items():
                for kind in ("due", "opened"):
                    if kind in wanted:
                        self._instant(
                            ("steps", index, "expect", "duties", name, kind), wanted[kind], start, calendar
                        )
        until = moment
        if "until" in self.data:
            until = self._instant(("until",), self.data["until"], start, calendar) or moment
            if until < moment:
                self.add(("until",), "'until' is earlier than the last step")
        if self.problems:
            raise DefinitionError(self.problems)
        used = set(cases.values())
        return ScenarioSpec(
            path=str(self.path),
            title=self.data["title"],
            title_en=self.data.get("title_en", ""),
            rules=tuple(self.data.get("rules", ())),
            process=main.id,
            start=start,
            until=until,
            timezone=main.calendar.timezone,
            actors=MappingProxyType({k: frozenset(v) for k, v in self.data["actors"].items()}),
            steps=tuple(steps),
            specs=MappingProxyType(
                {p: definitions[p] for p in _with_children(used | {main.id}, definitions)}
            ),
        )

    def _definitions(self) -> dict[str, ProcessSpec]:
        folder = (self.folder / self.data.get("processes", self.processes)).resolve()
        if not folder.is_dir():
            self.add(("processes",), f"no folder of process definitions at {folder}")
            raise DefinitionError(self.problems)
        known = sibling_process_ids(folder / "any.yaml")
        found: dict[str, ProcessSpec] = {}
        for file in sorted(folder.glob("*.yaml")):
            result = check_process(_shown(file), known)
            if result.spec is None:
                raise DefinitionError(result.problems)
            version = self.data.get("version") if result.spec.id == self.data["process"] else None
            if version is None or result.spec.version == version:
                found[result.spec.id] = result.spec
        return found

    def _when(
        self, index: int, raw: dict[str, Any], start: datetime, previous: datetime, calendar: Any
    ) -> datetime:
        """A step's instant: `at`, or `after` the previous step."""
        path: JsonPath = ("steps", index)
        if ("at" in raw) == ("after" in raw):
            if "at" in raw:
                self.add((*path, "after"), "give 'at' or 'after', not both")
            else:
                self.add(path, "a step needs 'at' (an instant) or 'after' (a duration since the step before)")
            return previous
        if "at" in raw:
            return self._instant((*path, "at"), raw["at"], start, calendar) or previous
        try:
            return add(previous, parse_duration(raw["after"]), calendar)
        except Exception as error:  # a malformed duration raises the time layer's error
            self.add((*path, "after"), str(error))
            return previous

    def _instant(self, where: JsonPath, text: str, start: datetime | None, calendar: Any) -> datetime | None:
        if _TIME_ONLY.match(text):
            day = start.astimezone(calendar.tz).date().isoformat() if start else "2026-11-23"
            self.add(where, f"'{text}' has no date: write the day too, as '{day} {text}'")
            return None
        try:
            if text.startswith("+"):
                if start is None:
                    return None
                return add(start, parse_duration(text[1:].strip()), calendar)
            moment = datetime.fromisoformat(text)
            if moment.tzinfo is None:
                return self._local(where, text, moment, calendar)
            return moment
        except ValueError as error:
            self.add(
                where, f"'{text}' is not an instant ('+5m', '+2 working days', '2026-11-23 10:00'): {error}"
            )
        except Exception as error:  # a malformed duration raises the time layer's error
            self.add(where, f"'{text}' is not an instant: {error}")
        return None

    def _local(
        self, where: JsonPath, text: str, wall: datetime, calendar: BusinessCalendar
    ) -> datetime | None:
        """A wall time in the calendar's zone, if it names exactly one instant there: the clocks
        skip some wall times and show others twice."""
        zone = calendar.tz
        earlier, later = wall.replace(tzinfo=zone, fold=0), wall.replace(tzinfo=zone, fold=1)
        if earlier.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall:
            self.add(where, f"'{text}' does not exist in {zone}: the clocks skip it; write another time")
            return None
        if earlier.utcoffset() != later.utcoffset():
            offsets = " or ".join(m.isoformat(timespec="minutes") for m in (earlier, later))
            self.add(where, f"'{text}' happens twice in {zone} (the clocks go back): write {offsets}")
            return None
        local: datetime = calendar.to_local(earlier)
        return local

    def _step(
        self,
        index: int,
        raw: dict[str, Any],
        at: datetime,
        cases: dict[str, str],
        specs: dict[str, ProcessSpec],
    ) -> StepSpec | None:
        path: JsonPath = ("steps", index)
        if not self._one_thing(path, raw):
            return None
        action = next((a for a in ACTIONS if a in raw), "")
        actor = raw.get("by", "")
        if action and actor not in self.data["actors"]:
            self.add(
                (*path, "by") if actor else path,
                f"unknown actor '{actor}'{did_you_mean(actor, self.data['actors'])}",
            )
        if isinstance(raw.get("refused"), str) and raw["refused"] not in {r.value for r in Reason}:
            reasons = [r.value for r in Reason]
            self.add(
                (*path, "refused"),
                f"unknown reason '{raw['refused']}'{did_you_mean(raw['refused'], reasons)}",
            )
        if "scheduled" in raw:
            process = raw["scheduled"].get("process", self.data["process"])
            if process not in specs or specs[process].schedule is None:
                known = [p for p, spec in specs.items() if spec.schedule is not None]
                self.add(
                    (*path, "scheduled", "process"),
                    f"no process '{process}' starts by itself{did_you_mean(process, known)}",
                )
                return None
            name = raw["scheduled"]["case"]
            if name in cases:
                self.add((*path, "scheduled", "case"), f"case '{name}' is already named")
            cases[name] = process
            check_names(self.add, path, raw.get("expect") or {}, specs[process])
            return self._make(index, raw, at, "", process, name, scheduled=process)
        if action == "start":
            process = raw["start"].get("process", self.data["process"])
            if process not in specs:
                self.add((*path, "start", "process"), f"no process '{process}'{did_you_mean(process, specs)}")
                return None
            name = raw["start"]["case"]
            if name in cases:
                self.add((*path, "start", "case"), f"case '{name}' is already started")
            cases[name] = process
            return self._make(index, raw, at, action, process, name)
        case = raw.get("case") or (next(iter(cases)) if len(cases) == 1 else "")
        if case not in cases:
            message = (
                f"unknown case '{case}'{did_you_mean(case, cases)}"
                if case
                else "name the case (several are running)"
            )
            self.add((*path, "case") if case else path, message)
            return None
        spec = specs[cases[case]]
        name = raw.get(action, "")
        self._check_name(path, action, name, spec)
        child = raw.get("child", "")
        if child:
            started = spec.event(name).start_child if name in {e.id for e in spec.events} else None
            if started is None:
                self.add((*path, "child"), f"event '{name}' starts no child instance")
            else:
                cases[child] = started.process
        check_names(self.add, path, raw.get("expect") or {}, spec)
        return self._make(index, raw, at, action, name, case)

    def _check_name(self, path: JsonPath, action: str, name: str, spec: ProcessSpec) -> None:
        known = {
            "fire": {e.trigger for s in spec.stages for e in s.exits if e.trigger},
            "submit": {f.id for f in spec.forms},
            "sign": {f.id for f in spec.forms if f.signed_by},
            "event": {e.id for e in spec.events},
        }.get(action)
        if known is not None and name not in known:
            what = {"fire": "trigger", "submit": "form", "sign": "form to sign", "event": "event"}[action]
            self.add((*path, action), f"no {what} '{name}' in {spec.id}{did_you_mean(name, known)}")

    def _one_thing(self, path: JsonPath, raw: dict[str, Any]) -> bool:
        """A step does one thing: a command, naming a scheduled instance, or only expecting; False
        when it cannot be read as any (what it has of a command's keys is reported, not fatal)."""
        done = [key for key in raw if key in (*ACTIONS, "scheduled")]
        if len(done) > 1:
            self.add(
                (*path, done[1]),
                f"a step does one thing, and this one has {' and '.join(done)}: make them separate steps",
            )
            return False
        if not done and "expect" not in raw:
            things = ", ".join(ACTIONS)
            self.add(path, f"a step needs something to do ({things} or scheduled) or an expect")
            return False
        issuing = bool(done) and done[0] != "scheduled"
        commands = ", ".join(ACTIONS)
        for key in ("by", "data", "refused", "role", "child"):
            if key in raw and not issuing:
                self.add((*path, key), f"'{key}' belongs to a step that issues a command ({commands})")
        return True

    def _make(
        self,
        index: int,
        raw: dict[str, Any],
        at: datetime,
        action: str,
        name: str,
        case: str,
        *,
        scheduled: str = "",
    ) -> StepSpec:
        data = raw["start"].get("data", {}) if action == "start" else raw.get("data", {})
        return StepSpec(
            index=index,
            line=self.source.locate(("steps", index))[0],
            at=at,
            action=action,
            name=name,
            case=case,
            actor=raw.get("by", ""),
            data=MappingProxyType(dict(data)),
            role=raw.get("role", ""),
            child=raw.get("child", ""),
            refused=ANY_REASON if raw.get("refused") is True else raw.get("refused", ""),
            expect=MappingProxyType(raw["expect"]) if "expect" in raw else None,
            scheduled=scheduled,
            note=raw.get("note", ""),
        )


def _shown(file: Path) -> Path:
    """A file as its problems name it: relative to the working folder when it is inside it."""
    try:
        return file.relative_to(Path.cwd())
    except ValueError:
        return file


def _with_children(processes: set[str], specs: Mapping[str, ProcessSpec]) -> list[str]:
    """The processes and, transitively, the child processes their events start."""
    found: list[str] = []
    pending = sorted(processes)
    while pending:
        process = pending.pop()
        if process in found or process not in specs:
            continue
        found.append(process)
        pending.extend(e.start_child.process for e in specs[process].events if e.start_child is not None)
    return sorted(found)

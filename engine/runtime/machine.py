"""Exit selection: one `transitions` machine per process version, shared by all of its instances.

The machine is built once per definition with a single cursor model; to fire a trigger for an
instance the cursor is pointed at the instance's stage and the attempt (roles, variables, records,
rounds) is passed as event data, so the cost does not depend on how many instances are live.
`transitions` tries the exits in document order and runs our guards; a guard that says no writes
down why, and when no exit is taken the caller gets those reasons. The machine only chooses: the
engine records the choice and does the entering and leaving. Nothing outside this module sees
`transitions`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from transitions import EventData, Machine

from engine.errors import Reason
from engine.spec.model import ExitSpec, ProcessSpec


@dataclass(slots=True, kw_only=True)
class Attempt:
    """What the guards may look at, and what they report back."""

    roles: frozenset[str] | None
    """The actor's roles; None for exits taken by the engine itself (on a record)."""
    scope: Mapping[str, Any]
    """What the exits' conditions see of the instance."""
    record_gap: Callable[[str], str]
    """What is missing for a usable record of a form, in words; empty when nothing is."""
    rounds: Mapping[str, int]
    failures: list[tuple[Reason, str]] = field(default_factory=list)
    chosen: Choice | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Choice:
    exit: ExitSpec
    to: str
    fallback: bool


class _Cursor:
    """The one model of the machine; its `state` is set to an instance's stage before each attempt."""

    state: str


def record_trigger(form: str) -> str:
    """The internal trigger of exits taken when a record of `form` is submitted."""
    return f"record:{form}"


def signed_trigger(form: str) -> str:
    """The internal trigger of exits taken when a record of `form` is fully signed."""
    return f"signed:{form}"


def event_trigger(event: str) -> str:
    """The internal trigger of exits taken when `event` is raised."""
    return f"event:{event}"


def _trigger(spec_exit: ExitSpec) -> str:
    if spec_exit.trigger:
        return spec_exit.trigger
    if spec_exit.on_record:
        return record_trigger(spec_exit.on_record)
    if spec_exit.on_signed:
        return signed_trigger(spec_exit.on_signed)
    return event_trigger(spec_exit.on_event)


class StageMachine:
    def __init__(self, spec: ProcessSpec) -> None:
        self._cursor = _Cursor()
        self._machine = Machine(
            model=self._cursor,
            states=[stage.id for stage in spec.stages],
            initial=spec.initial,
            auto_transitions=False,
            send_event=True,
        )
        self._sources: dict[str, set[str]] = {}
        for stage in spec.stages:
            for spec_exit in stage.exits:
                self._add(stage.id, spec_exit)
        self.triggers = {e.trigger for s in spec.stages for e in s.exits if e.trigger}
        """The triggers users may fire (the other exits are taken by the engine)."""

    def _add(self, source: str, spec_exit: ExitSpec) -> None:
        trigger = _trigger(spec_exit)
        self._sources.setdefault(trigger, set()).add(source)
        bounded = spec_exit.max_rounds is not None
        self._machine.add_transition(
            trigger,
            source,
            spec_exit.to,
            conditions=[_guard(spec_exit, past_bound=False)],
            before=[_choose(spec_exit, spec_exit.to, fallback=False)],
        )
        if bounded and spec_exit.fallback:
            self._machine.add_transition(
                trigger,
                source,
                spec_exit.fallback,
                conditions=[_guard(spec_exit, past_bound=True)],
                before=[_choose(spec_exit, spec_exit.fallback, fallback=True)],
            )

    def offers(self, stage: str, trigger: str) -> bool:
        return stage in self._sources.get(trigger, ())

    def choose(self, stage: str, trigger: str, attempt: Attempt) -> Choice | None:
        """The exit taken from `stage` on `trigger`, or None with the reasons in `attempt.failures`."""
        if not self.offers(stage, trigger):
            return None
        self._cursor.state = stage
        self._machine.events[trigger].trigger(self._cursor, attempt=attempt)
        return attempt.chosen


def _guard(spec_exit: ExitSpec, *, past_bound: bool) -> Callable[[EventData], bool]:
    def guard(event: EventData) -> bool:
        attempt: Attempt = event.kwargs["attempt"]
        failure = _first_failure(spec_exit, attempt, past_bound)
        if failure is not None and not past_bound:  # the fallback's reasons repeat its exit's
            attempt.failures.append(failure)
        return failure is None

    return guard


def _first_failure(spec_exit: ExitSpec, attempt: Attempt, past_bound: bool) -> tuple[Reason, str] | None:
    target = spec_exit.fallback if past_bound else spec_exit.to
    if attempt.roles is not None and spec_exit.by and not attempt.roles & set(spec_exit.by):
        return Reason.ROLE_NOT_ALLOWED, f"only {', '.join(spec_exit.by)} may take the exit to '{target}'"
    gaps = [gap for gap in map(attempt.record_gap, spec_exit.requires) if gap]
    if gaps:
        return Reason.MISSING_RECORD, f"the exit to '{target}' needs {'; '.join(gaps)} first"
    if spec_exit.when is not None and not spec_exit.when(attempt.scope):
        return Reason.CONDITION_FALSE, f"the exit to '{target}' needs {spec_exit.when.text}"
    if spec_exit.max_rounds is not None:
        taken = attempt.rounds.get(spec_exit.id, 0)
        exhausted = taken >= spec_exit.max_rounds
        if exhausted and not past_bound and not spec_exit.fallback:
            limit = f"'{spec_exit.id}' may be taken at most {spec_exit.max_rounds} times"
            return Reason.ROUND_LIMIT, f"{limit}; it was taken {taken}"
        if exhausted != past_bound:
            return (
                Reason.ROUND_LIMIT,
                f"'{spec_exit.id}' has been taken {taken} of {spec_exit.max_rounds} times",
            )
    return None


def _choose(spec_exit: ExitSpec, to: str, *, fallback: bool) -> Callable[[EventData], None]:
    def choose(event: EventData) -> None:
        event.kwargs["attempt"].chosen = Choice(exit=spec_exit, to=to, fallback=fallback)

    return choose

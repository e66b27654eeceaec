"""The engine: the one entry point that changes instances.

Every change comes from a command (start, fire, submit, sign, raise_event) or from time passing
(a warning, a deadline, a recurring duty's next occurrence, a self-starting process). Each runs as a
`Transaction`: authorised and validated before anything changes, written as journal events, kept or
rolled back as a whole, then stored and published to subscribers. Commands may carry an idempotency
key: repeating a key returns the first result and changes nothing.

The engine is not thread-safe: drive one engine from one thread (a worker per store partition).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.errors import CommandRefused, Reason, SopflowError, did_you_mean
from engine.runtime import effects
from engine.runtime.events import ENGINE, Actor, Event, EventType
from engine.runtime.instance import Instance
from engine.runtime.machine import StageMachine
from engine.runtime.store import ConflictError, MemoryStore, Store
from engine.runtime.timing import Wake, WakeKind, Wakeups
from engine.runtime.transaction import Transaction
from engine.runtime.validation import input_schema, problems
from engine.spec.model import FormSpec, ProcessSpec, fields_schema
from engine.time.calendar import calendar_for
from engine.time.clock import Clock, VirtualClock
from engine.time.recurrence import occurrences

Subscriber = Callable[[Event], None]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a command did: the instance it concerned and the events it appended, in order."""

    instance: str
    events: tuple[Event, ...]


class Engine:
    def __init__(self, clock: Clock, store: Store | None = None) -> None:
        self.clock = clock
        self.store: Store = store if store is not None else MemoryStore()
        self._specs: dict[str, dict[int, ProcessSpec]] = {}
        self._machines: dict[tuple[str, int], StageMachine] = {}
        self._instances: dict[str, Instance] = {}
        self._wakeups = Wakeups()
        self._keys: dict[str, tuple[str, Outcome | CommandRefused]] = {}
        self._subscribers: list[tuple[frozenset[EventType], Subscriber]] = []
        self._counter = 0

    # Definitions

    def register(self, spec: ProcessSpec) -> None:
        """Make a definition version available; new instances take the newest version of a process."""
        versions = self._specs.setdefault(spec.id, {})
        known = versions.get(spec.version)
        if known is not None:
            if known != spec:
                raise SopflowError(
                    f"{spec.id} version {spec.version} is already registered with other content"
                )
            return
        versions[spec.version] = spec
        self._machines[spec.id, spec.version] = StageMachine(spec)
        if spec.schedule is not None and spec.version == max(versions):
            self._arm_schedule(spec, self.clock.now())

    def definition(self, process: str, version: int | None = None) -> ProcessSpec:
        versions = self._specs.get(process)
        if not versions or (version is not None and version not in versions):
            known = ", ".join(sorted(self._specs)) or "none"
            raise CommandRefused(
                Reason.UNKNOWN_PROCESS, f"no process '{process}' is registered (known: {known})"
            )
        return versions[version if version is not None else max(versions)]

    def definition_of(self, instance: Instance) -> ProcessSpec:
        return self._specs[instance.process][instance.version]

    # Commands

    def start(self, process: str, data: Mapping[str, Any], actor: Actor, *, key: str = "") -> Outcome:
        def body(tx: Transaction) -> str:
            spec = self.definition(process)
            allowed = set(spec.start_by) or {role.id for role in spec.roles}
            _require_role(actor, allowed, f"start {process}")
            _require_valid(input_schema(spec.variables), data, f"cannot start {process}")
            return effects.begin(self._context(tx), spec, dict(data), parent=None)

        return self._command("start", process, [data], actor, key, body)

    def fire(self, instance: str, trigger: str, actor: Actor, *, key: str = "") -> Outcome:
        def body(tx: Transaction) -> str:
            target, spec = self._running(instance)
            machine = self._machines[spec.id, spec.version]
            _require_known(trigger, machine.triggers, "trigger")
            if not machine.offers(target.stage, trigger):
                possible = sorted(e.trigger for e in spec.stage(target.stage).exits if e.trigger)
                raise CommandRefused(
                    Reason.TRIGGER_NOT_ALLOWED,
                    f"'{trigger}' is not possible in stage '{target.stage}'"
                    + (f" (possible: {', '.join(possible)})" if possible else ""),
                )
            attempt = effects.attempt(target, actor.roles)
            choice = machine.choose(target.stage, trigger, attempt)
            if choice is None:
                raise CommandRefused(
                    attempt.failures[0][0],
                    f"cannot {trigger} from '{target.stage}'",
                    [message for _, message in attempt.failures],
                )
            context = self._context(tx)
            effects.satisfy(context, spec, target, trigger=trigger)
            effects.enter(context, spec, target, choice.to, trigger=trigger, via=choice)
            return target.id

        return self._command("fire", instance, [trigger], actor, key, body)

    def submit(
        self, instance: str, form: str, data: Mapping[str, Any], actor: Actor, *, key: str = ""
    ) -> Outcome:
        def body(tx: Transaction) -> str:
            target, spec = self._running(instance)
            form_spec = self._form(spec, form)
            bound = any(form in s.produces for s in spec.stages)
            if bound and form not in spec.stage(target.stage).produces:
                raise CommandRefused(
                    Reason.FORM_NOT_IN_STAGE, f"form '{form}' is not produced in stage '{target.stage}'"
                )
            _require_role(actor, set(form_spec.filled_by), f"fill in {form}")
            _require_valid(form_spec.record_schema(), data, f"form '{form}' is invalid")
            effects.record(self._context(tx), spec, target, form_spec, dict(data))
            return target.id

        return self._command("submit", instance, [form, data], actor, key, body)

    def sign(self, instance: str, form: str, actor: Actor, *, role: str = "", key: str = "") -> Outcome:
        """Sign the latest version of a record in one of the actor's roles that the form asks for."""

        def body(tx: Transaction) -> str:
            target, spec = self._running(instance)
            form_spec = self._form(spec, form)
            latest = target.latest(form)
            if not form_spec.signed_by or latest is None:
                why = "needs no signatures" if not form_spec.signed_by else "has no record yet"
                raise CommandRefused(Reason.NOTHING_TO_SIGN, f"form '{form}' {why}")
            roles = [r for r in form_spec.signed_by if r in actor.roles and (not role or r == role)]
            _require_role(actor, set(roles), f"sign {form}", needed=form_spec.signed_by)
            signed = {s.role for s in latest.signatures}
            pending = [r for r in roles if r not in signed]
            if not pending:
                raise CommandRefused(
                    Reason.ALREADY_SIGNED, f"{form} version {latest.version} is already signed as {roles[0]}"
                )
            effects.sign(self._context(tx), spec, target, form_spec, pending[0])
            return target.id

        return self._command("sign", instance, [form, role], actor, key, body)

    def raise_event(
        self, instance: str, event: str, data: Mapping[str, Any] | None, actor: Actor, *, key: str = ""
    ) -> Outcome:
        payload = dict(data or {})

        def body(tx: Transaction) -> str:
            target, spec = self._running(instance)
            _require_known(event, {e.id for e in spec.events}, "event")
            event_spec = spec.event(event)
            _require_role(actor, set(event_spec.by), f"report {event}")
            _require_valid(fields_schema(event_spec.data), payload, f"event '{event}' has invalid data")
            child: tuple[ProcessSpec, dict[str, Any]] | None = None
            if event_spec.start_child is not None:
                child_spec = self.definition(event_spec.start_child.process)
                inputs = {
                    name: payload.get(source, target.variables.get(source))
                    for name, source in event_spec.start_child.inputs
                }
                inputs = {name: value for name, value in inputs.items() if value is not None}
                _require_valid(input_schema(child_spec.variables), inputs, f"cannot start {child_spec.id}")
                child = child_spec, inputs
            effects.happen(self._context(tx), spec, target, event_spec, payload, child)
            return target.id

        return self._command("raise_event", instance, [event, payload], actor, key, body)

    # Time

    def run_due(self) -> int:
        """Fire every timer due by the clock's now; returns how many fired."""
        return self._fire_due(self.clock.now(), move_clock=False)

    def advance_to(self, moment: datetime) -> int:
        """Move a virtual clock to `moment`, firing each timer on the way at its own due instant."""
        if not isinstance(self.clock, VirtualClock):
            raise SopflowError("advance_to needs a VirtualClock; with the system clock call run_due()")
        fired = self._fire_due(moment, move_clock=True)
        self.clock.set(moment)
        return fired

    def next_due(self) -> datetime | None:
        return self._wakeups.next_due()

    # Queries

    def instance(self, instance: str) -> Instance:
        found = self._instances.get(instance)
        if found is None:
            raise CommandRefused(Reason.UNKNOWN_INSTANCE, f"no instance '{instance}'")
        return found

    def instances(
        self, *, process: str = "", stage: str = "", breached: bool | None = None, running: bool | None = None
    ) -> list[Instance]:
        return [
            i
            for i in self._instances.values()
            if (not process or i.process == process)
            and (not stage or i.stage == stage)
            and (breached is None or bool(i.breaches()) == breached)
            and (running is None or i.finished != running)
        ]

    def subscribe(self, callback: Subscriber, *types: EventType) -> Callable[[], None]:
        """Call `callback` with each new event (of `types`, or all); returns a function that unsubscribes."""
        entry = (frozenset(types), callback)
        self._subscribers.append(entry)
        return lambda: self._subscribers.remove(entry)

    def resume(self) -> int:
        """Rebuild every instance of the store from its journal and re-arm its timers."""
        for instance_id in self.store.instance_ids():
            instance = Instance.replay(self.store.load(instance_id))
            self._instances[instance_id] = instance
            self._wakeups.reset(instance)
            self._counter = max(self._counter, int(instance_id.rsplit("-", 1)[-1]))
        return len(self._instances)

    # Internals

    def _context(self, tx: Transaction) -> effects.Context:
        return effects.Context(tx=tx, engine=self)

    def machine(self, spec: ProcessSpec) -> StageMachine:
        return self._machines[spec.id, spec.version]

    def new_instance(self, tx: Transaction, process: str) -> Instance:
        self._counter += 1
        instance = Instance(f"{process}-{self._counter}")
        self._instances[instance.id] = instance

        def forget() -> None:
            self._counter -= 1

        tx.undo.append(forget)
        return instance

    def instance_by_id(self, instance_id: str) -> Instance:
        return self._instances[instance_id]

    @property
    def wakeups(self) -> Wakeups:
        return self._wakeups

    def _running(self, instance_id: str) -> tuple[Instance, ProcessSpec]:
        instance = self.instance(instance_id)
        if instance.finished:
            raise CommandRefused(
                Reason.INSTANCE_FINISHED, f"instance '{instance_id}' finished in stage '{instance.stage}'"
            )
        return instance, self.definition_of(instance)

    @staticmethod
    def _form(spec: ProcessSpec, form: str) -> FormSpec:
        _require_known(form, {f.id for f in spec.forms}, "form")
        return spec.form(form)

    def _command(
        self,
        name: str,
        target: str,
        args: list[Any],
        actor: Actor,
        key: str,
        body: Callable[[Transaction], str],
    ) -> Outcome:
        now = self.clock.now()
        self._fire_due(now, move_clock=False)
        fingerprint = json.dumps([name, target, args], sort_keys=True, default=str, ensure_ascii=False)
        if key and key in self._keys:
            seen, result = self._keys[key]
            if seen == fingerprint:
                if isinstance(result, CommandRefused):
                    raise result
                return result
            refusal = CommandRefused(
                Reason.KEY_REUSED, f"idempotency key '{key}' was used for another command"
            )
            self._record_refusal(name, target, actor, key, refusal)
            raise refusal
        tx = Transaction(now, actor, key)
        try:
            instance_id = body(tx)
        except CommandRefused as refusal:
            self._roll_back(tx)
            self._record_refusal(name, target, actor, key, refusal)
            if key:
                self._keys[key] = (fingerprint, refusal)
            raise
        self._commit(tx)
        outcome = Outcome(instance_id, tuple(tx.events))
        if key:
            self._keys[key] = (fingerprint, outcome)
        self._fire_due(now, move_clock=False)
        return outcome

    def _record_refusal(
        self, name: str, target: str, actor: Actor, key: str, refusal: CommandRefused
    ) -> None:
        data = {
            "command": name,
            "target": target,
            "reason": refusal.reason.value,
            "message": refusal.message,
            "details": list(refusal.details),
        }
        instance = self._instances.get(target)
        tx = Transaction(self.clock.now(), actor, key)
        if instance is None:
            self.store.record_refusal(
                Event(
                    instance="",
                    sequence=0,
                    at=tx.at,
                    actor=actor.id,
                    type=EventType.COMMAND_REFUSED,
                    data=data,
                )
            )
            return
        tx.emit(instance, EventType.COMMAND_REFUSED, data)
        self._commit(tx)

    def _roll_back(self, tx: Transaction) -> None:
        for instance_id, instance in tx.rolled_back().items():
            if instance is None:
                del self._instances[instance_id]
                self._wakeups.forget(instance_id)
            else:
                self._instances[instance_id] = instance
                self._wakeups.reset(instance)

    def _commit(self, tx: Transaction) -> None:
        """Store the transaction's events, then tell subscribers; a store that refuses the write
        (another writer was first) leaves memory as the store has it."""
        stored: set[str] = set()
        try:
            for instance_id, (instance, length) in tx.before.items():
                self.store.append(instance_id, instance.journal[length:], length)
                stored.add(instance_id)
        except ConflictError:
            for instance_id in stored:
                del tx.before[instance_id]
            self._roll_back(tx)
            raise
        for event in tx.events:
            for types, callback in list(self._subscribers):
                if not types or event.type in types:
                    callback(event)

    def _fire_due(self, until: datetime, *, move_clock: bool) -> int:
        fired = 0
        for wake in self._wakeups.due(until):
            if move_clock and isinstance(self.clock, VirtualClock) and wake.at > self.clock.now():
                self.clock.set(wake.at)
            tx = Transaction(wake.at, ENGINE)
            if self._wake(tx, wake):
                self._commit(tx)
                fired += 1
        return fired

    def _wake(self, tx: Transaction, wake: Wake) -> bool:
        if wake.kind is WakeKind.START:
            spec = self.definition(wake.target)
            effects.begin(self._context(tx), spec, {}, parent=None)
            self._arm_schedule(spec, wake.at)
            return True
        instance = self._instances.get(wake.target)
        if instance is None or instance.finished:
            return False
        return effects.wake(self._context(tx), self.definition_of(instance), instance, wake)

    def _arm_schedule(self, spec: ProcessSpec, after: datetime) -> None:
        assert spec.schedule is not None
        following = next(occurrences(spec.schedule.recurrence(), after, calendar_for(spec.calendar)), None)
        if following is not None:
            self._wakeups.schedule(Wake(kind=WakeKind.START, target=spec.id, ref="", at=following))


def _require_role(actor: Actor, allowed: set[str], action: str, needed: Iterable[str] = ()) -> None:
    if not actor.roles & allowed:
        names = ", ".join(sorted(needed or allowed))
        held = ", ".join(sorted(actor.roles)) or "no role"
        raise CommandRefused(
            Reason.ROLE_NOT_ALLOWED, f"{actor.id} ({held}) may not {action}; allowed: {names}"
        )


def _require_valid(schema: Mapping[str, Any], data: Mapping[str, Any], message: str) -> None:
    found = problems(schema, dict(data))
    if found:
        raise CommandRefused(Reason.INVALID_DATA, message, found)


def _require_known(name: str, known: set[str], what: str) -> None:
    if name not in known:
        raise CommandRefused(
            Reason.UNKNOWN_NAME, f"no {what} '{name}' in this process{did_you_mean(name, sorted(known))}"
        )

"""The engine: the one entry point that changes instances.

Every change comes from a command (start, fire, submit, sign, raise_event) or from time passing
(a warning, a deadline, a recurring duty's next occurrence, a self-starting process). Each runs as a
`Transaction`: authorised and validated before anything changes, written as journal events, kept or
rolled back as a whole, then stored and published to subscribers. Commands may carry an idempotency
key: repeating a key returns the first result and changes nothing, also after a restart.

The store is the truth and memory a cache of it: an instance not in memory is read from its journal
when a command names it, and one that another writer changed meanwhile makes the commit fail with
`ConflictError` and is read again on the next command. Definitions come the same way: a process
registered by another engine on the same store is read from the source kept there. With a durable
store the cache is bounded (`cache`): the instances used least recently are let go after a command
or a round of timers, their timers staying armed, so memory grows with the cases being worked rather
than with every case ever opened.

The engine is not thread-safe: drive one engine from one thread; several engines (in several
processes or machines) may share a store.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from typing import Any

from engine.errors import CommandRefused, Reason, SopflowError, TimeError
from engine.runtime import effects
from engine.runtime.context import Context
from engine.runtime.events import ENGINE, Actor, Event, EventType, iso
from engine.runtime.guards import (
    fingerprint,
    refusal_data,
    require_actor,
    require_known,
    require_role,
    require_signer_role,
    require_valid,
)
from engine.runtime.instance import Instance
from engine.runtime.machine import StageMachine
from engine.runtime.pausing import pause_or_resume
from engine.runtime.registry import Registry
from engine.runtime.scope import with_defaults
from engine.runtime.store import (
    Commit,
    ConflictError,
    DamagedError,
    MemoryStore,
    Store,
    StoredCommand,
    Summary,
    Write,
    command_key,
)
from engine.runtime.timing import Wake, WakeKind, Wakeups
from engine.runtime.transaction import Transaction
from engine.runtime.validation import fields_checker, inputs_checker
from engine.spec.model import FormSpec, ProcessSpec
from engine.time.clock import Clock, VirtualClock
from engine.time.recurrence import occurrences

Subscriber = Callable[[Event], None]


class IncidentError(SopflowError):
    """A command failed for a reason that is not a refusal (a fault, not the caller's mistake); it
    is journaled on the instance as an incident, and its timers are retried with back-off."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a command did: the instance it concerned and the events it appended, in order."""

    instance: str
    events: tuple[Event, ...]


class Engine:
    def __init__(self, clock: Clock, store: Store | None = None, *, cache: int | None = None) -> None:
        """`cache` is how many instances are kept in memory at most. By default, `CACHE` with a
        durable store; all of them with the in-memory store, which holds their journals anyway."""
        if cache is not None and cache < 1:
            raise ValueError(f"cache must be at least 1 instance, not {cache}")
        self.clock = clock
        self.store: Store = store if store is not None else MemoryStore()
        self._cache = cache if cache is not None or isinstance(self.store, MemoryStore) else CACHE
        self._instances: dict[str, Instance] = {}
        """In the order they were last used, when the cache is bounded."""
        self._registry = Registry(self.store)
        self._unread: set[str] = set()
        """Instances in service that are not in memory: put back by `resume()` and not read since,
        or let go from a full cache. Their timers are armed; each is read when one fires."""
        self._wakeups = Wakeups()
        self._subscribers: list[tuple[frozenset[EventType], Subscriber]] = []
        self._held: list[Event] | None = None
        """Events committed inside a claim, published once the claim is committed."""
        self._counter = 0
        self.damaged: list[str] = []
        """What `work` passed over because the store could not read it, for the caller to report."""

    # Definitions

    def register(self, spec: ProcessSpec) -> None:
        """Make a definition version available; new instances take the newest version of a process,
        running ones keep the version they started with. A definition read from YAML is kept in the
        store, so other engines on the store know it too."""
        if (
            self._registry.add(spec)
            and spec.schedule is not None
            and spec.version == self._registry.newest(spec.id)
        ):
            first = self._following(spec, self.clock.now())
            self._arm_schedule(spec.id, self.store.schedule(spec.id, first))

    def definition(self, process: str, version: int | None = None) -> ProcessSpec:
        return self._registry.definition(process, version)

    def definition_of(self, instance: Instance) -> ProcessSpec:
        return self.definition(instance.process, instance.version)

    # Commands

    def start(self, process: str, data: Mapping[str, Any], actor: Actor, *, key: str = "") -> Outcome:
        def body(tx: Transaction) -> str:
            spec = self.definition(process)
            allowed = set(spec.start_by) or {role.id for role in spec.roles}
            require_role(actor, allowed, f"start {process}")
            require_valid(inputs_checker(spec.variables), data, f"cannot start {process}")
            return effects.begin(self._context(tx), spec, dict(data), parent=None)

        return self._command("start", process, [data], actor, key, body)

    def fire(self, instance: str, trigger: str, actor: Actor, *, key: str = "") -> Outcome:
        def body(tx: Transaction) -> str:
            target, spec = self._running(instance)
            machine = self._registry.machine(spec)
            require_known(trigger, machine.triggers, "trigger")
            if not machine.offers(target.stage, trigger):
                possible = sorted(e.trigger for e in spec.stage(target.stage).exits if e.trigger)
                raise CommandRefused(
                    Reason.TRIGGER_NOT_ALLOWED,
                    f"'{trigger}' is not possible in stage '{target.stage}'"
                    + (f" (possible: {', '.join(possible)})" if possible else ""),
                )
            attempt = effects.attempt(self._context(tx), spec, target, actor.roles)
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
            require_role(actor, set(form_spec.filled_by), f"fill in {form}")
            context = self._context(tx)
            filled = with_defaults(form_spec.fields, data, context.scope(spec, target))
            require_valid(fields_checker(form_spec.fields), filled, f"form '{form}' is invalid")
            effects.record(context, spec, target, form_spec, dict(filled))
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
            if role:
                require_signer_role(actor, role, form_spec)
            roles = [r for r in form_spec.signed_by if r in actor.roles and (not role or r == role)]
            require_role(actor, set(roles), f"sign {form}", needed=form_spec.signed_by)
            signed = {s.role for s in latest.signatures}
            pending = [r for r in roles if r not in signed]
            if not pending:
                raise CommandRefused(
                    Reason.ALREADY_SIGNED, f"{form} version {latest.version} is already signed as {roles[0]}"
                )
            earlier = next((s for s in latest.signatures if s.actor == actor.id), None)
            if earlier is not None and form_spec.distinct_signers:
                raise CommandRefused(
                    Reason.SAME_SIGNER,
                    f"{actor.id} already signed {form} version {latest.version} as {earlier.role}; "
                    f"the signature as {pending[0]} must come from someone else",
                )
            effects.sign(self._context(tx), spec, target, form_spec, pending[0])
            return target.id

        return self._command("sign", instance, [form, role], actor, key, body)

    def raise_event(
        self, instance: str, event: str, data: Mapping[str, Any] | None, actor: Actor, *, key: str = ""
    ) -> Outcome:
        payload: Any = {} if data is None else dict(data) if isinstance(data, Mapping) else data

        def body(tx: Transaction) -> str:
            target, spec = self._running(instance)
            require_known(event, {e.id for e in spec.events}, "event")
            event_spec = spec.event(event)
            require_role(actor, set(event_spec.by), f"report {event}")
            context = self._context(tx)
            filled = with_defaults(event_spec.data, payload, context.scope(spec, target))
            require_valid(fields_checker(event_spec.data), filled, f"event '{event}' has invalid data")
            child: tuple[ProcessSpec, dict[str, Any]] | None = None
            if event_spec.start_child is not None:
                child_spec = self.definition(event_spec.start_child.process)
                inputs = {
                    name: filled.get(source, target.variables.get(source))
                    for name, source in event_spec.start_child.inputs
                }
                inputs = {name: value for name, value in inputs.items() if value is not None}
                require_valid(inputs_checker(child_spec.variables), inputs, f"cannot start {child_spec.id}")
                child = child_spec, inputs
            effects.happen(context, spec, target, event_spec, filled, child)
            return target.id

        return self._command("raise_event", instance, [event, payload], actor, key, body)

    # Time

    def run_due(self) -> int:
        """Fire every timer due by the clock's now, those due at now included (this ends the
        instant: a command at now would come after them); returns how many fired."""
        return self._fire_due(self.clock.now(), move_clock=False)

    def advance_to(self, moment: datetime, *, inclusive: bool = True) -> int:
        """Move a virtual clock to `moment`, firing each timer on the way at its own due instant.

        At one instant, commands come before the timers due at it: a duty done at its due instant
        is met. `inclusive=False` stops short of the timers due at `moment` itself, so that commands
        at `moment` can still be applied before them; they fire when the instant ends (`run_due`,
        the next advance, or a command at a later instant)."""
        if not isinstance(self.clock, VirtualClock):
            raise SopflowError("advance_to needs a VirtualClock; with the system clock call run_due()")
        fired = self._fire_due(moment, move_clock=True, inclusive=inclusive)
        self.clock.set(moment)
        return fired

    def next_due(self) -> datetime | None:
        return self._wakeups.next_due()

    # Queries

    def instance(self, instance: str) -> Instance:
        """An instance by id, read from its journal in the store if it is not in memory."""
        found = self._instances.get(instance)
        if found is None:
            journal = self.store.load(instance)
            if not journal:
                raise CommandRefused(Reason.UNKNOWN_INSTANCE, f"no instance '{instance}'")
            found = self._adopt(Instance.replay(journal))
        elif self._cache is not None:
            self._instances[instance] = self._instances.pop(instance)  # the most recently used now
        return found

    def instances(
        self, *, process: str = "", stage: str = "", breached: bool | None = None, running: bool | None = None
    ) -> list[Instance]:
        """The instances in memory that match: those this engine touched (read back if the cache let
        them go), every one after `resume()`."""
        if self._unread:
            for journal in self.store.journals():
                if journal[0].instance in self._unread:
                    self._adopt(Instance.replay(journal))
        return [
            i
            for i in self._instances.values()
            if (not process or i.process == process)
            and (not stage or i.stage == stage)
            and (breached is None or bool(i.breaches()) == breached)
            and (running is None or i.finished != running)
        ]

    def refresh(self) -> list[Summary]:
        """Catch up with the other writers of the store, for an engine that serves readers while
        workers and other servers write: an instance whose journal moved on since it was read is
        read again when next named. Costs one read of the store's summaries, which it returns."""
        summaries = self.store.summaries()
        for summary in summaries:
            held = self._instances.get(summary.id)
            if held is not None and len(held.journal) != summary.events:
                self._evict(summary.id)
        return summaries

    def subscribe(self, callback: Subscriber, *types: EventType) -> Callable[[], None]:
        """Call `callback` with each new event (of `types`, or all); returns a function that unsubscribes."""
        entry = (frozenset(types), callback)
        self._subscribers.append(entry)
        return lambda: self._subscribers.remove(entry)

    def resume(self) -> int:
        """Put every instance of the store back in service after a restart; returns how many there are.

        The timers come from the copy the store keeps, so `run_due` fires, in order and each at its
        own instant, those that fell due meanwhile. An instance is read from its journal when a
        command, a timer or `instances()` first needs it, and its timers are then derived from its
        state again: reading 100,000 journals takes half a minute, arming their timers a second."""
        with _no_cyclic_gc():  # the many timers made here hold no cycles; collecting them costs a quarter
            known = {summary.id for summary in self.store.summaries()}
            returning = known - self._instances.keys() - self._unread  # those let go keep their timers
            self._unread |= returning
            for target, kind, ref, at in self.store.timers():
                if target in returning:
                    self._wakeups.arm(WakeKind(kind), target, ref, at)
        return len(known)

    def work(self, limit: int = 100) -> int:
        """Fire the timers the store holds that are due by the clock's now, for at most `limit`
        instances; returns how many fired. Instances are claimed in the store while they are worked
        on, so workers sharing a store never fire one timer twice; none is kept in memory after.
        Claims are short (at most `CLAIM_BATCH` instances a transaction), so a store's write lock is
        never held for long. An instance whose journal cannot be read is passed over and named in
        `damaged`; the others are worked."""
        fired = 0
        while limit > 0:
            claimed, done = self._work_batch(min(limit, CLAIM_BATCH))
            fired += done
            limit -= claimed
            if claimed < CLAIM_BATCH:
                break
        return fired

    def _work_batch(self, limit: int) -> tuple[int, int]:
        now = self.clock.now()
        fired = 0
        self._held = []
        try:
            with self.store.claim(now, limit) as claim:
                for process, at in claim.schedules:
                    fired += self._start_due(process, at, now)
                if claim.instances:
                    try:
                        self._read_claimed(claim.instances)
                        fired += self._fire_due(now, move_clock=False)
                    finally:
                        for instance_id in claim.instances:
                            self._evict(instance_id)
            held = self._held
        finally:
            self._held = None
        self._publish(held)
        return len(claim.instances) + len(claim.schedules), fired

    def _read_claimed(self, instances: list[str]) -> None:
        """Read the claimed instances afresh, together; one that cannot be read is named in
        `damaged` and passed over."""
        for instance_id in instances:
            self._evict(instance_id)
        try:
            journals = self.store.load_many(instances)
        except DamagedError:
            journals = {}
            for instance_id in instances:
                try:
                    journals[instance_id] = self.store.load(instance_id)
                except DamagedError as damaged:
                    self.damaged.append(str(damaged))
        for journal in journals.values():
            if journal:
                self._adopt(Instance.replay(journal))

    # Internals

    def _context(self, tx: Transaction) -> Context:
        return Context(tx=tx, host=self)

    def machine(self, spec: ProcessSpec) -> StageMachine:
        return self._registry.machine(spec)

    def new_instance(self, tx: Transaction, process: str) -> Instance:
        number = max(self._counter, self.store.last_number()) + 1
        self._counter = number
        instance = Instance(f"{process}-{number}")
        self._instances[instance.id] = instance

        def forget() -> None:
            self._counter = number - 1

        tx.undo.append(forget)
        return instance

    @property
    def wakeups(self) -> Wakeups:
        return self._wakeups

    def _adopt(self, instance: Instance) -> Instance:
        self._unread.discard(instance.id)
        self._instances[instance.id] = instance
        self._wakeups.reset(instance)
        return instance

    def _evict(self, instance_id: str) -> None:
        """Drop an instance from memory, to be read from the store when next named."""
        self._instances.pop(instance_id, None)
        self._wakeups.forget(instance_id)

    def _running(self, instance_id: str) -> tuple[Instance, ProcessSpec]:
        instance = self.instance(instance_id)
        if instance.finished:
            raise CommandRefused(
                Reason.INSTANCE_FINISHED, f"instance '{instance_id}' finished in stage '{instance.stage}'"
            )
        return instance, self.definition_of(instance)

    @staticmethod
    def _form(spec: ProcessSpec, form: str) -> FormSpec:
        require_known(form, {f.id for f in spec.forms}, "form")
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
        require_actor(actor)  # refused unrecorded: its id is not fit for the journal
        now = self.clock.now()
        self._fire_due(now, move_clock=False, inclusive=False)  # a command at t precedes t's timers
        command_print = stored_key = ""
        if key:
            stored_key = command_key(actor.id, key)
            command_print = fingerprint(name, target, args, actor)
            seen = self.store.command(stored_key)
            if seen is not None:
                return self._repeat_or_refuse(seen, command_print, name, target, actor, key)
        tx = Transaction(now, actor, key)
        remembered: StoredCommand | None = None  # only a keyed command is remembered
        try:
            try:
                instance_id = body(tx)
                self._settle(tx)
            except TimeError as out_of_range:  # an instant past what calendars can count
                raise CommandRefused(Reason.INVALID_DATA, str(out_of_range)) from out_of_range
        except CommandRefused as refusal:
            self._roll_back(tx)
            if key:
                remembered = StoredCommand(
                    key=stored_key, fingerprint=command_print, result=refusal_data(refusal)
                )
            self._record_refusal(name, target, actor, key, refusal, remembered)
            raise
        except Exception as error:
            self._roll_back(tx)  # memory stays as the store has it, whatever went wrong
            if name == "start" or target not in self._instances:
                raise
            self._incident(target, error)
            raise IncidentError(
                f"{name} on {target} failed and is recorded as an incident: {type(error).__name__}: {error}"
            ) from error
        except BaseException:
            self._roll_back(tx)
            raise
        if key:
            result = {"instance": instance_id, "events": [[e.instance, e.sequence] for e in tx.events]}
            remembered = StoredCommand(key=stored_key, fingerprint=command_print, result=result)
        try:
            self._commit(tx, remembered)
        except ConflictError:
            seen = self.store.command(stored_key) if key else None
            if seen is None:
                raise
            # the same command raced this one and won: answer as it was answered
            return self._repeat_or_refuse(seen, command_print, name, target, actor, key)
        outcome = Outcome(instance_id, tuple(tx.events))
        self._fire_due(now, move_clock=False, inclusive=False)  # what it made overdue breaches at once
        self._trim()
        return outcome

    def _repeat_or_refuse(
        self, seen: StoredCommand, printed: str, name: str, target: str, actor: Actor, key: str
    ) -> Outcome:
        """A key used before by this actor: the first answer again, or a refusal when it was used
        for another command."""
        if seen.fingerprint == printed:
            return self._repeat(seen)
        refusal = CommandRefused(Reason.KEY_REUSED, f"idempotency key '{key}' was used for another command")
        self._record_refusal(name, target, actor, "", refusal, None)
        raise refusal

    def _repeat(self, seen: StoredCommand) -> Outcome:
        """The answer a keyed command gave the first time, read back from the journals."""
        result = seen.result
        if "reason" in result:
            raise CommandRefused(Reason(result["reason"]), result["message"], result["details"])
        events = tuple(self.instance(i).journal[sequence - 1] for i, sequence in result["events"])
        return Outcome(result["instance"], events)

    def _record_refusal(
        self,
        name: str,
        target: str,
        actor: Actor,
        key: str,
        refusal: CommandRefused,
        remembered: StoredCommand | None,
    ) -> None:
        data = {"command": name, "target": target, **refusal_data(refusal)}
        try:
            instance: Instance | None = self.instance(target) if name != "start" else None
        except CommandRefused:
            instance = None
        tx = Transaction(self.clock.now(), actor, key)
        if instance is None:
            event = Event(
                instance="", sequence=0, at=tx.at, actor=actor.id, type=EventType.COMMAND_REFUSED, data=data
            )
            self.store.commit(Commit(refusal=event, command=remembered))
            return
        tx.emit(instance, EventType.COMMAND_REFUSED, data)
        self._commit(tx, remembered)

    def _roll_back(self, tx: Transaction) -> None:
        for instance_id, instance in tx.rolled_back().items():
            if instance is None:
                del self._instances[instance_id]
                self._wakeups.forget(instance_id)
            else:
                self._adopt(instance)

    def _commit(self, tx: Transaction, command: StoredCommand | None = None) -> None:
        """Store the transaction's events, then tell subscribers. A store that refuses the write
        (another writer was first) leaves the touched instances to be read again from the store."""
        writes = tuple(
            Write(
                instance=instance.id,
                expected_version=length,
                events=tuple(instance.journal[length:]),
                process=instance.process,
                version=instance.version,
                stage=instance.stage,
                finished=instance.finished,
                timers=self._wakeups.pending(instance.id),
                incident=instance.incident["error"] if instance.incident else "",
            )
            for instance, length in tx.before.values()
        )
        try:
            self.store.commit(Commit(writes=writes, command=command, schedules=tuple(tx.schedules)))
        except BaseException:  # another writer was first, or the store failed: nothing is kept
            for undo in reversed(tx.undo):
                undo()
            for instance_id in tx.before:
                self._evict(instance_id)
            raise
        if self._held is not None:
            self._held.extend(tx.events)
        else:
            self._publish(tx.events)

    def _publish(self, events: Iterable[Event]) -> None:
        for event in events:
            for types, callback in list(self._subscribers):
                if not types or event.type in types:
                    callback(event)

    def _fire_due(self, until: datetime, *, move_clock: bool, inclusive: bool = True) -> int:
        """Fire what is due, each timer in a transaction of its own, journaled at its own instant;
        their events are stored together, up to `FIRE_BATCH` firings a commit (all or none). What
        a conflict put back (see `_store_firings`) is fired in another pass, a few at most."""
        fired = 0
        for _ in range(FIRE_PASSES):
            following = self._wakeups.next_due()
            if following is None or following > until or (following == until and not inclusive):
                break  # the common case: each command asks twice
            fired += self._fire_pass(until, move_clock=move_clock, inclusive=inclusive)
        return fired

    def _fire_pass(self, until: datetime, *, move_clock: bool, inclusive: bool) -> int:
        fired = 0
        firings: list[Transaction] = []
        for wake in self._wakeups.due(until, inclusive=inclusive):
            if move_clock and isinstance(self.clock, VirtualClock) and wake.at > self.clock.now():
                self.clock.set(wake.at)
            if wake.kind is WakeKind.START or len(firings) >= FIRE_BATCH:  # a self-start is stored alone
                fired += self._store_firings(firings)
            tx = self._timer_transaction(wake.at)
            try:
                acted = self._wake(tx, wake)
                if acted:
                    self._settle(tx)
            except Exception as error:  # a fault in one instance stops no other
                if wake.kind is WakeKind.START:
                    raise
                self._roll_back(tx)
                fired += self._store_firings(firings)
                self._incident(wake.target, error)
                continue
            if not acted:
                continue
            if wake.kind is not WakeKind.START:
                firings.append(tx)
                continue
            try:
                self._commit(tx)
            except ConflictError:  # another engine started it first
                self._arm_schedule(wake.target, self.store.schedule(wake.target, None))
                continue
            fired += 1
        return fired + self._store_firings(firings)

    def _store_firings(self, firings: list[Transaction]) -> int:
        """Commit the firings made so far as one; how many were stored. When another writer was
        first, none is: their instances are read again from the store, so that what is still due
        there fires again."""
        if not firings:
            return 0
        batch = Transaction(firings[0].at, ENGINE)
        for tx in firings:
            batch.absorb(tx)
        for instance_id, (_, length) in batch.before.items():  # rebuilt if a later firing failed
            batch.before[instance_id] = (self._instances[instance_id], length)
        count = len(firings)
        firings.clear()
        try:
            self._commit(batch)
        except ConflictError:
            for instance_id in batch.before:
                with suppress(CommandRefused, DamagedError):  # gone or unreadable: nothing is due
                    self.instance(instance_id)
            return 0
        self._trim()
        return count

    def _trim(self) -> None:
        """Let go of the instances used least recently beyond the cache's size. Called only when
        nothing is left to commit: an instance with events not yet stored is never let go."""
        if self._cache is None or len(self._instances) <= self._cache:
            return
        for instance_id in list(islice(self._instances, len(self._instances) - self._cache)):
            del self._instances[instance_id]
            self._unread.add(instance_id)

    def retry(self, instance_id: str) -> bool:
        """Retry, now, what an incident held back (after a fix, say); True when the instance has
        no open incident afterwards."""
        instance = self.instance(instance_id)
        if instance.incident is not None:
            now = self.clock.now()
            self._wakeups.forget(instance_id)
            self._wakeups.arm(WakeKind.RETRY, instance_id, "", now)
            self._fire_due(now, move_clock=False)
        return self.instance(instance_id).incident is None

    def _incident(self, instance_id: str, error: BaseException) -> None:
        """Journal what failed on an instance, and hold its timers back until a retry: after a
        minute, then two, four, ... at most an hour."""
        instance = self.instance(instance_id)
        attempt = (instance.incident or {}).get("attempt", 0) + 1
        now = self.clock.now()
        retry_at = now + min(timedelta(minutes=2 ** (attempt - 1)), MAX_BACKOFF)
        tx = Transaction(now, ENGINE)
        data = {
            "error": f"{type(error).__name__}: {error}"[:2000],
            "attempt": attempt,
            "retry_at": iso(retry_at),
        }
        self._context(tx).emit(instance, EventType.INCIDENT, data)
        self._commit(tx)

    def _wake(self, tx: Transaction, wake: Wake) -> bool:
        if wake.kind is WakeKind.START:
            following = self._self_start(tx, wake.target)
            if following is not None:
                self._arm_schedule(wake.target, following)
            return True
        instance = self._instances.get(wake.target)
        if instance is None and wake.target in self._unread:
            self.instance(wake.target)  # its own timers replace the stored copies, this one included
            return False
        if instance is None or instance.finished:
            return False
        context = self._context(tx)
        if wake.kind is WakeKind.RETRY:
            self._wakeups.reset(instance, retrying=True)  # what is due fires next, in this same pass
            armed = [timer.at for timer in self._wakeups.pending(instance.id)]
            if min(armed, default=None) is None or min(armed) > self.clock.now():
                context.emit(instance, EventType.INCIDENT_RESOLVED, {})  # nothing waits to be retried
                return True
            return False
        acted = effects.wake(context, self.definition_of(instance), instance, wake)
        if acted and instance.incident is not None:
            context.emit(instance, EventType.INCIDENT_RESOLVED, {})
        return acted

    def _start_due(self, process: str, at: datetime, until: datetime) -> int:
        """Start a self-starting process at every instant of its schedule from `at` to `until`."""
        started = 0
        following: datetime | None = at
        while following is not None and following <= until:
            tx = self._timer_transaction(following)
            following = self._self_start(tx, process)
            self._commit(tx)
            started += 1
        return started

    def _settle(self, tx: Transaction) -> None:
        """The end of a step: each instance it touched pauses or resumes its duties' clocks."""
        context = self._context(tx)
        for instance, _ in list(tx.before.values()):
            pause_or_resume(context, self.definition_of(instance), instance)

    def _timer_transaction(self, due: datetime) -> Transaction:
        """What a timer does happens at its due instant; when that has passed, the events say so."""
        now = self.clock.now()
        return Transaction(due, ENGINE, fired_at=now if now > due else None)

    def _self_start(self, tx: Transaction, process: str) -> datetime | None:
        """Start an instance of a self-starting process; returns when it starts next."""
        spec = self.definition(process)
        assert spec.schedule is not None
        effects.begin(self._context(tx), spec, spec.schedule.inputs(), parent=None)
        following = self._following(spec, tx.at)
        tx.schedules.append((process, tx.at, following))
        return following

    @staticmethod
    def _following(spec: ProcessSpec, after: datetime) -> datetime | None:
        assert spec.schedule is not None
        return next(occurrences(spec.schedule.recurrence(), after, spec.business_calendar()), None)

    def _arm_schedule(self, process: str, at: datetime | None) -> None:
        self._wakeups.disarm(process, "")
        if at is not None:
            self._wakeups.arm(WakeKind.START, process, "", at)


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cycle collector while many long-lived objects are made at once, which would
    otherwise trigger full collections over everything already in memory."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


CACHE = 10_000
"""Instances kept in memory by default with a durable store: about 120 MB of R0-sized cases."""
CLAIM_BATCH = 200
"""Instances a worker claims a transaction: its firings are one commit, the write lock held briefly."""
FIRE_BATCH = 50
"""Firings stored in one commit, at most. Larger batches measured slower in memory (1,000: about
28 µs a firing against 25, with or without the cycle collector): each firing's objects are touched
again when its batch is written, and the longer the wait the colder they are."""
FIRE_PASSES = 3
"""Passes over what is due in one call: a pass after each conflict that put timers back."""
MAX_BACKOFF = timedelta(hours=1)

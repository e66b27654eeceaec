"""The laws of the runtime, checked after every step of random command sequences.

Hypothesis drives two engines over one definition (a seed process, or a small generated one) with
the same random interleaving of starts, triggers, form submissions, signatures, raised events,
refused commands and clock advances. The `fine` engine advances the clock through random stops, the
`coarse` one in a single step. After every step:

- every duty is in exactly one state, and is breached iff it was not done by its due instant: at one
  instant, commands come before the timers due at it, so a duty done at its due instant is met
  (the clock is often moved to exactly a due instant, and left there for the commands that follow);
  the breach is recorded at the due instant, whatever the advance;
- no duty outlives its scope (its stage visit, or the instance);
- a recurring duty with a wall-clock interval has opened an occurrence at every instant its rule
  gives up to now, no more, no fewer;
- a bounded loop is taken at most its bound;
- escalations and notifications go only to roles the definition names (and the duty's own
  `on_breach` lists);
- a refused command changes nothing but its own refusal in the journal;
- each instance rebuilt from its journal equals the live one;
- both engines hold identical journals (the clock's stepping changes nothing).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from engine.errors import CommandRefused
from engine.runtime.engine import Engine
from engine.runtime.events import ENGINE, Actor, EventType, instant
from engine.runtime.instance import Duty, DutyStatus, Instance
from engine.runtime.validation import input_schema
from engine.spec.model import ExitSpec, ProcessSpec, fields_schema
from engine.time.clock import VirtualClock
from tests.processes.harness import SPECS
from tests.property.definitions import definitions
from tests.property.values import data_for, valid
from tests.unit.time.cn import at

# Starting instants chosen for their calendars: an ordinary Monday, a Friday evening before a
# weekend, the eve of National Day (with its adjusted working Saturday), the eve of Spring Festival.
STARTS = ("2026-11-23 10:00", "2026-11-27 17:30", "2026-09-30 16:00", "2027-02-05 17:50")
SEED_PROCESSES = (
    "sales-rapid-response",
    "sales-service-interaction",
    "customer-complaint",
    "incident-management",
)


def due_set_at(instance: Instance, duty: Duty) -> datetime:
    """When the duty's due instant was last set: when it opened, or when a changed input or a
    resumed clock moved it (a due moved into the past is breached at that instant)."""
    moving = (EventType.DUTY_DUE_CHANGED, EventType.DUTY_RESUMED)
    moved = (e.at for e in instance.journal if e.type in moving and e.data["key"] == duty.key)
    return max(moved, default=duty.opened_at)


def ended_by_a_timer(instance: Instance, duty: Duty) -> bool:
    return any(
        e.type is EventType.DUTY_CANCELLED and e.data["key"] == duty.key and e.actor == ENGINE.id
        for e in instance.journal
    )


def essence(instance: Instance) -> list[tuple[object, ...]]:
    return [(e.sequence, e.at, e.type, dict(e.data), e.actor) for e in instance.journal]


class EngineLaws(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.spec: ProcessSpec
        self.fine: Engine
        self.coarse: Engine
        self.ids: list[str] = []

    @initialize(
        generated=definitions(),
        seed=st.sampled_from((None, *SEED_PROCESSES)),
        start=st.sampled_from(STARTS),
        draw=st.data(),
    )
    def setup(self, generated: Any, seed: str | None, start: str, draw: st.DataObject) -> None:
        self.spec = SPECS[seed] if seed is not None else generated.spec
        specs = [s for s in SPECS.values() if s.schedule is None] if seed else [self.spec]
        self.fine, self.coarse = (Engine(VirtualClock(at(start))) for _ in range(2))
        for engine in (self.fine, self.coarse):
            for spec in specs:
                engine.register(spec)
        # one instance, started by someone holding every role, so there is always one to drive
        data = draw.draw(valid(input_schema(self.spec.variables)))
        everyone = Actor.of("everyone", *(r.id for r in self.spec.roles))
        self.command("", lambda engine: engine.start(self.spec.id, data, everyone))

    # Commands

    def actor(self, draw: st.DataObject) -> Actor:
        roles = draw.draw(st.lists(st.sampled_from([r.id for r in self.spec.roles]), max_size=3, unique=True))
        return Actor.of("someone", *roles)

    def command(self, instance: str, act: Any) -> None:
        """Run `act(engine)` on both engines: same answer, and a refusal changes nothing."""
        before = self.fine.instance(instance).snapshot() if instance else None
        answers = []
        for engine in (self.fine, self.coarse):
            try:
                outcome = act(engine)
                answers.append(("done", [(e.instance, e.sequence, e.type) for e in outcome.events]))
            except CommandRefused as refusal:
                answers.append(("refused", refusal.reason))
        assert answers[0] == answers[1]
        event(f"{answers[0][0]}: {answers[0][1]}" if answers[0][0] == "refused" else "done")
        if answers[0][0] == "refused" and before is not None:
            after = self.fine.instance(instance)
            assert after.journal[-1].type is EventType.COMMAND_REFUSED
            changed = {k for k in before if before[k] != after.snapshot()[k]}
            assert changed <= {"journal_length", "updated_at"}, changed
        elif answers[0][0] == "done" and not instance:
            self.ids.append(answers[0][1][0][0])

    def exits_here(self, instance: str) -> tuple[ExitSpec, ...]:
        current = self.fine.instance(instance)
        return () if current.finished else self.spec.stage(current.stage).exits

    @rule(draw=st.data())
    def start(self, draw: st.DataObject) -> None:
        data = draw.draw(data_for(input_schema(self.spec.variables)))
        actor = self.actor(draw)
        self.command("", lambda engine: engine.start(self.spec.id, data, actor))

    @precondition(lambda self: self.ids)
    @rule(draw=st.data())
    def fire(self, draw: st.DataObject) -> None:
        instance = draw.draw(st.sampled_from(self.ids))
        anywhere = sorted({e.trigger for s in self.spec.stages for e in s.exits if e.trigger} | {"no_such"})
        here = self.exits_here(instance)
        trigger = draw.draw(
            st.sampled_from([e.trigger for e in here if e.trigger] or anywhere) | st.sampled_from(anywhere)
        )
        actor = self.actor(draw)
        self.command(instance, lambda engine: engine.fire(instance, trigger, actor))

    @precondition(lambda self: self.ids)
    @rule(draw=st.data())
    def submit(self, draw: st.DataObject) -> None:
        instance = draw.draw(st.sampled_from(self.ids))
        here = [self.spec.form(e.on_record) for e in self.exits_here(instance) if e.on_record]
        form = draw.draw(st.sampled_from(here or self.spec.forms) | st.sampled_from(self.spec.forms))
        data = draw.draw(data_for(fields_schema(form.fields)))
        actor = self.actor(draw)
        self.command(instance, lambda engine: engine.submit(instance, form.id, data, actor))

    @precondition(lambda self: self.ids and any(f.signed_by for f in self.spec.forms))
    @rule(draw=st.data())
    def sign(self, draw: st.DataObject) -> None:
        instance = draw.draw(st.sampled_from(self.ids))
        form = draw.draw(st.sampled_from([f for f in self.spec.forms if f.signed_by]))
        actor = self.actor(draw)
        self.command(instance, lambda engine: engine.sign(instance, form.id, actor))

    @precondition(lambda self: self.ids and self.spec.events)
    @rule(draw=st.data())
    def raise_event(self, draw: st.DataObject) -> None:
        instance = draw.draw(st.sampled_from(self.ids))
        event = draw.draw(st.sampled_from(self.spec.events))
        data = draw.draw(data_for(fields_schema(event.data)))
        actor = self.actor(draw)
        self.command(instance, lambda engine: engine.raise_event(instance, event.id, data, actor))

    @rule(
        minutes=st.integers(1, 4 * 24 * 60),
        stops=st.lists(st.floats(0, 1, exclude_min=True, exclude_max=True), max_size=6),
    )
    def advance(self, minutes: int, stops: list[float]) -> None:
        now = self.fine.clock.now()
        self.advance_both(
            now + timedelta(minutes=minutes), [now + timedelta(minutes=int(minutes * f)) for f in stops]
        )

    def advance_both(self, target: datetime, stops: list[datetime]) -> None:
        """Both engines to `target`, the fine one through `stops`; the timers due at `target` wait
        for the commands at `target`."""
        for stop in sorted(stops):
            self.fine.advance_to(stop, inclusive=False)
        self.fine.advance_to(target, inclusive=False)
        self.coarse.advance_to(target, inclusive=False)

    @precondition(lambda self: self.ids)
    @rule(draw=st.data())
    def advance_to_a_due_instant(self, draw: st.DataObject) -> None:
        """To exactly the instant an open duty is due, where a command may still meet it."""
        now = self.fine.clock.now()
        dues = sorted({d.due for i in self.instances() for d in i.open_duties() if d.due > now})
        if dues:
            self.advance_both(draw.draw(st.sampled_from(dues[:5])), [])

    def teardown(self) -> None:
        instances = self.instances()
        event(f"instances completed: {sum(i.finished for i in instances)} of {len(instances)}")
        event(f"duties breached: {min(sum(len(i.breaches()) for i in instances), 10)}+")

    # Laws

    def instances(self) -> list[Instance]:
        """Every instance, children included, of the fine engine."""
        return self.fine.instances()

    @invariant()
    def both_engines_wrote_the_same_journals(self) -> None:
        for instance in self.instances():
            assert essence(instance) == essence(self.coarse.instance(instance.id))

    @invariant()
    def rebuilding_from_the_journal_gives_the_live_state(self) -> None:
        for instance in self.instances():
            assert Instance.replay(instance.journal).snapshot() == instance.snapshot()

    @invariant()
    def a_duty_is_breached_iff_not_done_by_its_due_instant(self) -> None:
        now = self.fine.clock.now()
        for instance in self.instances():
            for duty in instance.duties.values():
                ended = {
                    DutyStatus.OPEN: None,
                    DutyStatus.SATISFIED: duty.satisfied_at,
                    DutyStatus.CANCELLED: duty.cancelled_at,
                }[duty.status]
                assert (duty.satisfied_at is not None) == (duty.status is DutyStatus.SATISFIED)
                assert (duty.cancelled_at is not None) == (duty.status is DutyStatus.CANCELLED)
                assert duty.outcome in {"open", "breached", "met", "late", "missed", "cancelled"}
                end = ended if ended is not None else now
                if duty.paused_at is not None:  # its clock stopped: its deadline waits for the resume
                    assert duty.breached_at is None and duty.status is DutyStatus.OPEN, duty
                    continue
                if (
                    end == duty.due
                    and duty.status is DutyStatus.CANCELLED
                    and ended_by_a_timer(instance, duty)
                ):
                    continue  # the timers of one instant fire in the order they were set
                assert (duty.breached_at is not None) == (duty.due < end), (duty, end)
                if duty.breached_at is not None:  # at its due instant, or at once if set too late
                    assert duty.breached_at == max(duty.due, due_set_at(instance, duty))
            for entry in instance.journal:
                if entry.type is EventType.DUTY_BREACHED:
                    breached = instance.duties[entry.data["key"]]
                    assert instant(entry.data["due"]) == breached.due
                    assert entry.at == breached.breached_at

    @invariant()
    def the_open_duties_are_those_open_in_the_order_they_opened(self) -> None:
        for instance in self.instances():
            scanned = [d for d in instance.duties.values() if d.status is DutyStatus.OPEN]
            assert instance.open_duties() == scanned
            for duty in {d.id for d in instance.duties.values()}:
                assert instance.open_duty(duty) == next((d for d in scanned if d.id == duty), None)

    @invariant()
    def no_duty_outlives_its_scope(self) -> None:
        for instance in self.instances():
            for duty in instance.open_duties():
                assert not instance.finished, duty
                if duty.stage:
                    assert duty.stage == instance.stage, duty
                    assert instance.stage_entered_at is not None
                    assert duty.opened_at >= instance.stage_entered_at, duty

    @invariant()
    def recurring_duties_open_at_every_instant_of_their_rule(self) -> None:
        """A series begun when its scope began (the stage, or the instance) opened the slot in
        progress then, unless its deadline had passed, and every later slot at its own instant;
        slots that fell before the scope began (a stage re-entered) were skipped, never opened."""
        now = self.fine.clock.now()
        for instance in self.instances():
            spec = self.fine.definition_of(instance)
            for series in instance.series.values():
                duty = spec.duty(series.duty)
                repeat = duty.repeat
                live = not instance.finished and series.stage in ("", instance.stage)
                if repeat is None or repeat.every is None or not repeat.every.is_wall or not live:
                    continue
                if series.next_at is None and (repeat.count is None or series.opened < repeat.count):
                    continue  # ended before its count: its condition no longer holds
                began = self.series_began(instance, series.stage, series.duty)
                step = repeat.every.as_timedelta()
                slots: list[datetime] = []
                while len(slots) < (repeat.count or 10**9):
                    slot = series.anchor + step * len(slots)
                    if not (slot <= began or slot < now):  # later slots open as their instant ends
                        break
                    slots.append(slot)
                assert series.opened == len(slots)
                opened = [d for d in self.opened_in_scope(instance, series.stage) if d.id == series.duty]
                numbers = [d.occurrence for d in opened]
                assert numbers == list(range(series.opened - len(opened) + 1, series.opened + 1)), numbers
                for occurrence in opened:
                    assert occurrence.opened_at == max(slots[occurrence.occurrence - 1], began)

    @staticmethod
    def scope_began(instance: Instance, stage: str) -> int:
        """The journal sequence at which the scope began: the stage's last entry, or the start."""
        entries = (e.sequence for e in instance.journal if e.type is EventType.STAGE_ENTERED)
        return max(entries, default=0) if stage else 0

    def series_began(self, instance: Instance, stage: str, duty: str) -> datetime:
        """When the series began in its scope: as the scope began, or later, once its duty's
        condition came to hold."""
        since = self.scope_began(instance, stage)
        return next(
            e.at
            for e in instance.journal
            if e.type is EventType.DUTY_SCHEDULED and e.data["duty"] == duty and e.sequence > since
        )

    def opened_in_scope(self, instance: Instance, stage: str) -> list[Duty]:
        """The duties opened since the instance entered its stage (or since it started)."""
        since = self.scope_began(instance, stage)
        keys = [
            e.data["key"] for e in instance.journal if e.type is EventType.DUTY_OPENED and e.sequence > since
        ]
        return [instance.duties[key] for key in keys]

    @invariant()
    def a_bounded_loop_is_taken_at_most_its_bound(self) -> None:
        for instance in self.instances():
            spec = self.fine.definition_of(instance)
            taken = Counter(
                (e.data["from"], e.data["trigger"], e.data["stage"])
                for e in instance.journal
                if e.type is EventType.STAGE_ENTERED and not e.data["fallback"]
            )
            for stage in spec.stages:
                for leave in stage.exits:
                    if leave.trigger and leave.max_rounds is not None:
                        assert taken[stage.id, leave.trigger, leave.to] <= leave.max_rounds

    @invariant()
    def escalations_go_only_to_roles_the_definition_names(self) -> None:
        for instance in self.instances():
            spec = self.fine.definition_of(instance)
            roles = {r.id for r in spec.roles}
            for entry in instance.journal:
                if entry.type is EventType.DUTY_ESCALATED:
                    allowed = {r for a in spec.duty(entry.data["duty"]).on_breach for r in a.escalate}
                    assert entry.data["role"] in allowed & roles
                elif entry.type is EventType.NOTIFIED:
                    assert set(entry.data["roles"]) <= roles


TestEngineLaws = EngineLaws.TestCase

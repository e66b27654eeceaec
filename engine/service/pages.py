"""The worklist in the browser: server-rendered pages (Jinja2, no scripts) for the people who work
the procedures. Sign in; "my work", each open duty of one's roles with its deadline in one's own
timezone and the time left, overdue ones first; an instance with its stage, its timeline chart, its
records and what one can do now; forms made from the form's fields and checked by the engine, its
problems beside the fields. Every page is in the language of its process (the worklist in the
user's); every form post carries the session's CSRF token.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from engine.errors import CommandRefused, Reason
from engine.locale import Words, words
from engine.persistence.accounts import User
from engine.render.words import role_name, title_of
from engine.reports.happenings import describe
from engine.reports.records import readable
from engine.reports.timeline_chart import CHART_STYLE, FONTS, Timeline, chart
from engine.runtime.engine import Engine
from engine.runtime.events import EventType
from engine.runtime.instance import Instance
from engine.runtime.store import ConflictError
from engine.service import api, forms
from engine.service.auth import SESSION_AGE, SESSION_COOKIE, Session, actor, password_matches
from engine.service.state import OpenDuty, Service
from engine.spec.model import FieldSpec, ProcessSpec
from engine.time.calendar import zone

STYLE = f"""
body {{ font: 15px/1.5 {FONTS}; margin: 0; color: #1d2330; background: #f7f9fb; }}
header {{ display: flex; gap: 1.2em; align-items: center; padding: .6em 1.5em; background: #1d3557;
  color: #fff; }}
header a, header button.link {{ color: #fff; }} .who {{ margin-left: auto; }}
main {{ max-width: 76rem; margin: 1.5em auto; padding: 0 1.5em; }}
h1 {{ font-size: 1.5em; }} h2 {{ font-size: 1.2em; margin-top: 1.6em; }}
table {{ border-collapse: collapse; width: 100%; background: #fff; }}
th, td {{ border-bottom: 1px solid #e2e8f0; padding: .4em .6em; text-align: left; vertical-align: top; }}
tr.overdue td {{ background: #fdecea; }} .late {{ color: #c62828; }}
.card {{ background: #fff; border: 1px solid #e2e8f0; border-radius: 6px; padding: 1em 1.2em;
  margin: 1em 0; }}
.narrow {{ max-width: 24rem; }} .muted {{ color: #718096; }} .help {{ color: #718096; margin: .1em 0; }}
label {{ display: block; margin-top: .6em; font-weight: 600; }} label.choice {{ font-weight: normal; }}
input, select, textarea {{ font: inherit; padding: .3em .4em; min-width: 18em; }}
input[type=checkbox] {{ min-width: 0; }} fieldset {{ border: 0; padding: 0; margin-top: .6em; }}
button, .button {{ font: inherit; padding: .4em 1em; margin-top: .8em; background: #2b6cb0; color: #fff;
  border: 0; border-radius: 4px; text-decoration: none; display: inline-block; cursor: pointer; }}
button.link {{ background: none; padding: 0; margin: 0; text-decoration: underline; }}
.inline {{ display: inline; }}
.actions {{ list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .6em; }}
.error {{ color: #c62828; }} .field.invalid input, .field.invalid select {{ border: 2px solid #c62828; }}
.req {{ color: #c62828; }} .notice {{ background: #e6fffa; padding: .5em 1em; border-radius: 4px; }}
.chart {{ overflow-x: auto; background: #fff; padding: .5em; }}
{CHART_STYLE}"""

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html"])
)


Run = Callable[[Engine, dict[str, Any]], Any]
"""A command on an instance with a form's data."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Action:
    label: str
    href: str = ""
    post: str = ""
    role: str = ""


def router(service: Service) -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    def session_of(request: Request) -> Session | None:
        return service.sessions.read(request.cookies.get(SESSION_COOKIE))

    def signed_in(request: Request) -> Session | RedirectResponse:
        session = session_of(request)
        if session is None:
            return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
        return session

    async def posted(request: Request, session: Session) -> dict[str, list[str]] | Response:
        """The form a browser posted, if it carries the session's CSRF token."""
        form = await request.form()
        values: dict[str, list[str]] = {}
        for key, value in form.multi_items():
            if isinstance(value, str):
                values.setdefault(key, []).append(value)
        if not service.sessions.csrf_holds(session, (values.get("csrf") or [""])[0]):
            w = words(session.user.locale)
            message = w.t("This form is out of date or was not sent by this site; open the page again.")
            return _page(
                "problem.html", w, session, 403, title="403", heading=w.t("Refused"), message=message
            )
        return values

    async def signed_post(request: Request) -> tuple[Session, dict[str, list[str]]] | Response:
        """The session and the form it posted, or the page that refuses it."""
        session = signed_in(request)
        if isinstance(session, Response):
            return session
        values = await posted(request, session)
        return values if isinstance(values, Response) else (session, values)

    def anonymous() -> Words:
        with service.engine() as engine:
            return words(service.language(engine))

    @pages.get("/login")
    def login_page(request: Request, next: str = "/") -> HTMLResponse:
        w = anonymous()
        return _page("login.html", w, None, title=w.t("Sign in"), user_id="", error="", next=next)

    @pages.post("/login")
    async def login(request: Request) -> Response:
        form = await request.form()
        user_id, password = str(form.get("user", "")).strip(), str(form.get("password", ""))
        client = request.client.host if request.client else "?"
        keys = (f"user:{user_id}", f"client:{client}")
        w = anonymous()
        wait = service.sign_ins.wait(*keys)
        if wait > 0:
            error = w.t("Too many failed sign-ins; try again in {n} seconds.", n=int(wait) + 1)
            response = _page("login.html", w, None, 429, title=w.t("Sign in"), user_id=user_id, error=error)
            response.headers["Retry-After"] = str(int(wait) + 1)
            return response
        with service.engine():
            user = service.accounts.user(user_id)
            stored = service.accounts.password_hash(user_id)
        if user is None or user.disabled or not password_matches(stored, password):
            service.sign_ins.failed(*keys)
            error = w.t("The user or the password is wrong.")
            return _page("login.html", w, None, 401, title=w.t("Sign in"), user_id=user_id, error=error)
        target = request.query_params.get("next", "/")
        here = target.startswith("/") and not target.startswith("//")  # never sent on to another site
        signed = RedirectResponse(target if here else "/", 303)
        signed.set_cookie(
            SESSION_COOKIE, service.sessions.cookie(user), max_age=SESSION_AGE, httponly=True,
            samesite="strict", secure=request.url.scheme == "https",
        )  # fmt: skip
        return signed

    @pages.post("/logout")
    async def logout(request: Request) -> Response:
        posted_by = await signed_post(request)
        if isinstance(posted_by, Response):
            return posted_by
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @pages.get("/")
    def work(request: Request) -> Response:
        session = signed_in(request)
        if isinstance(session, Response):
            return session
        user = session.user
        w = words(user.locale)
        with service.engine() as engine:
            now = engine.clock.now()
            duties = [_row(o, now, user, w) for o in service.open_duties(engine, user, now)]
            startable = service.startable(engine, user)
            roles = w.join(service.role_titles(engine, user, w))
        return _page(
            "work.html", w, session, title=w.t("My work"), duties=duties, startable=startable,
            role_titles=roles, zone=w.timezone(user.timezone),
        )  # fmt: skip

    async def exchange(
        request: Request, session: Session, w: Words, fields: tuple[FieldSpec, ...], timezone: str,
        shown: dict[str, Any], act: Callable[[dict[str, Any]], str],
    ) -> Response:  # fmt: skip
        """A form's page: blank on GET; on POST the data read, acted on (`act` gives the page to go
        to next), or the form again with each problem beside its field."""
        if request.method == "GET":
            return _page("form.html", w, session, inputs=forms.inputs(fields, w), errors=[], **shown)
        values = await posted(request, session)
        if isinstance(values, Response):
            return values
        read = forms.read(fields, values, timezone)
        general: list[str] = []
        status = 422
        if not read.problems:
            try:
                return RedirectResponse(act(read.data), status_code=303)
            except CommandRefused as refusal:
                read.problems, general = _refusal_problems(refusal, fields, w)
                status = _status(refusal)
            except ConflictError:
                general, status = [_changed(w)], 409
        again = forms.inputs(fields, w, _shown_values(values), read.problems)
        return _page("form.html", w, session, status, inputs=again, errors=general, **shown)

    @pages.api_route("/start/{process}", methods=["GET", "POST"])
    async def start(process: str, request: Request) -> Response:
        session = signed_in(request)
        if isinstance(session, Response):
            return session
        with service.engine() as engine:
            spec = _process(engine, process)
        if spec is None:
            return _missing(session)
        w = words(spec.locale)
        fields = tuple(_input_field(v) for v in spec.variables if v.input != "none")
        heading = w.t("Start: {process}", process=title_of(spec, w))
        shown: dict[str, Any] = {
            "back": "/",
            "back_title": w.t("My work"),
            "heading": heading,
            "title": heading,
        }

        def act(data: dict[str, Any]) -> str:
            with service.engine() as engine:
                return f"/instances/{engine.start(process, data, actor(session.user)).instance}"

        return await exchange(
            request, session, w, fields, spec.calendar.timezone, shown | {"submit": w.t("Start")}, act
        )

    @pages.get("/instances/{instance_id}")
    def instance_page(instance_id: str, request: Request) -> Response:
        session = signed_in(request)
        if isinstance(session, Response):
            return session
        with service.engine() as engine:
            try:
                instance = engine.instance(instance_id)
            except CommandRefused:
                return _missing(session)
            return _instance(engine, instance, session, [])

    def opened(
        request: Request, instance_id: str, part: Callable[[ProcessSpec], Iterable[str]], part_id: str
    ) -> tuple[Session, ProcessSpec] | Response:
        """The signed-in session and the instance's definition, if that definition has the part."""
        session = signed_in(request)
        if isinstance(session, Response):
            return session
        with service.engine() as engine:
            try:
                spec = engine.definition_of(engine.instance(instance_id))
            except CommandRefused:
                return _missing(session)
        return (session, spec) if part_id in part(spec) else _missing(session)

    async def instance_form(
        request: Request, session: Session, instance_id: str, spec: ProcessSpec,
        fields: tuple[FieldSpec, ...], heading: str, submit: str, run: Run,
    ) -> Response:  # fmt: skip
        """A form on an instance: its fields, then `run` with the data, and the instance again."""
        here = f"/instances/{instance_id}"
        shown = {
            "back": here,
            "back_title": instance_id,
            "heading": heading,
            "title": heading,
            "submit": submit,
        }

        def act(data: dict[str, Any]) -> str:
            with service.engine() as engine:
                run(engine, data)
            return here

        return await exchange(
            request, session, words(spec.locale), fields, spec.calendar.timezone, shown, act
        )

    @pages.api_route("/instances/{instance_id}/forms/{form_id}", methods=["GET", "POST"])
    async def form_page(instance_id: str, form_id: str, request: Request) -> Response:
        found = opened(request, instance_id, lambda spec: (f.id for f in spec.forms), form_id)
        if isinstance(found, Response):
            return found
        session, spec = found
        w, form = words(spec.locale), spec.form(form_id)
        who = actor(session.user)
        return await instance_form(
            request, session, instance_id, spec, form.fields, w.title(title_of(form, w)), w.t("Submit"),
            lambda engine, data: engine.submit(instance_id, form_id, data, who),
        )  # fmt: skip

    async def command(instance_id: str, request: Request, run: Any) -> Response:
        """A button's command on an instance, then the instance again (with the refusal, if any)."""
        posted_by = await signed_post(request)
        if isinstance(posted_by, Response):
            return posted_by
        session, values = posted_by
        with service.engine() as engine:
            try:
                run(engine, actor(session.user), (values.get("role") or [""])[0])
            except CommandRefused as refusal:
                instance = engine.instance(instance_id)
                return _instance(engine, instance, session, [_said(refusal)], status=_status(refusal))
            except ConflictError:
                w = words(engine.definition_of(engine.instance(instance_id)).locale)
                return _instance(engine, engine.instance(instance_id), session, [_changed(w)], status=409)
        return RedirectResponse(f"/instances/{instance_id}", status_code=303)

    @pages.post("/instances/{instance_id}/triggers/{trigger}")
    async def fire(instance_id: str, trigger: str, request: Request) -> Response:
        return await command(instance_id, request, lambda e, a, _: e.fire(instance_id, trigger, a))

    @pages.post("/instances/{instance_id}/signatures/{form_id}")
    async def sign(instance_id: str, form_id: str, request: Request) -> Response:
        return await command(
            instance_id, request, lambda e, a, role: e.sign(instance_id, form_id, a, role=role)
        )

    @pages.api_route("/instances/{instance_id}/events/{event_id}", methods=["GET", "POST"])
    async def report(instance_id: str, event_id: str, request: Request) -> Response:
        """An event, with a form for its data if it has any."""
        found = opened(request, instance_id, lambda spec: (e.id for e in spec.events), event_id)
        if isinstance(found, Response):
            return found
        session, spec = found
        event, who = spec.event(event_id), actor(session.user)
        if not event.data:
            return await command(
                instance_id, request, lambda e, a, _: e.raise_event(instance_id, event_id, {}, a)
            )
        w = words(spec.locale)
        return await instance_form(
            request, session, instance_id, spec, event.data, title_of(event, w), w.t("Report"),
            lambda engine, data: engine.raise_event(instance_id, event_id, data, who),
        )  # fmt: skip

    return pages


def _page(name: str, w: Words, session: Session | None, status: int = 200, **values: Any) -> HTMLResponse:
    user = session.user if session else None
    html = TEMPLATES.get_template(name).render(
        w=w, t=w.t, style=STYLE, user=user, csrf=session.csrf if session else "",
        roles=w.join(sorted(user.roles)) if user else "", **values,
    )  # fmt: skip
    return HTMLResponse(html, status_code=status)


def _process(engine: Engine, process: str) -> ProcessSpec | None:
    try:
        return engine.definition(process)
    except CommandRefused:
        return None


def _missing(session: Session) -> HTMLResponse:
    w = words(session.user.locale)
    return _page(
        "problem.html",
        w,
        session,
        404,
        title="404",
        heading=w.t("Not found"),
        message=w.t("There is no such page."),
    )


def _changed(w: Words) -> str:
    return w.t("Another person changed this case meanwhile; look again and send it once more.")


def _status(refusal: CommandRefused) -> int:
    """A refusal's HTTP status, as the API gives it."""
    return api.STATUS.get(refusal.reason, 409)


def _said(refusal: CommandRefused) -> str:
    return "; ".join([refusal.message, *refusal.details])


def _refusal_problems(
    refusal: CommandRefused, fields: tuple[FieldSpec, ...], w: Words
) -> tuple[dict[str, list[str]], list[str]]:
    if refusal.reason is Reason.INVALID_DATA:
        return forms.problems_by_field(refusal.details, [f.id for f in fields], w)
    return {}, [_said(refusal)]


def _shown_values(values: dict[str, list[str]]) -> dict[str, Any]:
    """What the person entered, to show again beside the problems."""
    return {key: given if len(given) > 1 else given[0] for key, given in values.items() if key != "csrf"}


def _input_field(variable: Any) -> FieldSpec:
    """A start input as a form field."""
    return FieldSpec(
        id=variable.id,
        title=variable.title,
        title_en=variable.title_en,
        schema_json=variable.schema_json,
        required=variable.input == "required",
        value_titles=variable.value_titles,
        description=variable.description,
    )


def _left(due: datetime, now: datetime, w: Words) -> str:
    if due <= now:
        return w.t("overdue by {span}", span=w.span(now - due))
    return w.t("{span} left", span=w.span(due - now))


def _row(open_duty: OpenDuty, now: datetime, user: User, w: Words) -> dict[str, Any]:
    duty, spec = open_duty.duty, open_duty.spec
    local = duty.due.astimezone(zone(user.timezone))
    return {
        "key": duty.key,
        "instance": open_duty.instance.id,
        "process": title_of(spec, w),
        "title": title_of(spec.duty(duty.id), w),
        "stage": title_of(spec.stage(open_duty.instance.stage), w) if open_duty.instance.stage else "",
        "role": role_name(spec, duty.role, w),
        "due": local.strftime("%Y-%m-%d %H:%M"),
        "due_iso": local.isoformat(),
        "overdue": duty.due <= now,
        "left": _left(duty.due, now, w),
    }


def _instance(
    engine: Engine, instance: Instance, session: Session, errors: list[str], status: int = 200
) -> HTMLResponse:
    spec = engine.definition_of(instance)
    w = words(spec.locale)
    user = session.user
    now = engine.clock.now()
    tz = zone(user.timezone)
    duties = [
        _row(OpenDuty(instance=instance, spec=spec, duty=d), now, user, w) for d in instance.open_duties()
    ]
    timeline = Timeline(
        cases=[(instance.id, instance, spec)], start=instance.started_at or now, end=now,
        timezone=user.timezone, specs=[spec],
    )  # fmt: skip
    history = [
        (
            e.at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            describe(e, instance, spec, w, lambda m: m.astimezone(tz).strftime("%Y-%m-%d %H:%M"), str),
        )
        for e in instance.journal
        if e.type is not EventType.DUTY_SCHEDULED
    ]
    return _page(
        "instance.html", w, session, status,
        title=instance.id, instance=instance, process_title=title_of(spec, w),
        stage=title_of(spec.stage(instance.stage), w) if instance.stage else "",
        actions=[] if instance.finished else _actions(spec, instance, user, w),
        duties=duties, chart=chart(timeline, w), records=_records(spec, instance, user.timezone, w),
        history=history, errors=errors,
    )  # fmt: skip


def _actions(spec: ProcessSpec, instance: Instance, user: User, w: Words) -> list[Action]:
    """What the user can do in the instance now: fill a form of this stage or one a duty of theirs
    waits on, take a step of this stage, report an event a duty of theirs or an exit waits on (or
    one that starts other work), sign a record waiting on their role."""
    roles, here = user.roles, f"/instances/{instance.id}"
    stage = spec.stage(instance.stage)
    mine = [spec.duty(d.id) for d in instance.open_duties() if d.role in roles]
    actions: list[Action] = []
    for form in spec.forms:
        wanted = form.id in stage.produces or any(d.satisfied_by_form == form.id for d in mine)
        if wanted and set(form.filled_by) & roles:
            label = w.t("Fill in {form}", form=w.title(title_of(form, w)))
            actions.append(Action(label=label, href=f"{here}/forms/{form.id}"))
    for exit_ in stage.exits:
        if exit_.trigger and set(exit_.by) & roles:
            actions.append(
                Action(label=exit_.title or exit_.trigger, post=f"{here}/triggers/{exit_.trigger}")
            )
    awaited = {d.satisfied_by_event for d in mine} | {e.on_event for e in stage.exits if e.on_event}
    for event in spec.events:
        if set(event.by) & roles and (event.id in awaited or event.start_child or event.sets):
            label = w.t("Report: {event}", event=title_of(event, w))
            where = f"{here}/events/{event.id}"
            actions.append(Action(label=label, href=where) if event.data else Action(label=label, post=where))
    for form_id, versions in instance.records.items():
        latest, form = versions[-1], spec.form(form_id)
        signed = {s.role for s in latest.signatures}
        for role in sorted(set(form.signed_by) & roles - signed):
            if not latest.complete:
                titled = w.title(title_of(form, w))
                label = w.t("Sign {form} as {role}", form=titled, role=role_name(spec, role, w))
                actions.append(Action(label=label, post=f"{here}/signatures/{form_id}", role=role))
    return actions


def _records(spec: ProcessSpec, instance: Instance, timezone: str, w: Words) -> list[dict[str, Any]]:
    """The latest version of each record, its values as people read them."""
    shown = []
    for form_id, versions in instance.records.items():
        form, latest = spec.form(form_id), versions[-1]
        fields = {f.id: f for f in form.fields}
        signed = ""
        if form.signed_by:
            signed = w.t("fully signed") if latest.complete else w.t("awaiting signatures")
        at = latest.submitted_at.astimezone(zone(timezone)).strftime("%Y-%m-%d %H:%M")
        values = [
            (title_of(fields[k], w) if k in fields else k, readable(fields.get(k), v, timezone, w))
            for k, v in latest.data.items()
        ]
        shown.append(
            {
                "form": form_id,
                "title": w.title(title_of(form, w)),
                "version": latest.version,
                "submitted": w.t("{at} by {actor}", at=at, actor=latest.submitted_by),
                "signed": signed,
                "fields": values,
            }
        )
    return shown

"""The HTTP API, JSON under `/api/v1`, documented by its OpenAPI schema (`/api/v1/openapi.json`).

Every call names its user with a bearer token (`Authorization: Bearer sopflow_...`); the engine acts
as that user, in the roles the store gives them. A command may carry an `Idempotency-Key` header:
repeating it repeats the first answer. A refusal is an RFC 9457 problem (`application/problem+json`)
with the engine's reason code and every problem: an unknown process, case or name is 404, a role
that may not act 403, invalid data 422, a command the case's state does not allow now 409, and
another writer being first 409 with `retry: true`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request
from fastapi.responses import JSONResponse

from engine.errors import CommandRefused, Reason, SopflowError
from engine.loading.yaml_source import read_data
from engine.persistence.accounts import User
from engine.reports.metrics import compute
from engine.reports.period import parse_period, period_containing
from engine.reports.review import review_json
from engine.runtime.engine import Engine, Outcome
from engine.runtime.instance import Instance
from engine.runtime.store import ConflictError
from engine.service.auth import actor, token_digest
from engine.service.state import OpenDuty, Service
from engine.spec.model import ProcessSpec
from engine.time.calendar import zone

PROBLEM = "application/problem+json"
STATUS = {
    Reason.UNKNOWN_PROCESS: 404,
    Reason.UNKNOWN_INSTANCE: 404,
    Reason.UNKNOWN_NAME: 404,
    Reason.ROLE_NOT_ALLOWED: 403,
    Reason.INVALID_ACTOR: 403,
    Reason.INVALID_DATA: 422,
    Reason.KEY_REUSED: 422,
}
"""Each refusal's HTTP status; any other (the case's state does not allow it now) is 409."""


def problem(
    status: int, title: str, detail: str, *, headers: Mapping[str, str] | None = None, **more: Any
) -> JSONResponse:
    """An RFC 9457 problem."""
    return JSONResponse(
        {"type": "about:blank", "title": title, "status": status, "detail": detail, **more},
        status_code=status,
        media_type=PROBLEM,
        headers=dict(headers or {}),
    )


def refused(refusal: CommandRefused) -> JSONResponse:
    status = STATUS.get(refusal.reason, 409)
    return problem(
        status,
        "The command was refused",
        refusal.message,
        reason=refusal.reason.value,
        problems=list(refusal.details),
    )


def conflicted(conflict: ConflictError) -> JSONResponse:
    return problem(409, "Another writer was first", str(conflict), reason="conflict", retry=True)


def caller(request: Request, authorization: Annotated[str | None, Header()] = None) -> User:
    """The user whose bearer token the request carries (enabled, the token not revoked)."""
    service: Service = request.app.state.service
    scheme, _, token = (authorization or "").partition(" ")
    user = service.accounts.token_user(token_digest(token.strip())) if scheme.lower() == "bearer" else None
    if user is None:
        raise HTTPException(401, "a valid bearer token is needed", headers={"WWW-Authenticate": "Bearer"})
    return user


async def body_data(request: Request) -> dict[str, Any]:
    """A command's data: the request's JSON body, read with the bounds every input has."""
    raw = await request.body()
    if not raw.strip():
        return {}
    data, problems = read_data(raw, "the request body")
    if problems:
        found = [str(p) for p in problems]
        raise CommandRefused(Reason.INVALID_DATA, "the request body cannot be read", found)
    return data


Caller = Annotated[User, Depends(caller)]
Key = Annotated[str, Header(alias="Idempotency-Key", max_length=200)]
Data = Annotated[dict[str, Any], Depends(body_data)]


def router(service: Service) -> APIRouter:
    api = APIRouter(prefix="/api/v1")

    def act(user: User, command: Any) -> dict[str, Any]:
        with service.engine() as engine:
            outcome: Outcome = command(engine)
            return {"instance": instance_json(engine, engine.instance(outcome.instance), user)}

    @api.get("/processes", summary="The processes and their versions")
    def processes(user: Caller) -> list[dict[str, Any]]:
        with service.engine() as engine:
            versions: dict[str, list[int]] = {}
            for process, version in service.store.definition_versions():
                versions.setdefault(process, []).append(version)
            return [_process_json(engine.definition(p), v) for p, v in versions.items()]

    @api.post(
        "/processes/{process}/instances",
        status_code=201,
        summary="Start an instance",
        openapi_extra=DATA_BODY,
    )
    def start(process: str, user: Caller, data: Data, key: Key = "") -> dict[str, Any]:
        return act(user, lambda e: e.start(process, data, actor(user), key=key))

    @api.get("/instances/{instance}", summary="An instance: its stage, open duties and records")
    def get_instance(instance: str, user: Caller) -> dict[str, Any]:
        with service.engine() as engine:
            return instance_json(engine, engine.instance(instance), user)

    @api.get("/instances/{instance}/history", summary="An instance's journal")
    def history(instance: str, user: Caller) -> list[dict[str, Any]]:
        with service.engine() as engine:
            found = engine.instance(instance)
            tz = zone(engine.definition_of(found).calendar.timezone)
            return [e.as_dict() | {"at": e.at.astimezone(tz).isoformat()} for e in found.journal]

    @api.post("/instances/{instance}/triggers/{trigger}", summary="Fire a trigger")
    def fire(instance: str, trigger: str, user: Caller, key: Key = "") -> dict[str, Any]:
        return act(user, lambda e: e.fire(instance, trigger, actor(user), key=key))

    @api.post(
        "/instances/{instance}/records/{form}", summary="Submit a form (a record)", openapi_extra=DATA_BODY
    )
    def submit(instance: str, form: str, user: Caller, data: Data, key: Key = "") -> dict[str, Any]:
        return act(user, lambda e: e.submit(instance, form, data, actor(user), key=key))

    @api.post("/instances/{instance}/records/{form}/signatures", summary="Sign the latest record of a form")
    def sign(instance: str, form: str, user: Caller, role: str = "", key: Key = "") -> dict[str, Any]:
        return act(user, lambda e: e.sign(instance, form, actor(user), role=role, key=key))

    @api.post("/instances/{instance}/events/{event}", summary="Report an event", openapi_extra=DATA_BODY)
    def raise_event(instance: str, event: str, user: Caller, data: Data, key: Key = "") -> dict[str, Any]:
        return act(user, lambda e: e.raise_event(instance, event, data, actor(user), key=key))

    @api.get("/me", summary="Who the token is")
    def me(user: Caller) -> dict[str, Any]:
        return {"id": user.id, "name": user.name, "roles": sorted(user.roles), "timezone": user.timezone}

    @api.get("/me/duties", summary="The open duties of my roles, overdue ones first, then by due")
    def my_duties(user: Caller) -> list[dict[str, Any]]:
        with service.engine() as engine:
            now = engine.clock.now()
            return [_duty_json(o, now) for o in service.open_duties(engine, user, now)]

    @api.get("/duties/overdue", summary="Every open duty past its deadline, most overdue first")
    def overdue(user: Caller) -> list[dict[str, Any]]:
        with service.engine() as engine:
            now = engine.clock.now()
            everyone = replace(user, roles=frozenset(r.id for s in service.specs(engine) for r in s.roles))
            return [
                _duty_json(o, now) for o in service.open_duties(engine, everyone, now) if o.duty.due <= now
            ]

    @api.get("/processes/{process}/metrics", summary="A process's review metrics over a period")
    def metrics(process: str, user: Caller, period: str = "") -> dict[str, Any]:
        with service.engine() as engine:
            spec = engine.definition(process)
            tz = spec.calendar.timezone
            now = engine.clock.now()
            if period:
                span, label = parse_period(period, tz)
            else:
                span, label = period_containing(now, spec.report.period if spec.report else "month", tz)
            span = replace(span, as_of=min(span.end or now, now))
            instances = [engine.instance(s.id) for s in service.store.summaries() if s.process == process]
            return review_json(spec, compute(spec, instances, span), label)

    return api


DATA_BODY = {"requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}}}
"""The body a command takes, for the OpenAPI schema (it is read by `body_data`, not by FastAPI)."""


def _process_json(spec: ProcessSpec, versions: list[int]) -> dict[str, Any]:
    return {
        "id": spec.id,
        "title": spec.title,
        "locale": spec.locale,
        "versions": sorted(versions),
        "start_by": list(spec.start_by),
        "inputs": {v.id: v.schema() for v in spec.variables if v.input != "none"},
    }


def _duty_json(open_duty: OpenDuty, now: datetime) -> dict[str, Any]:
    duty, instance, spec = open_duty.duty, open_duty.instance, open_duty.spec
    tz = zone(spec.calendar.timezone)
    return {
        "instance": instance.id,
        "process": spec.id,
        "key": duty.key,
        "duty": duty.id,
        "title": open_duty.title,
        "role": duty.role,
        "stage": instance.stage,
        "due": duty.due.astimezone(tz).isoformat(),
        "overdue": duty.due <= now,
        "seconds_left": int((duty.due - now).total_seconds()),
    }


def instance_json(engine: Engine, instance: Instance, user: User) -> dict[str, Any]:
    spec = engine.definition_of(instance)
    tz = zone(spec.calendar.timezone)
    now = engine.clock.now()
    return {
        "id": instance.id,
        "process": spec.id,
        "version": spec.version,
        "stage": instance.stage,
        "finished": instance.finished,
        "variables": instance.variables,
        "open_duties": [
            _duty_json(OpenDuty(instance=instance, spec=spec, duty=d), now) for d in instance.open_duties()
        ],
        "records": {
            form: [
                {
                    "version": r.version,
                    "data": r.data,
                    "submitted_at": r.submitted_at.astimezone(tz).isoformat(),
                    "submitted_by": r.submitted_by,
                    "signed": r.complete if spec.form(form).signed_by else None,
                    "signatures": [{"role": s.role, "by": s.actor} for s in r.signatures],
                }
                for r in versions
            ]
            for form, versions in instance.records.items()
        },
        "mine": sorted({d.key for d in instance.open_duties() if d.role in user.roles}),
    }


def install_errors(app: Any) -> None:
    """Refusals and store failures as problems, never a traceback."""

    async def on_refusal(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, CommandRefused)
        return refused(error)

    async def on_conflict(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, ConflictError)
        return conflicted(error)

    async def on_failure(request: Request, error: Exception) -> JSONResponse:
        return problem(503, "The store could not be used", str(error))

    app.add_exception_handler(CommandRefused, on_refusal)
    app.add_exception_handler(ConflictError, on_conflict)
    app.add_exception_handler(SopflowError, on_failure)

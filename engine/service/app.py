"""`sopflow serve`'s application: the HTTP API under `/api/v1` and the worklist pages, over one store.

A request body is read as every input is, bounded: at most 2 MiB (a larger one is refused with 413
before it is read whole), and JSON data through the same reader as files and `--data` (depth, alias
and size bounds, duplicate keys refused). A refusal or a fault is a problem the caller can read;
nobody gets a traceback, and nothing is served to a user who is not signed in.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine.loading.yaml_source import MAX_BYTES
from engine.service import api, pages
from engine.service.state import Service


def create_app(service: Service) -> FastAPI:
    app = FastAPI(
        title="sopflow",
        summary="Standard operating procedures as running cases: start, act, sign, see what is due.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.state.service = service
    app.include_router(api.router(service))
    app.include_router(pages.router(service))
    api.install_errors(app)

    async def http_problem(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        if not request.url.path.startswith("/api/") and error.status_code == 401:
            return RedirectResponse("/login", status_code=303)
        return api.problem(error.status_code, "Refused", str(error.detail), headers=error.headers or {})

    async def invalid_request(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        details = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()]
        return api.problem(422, "The request is not valid", "; ".join(details), problems=details)

    app.add_exception_handler(HTTPException, http_problem)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_middleware(BoundedBody)
    return app


class BoundedBody:
    """Refuse a request body larger than `MAX_BYTES`: by its Content-Length at once, or, sent in
    chunks, as soon as it grows past the bound."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"0")
        if declared.isdigit() and int(declared) > MAX_BYTES:
            await _too_large(scope, receive, send)
            return
        seen = 0

        async def bounded() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > MAX_BYTES:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, bounded, send)
        except _TooLarge:
            await _too_large(scope, receive, send)


class _TooLarge(Exception):
    pass


async def _too_large(scope: Scope, receive: Receive, send: Send) -> None:
    detail = f"the request body is larger than {MAX_BYTES // 1048576} MiB"
    response: Any = api.problem(413, "The request is too large", detail)
    await response(scope, receive, send)

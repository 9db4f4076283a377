"""Errors: JSON error objects under /api, friendly pages elsewhere; never a bare 500 for user input.

/api/v1 answers ``{"error": {"status", "code", "message", "details"}}``; the
Hugging Face–compatible routes answer HF's ``{"error": "message"}``, which
``huggingface_hub`` turns into its exceptions.
"""

from __future__ import annotations

import logging
import math
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from paperwire.store import StoreBusy
from paperwire.web.deps import render
from paperwire.web.security_headers import add_security_headers

log = logging.getLogger(__name__)
HF_PATHS = ("/api/daily_papers", "/api/papers/")


# Python renames phrases now and then (422 became "Unprocessable Content" in 3.13); codes stay put.
CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 406: "not_acceptable",
         413: "content_too_large", 422: "unprocessable_entity", 429: "too_many_requests",
         500: "internal_server_error", 503: "service_unavailable"}


def error_body(status: int, message: str, details: Any = None) -> dict[str, Any]:
    """The one error shape of the JSON API."""
    code = CODES.get(status) or _phrase(status).lower().replace(" ", "_").replace("-", "_")
    body: dict[str, Any] = {"error": {"status": status, "code": code, "message": message}}
    if details is not None:
        body["error"]["details"] = details
    return body


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def respond(request: Request, status: int, message: str, details: Any = None) -> Response:
    """An error as JSON for API paths (HF's shape on HF's paths), as a page otherwise."""
    path = request.url.path
    if path.startswith(HF_PATHS):
        return JSONResponse({"error": message}, status_code=status)
    if path.startswith("/api/"):
        return JSONResponse(error_body(status, message, details), status_code=status)
    return render(request, "error.html", status_code=status, status=status, message=message,
                  title=f"{status} · {_phrase(status)}", noindex=True)


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [{"where": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")}
            for e in exc.errors()]


def install(app: FastAPI) -> None:
    """Register the handlers."""

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else _phrase(exc.status_code)
        response = respond(request, exc.status_code, message)
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        details = _validation_details(exc)
        message = "; ".join(f"{d['where']}: {d['problem']}" for d in details) or "invalid request"
        return respond(request, 422, message, details)

    @app.exception_handler(StoreBusy)
    async def busy(request: Request, exc: StoreBusy) -> Response:
        return _busy(request, exc)

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        if isinstance(exc, StoreBusy):  # raised in a middleware (the validators' reads), outside the handlers
            response = _busy(request, exc)
        else:
            log.exception("unhandled error on %s", request.url.path)
            response = respond(request, 500, "Something went wrong on our side; it has been logged.")
        # Starlette sends this from outside the middleware stack: add the headers here.
        add_security_headers(response.headers, request.app.state.settings.secure_cookies())
        return response


def _busy(request: Request, exc: StoreBusy) -> Response:
    """503 with Retry-After: another writer held the lock past ``web_busy_timeout_ms``; nothing changed, and a
    retry may succeed (a 500 after 30 s, before)."""
    log.warning("database busy on %s %s: %s", request.method, request.url.path, exc)
    response = respond(request, 503, "The database is busy right now; nothing was changed. Try again in a few "
                       "seconds.")
    response.headers["Retry-After"] = str(max(1, math.ceil(request.app.state.settings.web_busy_timeout_ms / 1000)))
    return response


class RejectNul:
    """A NUL character in the path or query is an invalid parameter (422, in the error shape of the route:
    API, Hugging Face or page): no name, id or query of ours holds one, and PostgreSQL refuses it in text
    (a 500 deep in some route otherwise)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and ("\x00" in scope["path"] or b"%00" in scope.get("query_string", b"")):
            response = respond(Request(scope), 422, "NUL characters are not allowed in URLs")
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

"""Errors: JSON error objects under /api, friendly pages elsewhere; never a bare 500 for user input."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.responses import Response

from paperwire.web.deps import render

log = logging.getLogger(__name__)


def error_body(status: int, message: str, details: Any = None) -> dict[str, Any]:
    """The one error shape of the JSON API."""
    code = HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    body: dict[str, Any] = {"error": {"status": status, "code": code, "message": message}}
    if details is not None:
        body["error"]["details"] = details
    return body


def respond(request: Request, status: int, message: str, details: Any = None) -> Response:
    """An error as JSON for API paths, as a page otherwise."""
    if request.url.path.startswith("/api/"):
        return JSONResponse(error_body(status, message, details), status_code=status)
    return render(request, "error.html", status_code=status, status=status, message=message,
                  title=HTTPStatus(status).phrase)


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [{"where": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")}
            for e in exc.errors()]


def install(app: FastAPI) -> None:
    """Register the handlers."""

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        response = respond(request, exc.status_code, message)
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        details = _validation_details(exc)
        message = "; ".join(f"{d['where']}: {d['problem']}" for d in details) or "invalid request"
        return respond(request, 422, message, details)

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.url.path)
        return respond(request, 500, "Something went wrong on our side; it has been logged.")

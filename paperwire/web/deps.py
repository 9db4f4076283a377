"""Request-scoped access to the application's runtime and shared response helpers."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from paperwire.ingest.records import http_url
from paperwire.models import Paper
from paperwire.runtime import Runtime
from paperwire.web.paper_signals import NOTHING_KNOWN, PaperSignals


async def runtime(request: Request) -> Runtime:
    """The Runtime this app was built with (async: FastAPI would run a sync one in a thread)."""
    rt: Runtime = request.app.state.runtime
    return rt


def public_url(request: Request, path: str, params: dict[str, Any] | list[tuple[str, Any]] | None = None) -> str:
    """An absolute URL on this site (from the configured base URL), dropping empty parameters."""
    base: str = request.app.state.settings.public_url()
    pairs = list(params.items()) if isinstance(params, dict) else list(params or [])
    query = urlencode([(k, v) for k, v in pairs if v is not None and v != "" and v is not False and v != []],
                      doseq=True)
    return f"{base}{path}" + (f"?{query}" if query else "")


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    """A page from a template.

    ``canonical`` defaults to the request's path without its query; pages whose
    query selects content (search, page numbers) pass their own.
    """
    templates: Jinja2Templates = request.app.state.templates
    context.setdefault("canonical", public_url(request, request.url.path))
    return templates.TemplateResponse(request, template, context, status_code=status_code)


class JSON(Response):
    """JSON encoded with orjson: fast, and dates as ISO strings."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def paper_json(paper: Paper, signals: PaperSignals = NOTHING_KNOWN, base_url: str = "") -> dict[str, Any]:
    """A paper as the JSON API shows it."""
    return {
        "id": paper.id,
        "title": paper.title,
        "abstract": paper.abstract,
        "authors": paper.authors,
        "categories": paper.categories,
        "primary_category": paper.primary_category,
        "comment": paper.comment,
        "journal_ref": paper.journal_ref,
        "doi": paper.doi,
        "license": http_url(paper.license),  # API clients render it as a link too
        "announced": paper.announced.isoformat() if paper.announced else None,
        "submitted": paper.submitted.isoformat() if paper.submitted else None,
        "updated": paper.updated.isoformat() if paper.updated else None,
        "version": paper.version,
        "versions": [{"version": v.version, "created": v.created.isoformat() if v.created else None}
                     for v in paper.versions],
        "withdrawn": paper.withdrawn,
        "urls": {"abs": paper.abs_url, "pdf": paper.pdf_url, "html": f"{base_url}/paper/{paper.id}"},
        "upvotes": signals.upvotes,
        "hf_upvotes": signals.hf_upvotes,
        "community_upvotes": signals.community_upvotes,
        "comments": signals.comments,
        "code": {"repo": signals.github_repo, "stars": signals.github_stars} if signals.github_repo else None,
    }

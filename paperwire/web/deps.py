"""Request-scoped access to the application's runtime and shared helpers."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from paperwire.models import Paper
from paperwire.runtime import Runtime


def runtime(request: Request) -> Runtime:
    """The Runtime this app was built with."""
    rt: Runtime = request.app.state.runtime
    return rt


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    """A page from a template, with the canonical URL of the request."""
    templates: Jinja2Templates = request.app.state.templates
    base = request.app.state.settings.public_url()
    context.setdefault("canonical", base + request.url.path)
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def paper_json(paper: Paper) -> dict[str, Any]:
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
        "license": paper.license,
        "announced": paper.announced.isoformat() if paper.announced else None,
        "submitted": paper.submitted.isoformat() if paper.submitted else None,
        "updated": paper.updated.isoformat() if paper.updated else None,
        "version": paper.version,
        "versions": [{"version": v.version, "created": v.created.isoformat() if v.created else None}
                     for v in paper.versions],
        "withdrawn": paper.withdrawn,
        "urls": {"abs": paper.abs_url, "pdf": paper.pdf_url},
    }

"""Response shapes of the JSON API, for the OpenAPI document (handlers return plain dicts).

The schema test (schemathesis) checks every response against these, so the
document and the code cannot drift apart.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    where: str
    problem: str


class ErrorInfo(BaseModel):
    status: int = Field(description="The HTTP status code.")
    code: str = Field(description="The status as a machine-readable word, e.g. not_found.")
    message: str = Field(description="What went wrong, for people.")
    details: list[ErrorDetail] | None = Field(None, description="Per-parameter problems of a 422.")


class ErrorOut(BaseModel):
    """The one error shape of /api/v1."""

    error: ErrorInfo


class VersionOut(BaseModel):
    version: int
    created: str | None


class UrlsOut(BaseModel):
    abs: str = Field(description="The arXiv abstract page.")
    pdf: str
    html: str = Field(description="The paper's page on this site.")


class CodeOut(BaseModel):
    repo: str = Field(description="GitHub repository URL.")
    stars: int | None


class PaperOut(BaseModel):
    id: str = Field(description="arXiv identifier without version.")
    title: str
    abstract: str
    authors: list[str]
    categories: list[str] = Field(description="arXiv categories, primary first.")
    primary_category: str | None
    comment: str | None
    journal_ref: str | None
    doi: str | None
    license: str | None
    announced: str | None = Field(description="Day arXiv announced it (YYYY-MM-DD).")
    submitted: str | None
    updated: str | None
    version: int
    versions: list[VersionOut]
    withdrawn: bool
    urls: UrlsOut
    upvotes: int = Field(description="Community upvotes (0 until upvotes are collected).")
    code: CodeOut | None = Field(description="Code repository and its stars, when known.")


class HitOut(PaperOut):
    score: float
    ranks: dict[str, int] = Field(description="Rank of the paper in each retriever (e.g. keyword).")
    highlights: dict[str, str] | None = Field(None, description="HTML with <mark> around matches (highlight=true).")


class PageLinks(BaseModel):
    total: int = Field(description="How many results there are in all.")
    offset: int
    limit: int
    next: str | None = Field(description="URL of the next page, or null on the last one.")
    prev: str | None = Field(description="URL of the previous page, or null on the first one.")


class SearchOut(PageLinks):
    query: str
    mode: str
    sort: str = Field(description="The sort asked for.")
    order: str = Field(description="The order actually used.")
    order_note: str | None
    results: list[HitOut]


class ListingOut(PageLinks):
    kind: Literal["day", "week", "month", "trending", "category"]
    key: str | None = Field(description="2026-05-14, 2026-W20, 2026-05, today/week/month or a category.")
    start: str | None
    end: str | None
    previous_period: str | None = Field(description="Key of the nearest earlier period with papers.")
    next_period: str | None = Field(description="Key of the nearest later period with papers.")
    category: str | None
    order: str = Field(description="The order used (newest until trending scores are available).")
    order_note: str
    papers: list[PaperOut]


class SimilarOut(BaseModel):
    id: str
    method: str = Field(description="How similarity was judged: semantic (embeddings) or keyword (not embedded yet).")
    note: str
    papers: list[HitOut]


class CategoryOut(BaseModel):
    id: str
    name: str
    archive: str
    archive_name: str
    papers: int


class CategoriesOut(BaseModel):
    total: int
    categories: list[CategoryOut]


ERRORS: dict[int | str, dict[str, object]] = {
    404: {"model": ErrorOut, "description": "Not found"},
    422: {"model": ErrorOut, "description": "Invalid parameters"},
}
# Endpoints that act for a signed-in user or an API token.
PERSONAL_ERRORS: dict[int | str, dict[str, object]] = {
    **ERRORS,
    400: {"model": ErrorOut, "description": "The request cannot be carried out as asked"},
    401: {"model": ErrorOut, "description": "Not signed in and no (valid) API token"},
    403: {"model": ErrorOut, "description": "Forbidden: CSRF check failed, read-only token, or account disabled"},
    409: {"model": ErrorOut, "description": "Conflicts with the current state"},
    429: {"model": ErrorOut, "description": "Too many requests; try again later"},
    502: {"model": ErrorOut, "description": "arXiv could not be reached to fetch a submitted paper"},
}

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
    upvotes: int = Field(description="Upvotes: Hugging Face's (the most on any daily list) plus this site's members'.")
    hf_upvotes: int = Field(description="Upvotes on Hugging Face's daily papers (the most on any list).")
    community_upvotes: int = Field(description="Upvotes of this site's members.")
    comments: int = Field(0, description="Comments anyone can read in the paper's discussion "
                          "(`/api/v1/papers/{id}/comments`).")
    code: CodeOut | None = Field(description="The paper's own code repository and its latest star count, when known.")


class ReasonOut(BaseModel):
    kind: str = Field(description="stars, hf (Hugging Face upvotes), community or age")
    text: str = Field(description="e.g. +312 stars this week on owner/name")
    value: float | int | str | None


class RankedPaperOut(PaperOut):
    rank: int | None = Field(None, description="Place in the trending ranking (trending listings only).")
    score: float | None = Field(None, description="Trending score (docs/trending.md).")
    summary: str | None = Field(None, description="The reasons in one line.")
    reasons: list[ReasonOut] | None = Field(None, description="Why the paper is trending.")


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
    total_exact: bool = Field(True, description="False when total is a lower bound: a long query over a large "
                              "library is ranked on its rarest words first and counts only their matches.")
    query: str
    mode: str
    sort: str = Field(description="The sort asked for.")
    order: str = Field(description="The order actually used.")
    order_note: str | None
    identified: str | None = Field(None, description="The paper the query names (an arXiv id or link, a DOI or "
                                   "its exact title), put first; null when it names none.")
    unknown_id: str | None = Field(None, description="An arXiv id the query names that this library does not "
                                   "hold.")
    results: list[HitOut]


class ListingOut(PageLinks):
    kind: Literal["day", "week", "month", "trending", "category"]
    key: str | None = Field(description="2026-05-14, 2026-W20, 2026-05, today/week/month or a category.")
    start: str | None
    end: str | None
    previous_period: str | None = Field(description="Key of the nearest earlier period with papers.")
    next_period: str | None = Field(description="Key of the nearest later period with papers.")
    category: str | None
    order: str = Field(description="The order used: trending (rank in the stored ranking) or newest.")
    order_note: str
    computed_at: str | None = Field(description="When the trending ranking was computed (trending order only).")
    papers: list[RankedPaperOut]


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
    413: {"model": ErrorOut, "description": "The request body is over the site's limit (max_body_bytes)"},
    429: {"model": ErrorOut, "description": "Too many requests; try again later"},
    502: {"model": ErrorOut, "description": "arXiv could not be reached to fetch a submitted paper"},
}

"""The search page: the query syntax, filters as controls, sorting, paging and useful "no results"."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import RedirectResponse, Response

from paperwire.models import arxiv_id_in, doi_in
from paperwire.runtime import Runtime
from paperwire.search.engine import SearchError, search
from paperwire.taxonomy import category
from paperwire.web.deps import public_url, render, runtime
from paperwire.web.limits import AnonymousLimit
from paperwire.web.paging import page_url, pager
from paperwire.web.paper_signals import paper_signals
from paperwire.web.search import (
    MAX_CATEGORIES,
    SORT_NOTES,
    SORTS,
    CategoryValue,
    FormError,
    SearchForm,
    author_summary,
    parse_day,
    suggestions,
)
from paperwire.web.viewer import muted_view, viewer_context

router = APIRouter(include_in_schema=False)
RT = Annotated[Runtime, Depends(runtime)]
PAGE_SIZE = 20
MAX_OFFSET = 10_000
# The categories offered in the filter control; any other works through cat: in the query.
FILTER_CATEGORIES = ("cs.AI", "cs.CL", "cs.CV", "cs.LG", "cs.RO", "cs.IR", "cs.HC", "cs.CR", "cs.SE", "cs.GR",
                     "cs.MA", "cs.SD", "cs.CY", "eess.IV", "eess.AS", "stat.ML")
EXAMPLES = ('"gaussian splatting"', 'author:"Yann LeCun"', "cat:cs.CL after:2026-01 reasoning",
            "diffusion -video has:code")


def arxiv_or_doi(q: str) -> bool:
    """Whether the query is nothing but an arXiv id or link, or a DOI."""
    return arxiv_id_in(q) is not None or doi_in(q) is not None


def _form(q: str, sort: str, cat: list[str], date_from: str, date_to: str, code: str, page: int) -> SearchForm:
    return SearchForm(q=q, sort=sort, categories=[c for c in cat if c][:MAX_CATEGORIES],
                      date_from=parse_day(date_from, "From"), date_to=parse_day(date_to, "To"),
                      has_code=code not in ("", "0"), page=page)


@router.get("/search", dependencies=[AnonymousLimit])
def search_page(
    request: Request,
    rt: RT,
    q: Annotated[str, Query(max_length=4000)] = "",
    sort: Annotated[str, Query(pattern="^(|relevance|newest|trending)$")] = "",
    cat: Annotated[list[CategoryValue] | None, Query(max_length=40)] = None,
    date_from: Annotated[str, Query(alias="from", max_length=20)] = "",
    date_to: Annotated[str, Query(alias="to", max_length=20)] = "",
    code: Annotated[str, Query(max_length=5)] = "",
    page: Annotated[int, Query(ge=1, le=MAX_OFFSET // PAGE_SIZE)] = 1,
) -> Response:
    context: dict[str, Any] = {"title": "Search", "q": q, "results": None, "error": None, "sorts": SORTS,
                               "filter_categories": [category(c) for c in FILTER_CATEGORIES], "examples": EXAMPLES,
                               "search_page": True, "nav": "search"}
    try:
        form = _form(q, sort, cat or [], date_from, date_to, code, page)
    except FormError as exc:
        context.update(form=SearchForm(q=q), error=str(exc))
        return render(request, "search.html", status_code=422, **context)
    context["form"] = form
    if form.is_blank:
        return render(request, "search.html", **context)
    context["title"] = f"{q.strip()} · Search" if q.strip() else "Search"
    try:
        results = search(rt.store, rt.indexes, form.request(PAGE_SIZE, (page - 1) * PAGE_SIZE), rt.search_policy)
    except SearchError as exc:
        context["error"] = str(exc)
        return render(request, "search.html", status_code=422, **context)
    if results.identified and arxiv_or_doi(q):  # a pasted id, link or DOI: straight to the paper
        return RedirectResponse(f"/paper/{results.identified}", status_code=303)
    params = form.params()
    pages = max(1, -(-results.total // PAGE_SIZE))
    shown, muted = muted_view(request, [h.paper for h in results.hits if h.paper is not None])
    if muted:  # a member's mutes hide some hits (nobody else's page changes)
        keep = {p.id for p in shown}
        results.hits = [h for h in results.hits if h.paper_id in keep]
    context.update(**muted)
    context.update(
        results=results, signals=paper_signals(rt.store, [h.paper_id for h in results.hits]),
        **viewer_context(request, [h.paper_id for h in results.hits]),
        pager=pager("/search", params, page, pages, MAX_OFFSET // PAGE_SIZE),
        canonical=public_url(request, "/search", params), sort_note=SORT_NOTES.get(form.effective_sort),
        feeds=(page_url("/feeds/search.atom", {**params, "sort": ""}, 1),
               page_url("/feeds/search.rss", {**params, "sort": ""}, 1)),
    )
    author = form.author_only
    if author and page == 1 and results.total:
        context["author"] = author_summary(rt, author)
    if not results.hits:
        context["suggestions"] = [(s, page_url("/search", s.form.params(), 1)) for s in suggestions(rt, form)]
    return render(request, "search.html", **context)

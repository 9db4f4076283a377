"""Author pages: ``/author/{slug}``, an author's papers newest first with their counts, co-authors,
trending papers and a Follow button (``community.authors``; the feed is in ``routes/feeds.py``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from paperwire.community.authors import AuthorPage, Moved, author_page
from paperwire.runtime import Runtime
from paperwire.taxonomy import category
from paperwire.web.auth import VisitorDep
from paperwire.web.auth import page as personal_page
from paperwire.web.deps import public_url, render, runtime
from paperwire.web.http import PERSONAL
from paperwire.web.paging import pager
from paperwire.web.paper_signals import paper_signals
from paperwire.web.viewer import viewer_context

router = APIRouter(include_in_schema=False)
RT = Annotated[Runtime, Depends(runtime)]
PageNo = Annotated[int, Query(ge=1, le=10_000)]
PAGE_SIZE = 25


@router.get("/author/{slug}")
def author(request: Request, rt: RT, who: VisitorDep, slug: str, page: PageNo = 1) -> Response:
    found = author_page(rt.store, slug[:300], PAGE_SIZE, (page - 1) * PAGE_SIZE)
    if found is None:
        raise HTTPException(404, f"Nobody called {slug!r} wrote a paper here.")
    if isinstance(found, Moved):  # another spelling, or a name merged into another: one URL per author
        return RedirectResponse(f"/author/{found.slug}" + (f"?page={page}" if page > 1 else ""), status_code=308)
    pages = -(-found.total // PAGE_SIZE)
    if page > pages:
        raise HTTPException(404, f"There is no page {page} here; {found.name} has {pages}.")
    path = f"/author/{found.slug}"
    context = _context(rt, found, page, pages, path)
    context["canonical"] = public_url(request, path, {"page": page if page > 1 else ""})
    if who.user is not None:  # the Follow button and the papers' buttons are this member's own
        viewer = {k: v for k, v in viewer_context(request, [p.id for p in found.papers]).items()
                  if k not in ("user", "csrf_token")}  # page() sets those two itself
        response = personal_page(request, who, "author.html", noindex=False, **{**viewer, **context})
        response.headers["Cache-Control"] = PERSONAL
        return response
    return render(request, "author.html", user=None, csrf_token="", **context)


def _context(rt: Runtime, found: AuthorPage, page: int, pages: int, path: str) -> dict[str, Any]:
    ids = [p.id for p in found.papers] + [p.id for p in found.trending.papers]
    return dict(
        title=found.name, author=found, profile=found.profile, signals=paper_signals(rt.store, ids),
        pager=pager(path, {}, page, pages), offset=(page - 1) * PAGE_SIZE, next=path,
        categories=[(category(code), n) for code, n in found.profile.categories[:12]],
        feeds=(f"/feeds/author/{found.slug}.atom", f"/feeds/author/{found.slug}.rss"),
        description=f"Papers by {found.name}: {found.total} here, newest first, with co-authors and trending papers.")

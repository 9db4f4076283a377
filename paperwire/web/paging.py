"""Page numbers for listings: which links a pager shows (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode


@dataclass(slots=True)
class Pager:
    """Links of a pager: previous, next, and numbered pages with gaps (``None``)."""

    page: int
    pages: int
    prev_url: str | None = None
    next_url: str | None = None
    items: list[tuple[int | None, str | None]] = field(default_factory=list)


def page_numbers(page: int, pages: int, around: int = 2) -> list[int | None]:
    """``[1, None, 4, 5, 6, 7, 8, None, 40]`` for page 6 of 40; every page when there are few."""
    if pages <= 2 * around + 5:
        return list(range(1, pages + 1))
    lo, hi = max(2, page - around), min(pages - 1, page + around)
    numbers: list[int | None] = [1]
    if lo > 2:
        numbers.append(None)
    numbers.extend(range(lo, hi + 1))
    if hi < pages - 1:
        numbers.append(None)
    numbers.append(pages)
    return numbers


def page_url(path: str, params: dict[str, Any], page: int) -> str:
    """``path?params&page=N`` (page 1 is the bare URL), dropping empty parameters."""
    pairs = [(k, v) for k, v in params.items() if k != "page" and v not in (None, "", False, [])]
    if page > 1:
        pairs.append(("page", page))
    query = urlencode(pairs, doseq=True)
    return f"{path}?{query}" if query else path


def pager(path: str, params: dict[str, Any], page: int, pages: int, max_page: int | None = None) -> Pager:
    """The pager for ``page`` of ``pages`` (capped at ``max_page``)."""
    last = min(pages, max_page) if max_page else pages
    result = Pager(page, last)
    if page > 1:
        result.prev_url = page_url(path, params, min(page - 1, last))
    if page < last:
        result.next_url = page_url(path, params, page + 1)
    result.items = [(n, page_url(path, params, n) if n else None) for n in page_numbers(page, last)]
    return result

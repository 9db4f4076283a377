"""The arXiv query API (``export.arxiv.org/api/query``): papers by id, and paged searches.

Used to fetch single papers on demand (submissions, gaps such as Hugging
Face daily papers outside the harvested sets). Answers are Atom feeds; an
error (a malformed id, say) is a feed whose one entry's id points at
``/api/errors`` — with HTTP 400 or, at times, 200 — and is raised as
``ArxivApiError`` with arXiv's own message.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from xml.etree.ElementTree import Element

from paperwire.ingest.arxiv_oai import finish_papers
from paperwire.ingest.codelinks import links_in_papers
from paperwire.ingest.http import HttpClient, Response, safe_url
from paperwire.ingest.records import (
    RecordError,
    abstract_field,
    arxiv_id,
    category_list,
    looks_withdrawn,
    name_list,
    storable_instant,
    text_field,
)
from paperwire.ingest.report import HarvestReport
from paperwire.ingest.xml import parse_xml, text
from paperwire.models import Paper, SourceBatch, Version, split_version
from paperwire.store import Store

log = logging.getLogger(__name__)

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"


class ArxivApiError(RuntimeError):
    """An error the API reported, or an answer that is not a usable feed."""


@dataclass
class ApiPage:
    """One page of API results."""

    papers: list[Paper]
    total: int
    start: int
    rejected: list[str] = field(default_factory=list)


def _instant(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return storable_instant(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        raise RecordError(f"bad date {value[:30]!r}") from None


def parse_entry(entry: Element) -> Paper:
    """One API ``<entry>`` as a Paper; ``RecordError`` when unusable."""
    raw = (text(entry, f"{ATOM}id") or "").split("/abs/", 1)[-1]
    pid, version = arxiv_id({"id": raw})
    primary = entry.find(f"{ARXIV}primary_category")
    terms = [primary.get("term", "")] if primary is not None else []
    terms += [c.get("term", "") for c in entry.iterfind(f"{ATOM}category")]
    cats, classes = category_list([t for t in dict.fromkeys(terms) if t])
    fields = {"title": text(entry, f"{ATOM}title"), "comment": text(entry, f"{ARXIV}comment"),
              "journal_ref": text(entry, f"{ARXIV}journal_ref"), "doi": text(entry, f"{ARXIV}doi"),
              "abstract": text(entry, f"{ATOM}summary")}
    published, updated = _instant(text(entry, f"{ATOM}published")), _instant(text(entry, f"{ATOM}updated"))
    paper = Paper(
        id=pid,
        title=text_field(fields, "title", 1_000, required=True) or "",
        abstract=abstract_field(fields, "abstract"),
        authors=name_list([n for a in entry.iterfind(f"{ATOM}author") if (n := text(a, f"{ATOM}name"))]),
        categories=cats,
        classes=classes,
        comment=text_field(fields, "comment", 5_000),
        journal_ref=text_field(fields, "journal_ref", 5_000),
        doi=text_field(fields, "doi", 5_000),
        submitted=published,
        updated=updated or published,
        version=version,
        versions=[Version(1, published)] if version == 1 else [],
        source="arxiv-api",
    )
    paper.withdrawn = looks_withdrawn(paper.comment, paper.abstract)
    return paper


def parse_feed(data: bytes) -> ApiPage:
    """An API answer as papers; raises ``ArxivApiError`` for an error feed, ``XmlError`` for bad XML."""
    root = parse_xml(data, "arXiv API response")
    if root.tag != f"{ATOM}feed":
        raise ArxivApiError(f"not an Atom feed (root element {root.tag!r})")
    entries = list(root.iterfind(f"{ATOM}entry"))
    for entry in entries:
        if "/api/errors" in (text(entry, f"{ATOM}id") or ""):
            raise ArxivApiError(f"arXiv API error: {text(entry, f'{ATOM}summary') or 'unknown error'}")
    total = text(root, f"{OPENSEARCH}totalResults")
    start = text(root, f"{OPENSEARCH}startIndex")
    page = ApiPage([], int(total) if total and total.isdigit() else len(entries),
                   int(start) if start and start.isdigit() else 0)
    for entry in entries:
        try:
            page.papers.append(parse_entry(entry))
        except RecordError as exc:
            page.rejected.append(f"{text(entry, f'{ATOM}id') or '(no id)'}: {exc}")
    return page


def _query(client: HttpClient, base_url: str, search: str, ids: Sequence[str], start: int, size: int) -> ApiPage:
    params = {"search_query": search, "id_list": ",".join(ids), "sortBy": "relevance", "sortOrder": "descending",
              "start": start, "max_results": size}
    response: Response = client.get(base_url, params)
    if response.status not in (200, 400):
        raise ArxivApiError(f"{safe_url(response.url)} answered HTTP {response.status}: {response.text_snippet()}")
    try:
        page = parse_feed(response.content)
    except ValueError as exc:
        raise ArxivApiError(f"{safe_url(response.url)}: {exc}") from None
    if response.status == 400:  # a 400 that is not arXiv's error feed
        raise ArxivApiError(f"{safe_url(response.url)} answered HTTP 400: {response.text_snippet()}")
    for reason in page.rejected:
        log.warning("arXiv API: rejected entry %s", reason)
    return page


def fetch_id_pages(client: HttpClient, base_url: str, ids: Sequence[str], batch: int = 100) -> Iterator[ApiPage]:
    """Pages of papers by id (``2501.00001`` or ``2501.00001v2``), ``batch`` ids per request; unknown ids
    are absent, unusable entries are in each page's ``rejected``."""
    unique = list(dict.fromkeys(ids))
    for i in range(0, len(unique), batch):
        yield _query(client, base_url, "", unique[i : i + batch], 0, batch)


def fetch_ids(client: HttpClient, base_url: str, ids: Sequence[str], batch: int = 100) -> Iterator[list[Paper]]:
    """Papers by id, ``batch`` ids per request (``fetch_id_pages`` without the rejected entries)."""
    for page in fetch_id_pages(client, base_url, ids, batch):
        yield page.papers


def search(client: HttpClient, base_url: str, query: str, limit: int, page_size: int = 100) -> Iterator[ApiPage]:
    """Pages of an API search (``all:transformer AND cat:cs.CL``), until ``limit`` results or the end."""
    start = 0
    while start < limit:
        page = _query(client, base_url, query, [], start, min(page_size, limit - start))
        yield page
        if not page.papers or start + len(page.papers) >= page.total:
            return
        start += len(page.papers)


def harvest_ids(store: Store, client: HttpClient, base_url: str, ids: Sequence[str], report: HarvestReport,
                batch: int = 100) -> list[str]:
    """Fetch papers by id and store them (one transaction per request); returns the ids not found."""
    wanted = {split_version(i)[0] for i in ids}
    found: set[str] = set()
    for page in fetch_id_pages(client, base_url, ids, batch):
        report.requests = client.requests
        report.rejected += len(page.rejected)
        done = finish_papers(store, page.papers)
        report.add(store.papers.save_batch(SourceBatch(done, links_in_papers(done))))
        report.pages += 1
        found.update(p.id for p in done)
    report.requests = client.requests
    return sorted(wanted - found)

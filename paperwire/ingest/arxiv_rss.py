"""arXiv's daily announcement feeds (``rss.arxiv.org/atom/<category>``): same-day new papers.

The OAI-PMH metadata of a day's papers appears only in the evening; the
feed lists them at announcement time (about 00:00 US Eastern), with the
exact announcement day. Entry types: ``new`` and ``cross`` (announced
today: the day is recorded), ``replace`` and ``replace-cross`` (a new
version of an older paper). A feed is committed whole or not at all: a
truncated download fails with the XML error and saves nothing.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from xml.etree.ElementTree import Element

from paperwire.ingest.arxiv_oai import finish_papers
from paperwire.ingest.codelinks import links_in_papers
from paperwire.ingest.http import HttpClient, safe_url
from paperwire.ingest.records import (
    RecordError,
    abstract_field,
    arxiv_id,
    category_list,
    looks_withdrawn,
    name_list,
    text_field,
    url_field,
)
from paperwire.ingest.report import HarvestReport
from paperwire.ingest.xml import parse_xml, text
from paperwire.models import Paper, SourceBatch
from paperwire.store import Store

log = logging.getLogger(__name__)

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
DC = "{http://purl.org/dc/elements/1.1/}"
_PREFIX_RE = re.compile(r"^\s*arXiv:\S+\s+Announce Type:\s*[\w-]+\s*(?:Abstract:\s*)?", re.I)
_ANNOUNCED_TODAY = ("new", "cross")


class ListingError(RuntimeError):
    """A feed that could not be read or parsed."""


@dataclass
class ListingEntry:
    """One feed entry: the paper and how it was announced."""

    paper: Paper
    announce_type: str


@dataclass
class Listing:
    """A parsed announcement feed."""

    feed_id: str
    updated: datetime | None
    entries: list[ListingEntry] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)


def _authors(raw: str | None) -> list[str]:
    if not raw:
        return []
    return name_list([a for a in re.split(r",\s*|\s+and\s+", raw) if a.strip()])


def parse_entry(entry: Element) -> ListingEntry:
    """One ``<entry>`` as a paper; raises ``RecordError`` when unusable."""
    raw_id = (text(entry, f"{ATOM}id") or "").rsplit(":", 1)[-1]
    pid, version = arxiv_id({"id": raw_id})
    kind = (text(entry, f"{ARXIV}announce_type") or "new").lower()
    summary = _PREFIX_RE.sub("", text(entry, f"{ATOM}summary") or "", count=1)
    cats, classes = category_list([c.get("term", "") for c in entry.iterfind(f"{ATOM}category") if c.get("term")])
    published = text(entry, f"{ATOM}published")
    try:
        day = date.fromisoformat(published[:10]) if published else None
    except ValueError:
        raise RecordError(f"bad published date {(published or '')[:30]!r}") from None
    fields = {"title": text(entry, f"{ATOM}title"), "license": text(entry, f"{DC}rights")}
    paper = Paper(
        id=pid,
        title=text_field(fields, "title", 1_000, required=True) or "",
        abstract=abstract_field({"abstract": summary}, "abstract"),
        authors=_authors(text(entry, f"{DC}creator")),
        categories=cats,
        classes=classes,
        license=url_field(fields, "license"),
        announced=day if kind in _ANNOUNCED_TODAY else None,
        version=version,
        source="arxiv-listing",
    )
    paper.withdrawn = looks_withdrawn(None, paper.abstract)
    return ListingEntry(paper, kind)


def parse_listing(data: bytes) -> Listing:
    """An Atom announcement feed as entries; ``XmlError`` for a malformed or truncated feed."""
    root = parse_xml(data, "arXiv announcement feed")
    if root.tag != f"{ATOM}feed":
        raise ListingError(f"not an Atom feed (root element {root.tag!r})")
    stamp = text(root, f"{ATOM}updated")
    try:
        updated = datetime.fromisoformat(stamp) if stamp else None
    except ValueError:
        updated = None
    listing = Listing(text(root, f"{ATOM}id") or "", updated)
    for entry in root.iterfind(f"{ATOM}entry"):
        try:
            listing.entries.append(parse_entry(entry))
        except RecordError as exc:
            listing.rejected.append(f"{text(entry, f'{ATOM}id') or '(no id)'}: {exc}")
    return listing


def harvest_listing(store: Store, client: HttpClient, base_url: str, category: str, report: HarvestReport,
                    categories: list[str] | None = None) -> None:
    """Read one category's feed and commit its papers (and code links) in one transaction."""
    url = f"{base_url.rstrip('/')}/{category}"
    response = client.get(url)
    report.requests = client.requests
    if response.status != 200:
        raise ListingError(f"{category}: {safe_url(response.url)} answered HTTP {response.status}: "
                           f"{response.text_snippet()}")
    try:
        listing = parse_listing(response.content)
    except ValueError as exc:
        raise ListingError(f"{category}: {exc}; nothing from this feed was saved") from None
    for reason in listing.rejected:
        log.warning("%s: rejected entry %s", category, reason)
    report.rejected += len(listing.rejected)
    wanted = [e.paper for e in listing.entries
              if not categories or any(c in categories or c.split(".")[0] in categories for c in e.paper.categories)]
    report.skipped += len(listing.entries) - len(wanted)
    papers = finish_papers(store, wanted)
    days = sorted({p.announced.isoformat() for p in wanted if p.announced})
    state = {f"harvest.listing.{category}": days[-1]} if days else {}
    report.add(store.papers.save_batch(SourceBatch(papers, links_in_papers(papers), state=state)))
    report.pages += 1
    report.withdrawn += sum(1 for p in papers if p.withdrawn)
    log.info("%s: %d entries (%s)", category, len(listing.entries), ", ".join(days) or "no announcement day")

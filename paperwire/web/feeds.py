"""RSS 2.0 and Atom 1.0 feeds of papers: pure functions from papers to bytes.

GUIDs are the papers' arXiv URLs: stable across feeds, hosts and base-URL
changes, so a reader never shows a paper twice. Dates are derived from the
papers (an entry is dated by its announcement day, or its last update), and
the feed's own date is the newest of its entries or the store's last change,
so the same data always gives the same bytes (and the same ETag).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from email.utils import format_datetime
from xml.etree import ElementTree as ET

from paperwire import __version__
from paperwire.models import Paper
from paperwire.taxonomy import category_name

ATOM_NS = "http://www.w3.org/2005/Atom"
DC_NS = "http://purl.org/dc/elements/1.1/"
FORMATS = {"rss": "application/rss+xml; charset=utf-8", "atom": "application/atom+xml; charset=utf-8"}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_AUTHORS = 50  # some papers have thousands; a feed entry names the first fifty
# XML 1.0 forbids these characters; a stray one in an abstract would make the feed unreadable.
_INVALID_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

ET.register_namespace("atom", ATOM_NS)
ET.register_namespace("dc", DC_NS)


@dataclass(frozen=True, slots=True)
class FeedInfo:
    """What a feed is: its title, description, the page it mirrors and its own URL."""

    title: str
    description: str
    page_url: str
    feed_url: str
    site_name: str
    site_url: str
    updated: datetime | None = None  # used when there are no entries


def byline(authors: Sequence[str]) -> str:
    """``A, B and C``; collaborations of hundreds are cut to the first ``MAX_AUTHORS`` and "et al."."""
    names = [clean(a) for a in authors[:MAX_AUTHORS] if clean(a)]
    if len(authors) > MAX_AUTHORS:
        return ", ".join(names) + " et al."
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1] if names else ""


def clean(text: str | None) -> str:
    """Text safe for XML, whitespace folded."""
    return " ".join(_INVALID_XML_RE.sub("", text or "").split())


def _instant(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.combine(value, time(0), tzinfo=UTC)


def published(paper: Paper) -> datetime:
    """An entry's publication date: the day Paperwire's source announced the paper."""
    when = paper.announced or paper.submitted
    return _instant(when) if when else EPOCH


def updated(paper: Paper) -> datetime:
    """An entry's last change: the newest version's date, never before publication."""
    return max(_instant(paper.updated), published(paper)) if paper.updated else published(paper)


def feed_updated(papers: Sequence[Paper], info: FeedInfo) -> datetime:
    """The feed's date: its newest entry, or the store's last change when it has none."""
    if papers:
        return max(updated(p) for p in papers)
    return info.updated or EPOCH


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrib)
    if text is not None:
        el.text = text
    return el


def _rfc3339(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _serialize(root: ET.Element) -> bytes:
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


def rss(papers: Sequence[Paper], info: FeedInfo, paper_url: str) -> bytes:
    """An RSS 2.0 feed; ``paper_url`` is the site's paper URL prefix (``https://host/paper/``)."""
    root = ET.Element("rss", {"version": "2.0"})
    channel = _sub(root, "channel")
    _sub(channel, "title", clean(info.title))
    _sub(channel, "link", info.page_url)
    _sub(channel, "description", clean(info.description))
    _sub(channel, "language", "en")
    _sub(channel, "generator", f"Paperwire {__version__}")
    _sub(channel, "lastBuildDate", format_datetime(feed_updated(papers, info).astimezone(UTC), usegmt=True))
    _sub(channel, "ttl", "60")
    _sub(channel, f"{{{ATOM_NS}}}link", href=info.feed_url, rel="self", type=FORMATS["rss"].split(";")[0])
    for paper in papers:
        item = _sub(channel, "item")
        _sub(item, "title", clean(paper.title))
        _sub(item, "link", paper_url + paper.id)
        _sub(item, "guid", paper.abs_url, isPermaLink="false")
        _sub(item, "pubDate", format_datetime(published(paper), usegmt=True))
        if paper.authors:  # one creator line: most readers show a single one
            _sub(item, f"{{{DC_NS}}}creator", byline(paper.authors))
        for code in paper.categories:
            _sub(item, "category", code, domain="https://arxiv.org/archive")
        _sub(item, "description", clean(paper.abstract))
    return _serialize(root)


def atom(papers: Sequence[Paper], info: FeedInfo, paper_url: str, notes: Mapping[str, str] | None = None) -> bytes:
    """An Atom 1.0 feed; ``paper_url`` is the site's paper URL prefix; ``notes`` (by paper id) open an
    entry's summary (a "For you" feed says there why each paper is in it)."""
    root = ET.Element(f"{{{ATOM_NS}}}feed")
    root.set("xml:lang", "en")
    _sub(root, f"{{{ATOM_NS}}}id", info.feed_url)
    _sub(root, f"{{{ATOM_NS}}}title", clean(info.title))
    _sub(root, f"{{{ATOM_NS}}}subtitle", clean(info.description))
    _sub(root, f"{{{ATOM_NS}}}updated", _rfc3339(feed_updated(papers, info)))
    _sub(root, f"{{{ATOM_NS}}}link", rel="self", href=info.feed_url, type=FORMATS["atom"].split(";")[0])
    _sub(root, f"{{{ATOM_NS}}}link", rel="alternate", href=info.page_url, type="text/html")
    author = _sub(root, f"{{{ATOM_NS}}}author")
    _sub(author, f"{{{ATOM_NS}}}name", info.site_name)
    _sub(author, f"{{{ATOM_NS}}}uri", info.site_url)
    _sub(root, f"{{{ATOM_NS}}}generator", "Paperwire", version=__version__)
    for paper in papers:
        entry = _sub(root, f"{{{ATOM_NS}}}entry")
        _sub(entry, f"{{{ATOM_NS}}}id", paper.abs_url)
        _sub(entry, f"{{{ATOM_NS}}}title", clean(paper.title), type="text")
        _sub(entry, f"{{{ATOM_NS}}}link", rel="alternate", href=paper_url + paper.id, type="text/html")
        _sub(entry, f"{{{ATOM_NS}}}link", rel="related", href=paper.abs_url, type="text/html", title="arXiv")
        _sub(entry, f"{{{ATOM_NS}}}link", rel="enclosure", href=paper.pdf_url, type="application/pdf")
        _sub(entry, f"{{{ATOM_NS}}}published", _rfc3339(published(paper)))
        _sub(entry, f"{{{ATOM_NS}}}updated", _rfc3339(updated(paper)))
        for name in filter(None, map(clean, paper.authors[:MAX_AUTHORS])):
            _sub(_sub(entry, f"{{{ATOM_NS}}}author"), f"{{{ATOM_NS}}}name", name)
        for code in paper.categories:
            _sub(entry, f"{{{ATOM_NS}}}category", term=code, scheme="https://arxiv.org/archive",
                 label=category_name(code))
        note = clean((notes or {}).get(paper.id))
        _sub(entry, f"{{{ATOM_NS}}}summary", f"{note} — {clean(paper.abstract)}" if note else clean(paper.abstract),
             type="text")
    return _serialize(root)


def render(kind: str, papers: Sequence[Paper], info: FeedInfo, paper_url: str) -> bytes:
    """``rss`` or ``atom``."""
    if kind == "rss":
        return rss(papers, info, paper_url)
    if kind == "atom":
        return atom(papers, info, paper_url)
    raise ValueError(f"unknown feed format {kind!r}; choose rss or atom")

"""arXiv's OAI-PMH interface: parse ListRecords pages (pure) and harvest them incrementally.

Formats: ``arXiv`` (default; structured authors, categories, licence, no
version number), ``arXivRaw`` (adds the version history) and ``oai_dc``
(Dublin Core: subjects by name, one ``dc:date`` per version).

The harvest commits each page with its resume point in one transaction
(``Store.papers.save_batch``): a killed harvest resumes at the first uncommitted
page with its resumption token, so nothing is skipped and nothing is
written twice. See ``harvest_set``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from xml.etree.ElementTree import Element

from paperwire.ingest.arxiv_taxonomy import subject_category
from paperwire.ingest.codelinks import links_in_papers
from paperwire.ingest.http import HttpClient, safe_url
from paperwire.ingest.kaggle import estimate_announced
from paperwire.ingest.records import (
    RecordError,
    abstract_field,
    arxiv_id,
    category_list,
    clean_space,
    looks_withdrawn,
    merge_known,
    name_list,
    storable_instant,
    text_field,
    url_field,
)
from paperwire.ingest.report import HarvestReport
from paperwire.ingest.xml import parse_xml, text
from paperwire.models import Paper, SourceBatch, Version
from paperwire.store import Store

log = logging.getLogger(__name__)

OAI = "{http://www.openarchives.org/OAI/2.0/}"
FORMATS = {
    "arXiv": "{http://arxiv.org/OAI/arXiv/}",
    "arXivRaw": "{http://arxiv.org/OAI/arXivRaw/}",
    "oai_dc": "{http://www.openarchives.org/OAI/2.0/oai_dc/}",
}
DC = "{http://purl.org/dc/elements/1.1/}"
MAX_RESTARTS = 1
_AUTHOR_SPLIT_RE = re.compile(r",\s*|\s+and\s+")


class OaiError(RuntimeError):
    """An OAI-PMH error envelope (``<error code=...>``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"OAI-PMH error {code}: {message}")
        self.code = code


class HarvestError(RuntimeError):
    """A harvest that cannot go on; the message says which page and why."""


@dataclass
class OaiRecord:
    """One record of a ListRecords page: a paper, or a deleted identifier."""

    arxiv_id: str
    datestamp: date | None
    deleted: bool = False
    paper: Paper | None = None


@dataclass
class OaiPage:
    """A parsed ListRecords response. ``token`` is None when the list is complete."""

    records: list[OaiRecord]
    token: str | None
    complete_size: int | None = None
    cursor: int | None = None
    rejected: list[str] = field(default_factory=list)


# -- parsing (pure) --------------------------------------------------------------------------

def _day(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value[:10]).replace(tzinfo=UTC)
    except ValueError:
        raise RecordError(f"bad date {value[:20]!r}") from None


def _fields(meta: Element, ns: str) -> dict[str, str | None]:
    return {child.tag[len(ns):]: text(child) for child in meta if child.tag.startswith(ns)}


def _paper(pid: str, f: dict[str, str | None], authors: list[str], classes: list[str]) -> Paper:
    cats, more = category_list((f.get("categories") or "").split())
    paper = Paper(
        id=pid,
        title=text_field(f, "title", 1_000, required=True) or "",
        abstract=abstract_field(f, "abstract"),
        authors=name_list(authors),
        categories=cats,
        classes=list(dict.fromkeys([*more, *classes])),
        comment=text_field(f, "comments", 5_000),
        journal_ref=text_field(f, "journal-ref", 5_000),
        doi=text_field(f, "doi", 5_000),
        license=url_field(f, "license"),
        report_no=text_field(f, "report-no", 5_000),
        source="arxiv-oai",
    )
    paper.withdrawn = looks_withdrawn(paper.comment, paper.abstract)
    return paper


def _classes(f: dict[str, str | None]) -> list[str]:
    return [c for key in ("msc-class", "acm-class") for c in
            (clean_space(c) for c in (f.get(key) or "").replace(";", ",").split(",")) if c]


def parse_arxiv(meta: Element) -> Paper:
    """An ``arXiv``-format metadata element as a Paper (version known only when there was one)."""
    ns = FORMATS["arXiv"]
    f = _fields(meta, ns)
    pid, _ = arxiv_id(f)
    authors = []
    for author in meta.iterfind(f"{ns}authors/{ns}author"):
        parts = (text(author, f"{ns}forenames"), text(author, f"{ns}keyname"), text(author, f"{ns}suffix"))
        authors.append(" ".join(p for p in parts if p))
    paper = _paper(pid, f, authors, _classes(f))
    created, updated = _day(f.get("created")), _day(f.get("updated"))
    paper.submitted, paper.updated = created, updated or created
    if created and not updated:  # <updated> appears from the second version on
        paper.version, paper.versions = 1, [Version(1, created)]
    return paper


def parse_arxiv_raw(meta: Element) -> Paper:
    """An ``arXivRaw``-format metadata element as a Paper with its version history."""
    ns = FORMATS["arXivRaw"]
    f = _fields(meta, ns)
    pid, _ = arxiv_id(f)
    authors = [a for a in _AUTHOR_SPLIT_RE.split(f.get("authors") or "") if a.strip()]
    paper = _paper(pid, f, authors, _classes(f))
    versions = []
    for v in meta.iterfind(f"{ns}version"):
        label = (v.get("version") or "").strip()
        if not re.fullmatch(r"v[0-9]{1,3}", label):  # isdigit() takes '²', and any length
            raise RecordError(f"bad version {label[:10]!r}")
        stamp = text(v, f"{ns}date")
        try:
            created = storable_instant(parsedate_to_datetime(stamp)) if stamp else None
        except (TypeError, ValueError):
            raise RecordError(f"bad version date {(stamp or '')[:40]!r}") from None
        versions.append(Version(int(label[1:]), created))
    versions.sort(key=lambda v: v.version)
    if versions:
        paper.version, paper.versions = versions[-1].version, versions
        paper.submitted, paper.updated = versions[0].created, versions[-1].created
    return paper


def parse_oai_dc(meta: Element) -> Paper:
    """An ``oai_dc`` element as a Paper; categories only where the subject name is known."""
    values: dict[str, list[str]] = {}
    for child in meta:
        if child.tag.startswith(DC) and (value := text(child)):
            values.setdefault(child.tag[len(DC):], []).append(value)
    abs_urls = [u for u in values.get("identifier", []) if "arxiv.org/abs/" in u]
    if not abs_urls:
        raise RecordError("no arxiv.org/abs/ identifier")
    pid, _ = arxiv_id({"id": abs_urls[0].rsplit("/abs/", 1)[1]})
    descriptions = values.get("description", [])
    comment = next((d[len("Comment:"):].strip() for d in descriptions if d.startswith("Comment:")), None)
    abstract = next((d for d in descriptions if not d.startswith("Comment:")), "")
    authors = [" ".join(reversed([p.strip() for p in c.split(",", 1)])) for c in values.get("creator", [])]
    cats = [c for c in (subject_category(s) for s in values.get("subject", [])) if c]
    titles: list[str | None] = [*values.get("title", []), None]
    f: dict[str, str | None] = {"title": titles[0], "abstract": abstract,
                                "comments": comment, "categories": " ".join(dict.fromkeys(cats))}
    paper = _paper(pid, f, authors, [])
    dates = [d for d in (_day(v) for v in values.get("date", [])) if d]
    if dates:  # arXiv gives one dc:date per version
        paper.versions = [Version(i + 1, d) for i, d in enumerate(sorted(dates))]
        paper.version = len(dates)
        paper.submitted, paper.updated = paper.versions[0].created, paper.versions[-1].created
    return paper


_PARSERS: dict[str, Callable[[Element], Paper]] = {
    "arXiv": parse_arxiv, "arXivRaw": parse_arxiv_raw, "oai_dc": parse_oai_dc,
}


def parse_list_records(data: bytes) -> OaiPage:
    """A ListRecords response as records and the resumption token.

    Raises ``XmlError`` for unsafe or malformed XML, ``OaiError`` for an
    OAI-PMH error envelope. A record whose metadata is unusable is left out
    and named in ``rejected``; the rest of the page stands.
    """
    root = parse_xml(data, "OAI-PMH response")
    if root.tag != f"{OAI}OAI-PMH":
        raise OaiError("badResponse", f"root element is {root.tag!r}, not OAI-PMH")
    error = root.find(f"{OAI}error")
    if error is not None:
        raise OaiError(error.get("code") or "unknown", text(error) or "")
    listing = root.find(f"{OAI}ListRecords")
    if listing is None:
        raise OaiError("badResponse", "no ListRecords element")
    page = OaiPage([], None)
    for record in listing.iterfind(f"{OAI}record"):
        header = record.find(f"{OAI}header")
        identifier = text(header, f"{OAI}identifier") or ""
        try:
            pid, _ = arxiv_id({"id": identifier.rsplit(":", 1)[-1]})
            stamp = _day(text(header, f"{OAI}datestamp"))
            if header is not None and header.get("status") == "deleted":
                page.records.append(OaiRecord(pid, stamp.date() if stamp else None, deleted=True))
                continue
            meta = record.find(f"{OAI}metadata")
            element = next(iter(meta), None) if meta is not None else None
            fmt = next((name for name, ns in FORMATS.items() if element is not None and element.tag.startswith(ns)),
                       None)
            if element is None or fmt is None:
                raise RecordError("no metadata in a known format")
            paper = _PARSERS[fmt](element)
            page.records.append(OaiRecord(paper.id, stamp.date() if stamp else None, paper=paper))
        except RecordError as exc:
            page.rejected.append(f"{identifier or '(no identifier)'}: {exc}")
    token = listing.find(f"{OAI}resumptionToken")
    if token is not None:
        page.token = text(token)  # an empty token element ends the list
        size, cursor = token.get("completeListSize"), token.get("cursor")
        page.complete_size = int(size) if size and size.isdigit() else None
        page.cursor = int(cursor) if cursor and cursor.isdigit() else None
    return page


# -- harvesting ---------------------------------------------------------------------------------

@dataclass
class OaiCursor:
    """A harvest's resume point, saved as JSON in the store's state with each page."""

    set: str
    prefix: str
    start: str | None = None  # the harvest's ``from``
    until: str | None = None
    token: str | None = None
    last_datestamp: str | None = None
    harvested_to: str | None = None  # the next incremental harvest starts here

    def dumps(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def loads(cls, value: str | None, set_: str, prefix: str) -> OaiCursor:
        if not value:
            return cls(set_, prefix)
        data = json.loads(value)
        return cls(**{k: data.get(k) for k in ("start", "until", "token", "last_datestamp", "harvested_to")},
                   set=set_, prefix=prefix)


def state_key(set_: str, prefix: str) -> str:
    """The state-table key of one set's harvest in one format."""
    return f"harvest.arxiv_oai.{prefix}.{set_ or '*'}"


def _keep(paper: Paper, categories: list[str]) -> bool:
    return not categories or any(c in categories or c.split(".")[0] in categories for c in paper.categories)


def finish_papers(store: Store, papers: list[Paper]) -> list[Paper]:
    """Fill what a source lacks from the stored papers; estimate the announcement day if still unknown."""
    stored = store.papers.get_papers([p.id for p in papers])
    done = []
    for paper in papers:
        merged = merge_known(paper, stored.get(paper.id))
        if merged.announced is None and merged.submitted is not None:
            merged.announced = estimate_announced(merged.submitted)
        done.append(merged)
    return done


def _withdraw(store: Store, ids: list[str]) -> list[Paper]:
    papers = list(store.papers.get_papers(ids).values())
    for paper in papers:
        paper.withdrawn = True
    return papers


def _start(store: Store, cursor: OaiCursor, start: date | None, until: date | None) -> OaiCursor:
    """Resume an interrupted harvest with the same bounds, or begin a new one."""
    same = (start is None or start.isoformat() == cursor.start) and (until is None or until.isoformat() == cursor.until)
    if cursor.token and same:
        log.info("resuming the %s harvest of set %r at token %r", cursor.prefix, cursor.set or "*", cursor.token)
        return cursor
    if start is None:
        latest = store.papers.latest_day()
        begin = cursor.harvested_to or (latest.isoformat() if latest else None)
        start = date.fromisoformat(begin) if begin else datetime.now(UTC).date() - timedelta(days=7)
    return OaiCursor(cursor.set, cursor.prefix, start.isoformat(), until.isoformat() if until else None,
                     harvested_to=cursor.harvested_to)


def harvest_set(store: Store, client: HttpClient, base_url: str, set_: str, prefix: str, report: HarvestReport,
                start: date | None = None, until: date | None = None, max_pages: int | None = None,
                categories: list[str] | None = None) -> None:
    """Harvest one set until the list is complete or ``max_pages`` pages were committed.

    Each page's papers, code links and the next resume point are one
    transaction. A malformed page raises ``HarvestError`` and commits
    nothing from it (the saved token still points at it). An expired
    resumption token restarts the list from the harvest's own ``from``
    date, re-reading rather than risking a gap (records are not ordered by
    datestamp, so no later date is safe); ``noRecordsMatch`` means done.
    """
    key = state_key(set_, prefix)
    cursor = _start(store, OaiCursor.loads(store.get_state(key), set_, prefix), start, until)
    restarts = pages = 0
    while max_pages is None or pages < max_pages:
        params: dict[str, str | None]
        if cursor.token:
            params = {"verb": "ListRecords", "resumptionToken": cursor.token}
        else:
            params = {"verb": "ListRecords", "metadataPrefix": prefix, "from": cursor.start, "until": cursor.until,
                      "set": set_ or None}
        query = {k: v for k, v in params.items() if v}
        where = f"set {set_ or '*'} page {pages + 1}" + (f" (token {cursor.token!r})" if cursor.token else "")
        response = client.get(base_url, query)
        report.requests = client.requests
        if response.status != 200:
            raise HarvestError(f"{where}: {safe_url(response.url)} answered HTTP {response.status}: "
                               f"{response.text_snippet()}")
        try:
            page = parse_list_records(response.content)
        except OaiError as exc:
            if exc.code == "noRecordsMatch":
                cursor = _complete(cursor, None)
                store.set_state(key, cursor.dumps())
                report.notes.append(f"set {set_ or '*'}: no new records")
                return
            if exc.code == "badResumptionToken" and cursor.token and restarts < MAX_RESTARTS:
                log.warning("%s: %s; restarting the list from %s", where, exc, cursor.start)
                restarts += 1
                cursor.token = None
                continue
            raise HarvestError(f"{where}: {exc}") from None
        except ValueError as exc:  # XmlError: malformed, truncated or unsafe
            raise HarvestError(f"{where}: {exc}; nothing from this page was saved") from None
        pages += 1
        cursor = _commit(store, key, cursor, page, report, categories or [])
        if cursor.token is None:
            report.notes.append(f"set {set_ or '*'}: complete up to {cursor.harvested_to}")
            return
    report.notes.append(f"set {set_ or '*'}: stopped after {pages} pages, the next run resumes")


def _complete(cursor: OaiCursor, last: str | None) -> OaiCursor:
    cursor.harvested_to = max(filter(None, (last, cursor.start, cursor.harvested_to)), default=None)
    cursor.token, cursor.last_datestamp = None, None
    return cursor


def _commit(store: Store, key: str, cursor: OaiCursor, page: OaiPage, report: HarvestReport,
            categories: list[str]) -> OaiCursor:
    """Write one page and the cursor after it in one transaction; returns that cursor."""
    for reason in page.rejected:
        log.warning("rejected record %s", reason)
    report.rejected += len(page.rejected)
    kept = [r.paper for r in page.records if r.paper is not None and _keep(r.paper, categories)]
    report.skipped += sum(1 for r in page.records if r.paper is not None) - len(kept)
    papers = finish_papers(store, kept)
    withdrawn = _withdraw(store, [r.arxiv_id for r in page.records if r.deleted])
    report.withdrawn += len(withdrawn) + sum(1 for p in papers if p.withdrawn)
    stamps = [r.datestamp.isoformat() for r in page.records if r.datestamp]
    after = OaiCursor(**asdict(cursor))
    after.token = page.token
    after.last_datestamp = max([*stamps, cursor.last_datestamp or ""]) or None
    if page.token is None:
        after = _complete(after, after.last_datestamp)
    result = store.papers.save_batch(SourceBatch(papers + withdrawn, links_in_papers(papers),
                                                 state={key: after.dumps()}))
    report.pages += 1
    report.add(result)
    log.info("committed page %d: %d records, token %r", report.pages, len(page.records), page.token)
    return after

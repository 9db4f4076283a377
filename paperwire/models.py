"""Plain data: the objects every layer passes around. No I/O here."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime

import orjson

# New-style ids: YYMM.NNNN from 0704 to 1412, YYMM.NNNNN from 1501; old-style: hep-th/9901001, math.GT/0309136.
ARXIV_ID_RE = re.compile(
    r"^(?:(?:0[7-9]|1[0-4])(?:0[1-9]|1[0-2])\.\d{4}"
    r"|(?:1[5-9]|[2-9]\d)(?:0[1-9]|1[0-2])\.\d{5}"
    r"|[a-z][a-z\-]+(?:\.[A-Z]{2})?/\d{7})$"
)
_VERSION_SUFFIX_RE = re.compile(r"v(\d+)$")


def split_version(raw_id: str) -> tuple[str, int]:
    """``'2503.11677v2'`` -> ``('2503.11677', 2)``; no suffix gives version 0."""
    match = _VERSION_SUFFIX_RE.search(raw_id)
    if match and ARXIV_ID_RE.match(raw_id[: match.start()]):
        return raw_id[: match.start()], int(match.group(1))
    return raw_id, 0


def is_arxiv_id(value: str) -> bool:
    """True for a bare arXiv identifier without version."""
    return bool(ARXIV_ID_RE.match(value))


@dataclass(slots=True)
class Version:
    """One arXiv version of a paper."""

    version: int
    created: datetime | None = None


@dataclass(slots=True)
class Paper:
    """A paper's metadata as Paperwire keeps it.

    ``version`` is the newest version known (0 when the source did not say);
    ``categories`` has the primary arXiv category first; ``classes`` holds
    other subject classes (ACM, MSC codes); ``announced`` is the day
    arXiv announced the paper.
    """

    id: str
    title: str
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    license: str | None = None
    report_no: str | None = None
    announced: date | None = None
    submitted: datetime | None = None
    updated: datetime | None = None
    version: int = 0
    versions: list[Version] = field(default_factory=list)
    withdrawn: bool = False
    source: str = ""

    @property
    def primary_category(self) -> str | None:
        return self.categories[0] if self.categories else None

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.id}"

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self.id}"

    def content_hash(self) -> str:
        """A digest of everything but ``source``: equal hashes mean nothing changed."""
        data = (
            self.id, self.title, self.abstract, self.authors, self.categories, self.classes, self.comment,
            self.journal_ref, self.doi, self.license, self.report_no, self.announced, self.submitted,
            self.updated, self.version, [(v.version, v.created) for v in self.versions], self.withdrawn,
        )
        return hashlib.blake2b(orjson.dumps(data), digest_size=16).hexdigest()


@dataclass(slots=True)
class IndexEntry:
    """What the local search indexes need of a paper; read in change order (``seq``)."""

    seq: int
    id: str
    title: str
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    announced: date | None = None
    has_code: bool = False


@dataclass(slots=True)
class EmbedTask:
    """A paper whose embedding is missing or may be stale, with what the embedder reads."""

    id: str
    title: str
    abstract: str
    paper_seq: int
    stored_text_hash: str | None = None

    @property
    def text(self) -> str:
        """What gets embedded: title and abstract."""
        return f"{self.title}. {self.abstract}" if self.abstract else self.title


@dataclass(slots=True)
class StoredEmbedding:
    """One paper's vector as stored: int8 components and their scale, with the change counter."""

    seq: int
    paper_id: str
    vector: bytes
    scale: float


@dataclass(slots=True)
class UpsertResult:
    """What a batch write did."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def __iadd__(self, other: UpsertResult) -> UpsertResult:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        return self


@dataclass(slots=True)
class SearchHit:
    """One result of a search: the paper, its score and why it matched."""

    paper_id: str
    score: float
    paper: Paper | None = None
    ranks: dict[str, int] = field(default_factory=dict)
    highlights: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class SearchResults:
    """A page of hits plus the total number of matches (an estimate for ANN)."""

    hits: list[SearchHit]
    total: int
    query: str
    mode: str
    offset: int = 0
    limit: int = 20


@dataclass(slots=True)
class StoreStats:
    """What the store holds."""

    papers: int
    by_category: dict[str, int]
    by_month: dict[str, int]
    embeddings: int = 0
    first_announced: date | None = None
    last_announced: date | None = None


# -- live sources: code links, repositories and stars, Hugging Face daily papers ----------

CODE_LINK_SOURCES = ("abstract", "comment", "hf", "pwc")


@dataclass(slots=True, frozen=True)
class CodeLink:
    """A paper's link to a GitHub repository, and where it was found.

    ``repo`` is ``owner/name`` in lower case (GitHub names are not case
    sensitive); ``url`` keeps the spelling of the source.
    """

    paper_id: str
    repo: str
    url: str
    source: str
    first_seen: datetime | None = None


@dataclass(slots=True)
class Repository:
    """What is known of one GitHub repository; ``stars`` is the latest count.

    ``status``: ``new`` (never checked), ``ok``, ``missing`` (404: not asked
    again), ``blocked`` (403/451). ``backfill``: ``none``, ``done`` (history
    rebuilt from stargazers), ``skipped`` (too many stars to afford it).
    """

    repo: str
    full_name: str
    stars: int | None = None
    etag: str | None = None
    checked_at: datetime | None = None
    changed_at: datetime | None = None
    status: str = "new"
    created_at: datetime | None = None
    backfill: str = "none"
    first_seen: datetime | None = None


@dataclass(slots=True, frozen=True)
class RepoCheck:
    """The outcome of asking GitHub about one repository.

    ``status``: ``ok`` (``stars`` read, or unchanged on a 304 with
    ``not_modified``), ``missing`` (404), ``blocked`` (403/451).
    """

    repo: str
    checked_at: datetime
    status: str
    stars: int | None = None
    full_name: str | None = None
    etag: str | None = None
    created_at: datetime | None = None
    not_modified: bool = False


@dataclass(slots=True, frozen=True)
class StarSnapshot:
    """A repository's star count at one instant: one point of the time series."""

    repo: str
    taken_at: datetime
    stars: int


@dataclass(slots=True)
class HFDailyEntry:
    """A paper's appearance on Hugging Face's daily papers list of ``daily_date``.

    ``submitted_on_daily`` is when it entered the list; ``upvotes`` and
    ``github_stars`` are as last seen (``last_seen``); every fetch also
    records an upvote snapshot so velocity can be computed.
    """

    paper_id: str
    daily_date: date
    upvotes: int
    title: str = ""
    num_comments: int | None = None
    github_repo: str | None = None
    github_stars: int | None = None
    project_page: str | None = None
    ai_summary: str | None = None
    ai_keywords: list[str] = field(default_factory=list)
    submitted_on_daily: datetime | None = None
    published_at: datetime | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None


@dataclass(slots=True)
class SourceBatch:
    """What one harvested page or fetch writes, committed all together or not at all.

    ``state`` holds ``Store.set_state`` values (a harvest's resume point) saved
    in the same transaction, so a crash never separates data from its cursor.
    """

    papers: list[Paper] = field(default_factory=list)
    links: list[CodeLink] = field(default_factory=list)
    hf_entries: list[HFDailyEntry] = field(default_factory=list)
    state: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class BatchResult:
    """What ``Store.papers.save_batch`` did."""

    papers: UpsertResult = field(default_factory=UpsertResult)
    new_links: int = 0
    hf_entries: int = 0


# -- trending (paperwire/trending/) --------------------------------------------------------

TRENDING_WINDOWS = ("day", "week", "month")


@dataclass(slots=True)
class RepoStars:
    """A repository's stars around one window, as the store reads them for trending.

    ``snapshots`` are ``(taken_at, stars)`` points, oldest first: the last one
    at or before the window start (when there is one) and every one inside
    the window — enough to tell the growth inside it. ``history`` holds the
    backfilled new stars per day for the days of the window.
    """

    repo: str
    full_name: str
    stars: int | None = None
    created_at: datetime | None = None
    snapshots: list[tuple[datetime, int]] = field(default_factory=list)
    history: list[tuple[date, int]] = field(default_factory=list)


@dataclass(slots=True)
class HFActivity:
    """A paper's Hugging Face daily-papers signal around one window.

    ``upvotes`` is the latest count; ``featured`` when it first entered a
    daily list; ``snapshots`` as in ``RepoStars`` (baseline plus window).
    """

    paper_id: str
    upvotes: int = 0
    featured: datetime | None = None
    snapshots: list[tuple[datetime, int]] = field(default_factory=list)


@dataclass(slots=True)
class TrendingInputs:
    """Everything trending reads from the store for one window ``[start, end]``.

    ``papers`` holds the candidates (papers linked to a repository with stars
    in the window, papers with Hugging Face activity in it, papers announced
    in it, papers the community upvoted or submitted in it) as
    ``id -> (announced, submitted)``; ``links`` every code link of those
    papers as ``(paper_id, repo, source)``, ``repo_papers`` how many papers
    link each of those repositories.
    """

    start: datetime
    end: datetime
    papers: dict[str, tuple[date | None, datetime | None]] = field(default_factory=dict)
    links: list[tuple[str, str, str]] = field(default_factory=list)
    repo_papers: dict[str, int] = field(default_factory=dict)
    repos: dict[str, RepoStars] = field(default_factory=dict)
    hf: dict[str, HFActivity] = field(default_factory=dict)


@dataclass(slots=True)
class TrendingEntry:
    """One paper's place in a window's stored ranking, with why it is there.

    ``reasons`` are ``{"kind", "text", "value"}`` objects in display order;
    ``signals`` the measured inputs and the parts of the score (see
    docs/trending.md).
    """

    window: str
    paper_id: str
    rank: int
    score: float
    reasons: list[dict[str, object]] = field(default_factory=list)
    signals: dict[str, object] = field(default_factory=dict)
    computed_at: datetime | None = None


@dataclass(slots=True)
class TrendingPage:
    """A page of a window's ranking: entries in rank order, the ranking's size and when it was computed."""

    window: str
    entries: list[TrendingEntry]
    total: int
    computed_at: datetime | None
    offset: int = 0
    limit: int = 20


@dataclass(slots=True)
class SignalData:
    """What pages show of many papers' signals, read in a few bulk queries (``Store.signals.signal_data``).

    ``hf_upvotes``: the most upvotes each paper had on any Hugging Face daily
    list; ``community``: upvotes on this site (disabled accounts excluded);
    ``links``: each paper's ``(repo, source)`` code links; ``repo_papers``:
    how many papers link each of those repositories; ``repos``: what is known
    of them (full name, latest star count). Papers without any are absent.
    """

    hf_upvotes: dict[str, int] = field(default_factory=dict)
    community: dict[str, int] = field(default_factory=dict)
    links: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    repo_papers: dict[str, int] = field(default_factory=dict)
    repos: dict[str, Repository] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DataVersion:
    """What pages show besides the papers (rankings, stars, HF upvotes, the community) as one opaque
    ``token`` that changes with any of them, and when the newest of those changes was written."""

    token: str
    modified: datetime | None

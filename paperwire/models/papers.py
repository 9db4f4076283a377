"""Papers and what the store says about them: ids, versions, index entries, search hits, batches. No I/O."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime

import orjson

# New-style ids: YYMM.NNNN from 0704 to 1412, YYMM.NNNNN from 1501; old-style: hep-th/9901001, math.GT/0309136.
from paperwire.models.signals import CodeLink, HFDailyEntry

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


_ID = r"(\d{4}\.\d{4,5}|[a-z][a-z\-]+(?:\.[A-Z]{2})?/\d{7})(v\d+)?"
_REF_PATTERNS = (
    re.compile(r"^(?:arxiv:\s*)?" + _ID + r"$", re.IGNORECASE),
    re.compile(r"^(?:https?://)?(?:www\.|export\.)?(?:arxiv\.org/(?:abs|pdf|html|format)/|huggingface\.co/papers/"
               r"|alphaxiv\.org/abs/)" + _ID + r"(?:\.pdf)?/?(?:[?#].*)?$", re.IGNORECASE),
    re.compile(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/)?10\.48550/arxiv\." + _ID + r"$", re.IGNORECASE),
)
_DOI_RE = re.compile(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9}/\S+)$", re.IGNORECASE)
_TITLE_JUNK_RE = re.compile(r"[^\w]+")


def arxiv_id_in(text: str) -> str | None:
    """The bare arXiv id a reference names, or None: an id with or without version or ``arXiv:``
    prefix (``2501.00001v2``, ``hep-th/9901001``), an arXiv abs/pdf/html link, a Hugging Face papers
    or alphaXiv link, or arXiv's DOI (``10.48550/arXiv.2501.00001``)."""
    value = text.strip()
    for pattern in _REF_PATTERNS:
        match = pattern.match(value)
        if match:
            raw = match.group(1)
            # old-style ids keep their archive's case (math.GT); new-style have none
            bare, _ = split_version(raw if "/" in raw else raw.lower())
            if is_arxiv_id(bare):
                return bare
    return None


def doi_in(text: str) -> str | None:
    """The DOI a reference names (``10.1145/3366423.3380211``, ``doi:…``, a doi.org link), lower-cased
    (DOIs are case-insensitive), or None."""
    match = _DOI_RE.match(text.strip())
    return match.group(1).rstrip(".,;").lower() if match else None


def title_key(title: str) -> str:
    """A title folded for exact comparison: case, accents kept as letters, punctuation and spacing
    ignored (``"GAN: a  Study."`` and ``"gan a study"`` are the same key)."""
    return " ".join(_TITLE_JUNK_RE.sub(" ", title.casefold()).split())


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
    identified: str | None = None
    """The paper the query names (an id, link, DOI or exact title), put first; None if it names none."""
    unknown_id: str | None = None
    """An arXiv id the query names that this library does not hold (yet)."""
    total_exact: bool = True
    """False when ``total`` is a lower bound: an over-budget keyword query counts only the matches of its
    distinctive words (``search_postings_budget``)."""


@dataclass(slots=True)
class StoreStats:
    """What the store holds."""

    papers: int
    by_category: dict[str, int]
    by_month: dict[str, int]
    embeddings: int = 0
    first_announced: date | None = None
    last_announced: date | None = None



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

@dataclass(frozen=True, slots=True)
class DataVersion:
    """What pages show besides the papers (rankings, stars, HF upvotes, the community) as one opaque
    ``token`` that changes with any of them, and when the newest of those changes was written."""

    token: str
    modified: datetime | None

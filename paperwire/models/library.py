"""Plain data of a member's library and signals: folders, saved papers with notes, thumbs, follows and
mutes, citation entries as files carry them, and ``UserSignals`` (everything a recommender learns from).
No I/O.

Authors are followed and muted by a normal form of their name (``author_key``): accents folded, case
folded, punctuation dropped, and ``Family, Given`` turned round, so "Zoë van der Berg" and
"van der Berg, Zoe" are one person to the model. Keywords are matched the same way (``keyword_key``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

THUMBS = ("up", "down")
Thumb = Literal["up", "down"]
FOLLOW_KINDS = ("author", "category")
MUTE_KINDS = ("author", "keyword")
STANCES = ("follow", "mute")
Stance = Literal["follow", "mute"]
SignalKind = Literal["save", "upvote", "thumbs_up", "thumbs_down"]
NOTE_MAX = 4000
FOLDER_NAME_MAX = 60
DEFAULT_FOLDER = "Saved"
MY_PAPERS_FOLDER = "My papers"

_NON_WORD_RE = re.compile(r"[^\w]+")
_SLUG_RE = re.compile(r"[\W_]+")
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


def fold(text: str) -> str:
    """Accents and case folded, every run of punctuation and spaces one space: for comparing names,
    titles and keywords as people mean them, not as they were typed."""
    if text.isascii():  # most names and titles: nothing to decompose, and the scan costs an import's time
        bare = text
    else:
        decomposed = unicodedata.normalize("NFKD", text)
        bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_NON_WORD_RE.sub(" ", bare.casefold()).replace("_", " ").split())


def author_key(name: str) -> str:
    """The normal form of an author's name: ``'van der Berg, Zoë'`` and ``'Zoe Van-der-Berg'`` give
    ``'zoe van der berg'``. A name that is all punctuation gives ``''``."""
    if name.count(",") == 1:  # "Family, Given" (a single comma); "A, Jr., B" is left as written
        family, given = name.split(",")
        name = f"{given} {family}"
    return fold(name)


def author_slug(name: str) -> str:
    """The URL part of an author's page: the normal form with hyphens, ``'Zoë van der Berg'`` ->
    ``'zoe-van-der-berg'`` (the key has no hyphens, so ``slug_author_key`` gives it back)."""
    return author_key(name).replace(" ", "-")


def slug_author_key(slug: str) -> str:
    """The author key a slug (or a name typed in the URL) stands for."""
    return author_key(slug.replace("-", " "))


def clean_label(text: str, limit: int = 120) -> str:
    """A followed or muted name as kept: control characters dropped, spaces folded, ``limit`` characters."""
    return " ".join(_CONTROL_RE.sub("", text).split())[:limit]


def keyword_key(text: str) -> str:
    """The normal form of a muted keyword or phrase (see ``fold``)."""
    return fold(text)


def clean_note(text: str) -> str:
    """A note as kept: newlines as ``\\n``, no trailing spaces on a line, no space around it, at most
    ``NOTE_MAX`` characters. Every format writes such a note and reads it back unchanged."""
    text = _CONTROL_RE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [line.rstrip() for line in text.split("\n")]
    return "\n".join(lines).strip()[:NOTE_MAX].rstrip()


def clean_folder_name(text: str) -> str:
    """A folder name as kept: spaces folded, no commas or semicolons (files list folders with them)."""
    text = _CONTROL_RE.sub("", text)  # PostgreSQL refuses NUL in text
    return " ".join(text.replace(",", " ").replace(";", " ").split())[:FOLDER_NAME_MAX].strip()


def folder_slug(name: str) -> str:
    """The URL part of a folder's name: ``'Reading list (2026)'`` -> ``'reading-list-2026'`` (letters of
    any script are kept; accents are folded)."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return _SLUG_RE.sub("-", bare)[:60].strip("-") or "folder"


@dataclass(slots=True)
class Folder:
    """A named set of a member's saved papers. A paper may be in several; every member has one
    default folder (where "Save" puts a paper). A public folder has a page and an Atom feed."""

    id: int
    user_id: int
    name: str
    slug: str
    created_at: datetime
    public: bool = False
    is_default: bool = False
    papers: int = 0


@dataclass(slots=True)
class SavedPaper:
    """A paper in a member's library: when it was saved, the member's note, the folders it is in (slugs)."""

    paper_id: str
    saved_at: datetime
    note: str = ""
    folders: list[str] = field(default_factory=list)


@dataclass(slots=True)
class PendingPaper:
    """An imported paper the store did not hold: kept with its note and folder names until the fetch queue
    has it. ``state`` is its fetch's (``pending``, ``fetching``; ``not-found`` or ``failed`` when it will
    not come)."""

    paper_id: str
    note: str
    folders: list[str]
    requested_at: datetime
    state: str = "pending"

    @property
    def coming(self) -> bool:
        """Still on its way (not refused by arXiv, not given up)."""
        return self.state in ("pending", "fetching", "done")


@dataclass(slots=True)
class Preference:
    """A followed or muted author, category or keyword: ``key`` is its normal form, ``label`` as given."""

    kind: str
    key: str
    label: str
    stance: Stance
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PaperSignal:
    """One thing a member did with one paper, and when."""

    paper_id: str
    kind: SignalKind
    at: datetime


@dataclass(slots=True)
class UserSignals:
    """Everything a recommender learns from for one member, read in one store call.

    ``positives``: saves, upvotes and thumbs up, newest first (a paper saved and upvoted appears
    twice, once per kind); ``negatives``: thumbs down, newest first (a thumb is up or down, never
    both). Follows and mutes are normal forms (``author_key``, arXiv category codes,
    ``keyword_key``) mapped to the label the member gave. ``version`` grows with every change of
    any of these, so a model can tell whether it is stale without reading the rest."""

    user_id: int
    version: int = 0
    positives: list[PaperSignal] = field(default_factory=list)
    negatives: list[PaperSignal] = field(default_factory=list)
    followed_authors: dict[str, str] = field(default_factory=dict)
    followed_categories: dict[str, str] = field(default_factory=dict)
    muted_authors: dict[str, str] = field(default_factory=dict)
    muted_keywords: dict[str, str] = field(default_factory=dict)
    folders: dict[str, list[str]] = field(default_factory=dict)
    """Per saved paper, the slugs of its folders (a "My papers" folder marks the member's own work)."""

    def positive_ids(self) -> list[str]:
        """The positive papers, each once, newest signal first."""
        return list(dict.fromkeys(s.paper_id for s in self.positives))

    def negative_ids(self) -> list[str]:
        """The thumbed-down papers, newest first."""
        return [s.paper_id for s in self.negatives]

    def muted_reason(self, authors: list[str], title: str, abstract: str = "") -> str | None:
        """Why a paper with these authors and text is muted (``'author: Ada Lovelace'``), or None."""
        for name in authors:
            if author_key(name) in self.muted_authors:
                return f"author: {self.muted_authors[author_key(name)]}"
        if self.muted_keywords:
            text = f" {fold(title)} {fold(abstract)} "
            for key, label in self.muted_keywords.items():
                if f" {key} " in text:
                    return f"keyword: {label}"
        return None


@dataclass(slots=True)
class Citation:
    """One entry of a citation file (BibTeX, RIS, CSL-JSON, Zotero CSV or a list of ids), as read or
    to be written. ``line`` is where it starts in the file (1-based; 0 when written)."""

    title: str = ""
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    arxiv_id: str | None = None
    doi: str | None = None
    url: str | None = None
    journal: str | None = None
    category: str | None = None
    key: str | None = None
    note: str = ""
    folders: list[str] = field(default_factory=list)
    kind: str = ""
    line: int = 0


@dataclass(slots=True)
class ParsedFile:
    """A citation file read: its entries, and those it could not read (line, why)."""

    format: str
    entries: list[Citation] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)


@dataclass(slots=True)
class ImportReport:
    """What an import did: papers added (``found``: line and paper id), ids not stored here (``queued``
    for fetching, or ``missing``: over the limit of one import), entries it could not match
    (``unrecognised``: line and why), and the folders it filled."""

    format: str
    found: list[tuple[int, str]] = field(default_factory=list)
    already: list[tuple[int, str]] = field(default_factory=list)
    queued: list[tuple[int, str]] = field(default_factory=list)
    missing: list[tuple[int, str]] = field(default_factory=list)
    unrecognised: list[tuple[int, str]] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)

"""Code links, repositories and their stars, Hugging Face daily entries, and what pages show of them. No I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

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

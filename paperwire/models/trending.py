"""Trending: the windows, what the formula reads (stars, upvotes gained) and what it writes. No I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

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

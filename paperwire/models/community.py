"""Plain data of the community: submissions, upvotes and saves as trending and pages read them. No I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(slots=True)
class Submission:
    """Who first submitted a paper; later submissions of it are merged (``times``)."""

    paper_id: str
    user_id: int
    handle: str
    submitted_at: datetime
    source_url: str
    times: int = 1
    hidden_at: datetime | None = None
    hidden_reason: str | None = None


@dataclass(slots=True)
class CommunityActivity:
    """What the community did with one paper in a time window (trending reads this)."""

    upvotes: int = 0
    saves: int = 0
    submitted: bool = False


@dataclass(slots=True)
class PaperCommunity:
    """A paper's community state as pages show it, optionally for one viewer."""

    upvotes: int = 0
    submitted_by: str | None = None
    upvoted: bool = False
    saved: bool = False
    thumb: str | None = None
    """The viewer's thumb: ``'up'``, ``'down'`` or None."""
    folders: list[str] = field(default_factory=list)
    """The slugs of the viewer's folders holding the paper."""

"""Plain data of the fetch queue: arXiv ids someone asked for that the store does not hold yet. No I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

FETCH_STATES = ("pending", "fetching", "done", "failed", "not-found")
"""``pending`` (waiting for the worker), ``fetching`` (claimed), then ``done`` (stored), ``not-found``
(arXiv has no such paper) or ``failed`` (arXiv kept failing; a new request queues it again)."""
FETCH_REASONS = ("submission", "library", "search")
"""Why an id was asked for: a submission, a library import, a search's "fetch this id"."""


@dataclass(slots=True)
class FetchRequest:
    """One requested arXiv id (bare, no version) and where its fetch stands."""

    paper_id: str
    state: str
    reason: str
    requested_by: int | None
    attempts: int
    next_attempt: datetime
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None
    last_error: str | None = None

    @property
    def open(self) -> bool:
        """Still to be fetched (pending or being fetched)."""
        return self.state in ("pending", "fetching")


@dataclass(slots=True)
class FetchWaiter:
    """A member waiting for a requested id, and why; ``handled_at`` once the feature acted on the outcome
    (a submission recorded, say). ``state`` is the fetch's."""

    paper_id: str
    user_id: int
    reason: str
    detail: str
    requested_at: datetime
    handled_at: datetime | None
    state: str

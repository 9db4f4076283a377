"""The Store interface: everything Paperwire keeps, behind one small API.

Both backends (``sqlite.py``, ``postgres.py``) implement it; no SQL lives
outside this package. Callers pass and receive the dataclasses of
``paperwire.models``.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from paperwire.models import IndexEntry, Paper, StoreStats, UpsertResult


@dataclass(slots=True)
class JobInfo:
    """A scheduled job's record: its lease and its last outcome."""

    name: str
    interval_seconds: int
    next_run: datetime | None
    lease_owner: str | None
    lease_expires: datetime | None
    last_started: datetime | None
    last_finished: datetime | None
    last_status: str | None
    last_error: str | None
    attempts: int
    runs: int
    failures: int


class Store(abc.ABC):
    """Where papers and everything about them live."""

    url: str

    # -- lifecycle -----------------------------------------------------------------
    @abc.abstractmethod
    def migrate(self) -> list[str]:
        """Apply the named migrations not yet recorded; return their names."""

    @abc.abstractmethod
    def applied_migrations(self) -> list[str]:
        """Names of the migrations recorded in the database, oldest first."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections."""

    @abc.abstractmethod
    def instance_id(self) -> str:
        """A random id made when the database was created; names local index caches."""

    # -- papers --------------------------------------------------------------------
    @abc.abstractmethod
    def upsert_papers(self, papers: Sequence[Paper]) -> UpsertResult:
        """Insert new papers and update changed ones in one transaction.

        A stored paper is replaced only when the incoming one is not older
        (its ``version`` is greater or equal) and differs in content.
        """

    @abc.abstractmethod
    def get_paper(self, paper_id: str) -> Paper | None:
        """One paper by bare arXiv id, or None."""

    @abc.abstractmethod
    def get_papers(self, paper_ids: Sequence[str]) -> dict[str, Paper]:
        """Papers by id; unknown ids are absent from the result."""

    @abc.abstractmethod
    def list_papers(
        self,
        start: date | None = None,
        end: date | None = None,
        category: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Paper]:
        """Papers announced in ``[start, end]`` (inclusive), newest first, then by id."""

    @abc.abstractmethod
    def count_papers(
        self, start: date | None = None, end: date | None = None, category: str | None = None
    ) -> int:
        """How many papers ``list_papers`` would page through."""

    @abc.abstractmethod
    def announced_days(self, around: date) -> tuple[date | None, date | None]:
        """The nearest announcement days strictly before and after ``around``."""

    @abc.abstractmethod
    def latest_day(self) -> date | None:
        """The newest announcement day with papers."""

    @abc.abstractmethod
    def stats(self) -> StoreStats:
        """Counts of what the store holds."""

    @abc.abstractmethod
    def max_seq(self) -> int:
        """The change counter: every insert or update of a paper raises it."""

    @abc.abstractmethod
    def changed_since(self, seq: int, limit: int) -> list[IndexEntry]:
        """What the search indexes need of papers changed after ``seq``, in change order."""

    @abc.abstractmethod
    def iter_papers(self, batch: int = 2000) -> Iterator[Paper]:
        """Every paper, ordered by id (for copies and checksums)."""

    @abc.abstractmethod
    def list_in_category(
        self,
        category: str,
        start: date | None = None,
        end: date | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Paper]:
        """The same page as ``list_papers(start, end, category, …)``, read in the order of the
        category index (no sort of the whole category: fast for big categories and deep pages)."""

    @abc.abstractmethod
    def category_counts(self, start: date | None = None, end: date | None = None) -> dict[str, int]:
        """Papers per category (cross-lists included) announced in ``[start, end]``, most first."""

    @abc.abstractmethod
    def last_change(self) -> tuple[int, datetime | None]:
        """The change counter and when the change that raised it was written (None when empty).

        One cheap read that validates cached pages: a new import raises both.
        """

    # -- small key/value state (harvest cursors, watermarks) ---------------------------
    @abc.abstractmethod
    def get_state(self, key: str) -> str | None:
        """A saved value, or None."""

    @abc.abstractmethod
    def set_state(self, key: str, value: str) -> None:
        """Save a value, replacing any previous one."""

    # -- jobs and leases -----------------------------------------------------------
    @abc.abstractmethod
    def ensure_job(self, name: str, interval_seconds: int) -> None:
        """Create a scheduled job if missing; keep its state, update its interval."""

    @abc.abstractmethod
    def claim_job(self, owner: str, lease_seconds: int, names: Sequence[str] | None = None) -> str | None:
        """Take the lease of one due job nobody holds (or whose lease expired).

        Returns the job's name, or None when nothing is due. Two processes
        never hold the same job at once; a crashed holder's lease expires
        and the job is claimed again.
        """

    @abc.abstractmethod
    def claim_named_job(self, name: str, owner: str, lease_seconds: int, force: bool = False) -> bool:
        """Take one job's lease if free (``force``: even if not due yet)."""

    @abc.abstractmethod
    def renew_lease(self, name: str, owner: str, lease_seconds: int) -> bool:
        """Extend a held lease; False when the lease was lost."""

    @abc.abstractmethod
    def finish_job(self, name: str, owner: str, error: str | None = None, retry_seconds: int | None = None) -> None:
        """Release a lease and record the outcome; schedules the next run."""

    @abc.abstractmethod
    def list_jobs(self) -> list[JobInfo]:
        """All scheduled jobs."""

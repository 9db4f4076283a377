"""The Store interface: everything Paperwire keeps, behind one small API.

Both backends (``sqlite.py``, ``postgres.py``) implement it; no SQL lives
outside this package. Callers pass and receive the dataclasses of
``paperwire.models``.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from paperwire.models import (
    BatchResult,
    CodeLink,
    DataVersion,
    EmbedTask,
    HFDailyEntry,
    IndexEntry,
    Paper,
    RepoCheck,
    Repository,
    RepoStars,
    SignalData,
    SourceBatch,
    StarSnapshot,
    StoredEmbedding,
    StoreStats,
    TrendingEntry,
    TrendingInputs,
    TrendingPage,
    UpsertResult,
)
from paperwire.store.base_accounts import AccountsAPI, CommunityAPI
from paperwire.store.base_digests import DigestsAPI
from paperwire.store.core import Clock


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
    last_summary: str | None = None


class Store(AccountsAPI, CommunityAPI, DigestsAPI, abc.ABC):
    """Where papers and everything about them live (accounts and digests: base_accounts.py, base_digests.py)."""

    url: str
    clock: Clock
    """The store's notion of now (UTC): what it stamps writes with; tests set their own."""

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
        """What the search indexes need of papers changed after ``seq``, in change order.

        ``has_code`` is true when the paper has at least one code link.
        """

    @abc.abstractmethod
    def index_entries(self, paper_ids: Sequence[str]) -> dict[str, IndexEntry]:
        """The index view (as ``changed_since`` gives it) of the given papers."""

    @abc.abstractmethod
    def iter_papers(self, batch: int = 2000) -> Iterator[Paper]:
        """Every paper, ordered by id (for copies and checksums)."""

    # -- embeddings -------------------------------------------------------------------
    @abc.abstractmethod
    def papers_to_embed(self, model: str, limit: int, after_seq: int = 0) -> list[EmbedTask]:
        """Papers after ``after_seq`` lacking a ``model`` embedding or changed since it, in seq order."""

    @abc.abstractmethod
    def count_papers_to_embed(self, model: str) -> int:
        """How many papers ``papers_to_embed`` would go through."""

    @abc.abstractmethod
    def save_embeddings(self, model: str, dim: int, rows: Sequence[tuple[str, bytes, float, str, int]]) -> int:
        """Store ``(paper_id, int8 vector bytes, scale, text hash, paper seq)`` rows in one transaction."""

    @abc.abstractmethod
    def mark_embeddings_current(self, model: str, rows: Sequence[tuple[str, int]]) -> None:
        """Record ``(paper_id, paper seq)`` for papers whose text did not change."""

    @abc.abstractmethod
    def embedding_models(self) -> dict[str, int]:
        """Embedding counts per model id."""

    @abc.abstractmethod
    def delete_embeddings(self, keep_model: str | None = None) -> int:
        """Delete all embeddings, or those of every model but ``keep_model``."""

    @abc.abstractmethod
    def embeddings_since(self, model: str, seq: int, limit: int) -> list[StoredEmbedding]:
        """Embeddings of ``model`` written after ``seq``, in write order."""

    @abc.abstractmethod
    def max_embedding_seq(self) -> int:
        """The embeddings' change counter."""

    # -- whole tables (paperwire copy) -------------------------------------------------
    @abc.abstractmethod
    def copy_tables(self) -> list[str]:
        """Every table the migrations create, parents first."""

    @abc.abstractmethod
    def table_names(self) -> set[str]:
        """Every table present in the database."""

    @abc.abstractmethod
    def read_rows(self, table: str, after: Sequence[Any] | None, limit: int) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Column names and up to ``limit`` rows in key order, after key ``after``."""

    @abc.abstractmethod
    def write_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Insert rows verbatim in one transaction."""

    @abc.abstractmethod
    def finish_copy(self) -> None:
        """Fix generated-key counters after a copy."""

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
        """Create a scheduled job if missing (due now); keep its state, update its interval.

        A next run further away than the new interval is brought forward to it.
        """

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
    def finish_job(self, name: str, owner: str, error: str | None = None, retry_seconds: int | None = None,
                   summary: str | None = None, skipped: bool = False) -> None:
        """Release a lease and record the outcome; schedules the next run.

        Status ``failed`` with an error, else ``skipped`` or ``ok``. Success runs
        it again after its interval, failure after ``retry_seconds`` (default:
        the interval). ``summary`` says what the run did. A caller that lost the
        lease records nothing.
        """

    @abc.abstractmethod
    def release_job(self, name: str, owner: str) -> bool:
        """Give a lease back without an outcome (an interrupted run): the job stays due.

        False when ``owner`` did not hold it.
        """

    @abc.abstractmethod
    def list_jobs(self) -> list[JobInfo]:
        """All scheduled jobs."""

    # -- live sources: one atomic write per harvested page ------------------------------
    @abc.abstractmethod
    def save_batch(self, batch: SourceBatch) -> BatchResult:
        """Upsert the batch's papers, add its code links and HF entries, save its state: one transaction.

        Papers follow ``upsert_papers``' rules. Links and HF entries may name
        papers not (yet) stored. A stored paper that gets its first code link
        has its ``seq`` raised, so every host's search index re-reads it and
        learns ``has:code``. Each HF entry also adds an upvote snapshot.
        """

    @abc.abstractmethod
    def code_links(self, paper_id: str | None = None, repo: str | None = None) -> list[CodeLink]:
        """Code links of one paper and/or one repository (``owner/name``, any case), oldest first."""

    # -- GitHub repositories and stars -----------------------------------------------------
    @abc.abstractmethod
    def repos_due(self, checked_before: datetime, limit: int) -> list[Repository]:
        """Linked repositories never checked or last checked before ``checked_before``.

        Never-checked ones come first; then those linked to the most recently
        announced papers; then the longest unchecked. Repositories found
        missing are left out.
        """

    @abc.abstractmethod
    def get_repository(self, repo: str) -> Repository | None:
        """One repository by ``owner/name`` (any case), or None."""

    @abc.abstractmethod
    def save_repo_check(self, check: RepoCheck) -> None:
        """Record one check of a repository; a known star count adds a snapshot at ``checked_at``."""

    @abc.abstractmethod
    def star_snapshots(self, repo: str, since: datetime | None = None) -> list[StarSnapshot]:
        """A repository's star time series (at or after ``since``), oldest first."""

    @abc.abstractmethod
    def save_star_history(self, repo: str, per_day: Mapping[date, int], backfill: str) -> None:
        """Replace a repository's backfilled history (new stars per day, from stargazers'
        ``starred_at``) and record its backfill status (``done``, ``skipped``, ...)."""

    @abc.abstractmethod
    def star_history(self, repo: str) -> list[tuple[date, int]]:
        """Backfilled new stars per day, oldest first."""

    # -- Hugging Face daily papers -----------------------------------------------------------
    @abc.abstractmethod
    def hf_daily(self, day: date) -> list[HFDailyEntry]:
        """The daily papers list of ``day`` as last fetched, most upvoted first."""

    @abc.abstractmethod
    def hf_entries(self, paper_id: str) -> list[HFDailyEntry]:
        """Every daily list a paper was on, oldest first."""

    @abc.abstractmethod
    def hf_upvote_snapshots(self, paper_id: str) -> list[tuple[datetime, int]]:
        """A paper's HF upvotes each time they were fetched, oldest first."""

    # -- trending (paperwire/trending/, docs/trending.md) ----------------------------------
    @abc.abstractmethod
    def trending_inputs(self, start: datetime, end: datetime, also: Sequence[str] = ()) -> TrendingInputs:
        """What the trending score of the window ``(start, end]`` reads, in a few bulk queries.

        Candidates (never withdrawn ones): stored papers linked to a repository with star snapshots or
        backfilled history in the window, papers with Hugging Face upvote
        snapshots in it or on a daily list of its days, papers announced
        in its days, and the stored papers of ``also`` (those with community
        activity in the window). Cost follows the window's activity, not the store's size.
        """

    @abc.abstractmethod
    def replace_trending(self, window: str, entries: Sequence[TrendingEntry], computed_at: datetime) -> None:
        """Replace ``window``'s whole ranking in one transaction (readers see the old or the new one)."""

    @abc.abstractmethod
    def trending_page(self, window: str, limit: int = 20, offset: int = 0) -> TrendingPage:
        """A page of ``window``'s stored ranking in rank order, with its size and when it was computed."""

    @abc.abstractmethod
    def trending_entry(self, window: str, paper_id: str) -> TrendingEntry | None:
        """One paper's place in ``window``'s ranking, or None when it is not ranked there."""

    @abc.abstractmethod
    def trending_ranks(self, window: str, paper_ids: Sequence[str]) -> dict[str, int]:
        """The rank in ``window``'s ranking of each of ``paper_ids`` that is ranked there."""

    @abc.abstractmethod
    def paper_trending(self, paper_id: str) -> list[TrendingEntry]:
        """A paper's places in every window's ranking (any order)."""

    @abc.abstractmethod
    def code_link_counts(self, repos: Sequence[str]) -> dict[str, int]:
        """How many papers link each repository (``owner/name``, any case; unlinked ones are absent)."""

    @abc.abstractmethod
    def star_series(self, repo: str, since: datetime) -> RepoStars | None:
        """A repository's star points from ``since`` on (preceded by the last one before it) and its
        backfilled new stars per day from ``since``'s day on; None for an unknown repository."""

    # -- what pages show besides papers (paperwire/web/paper_signals.py, web/http.py) -----------------
    @abc.abstractmethod
    def signal_data(self, paper_ids: Sequence[str]) -> SignalData:
        """Hugging Face upvotes (the most on any daily list), community upvotes, code links and the linked
        repositories of many papers, in a few bulk queries (not one per paper). Choosing a paper's own
        repository among its links is ``paperwire.trending.activity.best_repo``'s job, not SQL's."""

    @abc.abstractmethod
    def data_version(self) -> DataVersion:
        """A cheap read for cache validators: a token that changes whenever a trending ranking is
        recomputed, a star count or Hugging Face upvote count is recorded, or the community changes
        (``community_version``), and when the newest of those was written. Papers have ``last_change``."""

    @abc.abstractmethod
    def trending_page_in(self, window: str, category: str, limit: int = 20, offset: int = 0) -> TrendingPage:
        """``trending_page`` restricted to papers listed in ``category`` (cross-lists included), in rank
        order; ``total`` counts the ranked papers of that category."""

    @abc.abstractmethod
    def trending_category_counts(self, window: str) -> dict[str, int]:
        """Ranked papers of ``window`` per category (cross-lists included), most first."""

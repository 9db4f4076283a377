"""The signals area: GitHub repositories and their stars, Hugging Face daily papers, and what pages show
of many papers at once.

Every check with a known count adds a row to ``star_snapshots`` (the
series trending reads, indexed by repository and by time). A stargazer
backfill stores new stars per day in ``star_history``, replaced whole on
each backfill so that re-running it never double counts. Hugging Face
daily entries and upvote snapshots arrive with harvested pages
(``Papers.save_batch``, through ``rows.write_hf_entries``).

Pages, feeds and APIs show up to a few hundred papers at a time; their
upvotes, code links and stars are read in a handful of bulk queries per
page (chunked ``IN`` lists), never one query per paper (``signal_data``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from paperwire.models import HFDailyEntry, RepoCheck, Repository, RepoStars, SignalData, StarSnapshot
from paperwire.store.core import (
    SIGNALS_VERSION_KEY,
    Database,
    bump_counter,
    chunks,
    iso,
    parse_instant,
    placeholders,
)
from paperwire.store.rows import HF_COLUMNS, REPO_COLUMNS, row_hf, row_repo


class Signals:
    """Repositories, star snapshots and backfilled star history; HF daily entries and upvote snapshots;
    bulk signal reads for pages."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def repos_due(self, checked_before: datetime, limit: int) -> list[Repository]:
        """Linked repositories never checked or last checked before ``checked_before``.

        Never-checked ones come first; then those linked to the most recently
        announced papers; then the longest unchecked. Repositories found
        missing are left out.
        """
        # When more repositories are due than a run may check (a Papers with Code import links
        # hundreds of thousands), those of the most recently announced papers go first: they are
        # the ones trending needs.
        with self.db.read() as tx:
            rows = tx.execute(
                f"SELECT {REPO_COLUMNS} FROM (SELECT {REPO_COLUMNS}, COALESCE((SELECT MAX(p.announced) "
                "FROM code_links l JOIN papers p ON p.id = l.paper_id WHERE l.repo = r.repo), '') AS newest "
                "FROM repositories r WHERE status <> 'missing' AND (checked_at IS NULL OR checked_at < ?)) due "
                "ORDER BY CASE WHEN checked_at IS NULL THEN 0 ELSE 1 END, newest DESC, checked_at, repo LIMIT ?",
                (iso(checked_before), limit)).all()
        return [row_repo(r) for r in rows]

    def get_repository(self, repo: str) -> Repository | None:
        """One repository by ``owner/name`` (any case), or None."""
        with self.db.read() as tx:
            row = tx.execute(f"SELECT {REPO_COLUMNS} FROM repositories WHERE repo = ?", (repo.lower(),)).one()
        return row_repo(row) if row else None

    def save_repo_check(self, check: RepoCheck) -> None:
        """Record one check of a repository; a known star count adds a snapshot at ``checked_at``."""
        key, at = check.repo.lower(), iso(check.checked_at)
        with self.db.write() as tx:
            old = tx.execute("SELECT stars FROM repositories WHERE repo = ?", (key,)).one()
            stars = check.stars if check.stars is not None else (old[0] if old and check.not_modified else None)
            tx.execute(
                "INSERT INTO repositories (repo, full_name, first_seen) VALUES (?, ?, ?) ON CONFLICT (repo) DO NOTHING",
                (key, check.full_name or check.repo, at),
            )
            changed = old is None or (stars is not None and stars != old[0])
            tx.execute(
                "UPDATE repositories SET checked_at = ?, status = ?, stars = COALESCE(?, stars), "
                "etag = COALESCE(?, etag), full_name = COALESCE(?, full_name), "
                "created_at = COALESCE(?, created_at), changed_at = CASE WHEN ? = 1 THEN ? ELSE changed_at END "
                "WHERE repo = ?",
                (at, check.status, stars, check.etag, check.full_name, iso(check.created_at), int(changed), at, key),
            )
            if stars is not None:
                tx.execute(
                    "INSERT INTO star_snapshots (repo, taken_at, stars) VALUES (?, ?, ?) "
                    "ON CONFLICT (repo, taken_at) DO UPDATE SET stars = excluded.stars",
                    (key, at, stars),
                )
                bump_counter(tx, SIGNALS_VERSION_KEY, self.db.now())

    def star_snapshots(self, repo: str, since: datetime | None = None) -> list[StarSnapshot]:
        """A repository's star time series (at or after ``since``), oldest first."""
        with self.db.read() as tx:
            rows = tx.execute(
                "SELECT repo, taken_at, stars FROM star_snapshots WHERE repo = ? AND taken_at >= ? ORDER BY taken_at",
                (repo.lower(), iso(since) or "")).all()
        return [StarSnapshot(r[0], datetime.fromisoformat(r[1]), int(r[2])) for r in rows]

    def save_star_history(self, repo: str, per_day: Mapping[date, int], backfill: str) -> None:
        """Replace a repository's backfilled history (new stars per day, from stargazers'
        ``starred_at``) and record its backfill status (``done``, ``skipped``, ...)."""
        key = repo.lower()
        with self.db.write() as tx:
            tx.execute("DELETE FROM star_history WHERE repo = ?", (key,))
            tx.executemany("INSERT INTO star_history (repo, day, stars) VALUES (?, ?, ?)",
                           [(key, day.isoformat(), n) for day, n in sorted(per_day.items())])
            tx.execute("UPDATE repositories SET backfill = ? WHERE repo = ?", (backfill, key))
            bump_counter(tx, SIGNALS_VERSION_KEY, self.db.now())

    def star_history(self, repo: str) -> list[tuple[date, int]]:
        """Backfilled new stars per day, oldest first."""
        with self.db.read() as tx:
            rows = tx.execute("SELECT day, stars FROM star_history WHERE repo = ? ORDER BY day", (repo.lower(),)).all()
        return [(date.fromisoformat(r[0]), int(r[1])) for r in rows]

    def star_series(self, repo: str, since: datetime) -> RepoStars | None:
        """A repository's star points from ``since`` on (preceded by the last one before it) and its
        backfilled new stars per day from ``since``'s day on; None for an unknown repository."""
        key, at = repo.lower(), iso(since) or ""
        with self.db.read() as tx:
            row = tx.execute("SELECT repo, full_name, stars, created_at FROM repositories WHERE repo = ?",
                             (key,)).one()
            if row is None:
                return None
            before = tx.execute("SELECT taken_at, stars FROM star_snapshots WHERE repo = ? AND taken_at < ? "
                                "ORDER BY taken_at DESC LIMIT 1", (key, at)).one()
            points = tx.execute("SELECT taken_at, stars FROM star_snapshots WHERE repo = ? AND taken_at >= ? "
                                "ORDER BY taken_at", (key, at)).all()
            days = tx.execute("SELECT day, stars FROM star_history WHERE repo = ? AND day >= ? ORDER BY day",
                              (key, since.date().isoformat())).all()
        snapshots = ([(datetime.fromisoformat(before[0]), int(before[1]))] if before else []) + [
            (datetime.fromisoformat(t), int(n)) for t, n in points]
        return RepoStars(row[0], row[1], row[2], parse_instant(row[3]), snapshots,
                         [(date.fromisoformat(d), int(n)) for d, n in days])

    # -- Hugging Face daily papers ---------------------------------------------------------
    def hf_daily(self, day: date) -> list[HFDailyEntry]:
        """The daily papers list of ``day`` as last fetched, most upvoted first."""
        with self.db.read() as tx:
            rows = tx.execute(
                f"SELECT {', '.join(HF_COLUMNS)} FROM hf_daily WHERE daily_date = ? "
                "ORDER BY upvotes DESC, paper_id", (day.isoformat(),)).all()
        return [row_hf(r) for r in rows]

    def hf_entries(self, paper_id: str) -> list[HFDailyEntry]:
        """Every daily list a paper was on, oldest first."""
        with self.db.read() as tx:
            rows = tx.execute(
                f"SELECT {', '.join(HF_COLUMNS)} FROM hf_daily WHERE paper_id = ? ORDER BY daily_date",
                (paper_id,)).all()
        return [row_hf(r) for r in rows]

    def hf_upvote_snapshots(self, paper_id: str) -> list[tuple[datetime, int]]:
        """A paper's HF upvotes each time they were fetched, oldest first."""
        with self.db.read() as tx:
            rows = tx.execute(
                "SELECT taken_at, upvotes FROM hf_upvotes WHERE paper_id = ? ORDER BY taken_at", (paper_id,)).all()
        return [(datetime.fromisoformat(r[0]), int(r[1])) for r in rows]

    # -- what pages show besides papers ---------------------------------------------------
    def signal_data(self, paper_ids: Sequence[str]) -> SignalData:
        """Hugging Face upvotes (the most on any daily list), community upvotes, code links and the linked
        repositories of many papers, in a few bulk queries (not one per paper). Choosing a paper's own
        repository among its links is ``paperwire.trending.activity.best_repo``'s job, not SQL's."""
        ids = sorted(set(paper_ids))
        out = SignalData()
        with self.db.read() as tx:
            for chunk in chunks(ids):
                marks = placeholders(len(chunk))
                out.hf_upvotes.update((r[0], int(r[1])) for r in tx.execute(
                    f"SELECT paper_id, MAX(upvotes) FROM hf_daily WHERE paper_id IN ({marks}) GROUP BY paper_id",
                    chunk).all())
                out.community.update((r[0], int(r[1])) for r in tx.execute(
                    "SELECT v.paper_id, COUNT(*) FROM upvotes v JOIN users u ON u.id = v.user_id "
                    f"WHERE v.paper_id IN ({marks}) AND u.disabled_at IS NULL GROUP BY v.paper_id", chunk).all())
                for pid, repo, source in tx.execute(
                        f"SELECT paper_id, repo, source FROM code_links WHERE paper_id IN ({marks}) "
                        "ORDER BY paper_id, repo, source", chunk).all():
                    out.links.setdefault(pid, []).append((repo, source))
            repos = sorted({repo for links in out.links.values() for repo, _ in links})
            for chunk in chunks(repos):
                marks = placeholders(len(chunk))
                out.repo_papers.update((r[0], int(r[1])) for r in tx.execute(
                    f"SELECT repo, COUNT(DISTINCT paper_id) FROM code_links WHERE repo IN ({marks}) GROUP BY repo",
                    chunk).all())
                out.repos.update((r[0], row_repo(r)) for r in tx.execute(
                    f"SELECT {REPO_COLUMNS} FROM repositories WHERE repo IN ({marks})", chunk).all())
        return out

"""GitHub repositories and their stars in SQL: the latest count, the time series, the backfill.

Every check with a known count adds a row to ``star_snapshots`` (the
series trending reads, indexed by repository and by time). A stargazer
backfill stores new stars per day in ``star_history``, replaced whole on
each backfill so that re-running it never double counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from paperwire.models import RepoCheck, Repository, StarSnapshot
from paperwire.store.core import SIGNALS_VERSION_KEY, SQLBase, bump_counter, iso, parse_instant

_REPO_COLUMNS = "repo, full_name, stars, etag, checked_at, changed_at, status, created_at, backfill, first_seen"


def _row_repo(row: Sequence[Any]) -> Repository:
    return Repository(
        repo=row[0], full_name=row[1], stars=row[2], etag=row[3], checked_at=parse_instant(row[4]),
        changed_at=parse_instant(row[5]), status=row[6], created_at=parse_instant(row[7]), backfill=row[8],
        first_seen=parse_instant(row[9]),
    )


class StarsSQL(SQLBase):
    """Repositories, star snapshots and backfilled star history."""

    def repos_due(self, checked_before: datetime, limit: int) -> list[Repository]:
        # When more repositories are due than a run may check (a Papers with Code import links
        # hundreds of thousands), those of the most recently announced papers go first: they are
        # the ones trending needs.
        with self.read() as tx:
            rows = tx.execute(
                f"SELECT {_REPO_COLUMNS} FROM (SELECT {_REPO_COLUMNS}, COALESCE((SELECT MAX(p.announced) "
                "FROM code_links l JOIN papers p ON p.id = l.paper_id WHERE l.repo = r.repo), '') AS newest "
                "FROM repositories r WHERE status <> 'missing' AND (checked_at IS NULL OR checked_at < ?)) due "
                "ORDER BY CASE WHEN checked_at IS NULL THEN 0 ELSE 1 END, newest DESC, checked_at, repo LIMIT ?",
                (iso(checked_before), limit)).all()
        return [_row_repo(r) for r in rows]

    def get_repository(self, repo: str) -> Repository | None:
        with self.read() as tx:
            row = tx.execute(f"SELECT {_REPO_COLUMNS} FROM repositories WHERE repo = ?", (repo.lower(),)).one()
        return _row_repo(row) if row else None

    def save_repo_check(self, check: RepoCheck) -> None:
        key, at = check.repo.lower(), iso(check.checked_at)
        with self.write() as tx:
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
                bump_counter(tx, SIGNALS_VERSION_KEY, self._now())

    def star_snapshots(self, repo: str, since: datetime | None = None) -> list[StarSnapshot]:
        with self.read() as tx:
            rows = tx.execute(
                "SELECT repo, taken_at, stars FROM star_snapshots WHERE repo = ? AND taken_at >= ? ORDER BY taken_at",
                (repo.lower(), iso(since) or "")).all()
        return [StarSnapshot(r[0], datetime.fromisoformat(r[1]), int(r[2])) for r in rows]

    def save_star_history(self, repo: str, per_day: Mapping[date, int], backfill: str) -> None:
        key = repo.lower()
        with self.write() as tx:
            tx.execute("DELETE FROM star_history WHERE repo = ?", (key,))
            tx.executemany("INSERT INTO star_history (repo, day, stars) VALUES (?, ?, ?)",
                           [(key, day.isoformat(), n) for day, n in sorted(per_day.items())])
            tx.execute("UPDATE repositories SET backfill = ? WHERE repo = ?", (backfill, key))
            bump_counter(tx, SIGNALS_VERSION_KEY, self._now())

    def star_history(self, repo: str) -> list[tuple[date, int]]:
        with self.read() as tx:
            rows = tx.execute("SELECT day, stars FROM star_history WHERE repo = ? ORDER BY day", (repo.lower(),)).all()
        return [(date.fromisoformat(r[0]), int(r[1])) for r in rows]

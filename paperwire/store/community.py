"""The community area: upvotes, libraries, submissions, and the activity trending reads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from paperwire.models import CommunityActivity, Submission
from paperwire.store.core import (
    Database,
    Tx,
    bump_counter,
    bump_user_signals,
    chunks,
    iso,
    parse_instant,
    placeholders,
    read_state,
)

_SUBMISSION_SELECT = (
    "SELECT s.paper_id, s.user_id, u.handle, s.submitted_at, s.source_url, s.times, s.hidden_at, s.hidden_reason "
    "FROM submissions s JOIN users u ON u.id = s.user_id"
)
_VISIBLE = "s.hidden_at IS NULL AND u.disabled_at IS NULL"
VERSION_KEY = "community_version"


def bump_community_version(tx: Tx, now: str) -> None:
    """Count a change of what pages show of the community (upvotes, submissions, moderation), in the
    writer's own transaction: caches key on it."""
    bump_counter(tx, VERSION_KEY, now)


def _row_submission(r: Sequence[Any]) -> Submission:
    submitted = parse_instant(r[3])
    assert submitted is not None
    return Submission(paper_id=r[0], user_id=int(r[1]), handle=r[2], submitted_at=submitted, source_url=r[4],
                      times=int(r[5]), hidden_at=parse_instant(r[6]), hidden_reason=r[7])


class Community:
    """Upvotes, submissions, and reads of personal libraries (``store.library`` writes them)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def set_upvote(self, user_id: int, paper_id: str, on: bool) -> bool:
        """Upvote (``on``) or take it back; True when something changed. One per user and paper."""
        with self.db.write() as tx:
            if on:
                tx.execute("INSERT INTO upvotes (user_id, paper_id, created_at) VALUES (?, ?, ?) "
                           "ON CONFLICT DO NOTHING", (user_id, paper_id, self.db.now()))
            else:
                tx.execute("DELETE FROM upvotes WHERE user_id = ? AND paper_id = ?", (user_id, paper_id))
            changed = tx.rowcount == 1
            if changed:
                bump_community_version(tx, self.db.now())
                bump_user_signals(tx, user_id, self.db.now())
            return changed

    def upvote_counts(self, paper_ids: Sequence[str]) -> dict[str, int]:
        """Upvotes per paper (accounts that are disabled do not count); absent ids have none."""
        counts: dict[str, int] = {}
        ids = list(dict.fromkeys(paper_ids))
        with self.db.read() as tx:
            for chunk in chunks(ids):
                rows = tx.execute(
                    "SELECT v.paper_id, COUNT(*) FROM upvotes v JOIN users u ON u.id = v.user_id "
                    f"WHERE v.paper_id IN ({placeholders(len(chunk))}) AND u.disabled_at IS NULL GROUP BY v.paper_id",
                    chunk,
                ).all()
                counts.update((r[0], int(r[1])) for r in rows)
        return counts

    def viewer_marks(self, user_id: int, paper_ids: Sequence[str]) -> dict[str, tuple[bool, bool]]:
        """For each id: (upvoted, saved) by this user."""
        ids = list(dict.fromkeys(paper_ids))
        upvoted: set[str] = set()
        saved: set[str] = set()
        with self.db.read() as tx:
            for chunk in chunks(ids):
                where = f"user_id = ? AND paper_id IN ({placeholders(len(chunk))})"
                upvoted.update(r[0] for r in tx.execute(f"SELECT paper_id FROM upvotes WHERE {where}",
                                                        (user_id, *chunk)).all())
                saved.update(r[0] for r in tx.execute(f"SELECT paper_id FROM library WHERE {where}",
                                                      (user_id, *chunk)).all())
        return {pid: (pid in upvoted, pid in saved) for pid in ids}

    def library(self, user_id: int, limit: int = 50, offset: int = 0) -> list[tuple[str, datetime]]:
        """The user's saved papers ``(paper_id, saved_at)``, newest first."""
        with self.db.read() as tx:
            rows = tx.execute("SELECT paper_id, saved_at FROM library WHERE user_id = ? "
                              "ORDER BY saved_at DESC, paper_id LIMIT ? OFFSET ?", (user_id, limit, offset)).all()
        return [(r[0], parse_instant(r[1]) or datetime.min) for r in rows]

    def count_library(self, user_id: int) -> int:
        """How many papers the user saved."""
        with self.db.read() as tx:
            return int(tx.execute("SELECT COUNT(*) FROM library WHERE user_id = ?", (user_id,)).scalar())

    def add_submission(self, paper_id: str, user_id: int, source_url: str) -> tuple[Submission, bool]:
        """Record a submission of a stored paper; a paper already submitted keeps its first
        submitter (the new one is merged: ``times`` grows). Returns it and whether it is new."""
        with self.db.write() as tx:
            tx.execute("INSERT INTO submissions (paper_id, user_id, submitted_at, source_url) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT (paper_id) DO UPDATE SET times = submissions.times + 1",
                       (paper_id, user_id, self.db.now(), source_url[:500]))
            bump_community_version(tx, self.db.now())
            row = tx.execute(f"{_SUBMISSION_SELECT} WHERE s.paper_id = ?", (paper_id,)).one()
        assert row is not None
        submission = _row_submission(row)
        return submission, submission.times == 1 and submission.user_id == user_id

    def submissions_for(self, paper_ids: Sequence[str], include_hidden: bool = False) -> dict[str, Submission]:
        """The submissions of these papers (hidden ones and those of disabled accounts left out)."""
        ids = list(dict.fromkeys(paper_ids))
        found: dict[str, Submission] = {}
        visible = "" if include_hidden else f" AND {_VISIBLE}"
        with self.db.read() as tx:
            for chunk in chunks(ids):
                rows = tx.execute(f"{_SUBMISSION_SELECT} WHERE s.paper_id IN ({placeholders(len(chunk))}){visible}",
                                  chunk).all()
                found.update((r[0], _row_submission(r)) for r in rows)
        return found

    def list_submissions(self, limit: int = 50, offset: int = 0, user_id: int | None = None,
                         include_hidden: bool = False) -> list[Submission]:
        """Submissions, newest first; of one user when ``user_id`` is given."""
        where = [] if include_hidden else [_VISIBLE]
        params: list[Any] = []
        if user_id is not None:
            where.append("s.user_id = ?")
            params.append(user_id)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        with self.db.read() as tx:
            rows = tx.execute(f"{_SUBMISSION_SELECT}{clause} ORDER BY s.submitted_at DESC, s.paper_id "
                              "LIMIT ? OFFSET ?", (*params, limit, offset)).all()
        return [_row_submission(r) for r in rows]

    def set_submission_hidden(self, paper_id: str, hidden: bool, reason: str | None = None) -> bool:
        """Hide a submission (moderation) or show it again; False when there is none."""
        with self.db.write() as tx:
            tx.execute("UPDATE submissions SET hidden_at = ?, hidden_reason = ? WHERE paper_id = ?",
                       (self.db.now() if hidden else None, reason if hidden else None, paper_id))
            changed = tx.rowcount == 1
            bump_community_version(tx, self.db.now())
            return changed

    def community_version(self) -> int:
        """A counter raised by every change of upvotes, submissions and moderation (for cache validators)."""
        with self.db.read() as tx:
            value = read_state(tx, VERSION_KEY)
        return int(value) if value else 0

    def community_activity(self, start: datetime, end: datetime) -> dict[str, CommunityActivity]:
        """Per paper: upvotes and saves made in ``(start, end]`` (the trending window: what happened up to
        ``end`` included) and whether it was submitted then (visible submissions, enabled accounts only).
        Trending reads this."""
        span = (iso(start), iso(end))
        activity: dict[str, CommunityActivity] = {}
        with self.db.read() as tx:
            for table, column, attr in (("upvotes", "created_at", "upvotes"), ("library", "saved_at", "saves")):
                rows = tx.execute(
                    f"SELECT t.paper_id, COUNT(*) FROM {table} t JOIN users u ON u.id = t.user_id "
                    f"WHERE t.{column} > ? AND t.{column} <= ? AND u.disabled_at IS NULL GROUP BY t.paper_id", span,
                ).all()
                for pid, n in rows:
                    setattr(activity.setdefault(pid, CommunityActivity()), attr, int(n))
            rows = tx.execute(f"SELECT s.paper_id FROM submissions s JOIN users u ON u.id = s.user_id "
                              f"WHERE s.submitted_at > ? AND s.submitted_at <= ? AND {_VISIBLE}", span).all()
            for (pid,) in rows:
                activity.setdefault(pid, CommunityActivity()).submitted = True
        return activity

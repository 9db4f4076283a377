"""The discussions area: comments on papers, their upvotes and reports, and reply-email preferences.

Every write that changes what a page shows (a comment, an edit, a deletion, a vote, moderation) raises
the community counter in its own transaction, so cached pages and ETags follow
(``store.community.community_version``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from paperwire.models.discussions import Comment, CommentReport, CommentStatus
from paperwire.store.community import bump_community_version
from paperwire.store.core import Database, Tx, chunks, parse_instant, placeholders

_COMMENT_SELECT = (
    "SELECT c.id, c.paper_id, c.user_id, u.handle, c.body, c.created_at, c.parent_id, c.status, c.edited_at, "
    "c.deleted_at, c.moderated_at, c.moderation_reason, u.disabled_at, c.reply_to_user, "
    "(SELECT COUNT(*) FROM comment_votes v JOIN users vu ON vu.id = v.user_id "
    " WHERE v.comment_id = c.id AND vu.disabled_at IS NULL), "
    "(SELECT COUNT(*) FROM comment_votes w WHERE w.comment_id = c.id AND w.user_id = ?) "
    "FROM comments c JOIN users u ON u.id = c.user_id"
)
_REPORT_SELECT = ("SELECT r.id, r.comment_id, r.user_id, u.handle, r.reason, r.created_at, r.resolved_at, r.resolution "
                  "FROM comment_reports r JOIN users u ON u.id = r.user_id")
# what everyone sees, and what counts: shown, not deleted, by an account that is not disabled
_PUBLIC = "c.status = 'visible' AND c.deleted_at IS NULL AND u.disabled_at IS NULL"


def _instant(value: Any) -> datetime:
    result = parse_instant(value)
    assert result is not None
    return result


def _row_comment(r: Sequence[Any]) -> Comment:
    return Comment(id=int(r[0]), paper_id=r[1], user_id=int(r[2]), handle=r[3], body=r[4], created_at=_instant(r[5]),
                   parent_id=int(r[6]) if r[6] is not None else None, status=cast(CommentStatus, r[7]),
                   edited_at=parse_instant(r[8]), deleted_at=parse_instant(r[9]), moderated_at=parse_instant(r[10]),
                   moderation_reason=r[11], author_disabled=r[12] is not None,
                   reply_to_user=int(r[13]) if r[13] is not None else None, upvotes=int(r[14]), upvoted=int(r[15]) > 0)


def _row_report(r: Sequence[Any]) -> CommentReport:
    return CommentReport(id=int(r[0]), comment_id=int(r[1]), user_id=int(r[2]), handle=r[3], reason=r[4],
                         created_at=_instant(r[5]), resolved_at=parse_instant(r[6]), resolution=r[7])


class Discussions:
    """Comments, votes, reports and reply-email preferences."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def _one(self, tx: Tx, comment_id: int, viewer_id: int | None = None) -> Comment | None:
        row = tx.execute(f"{_COMMENT_SELECT} WHERE c.id = ?", (viewer_id or 0, comment_id)).one()
        return _row_comment(row) if row is not None else None

    # -- comments -------------------------------------------------------------------------------------
    def add_comment(self, paper_id: str, user_id: int, body: str, status: CommentStatus, parent_id: int | None = None,
                    reply_to_user: int | None = None) -> Comment:
        """Store a new comment, or a reply under the top-level ``parent_id`` answering ``reply_to_user``, and
        return it."""
        now = self.db.now()
        with self.db.write() as tx:
            new_id = tx.execute("INSERT INTO comments (paper_id, user_id, parent_id, reply_to_user, body, status, "
                                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                                (paper_id, user_id, parent_id, reply_to_user, body, status, now)).scalar()
            bump_community_version(tx, now)
            comment = self._one(tx, int(new_id))
        assert comment is not None
        return comment

    def get_comment(self, comment_id: int, viewer_id: int | None = None) -> Comment | None:
        """One comment in any status (with whether ``viewer_id`` upvoted it), or None."""
        with self.db.read() as tx:
            return self._one(tx, comment_id, viewer_id)

    def get_comments(self, comment_ids: Sequence[int]) -> dict[int, Comment]:
        """These comments in any status, by id (unknown ids are absent)."""
        found: dict[int, Comment] = {}
        with self.db.read() as tx:
            for chunk in chunks(list(dict.fromkeys(comment_ids))):
                rows = tx.execute(f"{_COMMENT_SELECT} WHERE c.id IN ({placeholders(len(chunk))})", (0, *chunk)).all()
                found.update((int(r[0]), _row_comment(r)) for r in rows)
        return found

    def paper_comments(self, paper_id: str, viewer_id: int | None = None) -> list[Comment]:
        """Every comment of a paper in every status, oldest first, flat (the service decides who sees
        what and threads them)."""
        with self.db.read() as tx:
            rows = tx.execute(f"{_COMMENT_SELECT} WHERE c.paper_id = ? ORDER BY c.created_at, c.id",
                              (viewer_id or 0, paper_id)).all()
        return [_row_comment(r) for r in rows]

    def edit_comment(self, comment_id: int, body: str) -> bool:
        """Replace a comment's source (marked edited); False when it is gone or deleted."""
        now = self.db.now()
        with self.db.write() as tx:
            tx.execute("UPDATE comments SET body = ?, edited_at = ? WHERE id = ? AND deleted_at IS NULL",
                       (body, now, comment_id))
            changed = tx.rowcount == 1
            if changed:
                bump_community_version(tx, now)
            return changed

    def delete_comment(self, comment_id: int) -> bool:
        """Delete a comment's text, keeping a tombstone so its replies stay in place; False when it was
        deleted already. Its open reports are closed: there is nothing left to moderate."""
        now = self.db.now()
        with self.db.write() as tx:
            tx.execute("UPDATE comments SET body = '', deleted_at = ? WHERE id = ? AND deleted_at IS NULL",
                       (now, comment_id))
            changed = tx.rowcount == 1
            if changed:
                tx.execute("UPDATE comment_reports SET resolved_at = ?, resolution = 'deleted' "
                           "WHERE comment_id = ? AND resolved_at IS NULL", (now, comment_id))
                bump_community_version(tx, now)
            return changed

    def comment_counts(self, paper_ids: Sequence[str]) -> dict[str, int]:
        """Comments everyone can read, per paper (absent ids have none)."""
        counts: dict[str, int] = {}
        with self.db.read() as tx:
            for chunk in chunks(list(dict.fromkeys(paper_ids))):
                rows = tx.execute(
                    f"SELECT c.paper_id, COUNT(*) FROM comments c JOIN users u ON u.id = c.user_id "
                    f"WHERE c.paper_id IN ({placeholders(len(chunk))}) AND {_PUBLIC} GROUP BY c.paper_id", chunk,
                ).all()
                counts.update((r[0], int(r[1])) for r in rows)
        return counts

    def has_shown_comment(self, user_id: int) -> bool:
        """Whether a comment of this member was ever let through (a new account's hold ends with it)."""
        with self.db.read() as tx:
            return tx.execute("SELECT 1 FROM comments WHERE user_id = ? AND status = 'visible' LIMIT 1",
                              (user_id,)).one() is not None

    def comments_by_status(self, status: CommentStatus, limit: int = 50, offset: int = 0) -> list[Comment]:
        """Comments in one status (the moderators' queues), oldest first, deleted ones left out."""
        with self.db.read() as tx:
            rows = tx.execute(f"{_COMMENT_SELECT} WHERE c.status = ? AND c.deleted_at IS NULL "
                              "ORDER BY c.created_at, c.id LIMIT ? OFFSET ?", (0, status, limit, offset)).all()
        return [_row_comment(r) for r in rows]

    # -- votes ----------------------------------------------------------------------------------------
    def set_vote(self, comment_id: int, user_id: int, on: bool) -> bool:
        """Upvote a comment (one per member) or take it back; True when something changed."""
        now = self.db.now()
        with self.db.write() as tx:
            if on:
                tx.execute("INSERT INTO comment_votes (comment_id, user_id, created_at) VALUES (?, ?, ?) "
                           "ON CONFLICT DO NOTHING", (comment_id, user_id, now))
            else:
                tx.execute("DELETE FROM comment_votes WHERE comment_id = ? AND user_id = ?", (comment_id, user_id))
            changed = tx.rowcount == 1
            if changed:
                bump_community_version(tx, now)
            return changed

    # -- reports and moderation -----------------------------------------------------------------------
    def add_report(self, comment_id: int, user_id: int, reason: str) -> bool:
        """Report a comment (one report per member and comment: a second one updates the reason and
        opens it again); True when it is a new report."""
        now = self.db.now()
        with self.db.write() as tx:
            tx.execute("INSERT INTO comment_reports (comment_id, user_id, reason, created_at) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT (comment_id, user_id) DO NOTHING", (comment_id, user_id, reason, now))
            if tx.rowcount == 1:
                return True
            tx.execute("UPDATE comment_reports SET reason = ?, created_at = ?, resolved_at = NULL, resolution = NULL "
                       "WHERE comment_id = ? AND user_id = ?", (reason, now, comment_id, user_id))
            return False

    def reports(self, open_only: bool = True, limit: int = 100, offset: int = 0) -> list[CommentReport]:
        """Reports, newest first; only those no moderator has acted on by default."""
        where = " WHERE r.resolved_at IS NULL" if open_only else ""
        with self.db.read() as tx:
            rows = tx.execute(f"{_REPORT_SELECT}{where} ORDER BY r.created_at DESC, r.id DESC LIMIT ? OFFSET ?",
                              (limit, offset)).all()
        return [_row_report(r) for r in rows]

    def set_status(self, comment_id: int, status: CommentStatus, reason: str | None = None) -> bool:
        """Moderate: hide a comment, or let it through (``visible``); its open reports are resolved by
        it. False when there is no such comment."""
        now = self.db.now()
        with self.db.write() as tx:
            tx.execute("UPDATE comments SET status = ?, moderated_at = ?, moderation_reason = ? WHERE id = ?",
                       (status, now, reason, comment_id))
            if tx.rowcount != 1:
                return False
            tx.execute("UPDATE comment_reports SET resolved_at = ?, resolution = ? "
                       "WHERE comment_id = ? AND resolved_at IS NULL",
                       (now, "hidden" if status == "hidden" else "dismissed", comment_id))
            bump_community_version(tx, now)
            return True

    # -- preferences ----------------------------------------------------------------------------------
    def reply_emails(self, user_id: int) -> bool:
        """Whether the member asked for an email when someone replies to their comments (off by default)."""
        with self.db.read() as tx:
            value = tx.execute("SELECT reply_emails FROM discussion_prefs WHERE user_id = ?", (user_id,)).scalar()
        return bool(value)

    def set_reply_emails(self, user_id: int, on: bool) -> None:
        """Turn reply emails on or off for a member."""
        with self.db.write() as tx:
            tx.execute("INSERT INTO discussion_prefs (user_id, reply_emails, updated_at) VALUES (?, ?, ?) "
                       "ON CONFLICT (user_id) DO UPDATE SET reply_emails = excluded.reply_emails, "
                       "updated_at = excluded.updated_at", (user_id, int(on), self.db.now()))

"""The preferences area: thumbs up or down per paper, followed and muted authors, categories and
keywords, and ``user_signals``: everything a recommender learns from, read in one transaction.

A thumb is up or down, never both (one row per member and paper). A follow and a mute of the same
author are one row too (``stance``): muting an author one follows replaces the follow.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from paperwire.models import PaperSignal, Preference, UserSignals
from paperwire.models.library import Stance, Thumb
from paperwire.store.core import Database, bump_user_signals, chunks, parse_instant, placeholders

_EPOCH = datetime.min


class Preferences:
    """Thumbs, follows and mutes, and the whole of a member's signals."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def set_thumb(self, user_id: int, paper_id: str, thumb: Thumb | None) -> bool:
        """Thumb a paper up or down (replacing the other), or take the thumb back (None); True when
        something changed."""
        with self.db.write() as tx:
            if thumb is None:
                tx.execute("DELETE FROM thumbs WHERE user_id = ? AND paper_id = ?", (user_id, paper_id))
                changed = tx.rowcount == 1
            else:
                up = int(thumb == "up")
                tx.execute("INSERT INTO thumbs (user_id, paper_id, up, created_at) VALUES (?, ?, ?, ?) "
                           "ON CONFLICT (user_id, paper_id) DO UPDATE SET up = excluded.up, "
                           "created_at = excluded.created_at WHERE thumbs.up <> excluded.up",
                           (user_id, paper_id, up, self.db.now()))
                changed = tx.rowcount == 1
            if changed:
                bump_user_signals(tx, user_id, self.db.now())
            return changed

    def clear_thumbs(self, user_id: int) -> int:
        """Take back every thumb of the member (a "For you" reset); how many there were."""
        with self.db.write() as tx:
            tx.execute("DELETE FROM thumbs WHERE user_id = ?", (user_id,))
            removed = int(tx.rowcount)
            if removed:
                bump_user_signals(tx, user_id, self.db.now())
            return removed

    def thumbs(self, user_id: int, paper_ids: Sequence[str]) -> dict[str, Thumb]:
        """The member's thumbs among ``paper_ids`` (papers without one are absent)."""
        found: dict[str, Thumb] = {}
        with self.db.read() as tx:
            for chunk in chunks(list(dict.fromkeys(paper_ids))):
                rows = tx.execute(f"SELECT paper_id, up FROM thumbs WHERE user_id = ? AND paper_id IN "
                                  f"({placeholders(len(chunk))})", (user_id, *chunk)).all()
                found.update((pid, "up" if up else "down") for pid, up in rows)
        return found

    def set_preference(self, user_id: int, kind: str, key: str, label: str, stance: Stance | None) -> bool:
        """Follow or mute (``stance``) an author, category or keyword by its normal form ``key``, or
        forget it (None); True when something changed."""
        with self.db.write() as tx:
            if stance is None:
                tx.execute("DELETE FROM follows WHERE user_id = ? AND kind = ? AND key = ?", (user_id, kind, key))
            else:
                tx.execute("INSERT INTO follows (user_id, kind, key, label, stance, created_at) "
                           "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, kind, key) DO UPDATE SET "
                           "stance = excluded.stance, label = excluded.label, created_at = excluded.created_at "
                           "WHERE follows.stance <> excluded.stance",
                           (user_id, kind, key, label, stance, self.db.now()))
            changed = tx.rowcount == 1
            if changed:
                bump_user_signals(tx, user_id, self.db.now())
            return changed

    def preferences(self, user_id: int, stance: Stance | None = None) -> list[Preference]:
        """The member's follows and mutes (or only one stance), newest first."""
        where, params = ("", (user_id,)) if stance is None else (" AND stance = ?", (user_id, stance))
        with self.db.read() as tx:
            rows = tx.execute(f"SELECT kind, key, label, stance, created_at FROM follows WHERE user_id = ?{where} "
                              "ORDER BY created_at DESC, kind, key", params).all()
        return [Preference(r[0], r[1], r[2], r[3], parse_instant(r[4]) or _EPOCH) for r in rows]

    def signals_version(self, user_id: int) -> int:
        """A counter that grows with every change of the member's signals (0 before the first)."""
        with self.db.read() as tx:
            value = tx.execute("SELECT version FROM signal_versions WHERE user_id = ?", (user_id,)).scalar()
        return int(value) if value is not None else 0

    def user_signals(self, user_id: int) -> UserSignals:
        """Everything the member did that a recommender learns from, in one read transaction (seven small
        indexed queries): saves, upvotes and thumbs with their times, follows, mutes, folders."""
        return self.signals_of([user_id])[user_id]

    def signals_of(self, user_ids: Sequence[int]) -> dict[int, UserSignals]:
        """``user_signals`` of many members in one read transaction (the same seven queries per chunk of
        members, not per member: a digest run reads ten thousand readers' signals)."""
        ids = list(dict.fromkeys(user_ids))
        signals = {uid: UserSignals(uid) for uid in ids}
        positives: dict[int, list[PaperSignal]] = {uid: [] for uid in ids}
        negatives: dict[int, list[PaperSignal]] = {uid: [] for uid in ids}
        buckets = {uid: {("author", "follow"): s.followed_authors, ("category", "follow"): s.followed_categories,
                         ("author", "mute"): s.muted_authors, ("keyword", "mute"): s.muted_keywords}
                   for uid, s in signals.items()}
        with self.db.read() as tx:
            for chunk in chunks(ids):
                among = f"user_id IN ({placeholders(len(chunk))})"
                for uid, version in tx.execute(f"SELECT user_id, version FROM signal_versions WHERE {among}",
                                               chunk).all():
                    signals[int(uid)].version = int(version)
                for sql, kind in ((f"SELECT user_id, paper_id, saved_at FROM library WHERE {among}", "save"),
                                  (f"SELECT user_id, paper_id, created_at FROM upvotes WHERE {among}", "upvote"),
                                  (f"SELECT user_id, paper_id, created_at FROM thumbs WHERE {among} AND up = 1",
                                   "thumbs_up")):
                    for uid, pid, at in tx.execute(sql, chunk).all():
                        positives[int(uid)].append(PaperSignal(pid, kind, parse_instant(at) or _EPOCH))  # type: ignore[arg-type]
                for uid, pid, at in tx.execute(f"SELECT user_id, paper_id, created_at FROM thumbs WHERE {among} "
                                               "AND up = 0", chunk).all():
                    negatives[int(uid)].append(PaperSignal(pid, "thumbs_down", parse_instant(at) or _EPOCH))
                for uid, kind, key, label, stance in tx.execute(
                        f"SELECT user_id, kind, key, label, stance FROM follows WHERE {among} "
                        "ORDER BY user_id, created_at, key", chunk).all():
                    bucket = buckets[int(uid)].get((kind, stance))
                    if bucket is not None:
                        bucket[key] = label
                for uid, pid, slug in tx.execute(
                        "SELECT fp.user_id, fp.paper_id, f.slug FROM folder_papers fp JOIN folders f "
                        f"ON f.id = fp.folder_id WHERE fp.{among} "
                        "ORDER BY fp.user_id, f.is_default DESC, LOWER(f.name), f.id", chunk).all():
                    signals[int(uid)].folders.setdefault(pid, []).append(slug)
        for uid, found in signals.items():
            # newest first; ties (one import saves many papers in the same second) by id, for a stable order
            found.positives = sorted(positives[uid], key=lambda s: (s.at, s.paper_id, s.kind), reverse=True)
            found.negatives = sorted(negatives[uid], key=lambda s: (s.at, s.paper_id), reverse=True)
        return signals

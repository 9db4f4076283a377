"""The recommendations area: each reader's stored model and the instance's background.

Both are opaque bytes here (``recommend.model.UserModel.to_bytes`` and
``recommend.features.Background.to_bytes``): the store keeps them, the
recommend package reads them. A model records the ``signals_at`` it was
trained up to (the member's ``signal_versions.version`` as text), so a job can
retrain only readers whose signals changed since (``stale_users``).

``foryou_settings`` holds what a member chose for their "For you" ranking: an
exploration rate, and the SHA-256 of their private feed's token.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from paperwire.store.core import Database, chunks, placeholders

BACKGROUND = "background"


@dataclass(frozen=True, slots=True)
class ForYouSettings:
    """A member's "For you" choices: ``exploration`` (None: the instance default) and when their private
    feed's current token was made (None: no feed)."""

    exploration: float | None = None
    feed_created_at: str | None = None


@dataclass(frozen=True, slots=True)
class StoredModel:
    """One reader's model as stored."""

    user_id: int
    model: bytes
    format: int
    trained_at: str
    signals_at: str


class Recommendations:
    """The ``recommend_models`` and ``recommend_state`` tables."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def save_model(self, user_id: int, model: bytes, format: int, signals_at: str) -> None:
        """Store (or replace) a reader's model, trained on their signals up to ``signals_at``."""
        with self.db.write() as tx:
            self.db.insert_rows(
                tx, "recommend_models", ("user_id", "model", "format", "trained_at", "signals_at"),
                [(user_id, model, format, self.db.now(), signals_at)],
                on_conflict="ON CONFLICT (user_id) DO UPDATE SET model = excluded.model, format = excluded.format, "
                "trained_at = excluded.trained_at, signals_at = excluded.signals_at")

    def get_model(self, user_id: int) -> StoredModel | None:
        """A reader's stored model, or None (never trained, or deleted with the account)."""
        return self.get_models([user_id]).get(user_id)

    def get_models(self, user_ids: Sequence[int]) -> dict[int, StoredModel]:
        """The stored models of many readers in one read (a digest run's); readers without one are absent."""
        found: dict[int, StoredModel] = {}
        with self.db.read() as tx:
            for chunk in chunks(list(dict.fromkeys(user_ids))):
                for row in tx.execute("SELECT user_id, model, format, trained_at, signals_at FROM recommend_models "
                                      f"WHERE user_id IN ({placeholders(len(chunk))})", chunk).all():
                    found[int(row[0])] = StoredModel(int(row[0]), bytes(row[1]), int(row[2]), row[3], row[4])
        return found

    def delete_model(self, user_id: int) -> bool:
        """Forget a reader's model (e.g. to retrain from scratch); True when there was one."""
        with self.db.write() as tx:
            return tx.execute("DELETE FROM recommend_models WHERE user_id = ?", (user_id,)).rowcount > 0

    def save_background(self, data: bytes) -> None:
        """Store (or replace) the instance's background model."""
        with self.db.write() as tx:
            self.db.insert_rows(tx, "recommend_state", ("name", "data", "updated_at"),
                                [(BACKGROUND, data, self.db.now())],
                                on_conflict="ON CONFLICT (name) DO UPDATE SET data = excluded.data, "
                                "updated_at = excluded.updated_at")

    def get_background(self) -> bytes | None:
        """The instance's background model, or None before the first fit."""
        with self.db.read() as tx:
            value = tx.execute("SELECT data FROM recommend_state WHERE name = ?", (BACKGROUND,)).scalar()
        return bytes(value) if value is not None else None

    def background_updated_at(self) -> str | None:
        """When the background was last stored (one cheap read: callers cache the parsed background by it)."""
        with self.db.read() as tx:
            value = tx.execute("SELECT updated_at FROM recommend_state WHERE name = ?", (BACKGROUND,)).scalar()
        return str(value) if value is not None else None

    def stale_users(self, limit: int) -> list[tuple[int, int]]:
        """Up to ``limit`` members whose signals changed since their model was trained (or who have signals
        and no model): ``(user_id, signals version)``, least recently changed first. Disabled accounts are
        left out."""
        with self.db.read() as tx:
            rows = tx.execute(
                "SELECT v.user_id, v.version FROM signal_versions v JOIN users u ON u.id = v.user_id "
                "LEFT JOIN recommend_models m ON m.user_id = v.user_id "
                "WHERE u.disabled_at IS NULL AND (m.user_id IS NULL OR m.signals_at <> CAST(v.version AS TEXT)) "
                "ORDER BY v.changed_at, v.user_id LIMIT ?", (limit,)).all()
        return [(int(r[0]), int(r[1])) for r in rows]

    def settings(self, user_id: int) -> ForYouSettings:
        """A member's "For you" choices (defaults when they never chose)."""
        return self.settings_of([user_id]).get(user_id, ForYouSettings())

    def settings_of(self, user_ids: Sequence[int]) -> dict[int, ForYouSettings]:
        """The choices of the members who made any, in one read; the others are absent (defaults)."""
        found: dict[int, ForYouSettings] = {}
        with self.db.read() as tx:
            for chunk in chunks(list(dict.fromkeys(user_ids))):
                for uid, exploration, feed_at in tx.execute(
                        "SELECT user_id, exploration, feed_created_at FROM foryou_settings "
                        f"WHERE user_id IN ({placeholders(len(chunk))})", chunk).all():
                    found[int(uid)] = ForYouSettings(float(exploration) if exploration is not None else None, feed_at)
        return found

    def set_exploration(self, user_id: int, rate: float | None) -> None:
        """Store a member's exploration rate (None: back to the instance default)."""
        with self.db.write() as tx:
            self.db.insert_rows(tx, "foryou_settings", ("user_id", "exploration", "updated_at"),
                                [(user_id, rate, self.db.now())],
                                on_conflict="ON CONFLICT (user_id) DO UPDATE SET exploration = excluded.exploration, "
                                "updated_at = excluded.updated_at")

    def set_feed_token(self, user_id: int, token_hash: str | None) -> None:
        """Replace a member's feed token by the one hashed to ``token_hash`` (None revokes the feed)."""
        now = self.db.now()
        with self.db.write() as tx:
            self.db.insert_rows(tx, "foryou_settings", ("user_id", "feed_token_hash", "feed_created_at",
                                                        "updated_at"),
                                [(user_id, token_hash, now if token_hash else None, now)],
                                on_conflict="ON CONFLICT (user_id) DO UPDATE SET feed_token_hash = "
                                "excluded.feed_token_hash, feed_created_at = excluded.feed_created_at, "
                                "updated_at = excluded.updated_at")

    def user_for_feed(self, token_hash: str) -> int | None:
        """The enabled member whose feed token hashes to ``token_hash``, or None."""
        with self.db.read() as tx:
            value = tx.execute("SELECT s.user_id FROM foryou_settings s JOIN users u ON u.id = s.user_id "
                               "WHERE s.feed_token_hash = ? AND u.disabled_at IS NULL", (token_hash,)).scalar()
        return int(value) if value is not None else None

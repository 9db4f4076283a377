"""The recommendations area: each reader's stored model and the instance's background.

Both are opaque bytes here (``recommend.model.UserModel.to_bytes`` and
``recommend.features.Background.to_bytes``): the store keeps them, the
recommend package reads them. A model records the ``signals_at`` it was
trained up to, so a job can retrain only readers whose signals changed since.
"""

from __future__ import annotations

from dataclasses import dataclass

from paperwire.store.core import Database

BACKGROUND = "background"


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
        with self.db.read() as tx:
            row = tx.execute("SELECT user_id, model, format, trained_at, signals_at FROM recommend_models "
                             "WHERE user_id = ?", (user_id,)).one()
        return StoredModel(int(row[0]), bytes(row[1]), int(row[2]), row[3], row[4]) if row else None

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

"""The embeddings area: one compact vector per (paper, model), with its own change counter.

``seq`` orders embedding writes (assigned under a lock, like papers' seq)
so every host's vector index catches up without gaps; ``paper_seq`` is the
paper's change counter when it was embedded, so a later change of the paper
makes it a candidate for re-embedding (the text hash decides).
"""

from __future__ import annotations

from collections.abc import Sequence

from paperwire.models import EmbedTask, StoredEmbedding
from paperwire.store.core import Database, Tx

EMBEDDING_COLUMNS = ("paper_id", "model", "dim", "vector", "scale", "text_hash", "paper_seq", "seq", "created_at")
_REPLACE = "ON CONFLICT (paper_id, model) DO UPDATE SET " + ", ".join(
    f"{c} = excluded.{c}" for c in EMBEDDING_COLUMNS if c not in ("paper_id", "model"))


def write_embeddings(db: Database, tx: Tx, model: str, dim: int,
                     rows: Sequence[tuple[str, bytes, float, str, int]]) -> None:
    """Replace the ``model`` embeddings of ``rows``' papers inside the caller's transaction, each with a new
    ``seq`` (under the embeddings lock: seqs are taken in commit order, so followers miss none)."""
    db.lock(tx, "embeddings")
    now = db.now()
    base = int(tx.execute("SELECT COALESCE(MAX(seq), 0) FROM embeddings").scalar())
    # an upsert on the primary key, not DELETE ... WHERE model = ? AND paper_id IN (...) then INSERT: on
    # PostgreSQL, before the table's first ANALYZE (a first bulk embedding), that DELETE's plan read every
    # row of the model through embeddings_model and tested the id list on each: 2 s per 900 ids at 140k
    # rows, growing with the table (docs/benchmarks.md, "Both stores at 2.7M")
    db.insert_rows(tx, "embeddings", EMBEDDING_COLUMNS, [
        (pid, model, dim, vector, scale, text_hash, paper_seq, base + i + 1, now)
        for i, (pid, vector, scale, text_hash, paper_seq) in enumerate(rows)
    ], _REPLACE)


class Embeddings:
    """The embeddings table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def refresh_statistics(self, changed: int) -> list[str]:
        """After ``changed`` papers were embedded: refresh the planner's statistics of the embedding tables
        when that is over a tenth of them (PostgreSQL; ``Database.refresh_statistics``)."""
        return self.db.refresh_statistics(("embeddings", "embed_batches"), changed)

    def papers_to_embed(self, model: str, limit: int, after_seq: int = 0) -> list[EmbedTask]:
        """Papers (seq > ``after_seq``) without a ``model`` embedding or changed since theirs, in seq order."""
        with self.db.read() as tx:
            rows = tx.execute(
                "SELECT p.id, p.title, p.abstract, p.seq, e.text_hash FROM papers p "
                "LEFT JOIN embeddings e ON e.paper_id = p.id AND e.model = ? "
                "WHERE p.seq > ? AND (e.paper_id IS NULL OR e.paper_seq < p.seq) ORDER BY p.seq LIMIT ?",
                (model, after_seq, limit),
            ).all()
        return [EmbedTask(r[0], r[1], r[2], int(r[3]), r[4]) for r in rows]

    def count_papers_to_embed(self, model: str) -> int:
        """How many papers ``papers_to_embed`` would go through."""
        with self.db.read() as tx:
            return int(tx.execute(
                "SELECT COUNT(*) FROM papers p LEFT JOIN embeddings e ON e.paper_id = p.id AND e.model = ? "
                "WHERE e.paper_id IS NULL OR e.paper_seq < p.seq", (model,)).scalar())

    def save_embeddings(self, model: str, dim: int, rows: Sequence[tuple[str, bytes, float, str, int]]) -> int:
        """Store ``(paper_id, int8 bytes, scale, text_hash, paper_seq)`` rows in one transaction."""
        if not rows:
            return 0
        with self.db.write() as tx:
            write_embeddings(self.db, tx, model, dim, rows)
        return len(rows)

    def mark_embeddings_current(self, model: str, rows: Sequence[tuple[str, int]]) -> None:
        """The papers' text did not change: record their new ``paper_seq`` without re-embedding."""
        with self.db.write() as tx:
            tx.executemany("UPDATE embeddings SET paper_seq = ? WHERE paper_id = ? AND model = ?",
                           [(seq, pid, model) for pid, seq in rows])

    def embedding_models(self) -> dict[str, int]:
        """How many embeddings each model has."""
        with self.db.read() as tx:
            return {r[0]: int(r[1]) for r in tx.execute("SELECT model, COUNT(*) FROM embeddings GROUP BY model").all()}

    def delete_embeddings(self, keep_model: str | None = None) -> int:
        """Delete every embedding (or every one not made by ``keep_model``)."""
        with self.db.write() as tx:
            if keep_model is None:
                tx.execute("DELETE FROM embeddings")
            else:
                tx.execute("DELETE FROM embeddings WHERE model <> ?", (keep_model,))
            return tx.rowcount

    def embeddings_since(self, model: str, seq: int, limit: int) -> list[StoredEmbedding]:
        """Embeddings of ``model`` written after ``seq``, in write order."""
        with self.db.read() as tx:
            rows = tx.execute("SELECT seq, paper_id, vector, scale FROM embeddings WHERE model = ? AND seq > ? "
                              "ORDER BY seq LIMIT ?", (model, seq, limit)).all()
        return [StoredEmbedding(int(r[0]), r[1], bytes(r[2]), float(r[3])) for r in rows]

    def max_embedding_seq(self) -> int:
        """The embeddings' change counter."""
        with self.db.read() as tx:
            return int(tx.execute("SELECT COALESCE(MAX(seq), 0) FROM embeddings").scalar())

"""Embedding work shared through the database: batches of papers claimed with leases.

Any number of ``paperwire embed`` processes and workers, on any hosts, split
the papers to embed by claiming *batches*: a range of paper ``seq`` values
and the papers in it that need an embedding, held by one owner under a
lease. A claim happens in one write transaction (``BEGIN IMMEDIATE`` on
SQLite; on PostgreSQL an advisory lock orders the claimers and
``FOR UPDATE SKIP LOCKED`` takes an expired batch), so no two processes hold
the same papers. A batch's embeddings are written in the same transaction
that marks it done, and only while its owner still holds it: a process that
lost its lease writes nothing, so no paper is embedded twice. A killed
process stops renewing; once its lease expires the next claimer takes the
batch over (the same papers, again).

New batches start above the *frontier* (the highest ``seq`` any batch of the
model covered), so a claim reads only the few papers above it through the
``papers_seq`` index. A claim's transaction reads at most ``SCAN_SPAN`` seqs
above the frontier: where the papers there need nothing (embedded before
batches existed, or written with their embeddings), the span is recorded as
looked through (state ``passed``) and the next span read in a transaction of
its own, so a database of millions of embedded papers is read once, in short
transactions, instead of under the write lock on every claim. Papers below the
frontier need work only when their embedding was deleted by hand; a claim looks
there (a full scan, outside the write lock) only when nothing is left above,
nobody holds a batch and the model has fewer embeddings than there are papers.
Done batches stay as a log: who embedded what and how many, shown by
``paperwire jobs`` and ``stats``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from paperwire.models import EmbedTask
from paperwire.store.core import Database, Tx, iso, parse_instant
from paperwire.store.embeddings import write_embeddings

# A paper needs an embedding of model ? when it has none or changed since (its seq moved past paper_seq).
_NEEDS = ("FROM papers p LEFT JOIN embeddings e ON e.paper_id = p.id AND e.model = ? "
          "WHERE (e.paper_id IS NULL OR e.paper_seq < p.seq)")
# ... and no older batch still claimed covers it (a batch claimed below the frontier may straddle one).
_FREE = ("NOT EXISTS (SELECT 1 FROM embed_batches b WHERE b.model = ? AND b.state = 'claimed' AND b.id < ? "
         "AND p.seq BETWEEN b.first_seq AND b.last_seq)")
#: seqs above the frontier one claim's write transaction reads at most (see the module's docstring)
SCAN_SPAN = 20_000


@dataclass(slots=True)
class EmbedBatch:
    """A claimed batch: its papers (``tasks``) belong to ``owner`` until the lease expires."""

    id: int
    model: str
    first_seq: int
    last_seq: int
    owner: str
    tasks: list[EmbedTask] = field(default_factory=list)
    taken_over: bool = False
    """Claimed before by a process that stopped renewing (killed, or its host gone)."""


@dataclass(slots=True)
class BatchHolder:
    """A claimed batch as ``paperwire jobs`` shows it."""

    owner: str
    first_seq: int
    last_seq: int
    papers: int
    lease_expires: datetime | None
    attempts: int


@dataclass(slots=True)
class EmbedProgress:
    """The shared embedding work of one model: what is done, by whom, and who holds what."""

    model: str
    done_batches: int = 0
    embedded: int = 0
    unchanged: int = 0
    by_owner: dict[str, int] = field(default_factory=dict)
    """Papers embedded per owner (``host:pid:random``) in done batches."""
    claimed: list[BatchHolder] = field(default_factory=list)
    taken_over: int = 0
    """Batches finished by another owner than their first (their first holder stopped)."""


class EmbedBatches:
    """The ``embed_batches`` table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def claim(self, model: str, owner: str, lease_seconds: int, size: int) -> EmbedBatch | None:
        """Take a batch of at most ``size`` papers needing a ``model`` embedding, or None when none is left.

        An expired batch (its holder stopped renewing) comes first, then new papers above the
        frontier (read ``SCAN_SPAN`` seqs per transaction), then, only when nothing is left above, no
        batch is held and some paper has no embedding of the model, papers below it.
        """
        more = True
        while more:
            with self.db.write() as tx:
                self.db.lock(tx, "embed_batches")
                batch = self._take_expired(tx, model, owner, lease_seconds)
                if batch is None:
                    batch, more = self._claim_new(tx, model, owner, lease_seconds, size)
            if batch is not None:
                return batch
        # While others hold batches the caller waits for them; the gap scan reads every paper, so it runs
        # only once nobody holds anything (at the end of a run), not once per waiting poll, and only when
        # two counts say some paper lacks an embedding (a paper below the frontier can lose its embedding,
        # but never change without moving above it: a changed paper gets a new seq).
        if self.held_until(model) is not None or not self._missing(model):
            return None
        return self._claim_gap(model, owner, lease_seconds, size)

    def frontier(self, model: str) -> int:
        """The highest seq a batch of ``model`` covered (0: none yet); new claims start above it."""
        with self.db.read() as tx:
            return self._frontier(tx, model)

    @staticmethod
    def _frontier(tx: Tx, model: str) -> int:
        return int(tx.execute("SELECT COALESCE(MAX(last_seq), 0) FROM embed_batches WHERE model = ?",
                              (model,)).scalar())

    def _missing(self, model: str) -> bool:
        """Whether fewer papers have an embedding of ``model`` than there are papers: two counts, which SQLite
        reads from indexes (0.2 s at 2.7M), not a join of every paper (an embedding's paper always exists:
        its row goes with the paper's)."""
        with self.db.read() as tx:
            papers = int(tx.execute("SELECT COUNT(*) FROM papers").scalar())
            embedded = int(tx.execute("SELECT COUNT(*) FROM embeddings WHERE model = ?", (model,)).scalar())
        return embedded < papers

    def _take_expired(self, tx: Tx, model: str, owner: str, lease_seconds: int) -> EmbedBatch | None:
        now = self.db.clock()
        row = tx.execute("SELECT id, first_seq, last_seq FROM embed_batches WHERE model = ? AND state = 'claimed' "
                         f"AND lease_expires < ? ORDER BY id LIMIT 1{self.db.skip_locked}",
                         (model, iso(now))).one()
        if row is None:
            return None
        batch_id, first, last = int(row[0]), int(row[1]), int(row[2])
        tx.execute("UPDATE embed_batches SET owner = ?, lease_expires = ?, attempts = attempts + 1 WHERE id = ?",
                   (owner, iso(now + timedelta(seconds=lease_seconds)), batch_id))
        tasks = self._tasks(tx, model, batch_id, first, last, None)
        return EmbedBatch(batch_id, model, first, last, owner, tasks, taken_over=True)

    def _claim_new(self, tx: Tx, model: str, owner: str, lease_seconds: int, size: int
                   ) -> tuple[EmbedBatch | None, bool]:
        """A batch of the papers needing work in the next ``SCAN_SPAN`` seqs above the frontier, and
        whether seqs beyond that span are left to read. A span with nothing to embed is recorded as
        passed (the frontier moves past it)."""
        frontier = self._frontier(tx, model)
        head = int(tx.execute("SELECT COALESCE(MAX(seq), 0) FROM papers").scalar())
        if head <= frontier:
            return None, False
        top = min(head, frontier + SCAN_SPAN)
        seqs = [int(r[0]) for r in tx.execute(
            f"SELECT p.seq {_NEEDS} AND p.seq > ? AND p.seq <= ? ORDER BY p.seq LIMIT ?",
            (model, frontier, top, size)).all()]
        if seqs:
            return self._insert(tx, model, owner, lease_seconds, seqs[0], seqs[-1], size), False
        now = self.db.now()
        tx.execute("INSERT INTO embed_batches (model, first_seq, last_seq, owner, state, claimed_at, finished_at) "
                   "VALUES (?, ?, ?, ?, 'passed', ?, ?)", (model, frontier + 1, top, owner, now, now))
        return None, top < head

    def _claim_gap(self, model: str, owner: str, lease_seconds: int, size: int) -> EmbedBatch | None:
        # The scan reads every paper: it runs outside the write lock, then the claim re-checks its range.
        with self.db.read() as tx:
            seqs = [int(r[0]) for r in tx.execute(
                f"SELECT p.seq {_NEEDS} AND {_FREE} ORDER BY p.seq LIMIT ?",
                (model, model, 1 << 62, size)).all()]
        if not seqs:
            return None
        with self.db.write() as tx:
            self.db.lock(tx, "embed_batches")
            return self._insert(tx, model, owner, lease_seconds, seqs[0], seqs[-1], size)

    def _insert(self, tx: Tx, model: str, owner: str, lease_seconds: int, first: int, last: int,
                size: int) -> EmbedBatch | None:
        now = self.db.clock()
        tx.execute("INSERT INTO embed_batches (model, first_seq, last_seq, owner, lease_expires, state, papers, "
                   "claimed_at) VALUES (?, ?, ?, ?, ?, 'claimed', 0, ?)",
                   (model, first, last, owner, iso(now + timedelta(seconds=lease_seconds)), iso(now)))
        batch_id = int(tx.execute("SELECT MAX(id) FROM embed_batches WHERE model = ? AND owner = ?",
                                  (model, owner)).scalar())
        tasks = self._tasks(tx, model, batch_id, first, last, size)
        if not tasks:  # a gap claim whose papers were taken meanwhile
            tx.execute("DELETE FROM embed_batches WHERE id = ?", (batch_id,))
            return None
        last = tasks[-1].paper_seq
        tx.execute("UPDATE embed_batches SET papers = ?, last_seq = ? WHERE id = ?", (len(tasks), last, batch_id))
        return EmbedBatch(batch_id, model, first, last, owner, tasks)

    def _tasks(self, tx: Tx, model: str, batch_id: int, first: int, last: int, size: int | None) -> list[EmbedTask]:
        rows = tx.execute(
            "SELECT p.id, p.title, p.abstract, p.seq, e.text_hash "
            f"{_NEEDS} AND p.seq BETWEEN ? AND ? AND {_FREE} ORDER BY p.seq LIMIT ?",
            (model, first, last, model, batch_id, size if size is not None else last - first + 1),
        ).all()
        return [EmbedTask(r[0], r[1], r[2], int(r[3]), r[4]) for r in rows]

    def held_until(self, model: str) -> datetime | None:
        """When the first lease of a batch still claimed (by anyone) expires; None when none is claimed."""
        with self.db.read() as tx:
            return parse_instant(tx.execute("SELECT MIN(lease_expires) FROM embed_batches WHERE state = 'claimed' "
                                            "AND model = ?", (model,)).scalar())

    def renew(self, owner: str, lease_seconds: int) -> int:
        """Extend the lease of every batch ``owner`` holds; how many it holds (0: its leases were lost)."""
        expires = iso(self.db.clock() + timedelta(seconds=lease_seconds))
        with self.db.write() as tx:
            tx.execute("UPDATE embed_batches SET lease_expires = ? WHERE owner = ? AND state = 'claimed'",
                       (expires, owner))
            return tx.rowcount

    def finish(self, batch: EmbedBatch, dim: int, rows: Sequence[tuple[str, bytes, float, str, int]],
               unchanged: Sequence[tuple[str, int]]) -> bool:
        """Write a batch's embeddings (``(paper_id, int8 bytes, scale, text_hash, paper_seq)``) and the
        papers whose text did not change, and mark it done, in one transaction.

        False, writing nothing, when ``batch.owner`` no longer holds it (the lease expired and another
        process took it over): that process writes them instead.
        """
        with self.db.write() as tx:
            held = tx.execute("SELECT id FROM embed_batches WHERE id = ? AND owner = ? AND state = 'claimed'"
                              f"{' FOR UPDATE' if self.db.skip_locked else ''}", (batch.id, batch.owner)).one()
            if held is None:
                return False
            write_embeddings(self.db, tx, batch.model, dim, rows)
            tx.executemany("UPDATE embeddings SET paper_seq = ? WHERE paper_id = ? AND model = ?",
                           [(seq, pid, batch.model) for pid, seq in unchanged])
            tx.execute("UPDATE embed_batches SET state = 'done', lease_expires = NULL, embedded = ?, unchanged = ?, "
                       "finished_at = ? WHERE id = ?", (len(rows), len(unchanged), self.db.now(), batch.id))
        return True

    def release(self, batch: EmbedBatch) -> None:
        """Give a batch back unfinished (an interrupted or failed run): the next claimer takes it at once."""
        gone = iso(self.db.clock() - timedelta(seconds=1))
        with self.db.write() as tx:
            tx.execute("UPDATE embed_batches SET lease_expires = ? WHERE id = ? AND owner = ? AND state = 'claimed'",
                       (gone, batch.id, batch.owner))

    def forget(self, keep_model: str | None = None) -> None:
        """Drop the batches of every model (or of every model but ``keep_model``): their embeddings are gone."""
        with self.db.write() as tx:
            if keep_model is None:
                tx.execute("DELETE FROM embed_batches")
            else:
                tx.execute("DELETE FROM embed_batches WHERE model <> ?", (keep_model,))

    def progress(self) -> list[EmbedProgress]:
        """The shared work of each model that has batches."""
        with self.db.read() as tx:
            done = tx.execute("SELECT model, owner, COUNT(*), SUM(embedded), SUM(unchanged), SUM(attempts) "
                              "FROM embed_batches WHERE state = 'done' GROUP BY model, owner ORDER BY model, owner"
                              ).all()
            claimed = tx.execute("SELECT model, owner, first_seq, last_seq, papers, lease_expires, attempts "
                                 "FROM embed_batches WHERE state = 'claimed' ORDER BY model, id").all()
        out: dict[str, EmbedProgress] = {}
        for model, owner, batches, embedded, unchanged, retaken in done:
            p = out.setdefault(model, EmbedProgress(model))
            p.done_batches += int(batches)
            p.embedded += int(embedded or 0)
            p.unchanged += int(unchanged or 0)
            p.taken_over += int(retaken or 0)
            p.by_owner[owner] = p.by_owner.get(owner, 0) + int(embedded or 0)
        for model, owner, first, last, papers, expires, attempts in claimed:
            out.setdefault(model, EmbedProgress(model)).claimed.append(
                BatchHolder(owner, int(first), int(last), int(papers), parse_instant(expires), int(attempts)))
        return list(out.values())

"""The embedding pipeline: compute missing paper embeddings, resumably, and store them compactly.

Vectors are stored as int8 components with one float scale per vector
(x ≈ q · scale, |q| ≤ 127): 388 bytes at 384 dimensions instead of 1,536,
with a cosine to the float vector above 0.999.

The work is shared through the database (``store.embed_batches``): every
``paperwire embed`` process and worker claims batches of papers under a
lease, renewed while it embeds, and writes a batch's embeddings in the
transaction that marks it done. Processes on any hosts thus split the
papers without embedding one twice; killing one loses at most the batch in
flight, which another process (or the next run) takes over once its lease
expires. Embeddings carry
the model's identity; a store holding another model's vectors is never
mixed with new ones silently (``ModelMismatch``), re-embedding is explicit.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import numpy as np

from paperwire.store import EmbedBatch, Store

log = logging.getLogger(__name__)


class TextEmbedder(Protocol):
    """What the pipeline needs of an embedding model."""

    @property
    def model_id(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class ModelMismatch(RuntimeError):
    """The store holds embeddings of another model."""


@dataclass
class EmbedReport:
    """What a run of the pipeline did."""

    embedded: int = 0
    unchanged: int = 0
    seconds: float = 0.0
    batches: int = 0
    """Batches this process claimed (shared work: other processes claim the rest)."""
    taken_over: int = 0
    """Of those, batches another process had claimed and stopped renewing."""
    lost: int = 0
    """Batches whose lease this process lost before finishing (nothing of them was written)."""

    def summary(self) -> str:
        rate = self.embedded / self.seconds if self.seconds else 0.0
        extra = f"; {self.taken_over} batches taken over" if self.taken_over else ""
        extra += f"; {self.lost} batches lost to another process" if self.lost else ""
        return (f"embedded {self.embedded} papers in {self.seconds:.1f} s ({rate:.0f}/s); "
                f"{self.unchanged} unchanged; {self.batches} batches{extra}")


def quantize(vectors: np.ndarray) -> list[tuple[bytes, float]]:
    """Each row as int8 bytes and its scale."""
    vectors = np.asarray(vectors, dtype=np.float32)
    scales = np.maximum(np.abs(vectors).max(axis=1), 1e-12) / 127.0
    codes = np.clip(np.rint(vectors / scales[:, None]), -127, 127).astype(np.int8)
    return [(codes[i].tobytes(), float(scales[i])) for i in range(len(vectors))]


def dequantize(rows: Sequence[tuple[bytes, float]], dim: int) -> np.ndarray:
    """Stored rows back to unit-length float32 vectors."""
    if not rows:
        return np.zeros((0, dim), dtype=np.float32)
    codes = np.frombuffer(b"".join(data for data, _ in rows), dtype=np.int8).reshape(len(rows), dim)
    vectors = codes.astype(np.float32) * np.array([scale for _, scale in rows], dtype=np.float32)[:, None]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit: np.ndarray = vectors / np.maximum(norms, 1e-12)
    return unit


def text_hash(text: str) -> str:
    """A short digest of the embedded text."""
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def check_model(store: Store, model_id: str) -> None:
    """Refuse to mix models: raise ModelMismatch if other models' embeddings are stored."""
    others = {m: n for m, n in store.embeddings.embedding_models().items() if m != model_id}
    if others:
        listing = ", ".join(f"{n} by {m}" for m, n in others.items())
        raise ModelMismatch(
            f"the store holds embeddings of another model ({listing}); the current model is {model_id}. "
            "Run 'paperwire embed --reembed' to replace them.")


Progress = Callable[[int, int], None]  # (papers done in this step, papers left to look at)


def default_owner() -> str:
    """``host:pid:random``: names a batch's holder in ``paperwire jobs`` and ``stats``."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class _Renewer(threading.Thread):
    """Renews the leases of the batches ``owner`` holds every third of their length while it embeds."""

    def __init__(self, store: Store, owner: str, lease_seconds: int) -> None:
        super().__init__(name="embed-lease", daemon=True)
        self.store, self.owner, self.lease_seconds = store, owner, lease_seconds
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.lease_seconds / 3):
            try:
                self.store.embed_batches.renew(self.owner, self.lease_seconds)
            except Exception as exc:  # the database may come back before the lease runs out
                log.warning("embedding: could not renew the batch lease: %s", exc)

    def stop(self) -> None:
        self.done.set()
        self.join(timeout=30)


def embed_missing(store: Store, embedder: TextEmbedder, batch_size: int = 256, reembed: bool = False,
                  progress: Progress | None = None, limit: int | None = None, owner: str | None = None,
                  lease_seconds: int = 120) -> EmbedReport:
    """Embed every paper that lacks an embedding of this model (or whose text changed), sharing the work
    with every other process doing the same on this database.

    Papers are claimed in batches of ``batch_size`` under a lease of ``lease_seconds``, renewed while
    this process works; each batch's embeddings are written with its completion in one transaction.
    Returns when every paper is done (after waiting for the batches other processes hold: they finish,
    or their leases expire and this process takes them over), or after ``limit`` papers.
    """
    model = embedder.model_id
    if reembed:
        store.embeddings.delete_embeddings(keep_model=model)
        store.embed_batches.forget(keep_model=model)
    check_model(store, model)
    owner = owner or default_owner()
    report, started = EmbedReport(), time.perf_counter()
    renewer = _Renewer(store, owner, lease_seconds)
    renewer.start()
    try:
        while limit is None or report.embedded < limit:
            size = batch_size if limit is None else min(batch_size, limit - report.embedded)
            batch = store.embed_batches.claim(model, owner, lease_seconds, size)
            if batch is None:
                # Nothing left to claim; batches other processes still hold finish soon, or their
                # holder died and they are taken over when the lease expires: wait for either.
                held = store.embed_batches.held_until(model)
                if held is None:
                    break
                time.sleep(min(max((held - datetime.now(UTC)).total_seconds() + 0.05, 0.1), 1.0))
                continue
            report.batches += 1
            report.taken_over += batch.taken_over
            try:
                embedded, same = _embed_batch(store, embedder, batch)
            except BaseException:
                store.embed_batches.release(batch)  # interrupted or failed: the next claimer takes it at once
                raise
            if embedded is None:
                report.lost += 1
                log.warning("embedding: lost the lease of batch %d (seq %d-%d) to another process; its "
                            "papers are written by that one", batch.id, batch.first_seq, batch.last_seq)
                continue
            report.embedded += embedded
            report.unchanged += same
            if progress:
                progress(embedded + same, 0)
    finally:
        renewer.stop()
    store.embeddings.refresh_statistics(report.embedded)  # a first embedding is a bulk load
    report.seconds = time.perf_counter() - started
    return report


def _embed_batch(store: Store, embedder: TextEmbedder, batch: EmbedBatch) -> tuple[int | None, int]:
    """Embed one claimed batch and finish it: (papers embedded or None if the lease was lost, unchanged)."""
    tasks = batch.tasks
    hashes = [text_hash(t.text) for t in tasks]
    same = [(t.id, t.paper_seq) for t, h in zip(tasks, hashes, strict=True) if t.stored_text_hash == h]
    todo = [(t, h) for t, h in zip(tasks, hashes, strict=True) if t.stored_text_hash != h]
    vectors = embedder.embed([t.text for t, _ in todo]) if todo else np.zeros((0, embedder.dim), np.float32)
    rows = [(t.id, data, scale, h, t.paper_seq) for (t, h), (data, scale) in zip(todo, quantize(vectors), strict=True)]
    if not store.embed_batches.finish(batch, embedder.dim, rows, same):
        return None, 0
    return len(rows), len(same)

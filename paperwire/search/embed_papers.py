"""The embedding pipeline: compute missing paper embeddings, resumably, and store them compactly.

Vectors are stored as int8 components with one float scale per vector
(x ≈ q · scale, |q| ≤ 127): 388 bytes at 384 dimensions instead of 1,536,
with a cosine to the float vector above 0.999. Each batch is written in one
transaction, so killing ``paperwire embed`` loses at most the batch in
flight and running it again continues where it stopped. Embeddings carry
the model's identity; a store holding another model's vectors is never
mixed with new ones silently (``ModelMismatch``), re-embedding is explicit.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from paperwire.store import Store


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

    def summary(self) -> str:
        rate = self.embedded / self.seconds if self.seconds else 0.0
        return (f"embedded {self.embedded} papers in {self.seconds:.1f} s ({rate:.0f}/s); "
                f"{self.unchanged} unchanged")


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


def embed_missing(store: Store, embedder: TextEmbedder, batch_size: int = 256, reembed: bool = False,
                  progress: Progress | None = None, limit: int | None = None) -> EmbedReport:
    """Embed every paper that lacks an embedding of this model (or whose text changed)."""
    model = embedder.model_id
    if reembed:
        store.embeddings.delete_embeddings(keep_model=model)
    check_model(store, model)
    report, started, after = EmbedReport(), time.perf_counter(), 0
    while limit is None or report.embedded < limit:
        size = batch_size if limit is None else min(batch_size, limit - report.embedded)
        tasks = store.embeddings.papers_to_embed(model, size, after_seq=after)
        if not tasks:
            break
        after = tasks[-1].paper_seq
        hashes = [text_hash(t.text) for t in tasks]
        same = [(t.id, t.paper_seq) for t, h in zip(tasks, hashes, strict=True) if t.stored_text_hash == h]
        todo = [(t, h) for t, h in zip(tasks, hashes, strict=True) if t.stored_text_hash != h]
        if todo:
            vectors = embedder.embed([t.text for t, _ in todo])
            store.embeddings.save_embeddings(model, embedder.dim, [
                (t.id, data, scale, h, t.paper_seq)
                for (t, h), (data, scale) in zip(todo, quantize(vectors), strict=True)
            ])
        if same:
            store.embeddings.mark_embeddings_current(model, same)
        report.embedded += len(todo)
        report.unchanged += len(same)
        if progress:
            progress(len(tasks), 0)
    report.seconds = time.perf_counter() - started
    return report

"""This process's vector index, kept in step with the store's embeddings.

Every process holds its own copy in memory and catches up from the store:
new embeddings (``embeddings_since`` the embeddings watermark) are added,
and metadata changes of papers (``changed_since`` the papers watermark:
categories, dates, code links) update the filter columns. A copy on local
disk (``vectors-v1-<model>``) is only a warm start: written after large
catch-ups, under the host's lock, atomically; a missing or broken copy is
rebuilt from the store.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from pathlib import Path

from paperwire.models import IndexEntry
from paperwire.search.embed_papers import dequantize
from paperwire.search.keyword import day_number
from paperwire.search.vectors import RowMeta, VectorIndex
from paperwire.store import Store

log = logging.getLogger(__name__)
BATCH = 5000
# Persist the warm-start copy after this many new vectors (or this many seconds with any change).
SAVE_AFTER_VECTORS = 2000
SAVE_AFTER_SECONDS = 600.0


def row_meta(entry: IndexEntry) -> RowMeta:
    """The filter columns of a paper."""
    return RowMeta(day_number(entry.announced), entry.has_code, entry.categories)


class LocalVectors:
    """The vector index of one embedding model, for one store, in this process."""

    def __init__(self, store: Store, directory: Path, model_id: str, dim: int,
                 exact_limit: int = 300_000, nprobe: int = 24) -> None:
        self.store, self.model_id, self.dim = store, model_id, dim
        self.exact_limit, self.nprobe = exact_limit, nprobe
        self.path = directory / f"vectors-v1-{hashlib.sha256(model_id.encode()).hexdigest()[:12]}"
        self.index = VectorIndex(dim, exact_limit, nprobe)
        self.marks = {"embeddings": 0, "papers": 0}
        self._lock = threading.Lock()
        self._unsaved = 0
        self._last_save = time.monotonic()
        self._load()

    def _load(self) -> None:
        if not (self.path / "meta.json").exists():
            return
        try:
            index, marks = VectorIndex.load(self.path, self.exact_limit, self.nprobe)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            log.warning("vector cache %s is unreadable (%s); rebuilding from the store", self.path, exc)
            return
        if marks.get("embeddings", 0) > self.store.embeddings.max_embedding_seq():
            log.info("vector cache %s is ahead of the database (restored?); rebuilding", self.path)
            return
        self.index, self.marks = index, {"embeddings": marks.get("embeddings", 0), "papers": marks.get("papers", 0)}

    def sync(self) -> int:
        """Catch up with the store; returns how many vectors were added."""
        with self._lock:
            if self.marks["papers"] == 0:
                # read before adding: vectors added below carry metadata at least this new, and any
                # change racing with us is applied again by the next sync (updates are idempotent)
                self.marks["papers"] = self.store.papers.max_seq()
            added = self._add_new_vectors()
            self._apply_metadata_changes()
            if self.index.needs_rebuild():
                self.index = self.index.rebuilt()
            self._unsaved += added
            return added

    def _add_new_vectors(self) -> int:
        added = 0
        while True:
            stored = self.store.embeddings.embeddings_since(self.model_id, self.marks["embeddings"], BATCH)
            if not stored:
                return added
            entries = self.store.papers.index_entries([s.paper_id for s in stored])
            present = [s for s in stored if s.paper_id in entries]
            vectors = dequantize([(s.vector, s.scale) for s in present], self.dim)
            self.index.add([s.paper_id for s in present], vectors, [row_meta(entries[s.paper_id]) for s in present])
            self.marks["embeddings"] = stored[-1].seq
            added += len(present)

    def _apply_metadata_changes(self) -> None:
        while True:
            changed = self.store.papers.changed_since(self.marks["papers"], BATCH)
            if not changed:
                return
            for entry in changed:
                self.index.update_meta(entry.id, row_meta(entry))
            self.marks["papers"] = changed[-1].seq

    def save_if_due(self, force: bool = False) -> bool:
        """Write the warm-start copy when enough changed (caller holds the host lock)."""
        due = self._unsaved >= SAVE_AFTER_VECTORS or (
            self._unsaved and time.monotonic() - self._last_save > SAVE_AFTER_SECONDS)
        if not (force or due):
            return False
        with self._lock:
            self.index.save(self.path, self.marks)
            self._unsaved, self._last_save = 0, time.monotonic()
        return True

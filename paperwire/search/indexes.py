"""This process's local search indexes, kept in step with the store.

The database is the source of truth; indexes are caches on local disk
(``data_dir/index/<instance id>/``), so every host (and either backend) can
rebuild them. Each paper change raises the store's change counter (``seq``);
an index remembers the last seq it holds (its watermark) and catches up by
reading ``changed_since(watermark)``. Only one process per host updates an
index at a time (a lock file); others reload and read what was committed.
A crash between the index commit and the watermark write only means some
papers are indexed again next time: updates replace by id.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import numpy as np

from paperwire.config import Settings
from paperwire.models import IndexEntry
from paperwire.search.keyword import KeywordIndex, QueryBudget
from paperwire.search.vector_sync import LocalVectors
from paperwire.store import Store
from paperwire.store.files import private_index_dir

log = logging.getLogger(__name__)
# 2: one stemmed ``text`` field for title + abstract, an unstemmed ``exact`` field (was title + abstract)
# 3: no ``exact`` field (its weight was 0; it was a third of the indexing CPU and half the index's disk)
KEYWORD_VERSION = 3
SYNC_BATCH = 5000

Progress = Callable[[int], None]


class Embedding(Protocol):
    """The embedding model as the indexes use it: its identity, size and query encoder."""

    @property
    def model_id(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class LocalIndexes:
    """The keyword index of one store on this host."""

    def __init__(self, store: Store, settings: Settings, embedder: Embedding | None = None) -> None:
        self.store = store
        self.settings = settings
        self.embedder = embedder
        self.dir: Path = settings.index_dir() / store.instance_id()
        private_index_dir(settings.index_dir(), self.dir)  # 0700: see store/files.py
        # another shard count is another index, built from the store like a new schema version
        shards = settings.search_index_shards
        name = f"keyword-v{KEYWORD_VERSION}" + (f"-{shards}shards" if shards > 1 else "")
        self.keyword = KeywordIndex(self.dir / name, heap_bytes=settings.search_index_memory_mb * 1_000_000,
                                    budget=QueryBudget.from_settings(settings), shards=shards)
        self._watermark_path = self.dir / f"{name}.watermark.json"
        self._thread_lock = threading.Lock()
        self._last_check = 0.0
        self._last_seen = 0
        self._loaded_mark = self.watermark()
        self.background = False
        self._refresher: threading.Thread | None = None
        self._refresh_lock = threading.Lock()
        self.vectors: LocalVectors | None = None
        if embedder is not None:
            self.vectors = LocalVectors(store, self.dir, embedder.model_id, embedder.dim,
                                        settings.vector_exact_limit, settings.vector_nprobe)

    def watermark(self) -> int:
        try:
            return int(json.loads(self._watermark_path.read_text())["seq"])
        except (FileNotFoundError, ValueError, KeyError):
            return 0

    def _set_watermark(self, seq: int) -> None:
        tmp = self._watermark_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"seq": seq}))
        os.replace(tmp, self._watermark_path)

    @contextmanager
    def _host_lock(self, blocking: bool) -> Iterator[bool]:
        with self._thread_lock, open(self.dir / "sync.lock", "a") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def sync(self, blocking: bool = True, progress: Progress | None = None) -> int:
        """Bring the keyword and vector indexes up to date; returns how many papers were (re)indexed."""
        done = self._sync_keyword(blocking, progress)
        if self.vectors is not None:
            self.vectors.sync()
            with self._host_lock(blocking=False) as locked:
                if locked:
                    self.vectors.save_if_due()
        return done

    def _sync_keyword(self, blocking: bool, progress: Progress | None) -> int:
        with self._host_lock(blocking) as locked:
            if not locked:
                self.keyword.reload()
                return 0
            head = self.store.papers.max_seq()
            mark, clear = self._start(head)
            if head == mark and not clear:
                return 0
            done = self.keyword.write(self._changes(mark, progress), replace=mark > 0, clear=clear)
            self._set_watermark(self._last_seen)
            self._loaded_mark = self._last_seen
            return done

    def _start(self, head: int) -> tuple[int, bool]:
        """Where to start indexing, and whether to empty the index first (host lock held).

        A database older than the index (replaced by a backup) starts over; so does an index that
        holds documents but no watermark, left by a run stopped between its commit and the watermark
        write: indexing from 0 without replacing would add those papers twice.
        """
        mark = self.watermark()
        if mark == 0:
            self.keyword.reload()  # what is on disk now, not what this process last read
        if head < mark or (mark == 0 and self.keyword.num_docs() > 0):
            return 0, True
        return mark, False

    def follow(self, until: threading.Event, progress: Progress | None = None) -> int:
        """Index papers while another thread of this process writes them, until ``until`` is set and
        everything committed before it is indexed: one writer and one commit for a whole import, the
        indexing overlapping the import instead of following it."""
        with self._host_lock(blocking=True):
            mark, clear = self._start(self.store.papers.max_seq())
            done = self.keyword.write(self._changes(mark, progress, until), replace=mark > 0, clear=clear)
            self._set_watermark(self._last_seen)
            self._loaded_mark = self._last_seen
            return done

    def reloaded(self) -> None:
        """Another process advanced the keyword index: read its last commit."""
        mark = self.watermark()  # before the reload: a later commit must still look new to _catch_up
        self.keyword.reload()
        self._loaded_mark = mark

    def _changes(self, mark: int, progress: Progress | None,
                 until: threading.Event | None = None) -> Iterator[IndexEntry]:
        self._last_seen = mark
        finishing = until is None
        while True:
            rows = self.store.papers.changed_since(self._last_seen, SYNC_BATCH)
            if not rows:
                if finishing:
                    return
                assert until is not None
                # one more look after the writer says it is done: its last commit may be new
                finishing = until.wait(0.05)
                continue
            yield from rows
            self._last_seen = rows[-1].seq
            if progress:
                progress(len(rows))

    def refresh(self) -> None:
        """Catch up with the store if the last check is older than the refresh interval.

        With ``background`` set (web processes), the catch-up runs in a thread of its own and the
        request waits for it at most ``index_refresh_wait_seconds``: a search never waits long.
        """
        now = time.monotonic()
        if now - self._last_check < self.settings.index_refresh_seconds:
            return
        self._last_check = now
        if not self.background:
            self._catch_up()
            return
        with self._refresh_lock:
            if self._refresher is not None and self._refresher.is_alive():
                return
            self._refresher = threading.Thread(target=self._catch_up_logged, name="index-refresh", daemon=True)
            self._refresher.start()
        # a small catch-up (the usual case) is waited for, so a page right after a write shows it;
        # a long one is not: the request goes on with the index it has
        self._refresher.join(self.settings.index_refresh_wait_seconds)

    def _catch_up(self) -> None:
        mark = self.watermark()
        if mark != self._loaded_mark:  # another process on this host advanced the index
            self.keyword.reload()
            self._loaded_mark = mark
        if self.store.papers.max_seq() != mark:
            self._sync_keyword(blocking=False, progress=None)
        if self.vectors is not None:
            self.vectors.sync()

    def _catch_up_logged(self) -> None:
        try:
            self._catch_up()
        except Exception:  # a failed refresh must not kill the process; the next one retries
            log.exception("refreshing the local search indexes failed")

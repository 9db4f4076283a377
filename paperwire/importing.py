"""Import while indexing: the one place where ingest (files into the store) meets search (the index
that follows the store's change counter), so neither engine knows the other.

The CLI, the tests and the benchmarks call ``import_and_index``; the worker's harvests commit
through the store and the index catches up on its own (``search.indexes``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from paperwire.ingest.bulk import ImportReport, ProgressSink, import_files
from paperwire.ingest.paper_files import ErrorSink
from paperwire.search import follower
from paperwire.search.indexes import LocalIndexes
from paperwire.store import Store


def import_and_index(
    store: Store,
    indexes: LocalIndexes,
    paths: Sequence[Path],
    batch_size: int = 2000,
    on_error: ErrorSink | None = None,
    progress: ProgressSink | None = None,
    index_progress: Callable[[int], None] | None = None,
    index_process: bool | None = None,
    reader_process: bool | None = None,
) -> ImportReport:
    """Import files while this host's search index follows them; times both.

    The index follows in a process of its own (``index_process``; by default when the files total
    at least ``follower.PROCESS_MIN_BYTES``), otherwise in a thread (paperwire.search.follower).
    ``reader_process`` chooses likewise how each file is read (``bulk.import_files``).
    """
    started = time.perf_counter()
    if index_process is None:
        index_process = sum(p.stat().st_size for p in paths if p.is_file()) >= follower.PROCESS_MIN_BYTES
    following = follower.in_process if index_process else follower.in_thread
    report: ImportReport | None = None
    try:
        with following(indexes, index_progress) as indexed:
            report = import_files(store, paths, batch_size, on_error, progress, reader_process)
        report.indexed = indexed.indexed
        indexes.sync()  # anything else behind (vectors of embedded papers)
    except follower.IndexingError as exc:
        if report is None:
            raise
        report.index_error = str(exc)
        if on_error:
            on_error(f"{exc}; the papers are stored, and the next search catches the index up")
    report.seconds = time.perf_counter() - started
    return report

"""Bulk import of paper files (Paperwire JSON lines, Kaggle snapshot), plain or gzipped.

Each record is parsed and checked alone (``paper_files``): a bad one is reported as
``file:line: reason`` and skipped, the good ones land. Papers are written in
batches, one transaction each, so an interrupted import leaves only whole
batches behind and re-running it finishes the job (writes are upserts).

A large import into a store with no papers yet drops the papers' secondary indexes first and builds
them once at its end (``store.bulk_load``; docs/benchmarks.md, "A first import builds its indexes at its
end").
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from paperwire.ingest.paper_files import ErrorSink, read_file, source_batches
from paperwire.ingest.prefetch import prefetched
from paperwire.ingest.reader_process import PROCESS_MIN_BYTES, batches_in_process
from paperwire.models import Paper, SourceBatch, UpsertResult
from paperwire.store import Store

# (compressed bytes read so far in this file, file size, records seen so far overall)
ProgressSink = Callable[[int, int, int], None]
DEFER_MIN_BYTES = 8_000_000
"""Files of this many bytes in all, imported into a store with no papers, build its secondary indexes at
the end (below it the indexes cost little, and a small first import is often a test or a trial)."""
RENEW_SECONDS = 60.0
log = logging.getLogger(__name__)


@dataclass
class ImportReport:
    """What an import did."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    links: int = 0
    failed_files: int = 0
    indexed: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    index_error: str = ""  # the search index could not follow; the papers are stored all the same

    @property
    def ok(self) -> bool:
        return self.rejected == 0 and self.failed_files == 0 and not self.index_error

    def add(self, result: UpsertResult) -> None:
        self.inserted += result.inserted
        self.updated += result.updated
        self.unchanged += result.unchanged

    def summary(self) -> str:
        return (f"imported {self.inserted}, updated {self.updated}, rejected {self.rejected} "
                f"in {self.seconds:.1f} s ({self.unchanged} unchanged, {self.links} new code links)")


def import_papers(store: Store, papers: Iterator[Paper], report: ImportReport, batch_size: int) -> None:
    """Write papers in batches of ``batch_size``, one transaction each, with the code links in their text."""
    write_batches(store, source_batches(papers, batch_size), report)


def write_batches(store: Store, batches: Iterator[SourceBatch], report: ImportReport) -> None:
    """Write each batch in a transaction of its own; the next one is produced in a thread (its
    parsing, or unpickling from a reader process) while this one is written (``prefetched``)."""
    for batch in prefetched(batches):
        result = store.papers.save_batch(batch)
        report.add(result.papers)
        report.links += result.new_links


@contextmanager
def _indexes_deferred(store: Store, size: int) -> Iterator[None]:
    """Around a first import of ``size`` bytes: the store's secondary indexes dropped (``store.bulk_load``),
    their lease renewed every ``RENEW_SECONDS`` by a thread (batches, files of rejects and the build at
    the end all take their time), and built back at the end, however the import ends."""
    deferred = store.bulk_load.defer_indexes() if size >= DEFER_MIN_BYTES else []
    if not deferred:
        yield
        return
    done = threading.Event()

    def keep_lease() -> None:
        while not done.wait(RENEW_SECONDS):
            try:
                store.bulk_load.renew()
            except Exception:  # a busy store: the next minute's try, well within the lease
                log.warning("could not renew the lease on the deferred indexes", exc_info=True)

    keeper = threading.Thread(target=keep_lease, name="deferred-indexes-lease", daemon=True)
    keeper.start()
    try:
        yield
    except BaseException:
        try:
            _build_back(store, deferred)
        except BaseException:  # the import's own error is the one to see; the next import builds them
            log.exception("the indexes this import deferred were not built back")
        raise
    else:
        _build_back(store, deferred)
    finally:
        done.set()
        keeper.join()


def _build_back(store: Store, deferred: list[str]) -> None:
    log.info("building the indexes this first import deferred: %s", ", ".join(deferred))
    started = time.perf_counter()
    store.bulk_load.restore_indexes()
    log.info("built them in %.1f s", time.perf_counter() - started)


def import_files(
    store: Store,
    paths: Sequence[Path],
    batch_size: int = 2000,
    on_error: ErrorSink | None = None,
    progress: ProgressSink | None = None,
    reader_process: bool | None = None,
) -> ImportReport:
    """Import every file; bad records are counted, reported and skipped.

    A file is read and parsed in a process of its own (``reader_process``; by default when it holds at
    least ``reader_process.PROCESS_MIN_BYTES``) or in a thread of this one. Files of ``DEFER_MIN_BYTES``
    or more into a store with no papers build the secondary indexes at the end (``store.bulk_load``)."""
    report = ImportReport()
    started = time.perf_counter()

    def error(message: str, record: bool = True) -> None:
        report.rejected += int(record)
        if len(report.errors) < 1000:
            report.errors.append(message)
        if on_error:
            on_error(message)

    def file_progress(done: int, size: int) -> None:
        if progress is not None:
            progress(done, size, report.inserted + report.updated)

    with _indexes_deferred(store, sum(path.stat().st_size for path in paths if path.is_file())):
        for path in paths:
            if not path.is_file():
                report.failed_files += 1
                error(f"{path}: cannot read: no such file", record=False)
                continue
            sink = file_progress if progress else None
            in_process = path.stat().st_size >= PROCESS_MIN_BYTES if reader_process is None else reader_process
            if in_process:
                write_batches(store, batches_in_process(path, batch_size, error, sink), report)
            else:
                import_papers(store, read_file(path, error, sink), report, batch_size)
    # a bulk load changes what the planner should know of the tables (PostgreSQL: ~2 s at 2.7M papers)
    store.papers.refresh_statistics(report.inserted + report.updated)
    report.seconds = time.perf_counter() - started
    return report

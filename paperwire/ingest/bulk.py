"""Bulk import of paper files (Paperwire JSON lines, Kaggle snapshot), plain or gzipped.

Each record is parsed and checked alone: a bad one is reported as
``file:line: reason`` and skipped, the good ones land. Papers are written in
batches, one transaction each, so an interrupted import leaves only whole
batches behind and re-running it finishes the job (writes are upserts).
"""

from __future__ import annotations

import gzip
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

import orjson

from paperwire.ingest.codelinks import links_in_papers
from paperwire.ingest.kaggle import looks_like_kaggle, parse_kaggle
from paperwire.ingest.paperwire_jsonl import parse_paperwire
from paperwire.ingest.prefetch import prefetched
from paperwire.ingest.records import RecordError
from paperwire.models import Paper, SourceBatch, UpsertResult
from paperwire.store import Store

MAX_LINE_BYTES = 2 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"

ErrorSink = Callable[[str], None]
# (compressed bytes read so far in this file, file size, records seen so far overall)
ProgressSink = Callable[[int, int, int], None]


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


def parse_record(obj: Any) -> Paper:
    """A decoded JSON value as a Paper, whichever supported format it is in."""
    if not isinstance(obj, dict):
        raise RecordError(f"expected a JSON object, got {type(obj).__name__}")
    return parse_kaggle(obj) if looks_like_kaggle(obj) else parse_paperwire(obj)


def _open(path: Path) -> tuple[IO[bytes], IO[bytes]]:
    raw: IO[bytes] = open(path, "rb")  # noqa: SIM115 - closed by the caller
    if raw.read(2) == GZIP_MAGIC:
        raw.seek(0)
        stream = cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb"))
        return raw, stream
    raw.seek(0)
    return raw, raw


def _lines(stream: IO[bytes]) -> Iterator[tuple[int, bytes | None]]:
    """``(line number, line)``; ``None`` for a line over the size limit (consumed, not kept)."""
    number = 0
    while True:
        line = stream.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            while (rest := stream.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                pass
            yield number, None
        else:
            yield number, line


def read_file(path: Path, on_error: ErrorSink, progress: Callable[[int, int], None] | None = None
              ) -> Iterator[Paper]:
    """The good papers of one file; each bad record goes to ``on_error`` as ``file:line: reason``."""
    raw, stream = _open(path)
    size = path.stat().st_size
    number = 0
    try:
        for number, line in _lines(stream):
            if progress and number % 1000 == 0:
                progress(raw.tell(), size)
            if line is None:
                on_error(f"{path}:{number}: line too long (over {MAX_LINE_BYTES} bytes)")
                continue
            if not line.strip():
                continue
            try:
                yield parse_record(orjson.loads(line))
            except orjson.JSONDecodeError as exc:
                on_error(f"{path}:{number}: invalid JSON: {exc}")
            except RecordError as exc:
                on_error(f"{path}:{number}: {exc}")
    except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as exc:
        on_error(f"{path}:{number + 1}: unreadable data, rest of file skipped: {exc or type(exc).__name__}")
    finally:
        if progress:
            progress(size, size)
        stream.close()
        raw.close()


def source_batches(papers: Iterator[Paper], batch_size: int) -> Iterator[SourceBatch]:
    """``papers`` in batches of ``batch_size``, each with the code links found in its papers' text."""
    batch: list[Paper] = []
    for paper in papers:
        batch.append(paper)
        if len(batch) >= batch_size:
            yield SourceBatch(batch, links_in_papers(batch))
            batch = []
    if batch:
        yield SourceBatch(batch, links_in_papers(batch))


def import_papers(store: Store, papers: Iterator[Paper], report: ImportReport, batch_size: int) -> None:
    """Write papers in batches of ``batch_size``, one transaction each, with the code links in their text.

    The next batch is read and parsed in a thread while this one is written (``prefetched``)."""
    for batch in prefetched(source_batches(papers, batch_size)):
        result = store.papers.save_batch(batch)
        report.add(result.papers)
        report.links += result.new_links


def import_files(
    store: Store,
    paths: Sequence[Path],
    batch_size: int = 2000,
    on_error: ErrorSink | None = None,
    progress: ProgressSink | None = None,
) -> ImportReport:
    """Import every file; bad records are counted, reported and skipped."""
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

    for path in paths:
        if not path.is_file():
            report.failed_files += 1
            error(f"{path}: cannot read: no such file", record=False)
            continue
        import_papers(store, read_file(path, error, file_progress if progress else None), report, batch_size)
    # a bulk load changes what the planner should know of the tables (PostgreSQL: ~2 s at 2.7M papers)
    store.papers.refresh_statistics(report.inserted + report.updated)
    report.seconds = time.perf_counter() - started
    return report

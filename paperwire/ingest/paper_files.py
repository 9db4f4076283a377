"""Paper files read record by record: Paperwire JSON lines or the Kaggle snapshot, plain or gzipped.

Each record is parsed and checked alone: a bad one goes to the error sink as ``file:line: reason`` and
is skipped. Used by ``bulk`` (in a thread of the importing process) and by ``reader_process`` (in a
process of its own, for big files).
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, cast

import orjson

from paperwire.ingest.codelinks import links_in_papers
from paperwire.ingest.kaggle import looks_like_kaggle, parse_kaggle
from paperwire.ingest.paperwire_jsonl import parse_paperwire
from paperwire.ingest.records import RecordError
from paperwire.models import Paper, SourceBatch

MAX_LINE_BYTES = 2 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"

ErrorSink = Callable[[str], None]


def parse_record(obj: Any) -> Paper:
    """A decoded JSON value as a Paper, whichever supported format it is in."""
    if not isinstance(obj, dict):
        raise RecordError(f"expected a JSON object, got {type(obj).__name__}")
    return parse_kaggle(obj) if looks_like_kaggle(obj) else parse_paperwire(obj)


def _open(path: Path) -> tuple[IO[bytes], IO[bytes]]:
    raw: IO[bytes] = open(path, "rb")  # noqa: SIM115 - closed by the caller
    if raw.read(2) == GZIP_MAGIC:
        raw.seek(0)
        # not behind a larger io.BufferedReader (14 -> 10 µs a line): its one read of 1 MB throws away what
        # it decoded when a truncated file fails partway, and with it up to 1 MB of good records
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

"""A big file read in a process of its own: the same papers, errors and progress as in a thread, in
order; a reader that dies or fails is an error; stopping early stops the reader."""

from __future__ import annotations

import gzip
import json
import os
import signal
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from paperwire.ingest import bulk, reader_process
from paperwire.ingest.bulk import import_files
from paperwire.ingest.paper_files import read_file, source_batches
from paperwire.ingest.reader_process import ReaderError, batches_in_process
from paperwire.models import SourceBatch
from paperwire.store import Store
from tests.helpers.paths import SAMPLE


def _record(n: int) -> dict[str, object]:
    return {"id": f"2501.{n:05d}", "title": f"Paper number {n} on graph learning", "abstract": "Words " * 20,
            "authors": ["Ada Lovelace", f"Author {n}"], "categories": ["cs.LG"], "announced": "2025-01-02"}


def _mixed_file(path: Path, papers: int = 250) -> Path:
    """``papers`` good records, a bad one every 40 lines (of three kinds), gzipped."""
    with gzip.open(path, "wt") as fh:
        for n in range(1, papers + 1):
            fh.write(json.dumps(_record(n)) + "\n")
            if n % 40 == 0:
                fh.write(("{not json" if n % 120 == 0 else json.dumps({"id": f"2501.9{n:04d}"})
                          if n % 80 == 0 else "[1, 2]") + "\n")
    return path


def _running_readers(path: Path) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:  # exited meanwhile
            continue
        if b"paperwire.ingest.reader_process" in args and str(path).encode() in args:
            found.append(cmdline.parent.name)
    return found


def _events(batches: Iterator[SourceBatch], events: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    for batch in batches:
        events.append(("batch", tuple(p.id for p in batch.papers)))
    return events


def _reading(path: Path, batch_size: int, in_process: bool) -> list[tuple[object, ...]]:
    """Errors, progress and batches as the importer sees them, in the order it sees them."""
    events: list[tuple[object, ...]] = []

    def error(message: str) -> None:
        events.append(("error", message))

    def progress(done: int, size: int) -> None:
        events.append(("progress", done, size))

    if in_process:
        return _events(batches_in_process(path, batch_size, error, progress), events)
    return _events(source_batches(read_file(path, error, progress), batch_size), events)


def test_errors_progress_and_batches_come_in_the_threaded_readers_order(tmp_path: Path) -> None:
    path = _mixed_file(tmp_path / "mixed.jsonl.gz", papers=2600)
    expected = _reading(path, 700, in_process=False)
    assert _reading(path, 700, in_process=True) == expected
    kinds = [e[0] for e in expected]
    assert kinds.count("batch") == 4 and kinds.count("error") == 65 and kinds.count("progress") == 3
    last_batch = len(kinds) - 1 - kinds[::-1].index("batch")
    assert kinds.index("batch") < kinds.index("progress") < last_batch  # interleaved, not bunched at the end
    first_error = next(e for e in expected if e[0] == "error")
    assert str(first_error[1]).startswith(f"{path}:41: ")
    size = path.stat().st_size
    assert ("progress", size, size) in expected[-2:]


@pytest.mark.needs_data
@pytest.mark.parametrize("in_process", [False, True])
def test_a_truncated_gzip_keeps_every_complete_record(tmp_path: Path, in_process: bool) -> None:
    data = SAMPLE.read_bytes()
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 4])
    decoded = zlib.decompressobj(wbits=31).decompress(path.read_bytes())
    complete = decoded.count(b"\n")
    assert complete > 100
    events = _reading(path, 100, in_process)
    papers = sum(len(e[1]) for e in events if e[0] == "batch")  # type: ignore[arg-type]
    errors = [e[1] for e in events if e[0] == "error"]
    assert papers == complete
    assert len(errors) == 1 and f":{complete + 1}: unreadable data" in str(errors[0])


@pytest.mark.needs_data
def test_import_through_a_reader_process_stores_what_a_thread_does(store: Store, tmp_path: Path) -> None:
    report = import_files(store, [SAMPLE], batch_size=500, reader_process=True)
    assert (report.inserted, report.updated, report.rejected) == (2020, 0, 0)
    assert report.links > 0
    again = import_files(store, [SAMPLE], batch_size=500, reader_process=False)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2020)
    assert store.stats().papers == 2020


def test_bad_records_are_counted_through_the_reader_process(store: Store, tmp_path: Path) -> None:
    path = _mixed_file(tmp_path / "mixed.jsonl.gz")
    errors: list[str] = []
    seen: list[tuple[int, int, int]] = []
    report = import_files(store, [path], batch_size=100, on_error=errors.append,
                          progress=lambda d, s, n: seen.append((d, s, n)), reader_process=True)
    assert (report.inserted, report.rejected) == (250, 6)
    assert errors == report.errors and errors[1].startswith(f"{path}:82: ")
    assert seen[-1][0] == seen[-1][1] == path.stat().st_size


def test_a_reader_that_dies_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _mixed_file(tmp_path / "mixed.jsonl.gz")
    monkeypatch.setattr(reader_process.sys, "executable", "/bin/false")
    with pytest.raises(ReaderError, match="exited with code 1"):
        list(batches_in_process(path, 100, lambda message: None))


def test_a_reader_killed_mid_message_is_an_error(tmp_path: Path) -> None:
    path = _mixed_file(tmp_path / "big.jsonl.gz", papers=20_000)
    batches = batches_in_process(path, 5000, lambda message: None)
    next(batches)  # the child is now writing the next batch, more than the pipe holds
    for pid in _running_readers(path):
        os.kill(int(pid), signal.SIGKILL)
    with pytest.raises(ReaderError, match="exited with code -9"):
        list(batches)


def test_a_reader_that_cannot_start_is_an_error_and_leaks_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _mixed_file(tmp_path / "mixed.jsonl.gz")
    monkeypatch.setattr(reader_process.sys, "executable", str(tmp_path / "no-python"))
    open_before = len(os.listdir("/proc/self/fd"))
    for _ in range(3):
        with pytest.raises(ReaderError, match="cannot start the reading process"):
            list(batches_in_process(path, 100, lambda message: None))
    assert len(os.listdir("/proc/self/fd")) == open_before


def test_a_reader_that_fails_reports_why(tmp_path: Path) -> None:
    path = tmp_path / "not-a-file"
    path.mkdir()  # opening a directory fails before any record is read
    with pytest.raises(ReaderError, match="reading failed: IsADirectoryError"):
        list(batches_in_process(path, 100, lambda message: None))


def test_stopping_early_stops_the_reader(tmp_path: Path) -> None:
    path = _mixed_file(tmp_path / "big.jsonl.gz", papers=20_000)
    batches = batches_in_process(path, 10, lambda message: None)
    first = next(batches)
    assert [p.id for p in first.papers] == [f"2501.{n:05d}" for n in range(1, 11)]
    assert _running_readers(path)
    batches.close()
    assert _running_readers(path) == []


def test_a_write_that_fails_stops_the_reader(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _mixed_file(tmp_path / "big.jsonl.gz", papers=20_000)

    def fail(batch: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(store.papers, "save_batch", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        import_files(store, [path], batch_size=10, reader_process=True)
    assert _running_readers(path) == []


def test_files_from_the_threshold_up_are_read_in_a_process(
        store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = _mixed_file(tmp_path / "big.jsonl.gz", papers=300)
    small = tmp_path / "small.jsonl"
    small.write_text(json.dumps({**_record(9999), "id": "2502.00001"}) + "\n")
    monkeypatch.setattr(bulk, "PROCESS_MIN_BYTES", big.stat().st_size)
    read_in_process: list[Path] = []
    real = bulk.batches_in_process

    def spy(path: Path, *args: Any, **kwargs: Any) -> Iterator[SourceBatch]:
        read_in_process.append(path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(bulk, "batches_in_process", spy)
    report = import_files(store, [big, small])
    assert read_in_process == [big]
    assert (report.inserted, report.rejected) == (301, 7)


def test_errors_name_a_relative_path_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _mixed_file(tmp_path / "mixed.jsonl.gz")
    monkeypatch.chdir(tmp_path)
    errors: list[str] = []
    assert sum(len(b.papers) for b in batches_in_process(Path("mixed.jsonl.gz"), 100, errors.append)) == 250
    assert errors[0].startswith("mixed.jsonl.gz:41: ")

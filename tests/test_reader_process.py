"""A big file read in a process of its own: the same papers, errors and progress as in a thread, in
order; a reader that dies or fails is an error; stopping early stops the reader."""

from __future__ import annotations

import gzip
import json
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


def test_batches_errors_and_progress_match_the_threaded_reader(tmp_path: Path) -> None:
    path = _mixed_file(tmp_path / "mixed.jsonl.gz")
    here: list[str] = []
    expected = [[p.id for p in b.papers] for b in source_batches(read_file(path, here.append), 64)]
    there: list[str] = []
    progress: list[tuple[int, int]] = []
    got = [[p.id for p in b.papers] for b in batches_in_process(path, 64, there.append,
                                                                 lambda d, s: progress.append((d, s)))]
    assert got == expected and len(got) == 4 and sum(map(len, got)) == 250
    assert there == here and len(there) == 6 and there[0].startswith(f"{path}:41: ")
    size = path.stat().st_size
    assert progress[-1] == (size, size)


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

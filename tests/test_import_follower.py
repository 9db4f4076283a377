"""Indexing while importing: the follower in a process of its own (big imports) and in a thread."""

from __future__ import annotations

from pathlib import Path

import pytest

from paperwire.importing import import_and_index
from paperwire.runtime import Runtime
from paperwire.search import follower
from paperwire.search.engine import SearchRequest, search
from paperwire.search.indexes import KEYWORD_VERSION
from tests.helpers.paths import SAMPLE

pytestmark = pytest.mark.needs_data  # every test imports the shared sample


@pytest.mark.parametrize("in_process", [True, False], ids=["process", "thread"])
def test_the_follower_indexes_everything_the_import_commits(runtime: Runtime, in_process: bool) -> None:
    counted: list[int] = []
    report = import_and_index(runtime.store, runtime.indexes, [SAMPLE], batch_size=300,
                              index_progress=counted.append, index_process=in_process)
    assert report.inserted == 2020 and report.indexed == 2020 and sum(counted) == 2020
    # this process's index object sees the follower's commit at once, without a refresh
    assert runtime.indexes.keyword.num_docs() == 2020
    assert runtime.indexes.watermark() == runtime.store.papers.max_seq()
    hits = search(runtime.store, runtime.indexes, SearchRequest("gaussian splatting", limit=5, mode="keyword"),
                  runtime.search_policy).hits
    assert hits and all("splat" in (h.paper.title if h.paper else "").lower() for h in hits[:3])
    # a second import of the same file changes nothing and indexes nothing
    again = import_and_index(runtime.store, runtime.indexes, [SAMPLE], index_process=in_process)
    assert (again.inserted, again.unchanged, again.indexed) == (0, 2020, 0)


def test_big_inputs_choose_the_process(runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chosen: list[str] = []
    real_process, real_thread = follower.in_process, follower.in_thread
    monkeypatch.setattr(follower, "in_process", lambda *a: chosen.append("process") or real_process(*a))
    monkeypatch.setattr(follower, "in_thread", lambda *a: chosen.append("thread") or real_thread(*a))
    import_and_index(runtime.store, runtime.indexes, [SAMPLE])
    monkeypatch.setattr(follower, "PROCESS_MIN_BYTES", SAMPLE.stat().st_size)
    import_and_index(runtime.store, runtime.indexes, [SAMPLE, tmp_path / "missing.jsonl"])
    assert chosen == ["thread", "process"]


@pytest.mark.parametrize("in_process", [True, False], ids=["process", "thread"])
def test_a_failing_follower_is_reported_and_the_import_still_lands(runtime: Runtime, in_process: bool) -> None:
    # a keyword index directory that cannot be opened: a file where the index's directory should be
    broken = runtime.indexes.keyword.path
    assert broken is not None
    # moved aside rather than emptied: tantivy's merge threads may still write into it, which made
    # a delete-then-rmdir fail now and then ("Directory not empty")
    broken.rename(broken.with_name(broken.name + ".moved-aside"))
    broken.write_text("not a directory")
    errors: list[str] = []
    report = import_and_index(runtime.store, runtime.indexes, [SAMPLE], on_error=errors.append,
                              index_process=in_process)
    assert report.inserted == 2020 and runtime.store.stats().papers == 2020  # the import itself is committed
    assert not report.ok and report.index_error.startswith("indexing during the import failed")
    assert errors and "the papers are stored" in errors[-1]


def test_a_failing_progress_display_does_not_fail_the_indexing(runtime: Runtime) -> None:
    def broken(_count: int) -> None:
        raise RuntimeError("the terminal went away")

    report = import_and_index(runtime.store, runtime.indexes, [SAMPLE], batch_size=100, index_progress=broken,
                              index_process=True)
    assert report.ok and report.indexed == 2020 and runtime.indexes.keyword.num_docs() == 2020


def test_a_relative_sqlite_url_means_the_same_file_to_the_follower(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from paperwire.config import Settings

    monkeypatch.chdir(tmp_path)
    runtime = Runtime(Settings(database_url="sqlite:///rel.db", data_dir=tmp_path / "data"))
    store, indexes = runtime.store, runtime.indexes  # opened here, so rel.db is tmp_path/rel.db
    monkeypatch.chdir("/")  # the library keeps the path it opened; the follower must use the same file
    report = import_and_index(store, indexes, [SAMPLE], index_process=True)
    assert report.ok and report.indexed == 2020
    assert not Path("/rel.db").exists()
    runtime.close()


def test_an_index_without_its_watermark_is_rebuilt_not_doubled(runtime: Runtime) -> None:
    # a run stopped between the index commit and the watermark write leaves documents and no watermark
    import_and_index(runtime.store, runtime.indexes, [SAMPLE], index_process=False)
    (runtime.indexes.dir / f"keyword-v{KEYWORD_VERSION}.watermark.json").unlink()
    assert runtime.indexes.sync() == 2020  # indexed again from the start...
    assert runtime.indexes.keyword.num_docs() == 2020  # ...into an emptied index

"""A first big import drops the papers' secondary indexes and builds them once at its end; a store with
papers keeps its own; an import that fails still builds them back; a killed importer's indexes are
built by the next process to open the store, or by a running worker, once its lease has run out."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from paperwire import worker as worker_module
from paperwire.config import Settings
from paperwire.ingest import bulk
from paperwire.ingest.bulk import import_files
from paperwire.models import BatchResult, SourceBatch
from paperwire.models.library import author_key
from paperwire.runtime import Runtime
from paperwire.store import Store, open_store
from paperwire.store.bulk_load import DEFERRABLE, LEASE
from paperwire.store.core import StoreBusy, read_state
from paperwire.store.postgres import unqualified
from paperwire.worker import Worker
from tests.helpers.clock import Clock
from tests.helpers.paths import SAMPLE

pytestmark = pytest.mark.needs_data


def _indexes(store: Store) -> dict[str, str]:
    with store.db.read() as tx:
        return store.db.index_definitions(tx, [*DEFERRABLE, "papers_seq"])


def _watch_batches(store: Store, monkeypatch: pytest.MonkeyPatch,
                   fail_at: int | None = None) -> list[dict[str, str]]:
    """The indexes present as each batch is written (the write fails at batch ``fail_at``)."""
    seen: list[dict[str, str]] = []
    real: Callable[[SourceBatch], BatchResult] = store.papers.save_batch

    def save_batch(batch: SourceBatch) -> BatchResult:
        seen.append(_indexes(store))
        if len(seen) == fail_at:
            raise RuntimeError("disk full")
        return real(batch)

    monkeypatch.setattr(store.papers, "save_batch", save_batch)
    return seen


def test_a_first_big_import_builds_the_indexes_at_its_end(
        store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    before = _indexes(store)
    assert set(before) == {*DEFERRABLE, "papers_seq"}
    with_doi = tmp_path / "doi.jsonl"
    with_doi.write_text(json.dumps({"id": "2501.00001", "title": "A paper with a DOI", "doi": "10.1234/Ab.5",
                                    "authors": ["Ada Lovelace"], "categories": ["cs.LG"]}) + "\n")
    monkeypatch.setattr(bulk, "DEFER_MIN_BYTES", SAMPLE.stat().st_size)
    seen = _watch_batches(store, monkeypatch)
    report = import_files(store, [SAMPLE, with_doi], batch_size=500)
    assert report.inserted == 2021 and len(seen) == 6
    assert all(set(s) == {"papers_seq"} for s in seen)  # the search indexes follow by seq: it stays
    assert _indexes(store) == before and store.bulk_load.deferred() == []
    with store.db.read() as tx:
        assert read_state(tx, "deferred_indexes") is None
    # what the indexes serve answers as before: a listing by day, a category, an author, a DOI
    first = store.papers.list_papers(limit=3)
    assert len(first) == 3 and first[0].announced is not None
    paper = first[0]
    assert store.papers.count_papers(category=paper.categories[0]) > 0
    assert store.authors.paper_ids(author_key(paper.authors[0]))[0] >= 1
    found = store.papers.find_by_doi("10.1234/AB.5")
    assert found is not None and found.id == "2501.00001"


def test_a_store_with_papers_keeps_its_indexes(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    import_files(store, [SAMPLE], batch_size=5000)
    monkeypatch.setattr(bulk, "DEFER_MIN_BYTES", 0)
    seen = _watch_batches(store, monkeypatch)
    assert import_files(store, [SAMPLE], batch_size=1000).unchanged == 2020
    assert seen and all(set(s) == {*DEFERRABLE, "papers_seq"} for s in seen)
    assert store.bulk_load.defer_indexes() == []


def test_a_small_first_import_keeps_its_indexes(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "DEFER_MIN_BYTES", SAMPLE.stat().st_size + 1)
    seen = _watch_batches(store, monkeypatch)
    import_files(store, [SAMPLE], batch_size=1000)
    assert seen and all(set(s) == {*DEFERRABLE, "papers_seq"} for s in seen)


def test_an_import_that_fails_still_builds_them_back(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _indexes(store)
    monkeypatch.setattr(bulk, "DEFER_MIN_BYTES", 0)
    seen = _watch_batches(store, monkeypatch, fail_at=2)
    with pytest.raises(RuntimeError, match="disk full"):
        import_files(store, [SAMPLE], batch_size=500)
    assert set(seen[0]) == {"papers_seq"}
    assert _indexes(store) == before and store.bulk_load.deferred() == []
    assert store.papers.count_papers() == 500  # the first batch stayed, and a re-run finishes the job


def test_a_killed_importers_indexes_come_back_when_its_lease_runs_out(db_url: str) -> None:
    clock = Clock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    importer = open_store(db_url, clock=clock)
    importer.migrate()
    before = _indexes(importer)
    assert importer.bulk_load.defer_indexes() == list(DEFERRABLE)
    # the importer is killed here; other processes start while its lease holds, then after
    late = Clock(clock.now + LEASE - timedelta(minutes=1))
    other = open_store(db_url, clock=late)
    try:
        other.migrate()
        assert other.bulk_load.deferred() == list(DEFERRABLE) and set(_indexes(other)) == {"papers_seq"}
        clock.now = late.now  # a live importer renews its lease as it writes
        importer.bulk_load.renew()
        late.now += timedelta(minutes=2)  # past the first lease, within the renewed one
        other.migrate()
        assert other.bulk_load.deferred() == list(DEFERRABLE)
        late.now = clock.now + LEASE + timedelta(seconds=1)
        other.migrate()
        assert other.bulk_load.deferred() == [] and _indexes(other) == before
    finally:
        other.close()
        importer.close()


def test_a_running_worker_builds_a_killed_importers_indexes_once_its_lease_runs_out(
        db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A site that keeps running (no process starts, no import runs again) gets them from its worker."""
    monkeypatch.setattr(worker_module, "INDEX_CHECK_SECONDS", 0.0)
    clock = Clock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    store = open_store(db_url, clock=clock)
    store.migrate()
    before = _indexes(store)
    assert store.bulk_load.defer_indexes() == list(DEFERRABLE)  # then the importer is killed
    settings = Settings(database_url=db_url, data_dir=tmp_path / "data", semantic_search=False,
                        worker_poll_seconds=0.1)
    worker = Worker(Runtime(settings, store), only=["trending"], owner="w")
    thread = threading.Thread(target=worker.run_forever)
    thread.start()
    try:
        time.sleep(1.0)  # idle checks while the lease holds: they leave the importer's indexes alone
        assert store.bulk_load.deferred() == list(DEFERRABLE)
        clock.now += LEASE + timedelta(seconds=1)
        deadline = time.monotonic() + 30
        while store.bulk_load.deferred() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.stop()
        thread.join(30)
    assert store.bulk_load.deferred() == [] and _indexes(store) == before
    store.close()


def test_an_index_built_before_a_crash_is_not_built_twice(store: Store) -> None:
    before = _indexes(store)
    store.bulk_load.defer_indexes()
    with store.db.write() as tx:  # as if the rebuild had died between creating an index and recording it
        tx.execute(before["paper_authors_key"])
    assert store.bulk_load.restore_indexes() == list(DEFERRABLE)
    assert _indexes(store) == before


def test_an_import_after_a_killed_one_takes_its_indexes_over(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    killed = open_store(db_url)
    killed.migrate()
    before = _indexes(killed)
    monkeypatch.setattr(bulk, "DEFER_MIN_BYTES", 0)
    seen = _watch_batches(killed, monkeypatch, fail_at=3)
    monkeypatch.setattr(killed.bulk_load, "restore_indexes", lambda **_: [])  # killed before its build
    with pytest.raises(RuntimeError):
        import_files(killed, [SAMPLE], batch_size=500)
    assert killed.bulk_load.deferred() == list(DEFERRABLE) and len(seen) == 3
    killed.close()
    again = open_store(db_url)  # re-run at once, within the killed one's lease
    try:
        again.migrate()
        assert again.bulk_load.deferred() == list(DEFERRABLE)
        report = import_files(again, [SAMPLE], batch_size=500)
        assert (report.inserted, report.unchanged) == (1020, 1000)
        assert _indexes(again) == before and again.bulk_load.deferred() == []
    finally:
        again.close()


def test_a_failing_build_leaves_the_imports_own_error(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "DEFER_MIN_BYTES", 0)
    _watch_batches(store, monkeypatch, fail_at=2)

    def busy(**_: object) -> list[str]:
        raise StoreBusy("database is locked")

    monkeypatch.setattr(store.bulk_load, "restore_indexes", busy)
    with pytest.raises(RuntimeError, match="disk full"):
        import_files(store, [SAMPLE], batch_size=500)
    assert store.bulk_load.deferred() == list(DEFERRABLE)


def test_the_lease_is_renewed_while_the_import_runs(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    store = open_store(db_url, clock=clock)
    store.migrate()
    monkeypatch.setattr(bulk, "DEFER_MIN_BYTES", 0)
    monkeypatch.setattr(bulk, "RENEW_SECONDS", 0.01)
    leases: list[str] = []
    real = store.papers.save_batch

    def slow_batch(batch: SourceBatch) -> BatchResult:
        with store.db.read() as tx:
            leases.append(orjson.loads(read_state(tx, "deferred_indexes") or "{}")["until"])
        clock.now += timedelta(minutes=30)  # each batch takes longer than a lease, as far as the store knows
        time.sleep(0.1)
        return real(batch)

    monkeypatch.setattr(store.papers, "save_batch", slow_batch)
    try:
        import_files(store, [SAMPLE], batch_size=500)
        assert len(leases) == 5 and len(set(leases)) == 5  # renewed between every two batches
        for until, batch in zip(leases[1:], range(1, 5), strict=True):
            assert until >= (datetime(2026, 3, 1, 12, 0, tzinfo=UTC) + timedelta(minutes=30 * batch)).isoformat()
    finally:
        store.close()


def test_two_first_imports_defer_once(store: Store) -> None:
    assert store.bulk_load.defer_indexes() == list(DEFERRABLE)
    # an import beside it takes them over: the indexes are gone already, and whichever ends first builds them
    assert store.bulk_load.defer_indexes() == list(DEFERRABLE)
    assert store.bulk_load.restore_indexes() == list(DEFERRABLE)
    assert store.bulk_load.restore_indexes() == []
    assert store.bulk_load.defer_indexes() == list(DEFERRABLE)  # no paper yet: the next import is a first one
    assert store.bulk_load.restore_indexes() == list(DEFERRABLE)


def test_definitions_name_the_table_without_its_schema(store: Store) -> None:
    for name, definition in _indexes(store).items():
        assert definition.startswith("CREATE ") and name in definition
        assert not re.search(r" ON \S+\.", definition), definition  # replayable in whatever schema


def test_unqualified() -> None:
    assert unqualified("CREATE INDEX a ON t_x.papers USING btree (announced, id)") == \
        "CREATE INDEX a ON papers USING btree (announced, id)"
    assert unqualified('CREATE INDEX a ON "My Schema".papers (x)') == "CREATE INDEX a ON papers (x)"
    assert unqualified("CREATE INDEX a ON papers (lower(doi)) WHERE (doi IS NOT NULL)") == \
        "CREATE INDEX a ON papers (lower(doi)) WHERE (doi IS NOT NULL)"

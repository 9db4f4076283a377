"""Embedding work shared through the database: batches claimed with leases, on both stores.

The store-level tests drive two owners by hand with a clock the test moves; the process tests run real
``paperwire embed`` processes with the real model on one database, and kill one with SIGKILL.
"""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from paperwire.models import Paper
from paperwire.store import Store, embed_batches, open_store
from paperwire.store.core import Tx
from tests.helpers.paths import SAMPLE

MODEL = "test-model"


class Clock:
    """A store clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clocked(db_url: str) -> Iterator[tuple[Store, Clock]]:
    clock = Clock()
    s = open_store(db_url, clock=clock)
    s.migrate()
    yield s, clock
    s.close()


def add_papers(store: Store, n: int, start: int = 0) -> None:
    store.papers.upsert_papers([
        Paper(f"2501.{i:05d}", f"Paper {i}", f"Abstract number {i}.", ["A. Author"], ["cs.LG"],
              announced=date(2025, 1, 2))
        for i in range(start, start + n)])


def finish(store: Store, batch_owner: str, size: int = 4) -> int:
    """Claim and finish one batch with made-up vectors; how many papers it held (0: none left)."""
    batch = store.embed_batches.claim(MODEL, batch_owner, 60, size)
    if batch is None:
        return 0
    rows = [(t.id, bytes(8), 0.01, f"h{t.id}", t.paper_seq) for t in batch.tasks]
    assert store.embed_batches.finish(batch, 8, rows, [])
    return len(rows)


def test_two_owners_split_the_papers_and_none_is_claimed_twice(clocked: tuple[Store, Clock]) -> None:
    store, _ = clocked
    add_papers(store, 10)
    a = store.embed_batches.claim(MODEL, "a", 60, 4)
    b = store.embed_batches.claim(MODEL, "b", 60, 4)
    assert a is not None and b is not None
    ids_a, ids_b = {t.id for t in a.tasks}, {t.id for t in b.tasks}
    assert len(ids_a) == len(ids_b) == 4 and not ids_a & ids_b
    assert finish(store, "c") == 2 and finish(store, "c") == 0  # the rest; then nothing is left
    for batch in (a, b):
        assert store.embed_batches.finish(batch, 8, [(t.id, bytes(8), 0.01, "h", t.paper_seq) for t in batch.tasks],
                                          [])
    [progress] = store.embed_batches.progress()
    assert progress.by_owner == {"a": 4, "b": 4, "c": 2} and progress.claimed == []
    assert store.embeddings.embedding_models() == {MODEL: 10}
    add_papers(store, 3, start=10)  # new papers arrive: the next claim finds only them
    assert finish(store, "a", size=10) == 3


def test_an_expired_batch_is_taken_over_and_its_old_holder_writes_nothing(clocked: tuple[Store, Clock]) -> None:
    store, clock = clocked
    add_papers(store, 6)
    stale = store.embed_batches.claim(MODEL, "dead", 60, 4)
    assert stale is not None
    clock.now += timedelta(seconds=30)
    assert store.embed_batches.renew("dead", 60) == 1  # still alive: renewed to 90 s from the start
    other = store.embed_batches.claim(MODEL, "b", 60, 4)
    assert other is not None and not other.taken_over and len(other.tasks) == 2
    clock.now += timedelta(seconds=61)  # "dead" stopped renewing
    [held] = store.embed_batches.progress()[0].claimed[:1]
    assert held.owner == "dead"
    again = store.embed_batches.claim(MODEL, "b", 60, 4)
    assert again is not None and again.taken_over and {t.id for t in again.tasks} == {t.id for t in stale.tasks}
    # the old holder wakes up: its write is refused, nothing of it lands
    assert not store.embed_batches.finish(stale, 8, [(t.id, bytes(8), 0.5, "old", t.paper_seq) for t in stale.tasks],
                                          [])
    assert store.embeddings.embedding_models() == {}
    assert finish_batch(store, again) and finish_batch(store, other)
    [progress] = store.embed_batches.progress()
    assert progress.by_owner == {"b": 6} and progress.taken_over == 1


def finish_batch(store: Store, batch: object) -> bool:
    from paperwire.store import EmbedBatch

    assert isinstance(batch, EmbedBatch)
    return store.embed_batches.finish(batch, 8, [(t.id, bytes(8), 0.01, "h", t.paper_seq) for t in batch.tasks], [])


def test_a_released_batch_is_claimed_at_once_and_deleted_embeddings_are_found_again(
        clocked: tuple[Store, Clock]) -> None:
    store, _ = clocked
    add_papers(store, 5)
    batch = store.embed_batches.claim(MODEL, "a", 60, 3)
    assert batch is not None
    store.embed_batches.release(batch)  # interrupted (Ctrl-C, a failed model call)
    again = store.embed_batches.claim(MODEL, "b", 60, 3)
    assert again is not None and again.taken_over and again.id == batch.id
    assert finish_batch(store, again) and finish(store, "b") == 2 and finish(store, "b") == 0
    # embeddings deleted by hand below the frontier: a claim finds them when nothing is left above and
    # nobody holds a batch (while one is held, claimers wait instead of scanning every paper each poll)
    store.embeddings.delete_embeddings()
    add_papers(store, 1, start=5)
    held = store.embed_batches.claim(MODEL, "d", 60, 10)
    assert held is not None and [t.id for t in held.tasks] == ["2501.00005"]
    assert store.embed_batches.claim(MODEL, "c", 60, 10) is None
    assert finish_batch(store, held)
    assert finish(store, "c", size=10) == 5
    assert store.embeddings.embedding_models() == {MODEL: 6}


def test_papers_embedded_before_the_batches_are_read_once_in_short_transactions(
        clocked: tuple[Store, Clock], monkeypatch: pytest.MonkeyPatch) -> None:
    """A database whose papers got their embeddings without batches (an instance older than the batches, or
    one written with its embeddings): the first claim reads the papers above the frontier span by span,
    each span in a write transaction of its own, and moves the frontier past them; later claims read
    nothing of them, and with every paper embedded none scans the whole table for gaps."""
    store, _ = clocked
    monkeypatch.setattr(embed_batches, "SCAN_SPAN", 4)
    add_papers(store, 10)
    head = store.papers.max_seq()
    store.embeddings.save_embeddings(MODEL, 8, [(f"2501.{i:05d}", bytes(8), 0.01, "h", head) for i in range(10)])
    writes = 0
    write = store.db.write

    def counted() -> AbstractContextManager[Tx]:
        nonlocal writes
        writes += 1
        return write()

    monkeypatch.setattr(store.db, "write", counted)
    gap_scan: Callable[..., object] = lambda *args: pytest.fail("scanned every paper for gaps")  # noqa: E731
    monkeypatch.setattr(embed_batches.EmbedBatches, "_claim_gap", gap_scan)
    assert store.embed_batches.claim(MODEL, "a", 60, 4) is None
    assert writes == 3 and store.embed_batches.frontier(MODEL) == head  # spans of 4, 4 and 2 seqs
    assert store.embed_batches.progress() == []  # a span looked through is no batch of anyone's
    writes = 0
    assert store.embed_batches.claim(MODEL, "a", 60, 4) is None and writes == 1
    add_papers(store, 3, start=10)  # new papers: the next claim finds them, and only them
    batch = store.embed_batches.claim(MODEL, "b", 60, 10)
    assert batch is not None and [t.id for t in batch.tasks] == ["2501.00010", "2501.00011", "2501.00012"]
    assert finish_batch(store, batch)
    [progress] = store.embed_batches.progress()
    assert progress.by_owner == {"b": 3} and progress.done_batches == 1
    monkeypatch.undo()  # the real gap scan: embeddings deleted below the frontier are found again
    store.embeddings.delete_embeddings()
    assert finish(store, "c", size=20) == 13 and finish(store, "c", size=20) == 0


# -- real processes --------------------------------------------------------------------------------

def _import(db_url: str, tmp_path: Path, n: int) -> tuple[list[str], dict[str, str]]:
    with gzip.open(SAMPLE, "rt") as fh:
        lines = [next(fh) for _ in range(n)]
    part = tmp_path / "part.jsonl"
    part.write_text("".join(lines))
    env = {**os.environ, "PAPERWIRE_EMBED_PIPELINE_BATCH": "8", "PAPERWIRE_EMBED_THREADS": "1",
           "PAPERWIRE_EMBED_LEASE_SECONDS": "3"}
    base = [sys.executable, "-m", "paperwire", "--db", db_url, "--data-dir", str(tmp_path / "data")]
    subprocess.run([*base, "import", "--quiet", str(part)], check=True, env=env, capture_output=True)
    return base, env


def _check_each_paper_embedded_once(store: Store, n: int) -> str:
    [model] = store.embeddings.embedding_models()
    stored = store.embeddings.embeddings_since(model, 0, 10 * n)
    # each write takes the next seq, a rewrite too: n rows with seqs 1..n means none was written twice
    assert len({s.paper_id for s in stored}) == n and [s.seq for s in stored] == list(range(1, n + 1))
    return model


@pytest.mark.slow
@pytest.mark.needs_data
def test_two_embed_processes_split_the_papers_without_overlap(db_url: str, tmp_path: Path) -> None:
    n = 160
    base, env = _import(db_url, tmp_path, n)
    procs = [subprocess.Popen([*base, "embed", "--quiet"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    counts = [int(out.split()[1]) for out in outs]  # "embedded N papers in ..."
    store = open_store(db_url)
    _check_each_paper_embedded_once(store, n)
    assert sum(counts) == n
    [progress] = store.embed_batches.progress()
    assert sorted(progress.by_owner.values()) == sorted(counts) and len(progress.by_owner) == 2
    assert all(c > 0 for c in counts) and progress.taken_over == 0  # both worked, none died
    store.close()
    # what an operator sees: each process's share, in stats and in jobs
    for command in ("stats", "jobs"):
        shown = subprocess.run([*base, command], env=env, capture_output=True, text=True, check=True).stdout
        assert f"{n} papers embedded in" in shown
        assert all(f":{p.pid}:" in shown for p in procs)


@pytest.mark.slow
@pytest.mark.needs_data
def test_a_killed_process_loses_at_most_its_batch_which_another_takes_over(db_url: str, tmp_path: Path) -> None:
    n = 160
    base, env = _import(db_url, tmp_path, n)
    store = open_store(db_url)
    victim = subprocess.Popen([*base, "embed", "--quiet"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    tag = f":{victim.pid}:"
    deadline = time.time() + 120
    while time.time() < deadline and victim.poll() is None:  # a batch finished and the next one in flight
        progress = store.embed_batches.progress()
        if progress and any(tag in o for o in progress[0].by_owner) and progress[0].claimed:
            break
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    [progress] = store.embed_batches.progress()
    held = [c for c in progress.claimed if tag in c.owner]
    kept = sum(v for o, v in progress.by_owner.items() if tag in o)
    assert len(held) <= 1 and 8 <= kept < n  # finished batches stay; at most the batch in flight is lost
    survivor = subprocess.run([*base, "embed", "--quiet"], env=env, capture_output=True, text=True, check=True,
                              timeout=300)
    assert survivor.stdout.startswith(f"embedded {n - kept} papers")
    _check_each_paper_embedded_once(store, n)
    [progress] = store.embed_batches.progress()
    assert progress.taken_over == len(held) and progress.claimed == []
    store.close()

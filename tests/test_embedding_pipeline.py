"""The embedding pipeline with the real model: compact storage, resumability, model changes, the worker job."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from paperwire.config import Settings
from paperwire.models import Paper
from paperwire.runtime import Runtime
from paperwire.search.embed_papers import ModelMismatch, dequantize, embed_missing, quantize
from paperwire.store import Store
from tests.helpers.db import planner_rows
from tests.helpers.paths import SAMPLE


def test_int8_storage_keeps_the_vector() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((50, 384)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    rows = quantize(x)
    assert all(len(data) == 384 for data, _ in rows)
    back = dequantize(rows, 384)
    assert np.min(np.sum(back * x, axis=1)) > 0.999


def paper(pid: str, title: str, abstract: str) -> Paper:
    return Paper(pid, title, abstract, ["A. Author"], ["cs.CL"], announced=date(2025, 1, 2))


def test_embeds_once_then_only_what_changed(runtime: Runtime, store: Store) -> None:
    embedder = runtime.embedder
    assert embedder is not None
    store.papers.upsert_papers([paper("2501.00001", "Energy-based models", "Noise levels and an initializer."),
                                paper("2501.00002", "Gaussian splatting", "Rendering radiance fields.")])
    first = embed_missing(store, embedder, batch_size=1)
    assert (first.embedded, first.unchanged) == (2, 0)
    assert embed_missing(store, embedder).embedded == 0  # nothing left
    changed = paper("2501.00001", "Energy-based models", "Noise levels and an initializer.")
    changed.comment = "metadata only"
    store.papers.upsert_papers([changed, paper("2501.00002", "Gaussian splatting", "A new abstract.")])
    again = embed_missing(store, embedder)
    assert (again.embedded, again.unchanged) == (1, 1)  # the text change is embedded, the comment is not
    assert embed_missing(store, embedder).embedded == 0
    assert store.embeddings.embedding_models() == {embedder.model_id: 2}
    assert store.stats().embeddings == 2


def test_a_large_embedding_run_gives_the_planner_statistics(runtime: Runtime, store: Store) -> None:
    # a plan made before the table's first ANALYZE once read every embedding per batch (docs/benchmarks.md)
    assert runtime.embedder is not None
    store.papers.upsert_papers([paper(f"2501.{i:05d}", f"Paper {i}", "An abstract.") for i in range(1, 61)])
    assert planner_rows(store, "embeddings") in (None, -1.0)
    assert embed_missing(store, runtime.embedder).embedded == 60
    assert planner_rows(store, "embeddings") in (None, 60.0)


def test_another_models_vectors_are_never_mixed(runtime: Runtime, store: Store) -> None:
    embedder = runtime.embedder
    assert embedder is not None
    store.papers.upsert_papers([paper("2501.00001", "Energy-based models", "Noise levels.")])
    store.embeddings.save_embeddings("some-other-model", 384,
                                     [("2501.00001", bytes(384), 0.01, "x", store.papers.max_seq())])
    with pytest.raises(ModelMismatch, match="some-other-model"):
        embed_missing(store, embedder)
    report = embed_missing(store, embedder, reembed=True)
    assert report.embedded == 1 and store.embeddings.embedding_models() == {embedder.model_id: 1}


def test_semantic_search_and_similar_papers_follow_new_embeddings(runtime: Runtime, store: Store) -> None:
    from paperwire.search.engine import SearchRequest, search
    from paperwire.search.similar import similar

    assert runtime.embedder is not None
    store.papers.upsert_papers([
        paper("2501.00001", "Training energy-based models at several noise scales",
              "We learn an EBM with an initializer network that proposes samples at each noise level."),
        paper("2501.00002", "Real-time radiance field rendering", "3D Gaussians rendered by splatting."),
        paper("2501.00003", "Denoising score matching", "Score-based generative models at multiple noise levels."),
    ])
    embed_missing(store, runtime.embedder)
    request = SearchRequest("EBM trained with noise levels and an initializer", mode="semantic")
    res = search(store, runtime.indexes, request, runtime.search_policy)
    assert res.mode == "semantic" and res.hits[0].paper_id == "2501.00001"
    ranked, method = similar(runtime.indexes, store.papers.get_paper("2501.00001"), 2)  # type: ignore[arg-type]
    assert method == "semantic" and ranked[0][0] == "2501.00003"


@pytest.mark.needs_data
@pytest.mark.slow
def test_killed_embedding_run_resumes_without_loss_or_duplicates(db_url: str, tmp_path: Path) -> None:
    with gzip.open(SAMPLE, "rt") as fh:
        lines = [next(fh) for _ in range(300)]
    part = tmp_path / "part.jsonl"
    part.write_text("".join(lines))
    # the killed run's batch in flight is taken over once its lease (3 s) expires
    env = {**os.environ, "PAPERWIRE_EMBED_PIPELINE_BATCH": "8", "PAPERWIRE_EMBED_LEASE_SECONDS": "3"}
    base = [sys.executable, "-m", "paperwire", "--db", db_url, "--data-dir", str(tmp_path / "data")]
    subprocess.run([*base, "import", "--quiet", str(part)], check=True, env=env, capture_output=True)
    settings = Settings(database_url=db_url, data_dir=tmp_path / "data")
    rt = Runtime(settings)
    proc = subprocess.Popen([*base, "embed", "--quiet"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 300
    while rt.store.stats().embeddings < 40 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = rt.store.stats().embeddings
    assert 40 <= done < 300  # killed mid-run, finished batches kept
    out = subprocess.run([*base, "embed", "--quiet"], env=env, capture_output=True, text=True, check=True).stdout
    assert out.startswith(f"embedded {300 - done} papers")  # the killed run's batch in flight, taken over
    assert rt.store.stats().embeddings == 300
    assert rt.embedder is not None
    stored = rt.store.embeddings.embeddings_since(rt.embedder.model_id, 0, 1000)
    assert len(stored) == len({s.paper_id for s in stored}) == 300
    rt.close()


def test_worker_embed_job_runs(runtime: Runtime, store: Store) -> None:
    from paperwire.schedule import JOBS

    store.papers.upsert_papers([paper("2501.00001", "Energy-based models", "Noise levels.")])
    job = next(j for j in JOBS if j.name == "embed")
    outcome = job.run(runtime)
    assert not outcome.skipped and "embedded 1 papers" in outcome.summary


@pytest.mark.parametrize("batch", [3, 60])  # below and above PostgreSQL's COPY threshold (50 rows)
def test_saving_embeddings_again_replaces_them_with_new_change_numbers(store: Store, batch: int) -> None:
    """A write of embeddings is an upsert on (paper, model): the papers saved again get the new vector and
    a change number after every earlier one (so each host's vector index re-reads them), the others stay."""
    ids = [f"2501.{i:05d}" for i in range(1, 2 * batch + 1)]
    store.papers.upsert_papers([paper(pid, f"Title {pid}", "Abstract.") for pid in ids])
    head = store.papers.max_seq()
    old = [(pid, bytes([1]) * 384, 0.01, "old", head) for pid in ids[: batch + batch // 2]]
    store.embeddings.save_embeddings("m", 384, old)
    before = store.embeddings.max_embedding_seq()
    again = [(pid, bytes([2]) * 384, 0.02, "new", head) for pid in ids[batch:]]
    assert store.embeddings.save_embeddings("m", 384, again) == len(again)
    assert store.embeddings.embedding_models() == {"m": 2 * batch}
    rows = {e.paper_id: e for e in store.embeddings.embeddings_since("m", 0, 10 * batch)}
    assert set(rows) == set(ids)
    assert all(rows[pid].vector == bytes([2]) * 384 and rows[pid].seq > before for pid in ids[batch:])
    assert all(rows[pid].vector == bytes([1]) * 384 and rows[pid].seq <= before for pid in ids[:batch])
    assert [e.paper_id for e in store.embeddings.embeddings_since("m", before, 10 * batch)] == ids[batch:]

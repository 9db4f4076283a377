"""The vector index's mechanics: exact and IVF search, filters before top-k, updates, persistence.

Vectors here are random unit vectors: what is tested is the index, not the model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from paperwire.search import vectors as vectors_module
from paperwire.search.query import parse_query
from paperwire.search.vectors import RowMeta, VectorIndex

DIM = 32


def unit(rng: np.random.Generator, n: int) -> np.ndarray:
    x = rng.standard_normal((n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def build(n: int, exact_limit: int = 10_000) -> tuple[VectorIndex, np.ndarray]:
    """An index of n random vectors, and the vectors as the index stores them (8-bit codes decoded),
    so brute force over them gives exactly the order an exact scan must give."""
    rng = np.random.default_rng(1)
    x = unit(rng, n)
    index = VectorIndex(DIM, exact_limit=exact_limit, nprobe=64)
    meta = [RowMeta(20250101 + i % 28, i % 5 == 0, ["cs.CL" if i % 2 else "cs.CV", "stat.ML"]) for i in range(n)]
    index.add([f"p{i}" for i in range(n)], x, meta)
    return index, index.index.reconstruct_n(0, n)


def brute(x: np.ndarray, q: np.ndarray, rows: np.ndarray, k: int) -> list[str]:
    scores = x[rows] @ q
    return [f"p{rows[i]}" for i in np.argsort(-scores)[:k]]


def test_exact_search_matches_brute_force() -> None:
    index, x = build(3000)
    q = x[17]
    got = [k for k, _ in index.search(q, 10)]
    assert got == brute(x, q, np.arange(3000), 10)


@pytest.mark.parametrize("query", ["cat:cs.CL has:code", "after:2025-01-20 before:2025-01-25 cat:stat",
                                   "-cat:cs.CV has:code"])
def test_filters_apply_before_top_k(query: str) -> None:
    index, x = build(3000)
    keep = index.mask(parse_query(query))
    got = index.search(x[3], 20, keep)
    assert len(got) == 20  # a full page although most rows are filtered out
    rows = np.flatnonzero(keep)
    assert [k for k, _ in got] == brute(x, x[3], rows, 20)


def test_allowed_and_excluded_keys() -> None:
    index, x = build(500)
    keep = index.mask(None, allowed=["p1", "p2", "p3", "missing"], excluded=["p2"])
    assert {k for k, _ in index.search(x[2], 10, keep)} == {"p1", "p3"}


def test_replacing_a_vector_hides_the_old_one() -> None:
    index, x = build(200)
    index.add(["p5"], x[9:10], [RowMeta(20250101, False, ["cs.CL"])])
    top = index.search(x[9], 2)
    assert {k for k, _ in top} == {"p5", "p9"} and len(index) == 200
    assert index.search(x[5], 1)[0][0] != "p5"


def test_metadata_updates_change_filters() -> None:
    index, x = build(100)
    index.update_meta("p1", RowMeta(20250101, True, ["q-bio.NC"]))
    assert [k for k, _ in index.search(x[1], 5, index.mask(parse_query("cat:q-bio.NC")))] == ["p1"]


def test_ivf_beyond_the_exact_limit_keeps_recall_and_filters() -> None:
    index, x = build(6000, exact_limit=2000)
    assert index.needs_rebuild()
    ivf = index.rebuilt()
    assert ivf.is_ann and len(ivf) == 6000
    recall = np.mean([len({k for k, _ in ivf.search(x[i], 10)} & set(brute(x, x[i], np.arange(6000), 10))) / 10
                      for i in range(0, 6000, 200)])
    assert recall > 0.9
    keep = ivf.mask(parse_query("has:code after:2025-01-27"))  # selective: scanned exactly
    stored = ivf.index.reconstruct_batch(np.arange(6000))
    assert [k for k, _ in ivf.search(x[0], 10, keep)] == brute(stored, x[0], np.flatnonzero(keep), 10)


@pytest.mark.parametrize("exact_limit", [10_000, 500])
def test_a_rebuild_in_chunks_keeps_every_live_row_in_order(exact_limit: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows are decoded and re-added a chunk at a time (the whole float32 copy took 4 GB at 2.7M papers):
    the rebuilt index holds exactly the live rows, in order, with their vectors and metadata."""
    monkeypatch.setattr(vectors_module, "REBUILD_CHUNK", 7)
    index, x = build(1200, exact_limit=exact_limit)
    index.add(["p3", "p10"], x[[3, 10]], [RowMeta(20250301, True, ["cs.LG"])] * 2)  # replaced: rows 3, 10 die
    fresh = index.rebuilt()
    assert fresh.is_ann == (exact_limit == 500) and len(fresh) == len(fresh.keys) == 1200
    expect = [f"p{i}" for i in range(1200) if i not in (3, 10)] + ["p3", "p10"]
    assert fresh.keys == expect and fresh.row_of["p10"] == 1199
    assert fresh.day[1198] == 20250301 and bool(fresh.has_code[1199])
    old_rows = [index.row_of[k] for k in expect]
    assert np.allclose(fresh.index.reconstruct_batch(np.arange(1200)),
                       index.index.reconstruct_batch(np.array(old_rows)), atol=0.02)


def test_save_and_load(tmp_path: Path) -> None:
    index, x = build(300)
    index.add(["p7"], x[8:9], [RowMeta(20250101, False, ["cs.CL"])])
    index.save(tmp_path / "v", {"embeddings": 42})
    index.save(tmp_path / "v", {"embeddings": 43})  # replaces atomically
    loaded, marks = VectorIndex.load(tmp_path / "v")
    assert marks == {"embeddings": 43} and len(loaded) == 300
    assert loaded.search(x[8], 2) == index.search(x[8], 2)
    assert loaded.mask(parse_query("cat:cs.CL")).sum() == index.mask(parse_query("cat:cs.CL")).sum()


@pytest.mark.parametrize("exact_limit", [10_000, 1_000], ids=["exact", "ivf"])
def test_a_few_blocked_rows_are_dropped_after_the_scan_and_never_returned(exact_limit: int) -> None:
    # a few dead or excluded rows skip the in-scan selector: they must still never come back, and k stay k
    index, x = build(3000, exact_limit=exact_limit)
    if exact_limit < 3000:
        index = index.rebuilt()
        index.nprobe = 10_000  # every list: the IVF answer equals the exact one
    q = x[7] / np.linalg.norm(x[7])
    nearest = [key for key, _ in index.search(q, 40)]
    excluded = nearest[:5]  # the very rows the scan finds first
    keep = index.mask(None, excluded=excluded)
    assert len(keep) - keep.sum() == 5
    got = [key for key, _ in index.search(q, 30, keep)]
    assert len(got) == 30 and not set(got) & set(excluded)
    assert got == nearest[5:35]
    many = index.mask(None, excluded=nearest[:100])  # past the few: the selector path, same rule
    assert not {key for key, _ in index.search(q, 30, many)} & set(nearest[:100])

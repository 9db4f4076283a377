"""IVF recall and scan time against the exact scan, per nprobe; prints one JSON object.

    .venv/bin/python benchmarks/vector_recall.py [--vectors FILE.npy] [--nprobes 8,16,24,48,96,192]
                                                 [--scale 1000000] [--queries 200]

``--vectors`` is the matrix of real paper embeddings that ``benchmarks/search.py`` caches
(``DATA_DIR/bench-cache/full-*.npy``, the 74,728 papers of the full corpus). The last
``--queries`` rows are held out as queries (a paper's embedding stands for a query about it);
the rest are indexed by the product's ``VectorIndex`` built past its exact limit, so it is
the same IVF index (8-bit codes, ``4·sqrt(n)`` lists, trained on a sample) that a large
deployment gets. Ground truth is an exact float inner-product search over the same rows.

Reported per nprobe: recall@10 and recall@100 (the share of the exact top-k the IVF search
returns; hybrid search fuses the top 100 of each side) and the median / p95 scan time of
one query; for the real vectors also the exact 8-bit scan (the index below the exact limit),
whose recall is the ceiling quantisation sets. ``--scale N`` repeats the measurement on N
vectors: the real ones plus clustered synthetic ones (a real vector plus Gaussian noise,
renormalised, as in ``search.py``'s 1M corpus), so it shows how recall at a given nprobe moves with the number of lists.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import faiss
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from search import clustered, percentile

from paperwire.search.vectors import RowMeta, VectorIndex


def build(base: np.ndarray) -> VectorIndex:
    """The product's IVF index over ``base`` (its exact limit set below the size)."""
    vi = VectorIndex(base.shape[1], exact_limit=1000)
    for i in range(0, len(base), 100_000):
        part = base[i : i + 100_000]
        vi.add([f"r{j}" for j in range(i, i + len(part))], part, [RowMeta(20260101, False, ["cs.LG"])] * len(part))
    return vi.rebuilt()


def exact_top(base: np.ndarray, queries: np.ndarray, k: int) -> list[set[str]]:
    flat = faiss.IndexFlatIP(base.shape[1])
    flat.add(base)
    _, rows = flat.search(queries, k)
    return [{f"r{r}" for r in row} for row in rows]


def recall_of(vi: VectorIndex, queries: np.ndarray, truth10: list[set[str]], truth100: list[set[str]]
              ) -> dict[str, float]:
    r10, r100, times = [], [], []
    for q, t10, t100 in zip(queries, truth10, truth100, strict=True):
        t = time.perf_counter()
        found = [key for key, _ in vi.search(q, 100)]
        times.append((time.perf_counter() - t) * 1000)
        r10.append(len(t10 & set(found[:10])) / 10)
        r100.append(len(t100 & set(found)) / 100)
    return {"recall_at_10": round(statistics.mean(r10), 4), "recall_at_100": round(statistics.mean(r100), 4),
            "scan_p50_ms": round(statistics.median(times), 3), "scan_p95_ms": round(percentile(times, 95), 3)}


def measure(base: np.ndarray, queries: np.ndarray, nprobes: list[int], exact: bool = False) -> dict[str, object]:
    started = time.perf_counter()
    vi = build(base)
    build_s = time.perf_counter() - started
    truth10, truth100 = exact_top(base, queries, 10), exact_top(base, queries, 100)
    out: dict[str, object] = {"vectors": len(base), "lists": int(faiss.extract_index_ivf(vi.index).nlist),
                              "build_s": round(build_s, 1)}
    if exact:  # the exact 8-bit scan: what quantisation alone costs in recall
        flat = VectorIndex(base.shape[1], exact_limit=len(base) + 1)
        flat.add([f"r{j}" for j in range(len(base))], base, [RowMeta(20260101, False, ["cs.LG"])] * len(base))
        out["exact_8bit"] = recall_of(flat, queries, truth10, truth100)
    for nprobe in nprobes:
        vi.nprobe = nprobe
        out[f"nprobe_{nprobe}"] = recall_of(vi, queries, truth10, truth100)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default = sorted(Path("/tmp/paperwire-bench/bench-cache").glob("full-*.npy"))
    parser.add_argument("--vectors", type=Path, default=default[0] if default else None)
    parser.add_argument("--nprobes", default="8,16,24,48,96,192")
    parser.add_argument("--scale", type=int, default=0, help="also measure at this many vectors (real + synthetic)")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    if args.vectors is None or not args.vectors.exists():
        raise SystemExit("no vectors: run benchmarks/search.py first (it caches the corpus embeddings)")
    real = np.load(args.vectors).astype(np.float32)
    queries, base = real[-args.queries :], np.ascontiguousarray(real[: -args.queries])
    nprobes = [int(x) for x in args.nprobes.split(",")]
    result: dict[str, object] = {"real": measure(base, queries, nprobes, exact=True)}
    if args.scale > len(base):
        synthetic = clustered(base, args.scale - len(base), np.random.default_rng(5))
        result["scaled"] = measure(np.concatenate([base, synthetic]), queries, nprobes)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

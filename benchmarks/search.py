"""Search speed: embedding throughput, hybrid latency at 75k and at 1M papers. Prints one JSON object.

    .venv/bin/python benchmarks/search.py [--data-dir DIR] [--scale 1000000] [--skip-1m]
                                          [--real-vectors N] [--skip-throughput]

1. Embedding throughput: title + abstract of 1,000 real papers, 256-token cap, the configured variant;
   median docs/s of 3 runs.
2. 75k: the real corpus in a SQLite store, every paper embedded (vectors cached in DATA_DIR by model and
   corpus, 5,000 at a time, so only the first run pays the ~45 CPU-minutes; ``--real-vectors N`` embeds
   only the first N and gives the rest clustered synthetic vectors as at 1M), the hybrid search function end to end
   (parse, query embedding, keyword and vector candidates, fusion, fetching papers from the store) over
   200 seeded queries: 100 short (2-4 words) and 100 long (10-40 words) taken from real abstracts.
3. 1M: a scaled corpus the script generates — titles and abstracts recombined from real papers (the
   title of one, sentences of two others), vectors synthetic but clustered like the real ones (a real
   vector plus Gaussian noise, renormalised) — in the keyword index and an IVF vector index; the same
   ranking code (``paperwire.search.hybrid.rank``) with real query embeddings.
Vector memory is faiss's code size per paper (the filter columns add 13 bytes).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from paperwire.config import Settings
from paperwire.models import IndexEntry
from paperwire.runtime import Runtime
from paperwire.search.embed_papers import quantize, text_hash
from paperwire.search.hybrid import FusionConfig, rank
from paperwire.search.keyword import KeywordIndex
from paperwire.search.query import parse_query, words_of
from paperwire.search.vectors import RowMeta, VectorIndex

ROOT = Path(__file__).resolve().parent.parent
FULL = ROOT.parent / "shared" / "data" / "arxiv" / "cs-2025-2026.jsonl.gz"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def load() -> list[dict[str, object]]:
    with gzip.open(FULL, "rt") as fh:
        return [json.loads(line) for line in fh]


def doc_text(record: dict[str, object]) -> str:
    title, abstract = " ".join(str(record["title"]).split()), " ".join(str(record["abstract"]).split())
    return f"{title}. {abstract}" if abstract else title


def queries(records: list[dict[str, object]], seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    out = []
    for i, record in enumerate(rng.sample(records, 200)):
        words = words_of(str(record["abstract"]))
        size = rng.randint(2, 4) if i % 2 == 0 else rng.randint(10, 40)
        start = rng.randint(0, max(0, len(words) - size))
        out.append(" ".join(words[start : start + size]))
    return out


def throughput(runtime: Runtime, records: list[dict[str, object]]) -> dict[str, float]:
    embedder = runtime.embedder
    assert embedder is not None
    texts = [doc_text(r) for r in records[:1000]]
    embedder.embed(texts[:20])  # build/open the model first
    rates = []
    for _ in range(3):
        started = time.perf_counter()
        embedder.embed(texts)
        rates.append(len(texts) / (time.perf_counter() - started))
    return {"docs_per_s_median": round(statistics.median(rates), 1), "runs": [round(r, 1) for r in rates],
            "variant": runtime.settings.embed_variant, "target": ">= 60"}


def corpus_vectors(runtime: Runtime, records: list[dict[str, object]], cache_dir: Path,
                   real: int | None = None) -> np.ndarray:
    embedder = runtime.embedder
    assert embedder is not None
    texts = [doc_text(r) for r in records]
    digest = hashlib.sha256("\x1e".join([embedder.model_id, *texts]).encode()).hexdigest()[:24]
    path = cache_dir / f"full-{digest}.npy"
    if path.exists():
        cached: np.ndarray = np.load(path)
        return cached
    cache_dir.mkdir(parents=True, exist_ok=True)
    parts = []
    stop = len(texts) if real is None else min(real, len(texts))
    for i in range(0, stop, 5000):  # chunks cached on their own, so a killed run resumes
        part_path = cache_dir / f"part-{digest}-{i:06d}.npy"
        if not part_path.exists():
            np.save(part_path, embedder.embed(texts[i : i + 5000]))
            print(f"embedded {min(i + 5000, len(texts))}/{len(texts)}", file=sys.stderr, flush=True)
        parts.append(np.load(part_path)[: stop - i])
    matrix = np.concatenate(parts)
    if stop < len(texts):  # the rest like the 1M corpus: real vectors plus noise (an exact scan costs the same)
        return np.concatenate([matrix, clustered(matrix, len(texts) - stop, np.random.default_rng(3))])
    np.save(path, matrix)
    for part_path in cache_dir.glob(f"part-{digest}-*.npy"):
        part_path.unlink()
    return matrix


def clustered(real: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` synthetic vectors clustered like ``real``: a random real vector plus Gaussian noise, renormalised."""
    base = real[rng.integers(0, len(real), n)]
    noisy = base + rng.normal(0, 0.02, base.shape).astype(np.float32)
    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
    return noisy.astype(np.float32)


def latency(run: object, qs: list[str]) -> dict[str, float]:
    assert callable(run)
    for q in qs[:10]:
        run(q)
    times = []
    for q in qs:
        started = time.perf_counter()
        run(q)
        times.append((time.perf_counter() - started) * 1000)
    short, long_ = times[0::2], times[1::2]
    return {"p50_ms": round(statistics.median(times), 2), "p95_ms": round(percentile(times, 95), 2),
            "short_p50_ms": round(statistics.median(short), 2), "long_p50_ms": round(statistics.median(long_), 2)}


def store_vectors(runtime: Runtime, records: list[dict[str, object]], vectors: np.ndarray) -> int:
    """Save ``vectors`` (rows in ``records`` order) as the embeddings of the stored papers still
    missing one, as ``paperwire embed`` would, then sync the indexes; returns how many."""
    store, embedder = runtime.store, runtime.embedder
    assert embedder is not None
    tasks = store.embeddings.papers_to_embed(embedder.model_id, len(records) + 10)
    row_of = {str(r["id"]): i for i, r in enumerate(records)}
    tasks = [t for t in tasks if t.id in row_of]
    for i in range(0, len(tasks), 5000):
        chunk = tasks[i : i + 5000]
        codes = quantize(vectors[[row_of[t.id] for t in chunk]])
        store.embeddings.save_embeddings(embedder.model_id, embedder.dim, [
            (t.id, data, scale, text_hash(t.text), t.paper_seq) for t, (data, scale) in zip(chunk, codes, strict=True)
        ])
    runtime.indexes.sync()
    return len(tasks)


def at_75k(runtime: Runtime, records: list[dict[str, object]], vectors: np.ndarray,
           qs: list[str]) -> dict[str, object]:
    from paperwire.importing import import_and_index
    from paperwire.search.engine import SearchRequest, search

    store = runtime.store
    import_and_index(store, runtime.indexes, [FULL])
    store_vectors(runtime, records, vectors)
    vi = runtime.indexes.vectors.index if runtime.indexes.vectors else None
    assert vi is not None and len(vi) == len(records)

    def hybrid(q: str) -> None:
        search(store, runtime.indexes, SearchRequest(q, limit=10, mode="hybrid"), runtime.search_policy)

    def filtered(q: str) -> None:
        search(store, runtime.indexes, SearchRequest(q + " cat:cs.CL after:2026-01", limit=10, mode="hybrid"),
               runtime.search_policy)

    return {"papers": len(records), "hybrid": latency(hybrid, qs), "hybrid_with_filters": latency(filtered, qs),
            "vector_bytes_per_paper": int(vi.index.sa_code_size()), "index": "exact 8-bit scan",
            "targets": {"p95_ms": "<= 25", "vector_bytes_per_paper": "<= 400"}}


def at_scale(runtime: Runtime, records: list[dict[str, object]], vectors: np.ndarray, qs: list[str],
             n: int) -> dict[str, object]:
    rng = np.random.default_rng(5)
    sentences = [str(r["abstract"]).split(". ") for r in records]
    keyword = KeywordIndex(None, heap_bytes=400_000_000)
    started = time.perf_counter()

    def entries() -> object:
        for i in range(n):
            a, b, c = rng.integers(0, len(records), 3)
            abstract = ". ".join(sentences[b][: len(sentences[b]) // 2] + sentences[c][len(sentences[c]) // 2 :])
            yield IndexEntry(i, f"s{i}", str(records[a]["title"]), abstract, [], list(records[a]["categories"]))  # type: ignore[arg-type]

    keyword.write(entries(), replace=False)  # type: ignore[arg-type]
    keyword_s = time.perf_counter() - started
    started = time.perf_counter()
    vi = VectorIndex(vectors.shape[1], exact_limit=300_000, nprobe=runtime.settings.vector_nprobe)
    for i in range(0, n, 100_000):
        size = min(100_000, n - i)
        noisy = clustered(vectors, size, rng)
        vi.add([f"s{j}" for j in range(i, i + size)], noisy, [RowMeta(20260101, False, ["cs.CV"])] * size)
    vi = vi.rebuilt()  # past the exact limit: IVF
    vector_s = time.perf_counter() - started
    embedder = runtime.embedder
    assert embedder is not None
    fusion = FusionConfig(runtime.settings.search_fusion,
                          (1 - runtime.settings.search_semantic_weight, runtime.settings.search_semantic_weight),
                          runtime.settings.search_fusion_norm, min_similarity=runtime.settings.semantic_min_similarity)

    def hybrid(q: str) -> None:
        rank(parse_query(q), keyword, vi, embedder, "hybrid", 0, 10, fusion=fusion)

    return {"papers": n, "build_s": {"keyword": round(keyword_s, 1), "vectors": round(vector_s, 1)},
            "hybrid_rank": latency(hybrid, qs), "index": f"IVF 8-bit, nprobe {vi.nprobe}",
            "vector_bytes_per_paper": int(vi.index.sa_code_size()) + 8,
            "targets": {"p95_ms": "<= 60", "vector_bytes_per_paper": "<= 400"}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "paperwire-bench")
    parser.add_argument("--scale", type=int, default=1_000_000)
    parser.add_argument("--skip-1m", action="store_true")
    parser.add_argument("--real-vectors", type=int, default=None,
                        help="embed only the first N papers; the rest of the 75k get clustered synthetic vectors "
                             "(an exact 8-bit scan costs the same whatever the values)")
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args()
    records = load()
    qs = queries(records)
    with tempfile.TemporaryDirectory(prefix="pw-search-") as tmp:
        settings = Settings(database_url=f"sqlite:///{tmp}/s.db", data_dir=args.data_dir.absolute(),
                            index_refresh_seconds=3600)
        runtime = Runtime(settings)
        result: dict[str, object] = {"load_average_before": list(os.getloadavg())}
        if not args.skip_throughput:
            result["embedding_throughput"] = throughput(runtime, records)
        vectors = corpus_vectors(runtime, records, settings.data_dir / "bench-cache", args.real_vectors)
        result["real_vectors"] = args.real_vectors or len(records)
        result["75k"] = at_75k(runtime, records, vectors, qs)
        if not args.skip_1m:
            result["1m"] = at_scale(runtime, records, vectors, qs, args.scale)
        runtime.close()
    result["load_average_after"] = list(os.getloadavg())
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

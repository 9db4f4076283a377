"""Hybrid search latency over an instance that already holds the corpus, every paper embedded. Prints JSON.

    PAPERWIRE_DATA_DIR=/path/to/75k .venv/bin/python benchmarks/search_instance.py [--rounds 3]

``benchmarks/search.py`` builds its own 75k instance and embeds it (about 15 CPU-minutes the first time);
this one times the search function end to end (``engine.search``: identity, parse, query embedding,
keyword and vector candidates, fusion, fetching 10 papers) over an instance made by ``paperwire import
--embed``, so two versions of the code can be timed back to back on the same data. Queries: the same
200 seeded cuts of real abstracts as ``search.py`` (100 of 2-4 words, 100 of 10-40), then the 200
known-item queries. The best round's figures are printed, with the load average before and after.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import sys
import time
from pathlib import Path

from paperwire.config import Settings
from paperwire.runtime import Runtime
from paperwire.search.engine import SearchRequest, search

sys.path.insert(0, str(Path(__file__).resolve().parent))
from search import queries

ROOT = Path(__file__).resolve().parent.parent
FULL = ROOT.parent / "shared" / "data" / "arxiv" / "cs-2025-2026.jsonl.gz"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def abstract_queries(seed: int = 11) -> list[str]:
    """The same 200 abstract-cut queries as benchmarks/search.py, drawn from the whole shared corpus."""
    with gzip.open(FULL, "rt") as fh:
        return queries([json.loads(line) for line in fh], seed)


def timed(rt: Runtime, queries: list[str], mode: str) -> dict[str, float]:
    times = []
    for q in queries:
        started = time.perf_counter()
        search(rt.store, rt.indexes, SearchRequest(q, limit=10, mode=mode), rt.search_policy)
        times.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(statistics.median(times), 2), "p95_ms": round(percentile(times, 95), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--items", type=Path, default=ROOT / "benchmarks" / "known_items_75k.jsonl")
    args = parser.parse_args()
    rt = Runtime(Settings())
    rt.indexes.sync()
    cut = abstract_queries()
    known = [json.loads(line)["query"] for line in args.items.read_text().splitlines() if line.strip()]
    for q in cut[:20]:  # warm-up: the model, the index files, the vector codes
        search(rt.store, rt.indexes, SearchRequest(q, limit=10), rt.search_policy)
    result: dict[str, object] = {"load_average_before": [round(x, 2) for x in os.getloadavg()]}
    for name, qs in (("abstract cuts", cut), ("short cuts", cut[0::2]), ("long cuts", cut[1::2]),
                     ("known items", known)):
        rounds = [timed(rt, qs, "hybrid") for _ in range(args.rounds)]
        result[f"hybrid, {name}"] = min(rounds, key=lambda r: r["p95_ms"])
    result["keyword, abstract cuts"] = min((timed(rt, cut, "keyword") for _ in range(args.rounds)),
                                           key=lambda r: r["p95_ms"])
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result))


if __name__ == "__main__":
    main()

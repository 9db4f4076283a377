"""Import rate, peak memory and keyword-search latency; prints one JSON object.

    .venv/bin/python benchmarks/import_search.py [--file F] [--db URL] [--queries 200]
                                                 [--index-in auto|process|thread]

The import runs in a child process so its peak RSS is its own; with the keyword index
following in a process of its own (the default for big files), that process's peak is
added (an upper bound: the two peaks need not coincide). Queries are
5–40-word windows of real abstracts (seeded), the kind of natural-language
query the targets are stated for. Latency is the library's search() call
end to end (parse, index, fetching the papers from the store).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = ROOT.parent / "shared" / "data" / "arxiv" / "cs-2025-2026.jsonl.gz"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def make_queries(path: Path, n: int, seed: int = 7) -> list[str]:
    from paperwire.search.query import words_of

    with gzip.open(path, "rt") as fh:
        abstracts = [json.loads(line)["abstract"] for line in fh]
    rng = random.Random(seed)
    queries = []
    for abstract in rng.sample(abstracts, n):
        words = words_of(abstract)
        size = rng.randint(5, 40)
        start = rng.randint(0, max(0, len(words) - size))
        queries.append(" ".join(words[start : start + size]))
    return queries


def run_import(db: str, data_dir: str, file: Path, index_in: str) -> dict[str, float]:
    from paperwire.config import Settings
    from paperwire.importing import import_and_index
    from paperwire.runtime import Runtime

    runtime = Runtime(Settings(database_url=db, data_dir=Path(data_dir)))
    process = {"auto": None, "process": True, "thread": False}[index_in]
    report = import_and_index(runtime.store, runtime.indexes, [file], index_process=process)
    runtime.close()
    papers = report.inserted + report.updated
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    follower = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the indexing process, if any
    return {"papers": papers, "rejected": report.rejected, "seconds": round(report.seconds, 2),
            "papers_per_s": round(papers / report.seconds), "index_follower": index_in,
            # both processes at their peaks at once: an upper bound of the import's memory
            "peak_rss_mb": round(own + follower), "peak_rss_importer_mb": round(own),
            "peak_rss_follower_mb": round(follower)}


def measure_search(db: str, data_dir: str, queries: list[str]) -> dict[str, float]:
    from paperwire.config import Settings
    from paperwire.runtime import Runtime
    from paperwire.search.engine import SearchRequest, search

    runtime = Runtime(Settings(database_url=db, data_dir=Path(data_dir), index_refresh_seconds=3600))
    store, indexes = runtime.store, runtime.indexes
    for q in queries[:10]:  # warm the page cache and the reader
        search(store, indexes, SearchRequest(q, limit=10), runtime.search_policy)
    times = []
    for q in queries:
        started = time.perf_counter()
        search(store, indexes, SearchRequest(q, limit=10), runtime.search_policy)
        times.append((time.perf_counter() - started) * 1000)
    runtime.close()
    return {"queries": len(times), "p50_ms": round(statistics.median(times), 2),
            "p95_ms": round(percentile(times, 95), 2), "max_ms": round(max(times), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--db", default="", help="database URL; default a fresh SQLite file")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--index-in", choices=["auto", "process", "thread"], default="auto",
                        help="where the keyword index follows the import (auto: a process for big files)")
    parser.add_argument("--phase", choices=["all", "import"], default="all", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "import":
        print(json.dumps(run_import(args.db, args.data_dir, args.file, args.index_in)))
        return
    with tempfile.TemporaryDirectory(prefix="pw-bench-") as tmp:
        db = args.db or f"sqlite:///{tmp}/bench.db"
        if db.startswith("postgresql://") and "schema=" not in db:
            db += ("&" if "?" in db else "?") + f"schema=bench_{uuid.uuid4().hex[:8]}"
        child = subprocess.run(
            [sys.executable, __file__, "--phase", "import", "--file", str(args.file), "--db", db, "--data-dir", tmp,
             "--index-in", args.index_in],
            check=True, capture_output=True, text=True,
        )
        imported = json.loads(child.stdout.strip().splitlines()[-1])
        result = {
            "backend": db.split(":", 1)[0],
            "file": args.file.name,
            "import": imported,
            "keyword_search": measure_search(db, tmp, make_queries(args.file, args.queries)),
            "targets": {"papers_per_s": ">= 10000", "peak_rss_mb": "< 500", "p95_ms": "<= 10"},
        }
        if db.startswith("postgresql://"):
            from paperwire.store.postgres import drop_schema

            drop_schema(db)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

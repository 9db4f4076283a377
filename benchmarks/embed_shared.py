"""Shared embedding: one ``paperwire embed`` process of one thread versus two on one database; prints JSON.

    .venv/bin/python benchmarks/embed_shared.py [--papers 1000] [--runs 2] [--backend sqlite|postgres|both]
                                                [--batch 32] [--pg postgresql://postgres@127.0.0.1:5432/test]

Each run imports ``--papers`` real arXiv papers (arxiv/cs-2025-2026.jsonl.gz) into a fresh database, then
embeds them with one process (``PAPERWIRE_EMBED_THREADS=1``) and, on another fresh copy, with two such
processes started together. Throughput is papers / seconds of the embedding loop (what ``paperwire embed``
reports: from its first claim to its return, model loading excluded; for two processes the longer of the
two loops); the wall time of the whole command (interpreter start, model load) is given too. The split is
each process's share; "embedded twice" is (papers written by all processes) - (distinct papers embedded),
and (the embeddings' last change counter) - (their count): both must be 0. CPU seconds (all processes, model
load included) tell a busy machine from a scaling limit: two processes that spend as much CPU per paper as
one scale when they get a core each. The one- and two-process runs
alternate so both see the same background load; the load average is recorded before and after.
Targets (issue 17): speedup >= 1.8, the larger share <= 60 %, 0 embedded twice.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from paperwire.config import Settings
from paperwire.search.embedder import Embedder
from paperwire.store import open_store

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "arxiv" / "cs-2025-2026.jsonl.gz"


def new_url(backend: str, tmp: Path, pg: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp / f'embed-{uuid.uuid4().hex[:6]}.db'}"
    return f"{pg}?schema=bench_{uuid.uuid4().hex[:10]}"


def drop(url: str) -> None:
    if url.startswith("postgresql"):
        from paperwire.store.postgres import drop_schema

        drop_schema(url)


def run_embedders(url: str, data_dir: Path, part: Path, processes: int, batch: int) -> dict[str, Any]:
    """Import ``part`` into the fresh ``url``, embed it with ``processes`` processes; what they did."""
    env = {**os.environ, "PAPERWIRE_EMBED_THREADS": "1", "PAPERWIRE_EMBED_PIPELINE_BATCH": str(batch),
           "PAPERWIRE_INDEX_REFRESH_SECONDS": "0"}
    base = [sys.executable, "-m", "paperwire", "--db", url, "--data-dir", str(data_dir)]
    subprocess.run([*base, "import", "--quiet", str(part)], check=True, env=env, capture_output=True)
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    procs = [subprocess.Popen([*base, "embed", "--quiet"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(processes)]
    outs = [p.communicate()[0] for p in procs]
    wall = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    if any(p.returncode for p in procs):
        raise SystemExit(f"paperwire embed failed: {outs}")
    # "embedded N papers in S s (R/s); ..."
    counts = [int(out.split()[1]) for out in outs]
    seconds = [float(out.split()[4]) for out in outs]
    store = open_store(url)
    [model] = store.embeddings.embedding_models()
    stored = store.embeddings.embeddings_since(model, 0, 10**9)
    store.close()
    distinct = len({s.paper_id for s in stored})
    loop = max(seconds)
    return {
        "processes": processes, "papers": distinct, "per_process": counts,
        "largest_share": round(max(counts) / sum(counts), 3),
        "embedded_twice": sum(counts) - distinct, "rewrites": (stored[-1].seq if stored else 0) - len(stored),
        "loop_seconds": round(loop, 2), "wall_seconds": round(wall, 2),
        "papers_per_s": round(distinct / loop, 1), "papers_per_s_wall": round(distinct / wall, 1),
        "cpu_seconds": round(cpu, 2), "papers_per_cpu_s": round(distinct / cpu, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--papers", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--pg", default=os.environ.get("PAPERWIRE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    result: dict[str, Any] = {
        "benchmark": "embed_shared", "papers": args.papers, "batch": args.batch, "runs": args.runs,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "loadavg_start": [round(x, 2) for x in os.getloadavg()]},
    }
    with tempfile.TemporaryDirectory(prefix="embed-shared-") as tmpdir:
        tmp = Path(tmpdir)
        part = tmp / "papers.jsonl"
        with gzip.open(DATA, "rt", encoding="utf-8") as fh, part.open("w") as out:
            for i, line in enumerate(fh):
                if i == args.papers:
                    break
                out.write(line)
        data_dir = tmp / "data"  # shared: the derived model is built once, before the first timed run
        settings = Settings(data_dir=data_dir)
        Embedder.load(settings.models_dir(), settings.embed_variant, threads=1)
        for backend in backends:
            runs: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
            for _ in range(args.runs):
                for processes in (1, 2):
                    url = new_url(backend, tmp, args.pg)
                    try:
                        runs[processes].append(run_embedders(url, data_dir, part, processes, args.batch))
                    finally:
                        drop(url)
                    print(json.dumps({"backend": backend, **runs[processes][-1]}), file=sys.stderr)
            one = statistics.median(r["papers_per_s"] for r in runs[1])
            two = statistics.median(r["papers_per_s"] for r in runs[2])
            result[backend] = {
                "one_process": runs[1], "two_processes": runs[2],
                "median_papers_per_s": {"one": one, "two": two},
                "speedup": round(two / one, 2),
                "speedup_wall": round(statistics.median(r["papers_per_s_wall"] for r in runs[2])
                                      / statistics.median(r["papers_per_s_wall"] for r in runs[1]), 2),
                "largest_share_max": max(r["largest_share"] for r in runs[2]),
                "embedded_twice_total": sum(r["embedded_twice"] + r["rewrites"] for r in runs[1] + runs[2]),
            }
    result["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

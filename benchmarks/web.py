"""Web throughput and latency with wrk against a real server on 127.0.0.1; prints one JSON object.

    .venv/bin/python benchmarks/web.py [--file F] [--db URL] [--workers 2] [--duration 15]
                                       [--connections 32] [--keep DIR]

Imports the 75k-paper file into a fresh database (SQLite in a temporary data directory unless
--db names another), starts ``paperwire serve`` with --workers processes, warms it, then runs wrk
(Debian's package; ``scripts/ensure-services.sh --bench`` installs it) with 2 threads and
--connections connections for each scenario:

- home: ``GET /`` (trending today), as browsers ask for it (gzip);
- paper: ``GET /paper/{id}`` over 5,000 distinct papers in a shuffled order, so the response
  cache mostly misses: each page runs its similar-papers search and renders;
- search_api: ``GET /api/v1/search?q=…`` over 5,000 distinct 2–6-word queries cut from real titles;
- search_api_at_100_per_s: the same kind of searches offered at about 100 requests/s (the target's
  rate) in Poisson arrivals rather than as fast as the server answers: 64 connections, each waiting an
  exponential time (mean 0.64 s, wrk's delay() hook) before each search.

``--vectors`` stores precomputed corpus embeddings first, so searches are hybrid (the default mode
once ``paperwire embed`` has run); without it every search is a keyword search.

Requests/s and the latency percentiles are wrk's (``--latency``); a run with socket errors or
non-2xx answers is reported as such. Targets: home ≥ 400 req/s with p99 < 50 ms; search API
≥ 100 req/s with p99 < 100 ms (32 connections, this 2-core machine).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote_plus

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = ROOT.parent / "shared" / "data" / "arxiv" / "cs-2025-2026.jsonl.gz"
BIN = Path(sys.executable).parent
TARGETS = {"home": {"rps": 400, "p99_ms": 50}, "search_api": {"rps": 100, "p99_ms": 100}}
PACED_USERS = 64
LUA = """
local paths = {%s}
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end
function init(args)
  -- each thread starts at its own place in the list, so threads do not ask for the same URL
  position = (id or 0) * math.floor(#paths / 2)
end
function request()
  position = position + 1
  return wrk.format("GET", paths[(position %% #paths) + 1], {["Accept-Encoding"] = "gzip"})
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sample_urls(path: Path, n: int, seed: int = 11) -> tuple[list[str], list[str]]:
    """Paper pages and search API URLs drawn from the file itself."""
    from paperwire.search.query import words_of

    with gzip.open(path, "rt") as fh:
        rows = [json.loads(line) for line in fh]
    rng = random.Random(seed)
    papers = [f"/paper/{r['id']}" for r in rng.sample(rows, n)]
    queries = []
    for row in rng.sample(rows, n):
        words = words_of(row["title"])
        size = rng.randint(2, 6)
        start = rng.randint(0, max(0, len(words) - size))
        queries.append("/api/v1/search?q=" + quote_plus(" ".join(words[start : start + size])))
    return papers, queries


def parse_duration_ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def paced(rate: float, connections: int) -> str:
    """wrk's delay() hook: each connection waits a random (exponential) time between requests, so the
    connections together offer about ``rate`` requests/s in Poisson arrivals, whatever the server does."""
    mean_ms = 1000 * connections / rate
    return f"""
function delay()
  return math.floor(-{mean_ms:.1f} * math.log(1 - math.random()))
end
"""


def run_wrk(url: str, paths: list[str], seconds: int, connections: int, workdir: Path,
            rate: float | None = None) -> dict[str, object]:
    script = workdir / "paths.lua"
    script.write_text(LUA % ", ".join(json.dumps(p) for p in paths) + (paced(rate, connections) if rate else ""))
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
                         check=True, capture_output=True, text=True).stdout
    latency = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)$", out, re.M))
    result: dict[str, object] = {
        "rps": round(float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), 1),  # type: ignore[union-attr]
        "p50_ms": round(parse_duration_ms(latency["50"]), 2),
        "p90_ms": round(parse_duration_ms(latency["90"]), 2),
        "p99_ms": round(parse_duration_ms(latency["99"]), 2),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
    }
    errors = re.search(r"Socket errors: (.*)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        result["socket_errors"] = errors.group(1)
    if non2xx:
        result["non_2xx"] = int(non2xx.group(1))
    return result


def embed_from(vectors: Path, file: Path, env: dict[str, str]) -> int:
    """Store precomputed embeddings for the imported papers (what ``paperwire embed`` computes)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import numpy as np
    from search import store_vectors

    from paperwire.config import Settings
    from paperwire.runtime import Runtime

    with gzip.open(file, "rt") as fh:
        records = [json.loads(line) for line in fh]
    runtime = Runtime(Settings(database_url=env.get("PAPERWIRE_DATABASE_URL", ""),
                               data_dir=Path(env["PAPERWIRE_DATA_DIR"])))
    try:
        return store_vectors(runtime, records, np.load(vectors))
    finally:
        runtime.close()


def wait_ready(base: str, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--db", default="", help="database URL (default: SQLite in a temporary directory)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--keep", type=Path, help="reuse (or create) the data directory here instead of a temp one")
    parser.add_argument("--vectors", type=Path,
                        help="the corpus embeddings benchmarks/search.py cached (bench-cache/full-*.npy): stored "
                             "as the papers' embeddings, so searches are hybrid, as after 'paperwire embed'")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: run scripts/ensure-services.sh --bench (installs Debian's wrk)")
    data_dir = args.keep or Path(tempfile.mkdtemp(prefix="pw-web-bench-"))
    # wrk is one client searching as fast as it can: the anonymous rate limit would answer it 429
    env = {**os.environ, "PAPERWIRE_DATA_DIR": str(data_dir), "PAPERWIRE_LOG_LEVEL": "WARNING",
           "PAPERWIRE_ANONYMOUS_RATE_PER_MINUTE": "0"}
    if args.db:
        env["PAPERWIRE_DATABASE_URL"] = args.db
    report: dict[str, object] = {"file": str(args.file), "workers": args.workers, "connections": args.connections,
                                 "duration_s": args.duration, "cpus": os.cpu_count(),
                                 # other work on the machine shows here; it competes for the same cores
                                 "load_average_before": [round(x, 2) for x in os.getloadavg()]}
    try:
        stats = json.loads(subprocess.run([str(BIN / "paperwire"), "stats", "--json"], env=env, check=True,
                                          capture_output=True, text=True).stdout)
        if stats["papers"] == 0:
            started = time.perf_counter()
            subprocess.run([str(BIN / "paperwire"), "import", "--quiet", str(args.file)], env=env, check=True,
                           capture_output=True)
            report["import_s"] = round(time.perf_counter() - started, 1)
            stats = json.loads(subprocess.run([str(BIN / "paperwire"), "stats", "--json"], env=env, check=True,
                                              capture_output=True, text=True).stdout)
        report["papers"] = stats["papers"]
        if args.vectors:
            report["embedded"] = embed_from(args.vectors, args.file, env)
        report["search_mode"] = "hybrid" if args.vectors or stats.get("embeddings") else "keyword (nothing embedded)"
        papers, queries = sample_urls(args.file, 5000)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([str(BIN / "paperwire"), "serve", "--port", str(port), "--workers",
                                   str(args.workers)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_ready(base, server)
            warm = data_dir / "warm"
            warm.mkdir(exist_ok=True)
            run_wrk(base, ["/", *papers[:50], *queries[:50]], 3, 4, warm)  # open indexes in every worker
            report["home"] = run_wrk(base, ["/"], args.duration, args.connections, warm)
            report["paper"] = run_wrk(base, papers, args.duration, args.connections, warm)
            report["search_api"] = run_wrk(base, queries, args.duration, args.connections, warm)
            # the same searches offered at the target's rate, as users arrive, instead of as fast as possible
            # (64 users, each waiting 0.64 s on average between searches, well inside the server's keep-alive)
            report["search_api_at_100_per_s"] = run_wrk(base, queries[2500:], args.duration, PACED_USERS, warm,
                                                        rate=TARGETS["search_api"]["rps"])
        finally:
            server.terminate()
            server.wait(timeout=30)
        report["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        report["targets"] = TARGETS
        report["met"] = {name: report[name]["rps"] >= t["rps"] and report[name]["p99_ms"] < t["p99_ms"]  # type: ignore[index]
                         for name, t in TARGETS.items()}
        paced_run = report["search_api_at_100_per_s"]
        # offered in random arrivals averaging 100/s: a run within 5 % of that rate kept up with it
        report["met"]["search_api_at_100_per_s"] = (paced_run["rps"] >= 0.95 * TARGETS["search_api"]["rps"]  # type: ignore
                                                    and paced_run["p99_ms"] < TARGETS["search_api"]["p99_ms"])  # type: ignore
    finally:
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

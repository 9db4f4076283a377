"""Mixed load on a real ``paperwire serve`` over the 2k sample, on loopback; prints one JSON object.

    .venv/bin/python benchmarks/load.py [--duration 60] [--connections 50] [--processes 2]
                                        [--max-requests 1000000] [--keyword-only] [--keep DIR]

Imports the 2,020-paper sample into a fresh SQLite database in a temporary data directory, embeds it
(``paperwire embed``: searches and similar papers are hybrid, as on an instance whose worker has run;
``--keyword-only`` skips it), computes the trending rankings, starts ``paperwire serve --processes N``
on 127.0.0.1 and warms every route. Then ``--connections`` clients (httpx, one keep-alive connection
each, ``Accept-Encoding: gzip``, bodies read but not decompressed) send requests back to back for
``--duration`` seconds over a fixed mix of pages and APIs:

    home 15 %, trending pages 8 %, search page 12 %, search API 20 %, paper page 20 %,
    feeds 10 % (trending, daily, search), Hugging Face API 15 % (daily list, paper, search)

Searches are 2–6-word queries cut from the sample's titles; papers are drawn from the whole sample,
so paper pages and searches mostly miss the response cache.

Bounded and self-stopping: only the server this script starts is ever addressed (127.0.0.1, a free
port); it stops at the deadline or after ``--max-requests`` requests, whichever comes first (requests
then in flight finish, each within ``--timeout`` seconds); ``--duration`` is at most 600 s and
``--connections`` at most 256. The server is stopped (SIGTERM) and the data directory removed.

Reported: requests, requests/s, errors by kind (5xx, other non-2xx, connection errors, timeouts: the
run passes only when there are none, and exits 1 otherwise), p50/p90/p99/max latency per route and
overall, the load average (before, the highest 1-minute figure seen during, after), the server's
memory, and the client's own CPU time (it shares the machine with the server).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote_plus

import httpx

try:
    import uvloop
except ImportError:  # pragma: no cover - pinned in requirements.txt, but the client works without it
    uvloop = None  # type: ignore[assignment]

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT.parent / "shared" / "data" / "arxiv" / "sample-2k.jsonl.gz"
BIN = Path(sys.executable).parent
MAX_DURATION, MAX_CONNECTIONS = 600, 256
# route name -> weight (percent of requests); each route draws its URL from its own list
MIX = {"home": 15, "trending": 8, "search_page": 12, "search_api": 20, "paper": 20,
       "feed_trending": 4, "feed_daily": 3, "feed_search": 3, "hf_daily": 5, "hf_paper": 5, "hf_search": 5}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def words_of(title: str) -> list[str]:
    return [w for w in "".join(c if c.isalnum() else " " for c in title).split() if len(w) > 1]


def route_urls(sample: Path, n: int = 2000, seed: int = 7) -> dict[str, list[str]]:
    """Each route's URLs, drawn from the sample itself."""
    with gzip.open(sample, "rt") as fh:
        rows = [json.loads(line) for line in fh]
    rng = random.Random(seed)
    ids = [r["id"] for r in rows]
    queries = []
    for row in rng.choices(rows, k=n):
        words = words_of(row["title"])
        size = rng.randint(2, 6)
        start = rng.randint(0, max(0, len(words) - size))
        queries.append(quote_plus(" ".join(words[start:start + size]) or "learning"))
    days = sorted({r["announced"][:10] for r in rows if r.get("announced")})
    return {
        "home": ["/"],
        "trending": ["/trending/week", "/trending/month"],
        "search_page": [f"/search?q={q}" for q in queries],
        "search_api": [f"/api/v1/search?q={q}" for q in queries],
        "paper": [f"/paper/{i}" for i in rng.sample(ids, len(ids))],
        "feed_trending": ["/feeds/trending.rss", "/feeds/trending.atom?period=week"],
        "feed_daily": ["/feeds/daily.rss", *[f"/feeds/daily.atom?date={d}" for d in days[-30:]]],
        "feed_search": [f"/feeds/search.rss?q={q}" for q in queries[: n // 4]],
        "hf_daily": ["/api/daily_papers", *[f"/api/daily_papers?date={d}" for d in days[-30:]]],
        "hf_paper": [f"/api/papers/{i}" for i in rng.sample(ids, len(ids))],
        "hf_search": [f"/api/papers/search?q={q}" for q in queries[: n // 2]],
    }


class Mix:
    """One connection's sequence of requests: routes drawn by weight, each route's URLs in turn."""

    def __init__(self, urls: dict[str, list[str]], seed: int) -> None:
        self.urls = urls
        self.rng = random.Random(seed)
        self.names = list(MIX)
        self.weights = [MIX[name] for name in self.names]
        self.position = {name: self.rng.randrange(len(urls[name])) for name in self.names}

    def next(self) -> tuple[str, str]:
        name = self.rng.choices(self.names, self.weights)[0]
        self.position[name] = (self.position[name] + 1) % len(self.urls[name])
        return name, self.urls[name][self.position[name]]


@dataclass
class Tally:
    """What one route (or the whole run) saw."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    server_errors: int = 0
    other_status: int = 0
    connection_errors: int = 0
    timeouts: int = 0

    @property
    def errors(self) -> int:
        return self.server_errors + self.other_status + self.connection_errors + self.timeouts

    def summary(self, seconds: float) -> dict[str, object]:
        ordered = sorted(self.latencies)

        def pct(p: float) -> float | None:
            return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 1) if ordered else None

        return {"requests": len(ordered), "rps": round(len(ordered) / seconds, 1), "errors": self.errors,
                "server_errors_5xx": self.server_errors, "other_non_2xx": self.other_status,
                "connection_errors": self.connection_errors, "timeouts": self.timeouts,
                "statuses": dict(sorted(self.statuses.items())),
                "p50_ms": pct(0.50), "p90_ms": pct(0.90), "p99_ms": pct(0.99),
                "max_ms": round(ordered[-1] * 1000, 1) if ordered else None}


def record(tally: Tally, latency: float, status: int | None, error: str | None) -> None:
    tally.latencies.append(latency)
    if error == "timeout":
        tally.timeouts += 1
    elif error is not None:
        tally.connection_errors += 1
    else:
        assert status is not None
        tally.statuses[str(status)] = tally.statuses.get(str(status), 0) + 1
        if status >= 500:
            tally.server_errors += 1
        elif not 200 <= status < 300:
            tally.other_status += 1


async def connection(base: str, mix: Mix, deadline: float, budget: list[int], tallies: dict[str, Tally],
                     timeout: float) -> None:
    """One client with one keep-alive connection, sending requests back to back until the deadline."""
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout,
                                 headers={"Accept-Encoding": "gzip"}) as client:
        while time.monotonic() < deadline and budget[0] > 0:
            budget[0] -= 1
            name, url = mix.next()
            status: int | None = None
            error: str | None = None
            began = time.perf_counter()
            try:
                async with client.stream("GET", url) as response:
                    async for _ in response.aiter_raw():  # read the body as sent; no decompression
                        pass
                    status = response.status_code
            except httpx.TimeoutException:
                error = "timeout"
            except httpx.TransportError as exc:
                error = type(exc).__name__
            record(tallies[name], time.perf_counter() - began, status, error)


async def drive(base: str, urls: dict[str, list[str]], connections: int, seconds: float, max_requests: int,
                timeout: float) -> tuple[dict[str, Tally], float, float]:
    """Run the load; returns each route's tally, the elapsed seconds and the highest 1-minute load seen."""
    tallies = {name: Tally() for name in MIX}
    budget = [max_requests]
    began = time.monotonic()
    deadline = began + seconds
    peak_load = os.getloadavg()[0]

    async def watch_load() -> None:
        nonlocal peak_load
        while True:
            await asyncio.sleep(1)
            peak_load = max(peak_load, os.getloadavg()[0])

    watcher = asyncio.create_task(watch_load())
    await asyncio.gather(*(connection(base, Mix(urls, seed), deadline, budget, tallies, timeout)
                           for seed in range(connections)))
    elapsed = time.monotonic() - began
    watcher.cancel()
    return tallies, elapsed, peak_load


def run_cli(env: dict[str, str], *args: str) -> str:
    return subprocess.run([str(BIN / "paperwire"), *args], env=env, check=True, capture_output=True,
                          text=True).stdout


def process_tree_rss_mb(pid: int) -> float | None:
    """Resident memory of ``pid`` and its children (Linux; None elsewhere)."""
    try:
        children = {int(p.name): int(p.joinpath("stat").read_text().rsplit(")", 1)[1].split()[1])
                    for p in Path("/proc").iterdir() if p.name.isdigit() and p.joinpath("stat").exists()}
    except OSError:
        return None
    tree = [pid] + [c for c, parent in children.items() if parent == pid]
    total = 0
    for p in tree:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return round(total / 1024, 1)


def wait_ready(base: str, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}")
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit("the server did not start")


def warm(base: str, urls: dict[str, list[str]], processes: int) -> None:
    """Every route a few times per process: indexes opened, the model loaded, templates compiled."""
    with httpx.Client(base_url=base, timeout=120) as client:
        for _ in range(3 * processes):
            for name in MIX:
                client.get(urls[name][0])


def prepare(env: dict[str, str], sample: Path, keyword_only: bool, report: dict[str, object]) -> None:
    stats = json.loads(run_cli(env, "stats", "--json"))
    if stats["papers"] == 0:
        run_cli(env, "import", "--quiet", str(sample))
    if not keyword_only:
        started = time.perf_counter()
        run_cli(env, "embed", "--quiet")
        report["embed_s"] = round(time.perf_counter() - started, 1)
    run_cli(env, "trending", "--recompute", "--limit", "1")
    stats = json.loads(run_cli(env, "stats", "--json"))
    report["papers"], report["embeddings"] = stats["papers"], stats.get("embeddings", 0)
    report["search_mode"] = "hybrid" if stats.get("embeddings") else "keyword (nothing embedded)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--file", type=Path, default=SAMPLE)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--processes", type=int, default=2, help="paperwire serve --processes")
    parser.add_argument("--max-requests", type=int, default=1_000_000)
    parser.add_argument("--timeout", type=float, default=30, help="seconds before a request counts as timed out")
    parser.add_argument("--keyword-only", action="store_true", help="do not embed: every search is keyword")
    parser.add_argument("--keep", type=Path, help="reuse (or create) the data directory here")
    args = parser.parse_args(argv)
    if not 0 < args.duration <= MAX_DURATION or not 0 < args.connections <= MAX_CONNECTIONS:
        parser.error(f"--duration must be in (0, {MAX_DURATION}] and --connections in (0, {MAX_CONNECTIONS}]")
    data_dir = args.keep or Path(tempfile.mkdtemp(prefix="pw-load-"))
    env = {**os.environ, "PAPERWIRE_DATA_DIR": str(data_dir), "PAPERWIRE_DATABASE_URL": "",
           "PAPERWIRE_LOG_LEVEL": "WARNING"}
    report: dict[str, object] = {
        "file": str(args.file), "processes": args.processes, "connections": args.connections,
        "duration_s": args.duration, "max_requests": args.max_requests, "cpus": os.cpu_count(),
        "mix_percent": MIX, "load_average_before": [round(x, 2) for x in os.getloadavg()]}
    try:
        prepare(env, args.file, args.keyword_only, report)
        urls = route_urls(args.file)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([str(BIN / "paperwire"), "serve", "--port", str(port), "--processes",
                                   str(args.processes)], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            wait_ready(base, server)
            warm(base, urls, args.processes)
            report["server_rss_mb_before"] = process_tree_rss_mb(server.pid)
            cpu_before = time.process_time()
            load = drive(base, urls, args.connections, args.duration, args.max_requests, args.timeout)
            # uvloop, as the server: the client shares the two cores with it, so the cheaper the better
            tallies, elapsed, peak = uvloop.run(load) if uvloop else asyncio.run(load)
            report["client_cpu_s"] = round(time.process_time() - cpu_before, 1)
            report["server_rss_mb_after"] = process_tree_rss_mb(server.pid)
            report["server_alive_after"] = server.poll() is None
        finally:
            server.terminate()
            server.wait(timeout=60)
    finally:
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    total = Tally()
    for tally in tallies.values():
        total.latencies += tally.latencies
        for key, count in tally.statuses.items():
            total.statuses[key] = total.statuses.get(key, 0) + count
        total.server_errors += tally.server_errors
        total.other_status += tally.other_status
        total.connection_errors += tally.connection_errors
        total.timeouts += tally.timeouts
    report["elapsed_s"] = round(elapsed, 1)
    report["total"] = total.summary(elapsed)
    report["routes"] = {name: tally.summary(elapsed) for name, tally in tallies.items()}
    report["load_average_peak_1min"] = round(peak, 2)
    report["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    report["ok"] = total.errors == 0 and bool(report["server_alive_after"])
    print(json.dumps(report, indent=2))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())

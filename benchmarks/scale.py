"""Whole-arXiv scale: a corpus of N copies of the 75k cs papers, on SQLite and PostgreSQL; prints one JSON object.

    .venv/bin/python benchmarks/scale.py [--copies 36] [--data /work/data-h17] [--backends sqlite,postgres]
                                         [--anchors 2000] [--queries 200] [--subscribers 10000]
                                         [--exact-limit 100000] [--skip web,digest,copy] [--reuse] [--shards 1,2]
                                         [--index-memory-mb 4000]

``--reuse`` keeps each backend's instance (its database URL in ``db.url`` of its work directory, its
PostgreSQL schema kept between runs), runs the build steps ``steps.json`` does not list as done, then
measures; a fresh run drops the previous instance first.

The corpus: copy 0 is arxiv/cs-2025-2026.jsonl.gz (74,728 papers); copy k moves every paper's
announcement date and id month back by 3·k months (copy 35 reaches 2016-08, so every id is a valid
5-digit new-style id: arXiv used 4-digit numbers before 2015) and numbers the papers of each target month
1, 2, 3, … in file order (distinct ids; about 6 copies overlap in a month, some 25,000 papers a month, as
arXiv has now), and appends one of a few words to the title, so the keyword index is not trivially
deduplicated. 36 copies ≈ 2.7M papers. The file
is written once into ``--data`` (outside the repository) and reused.

Vectors: no real vectors are stored on this machine and embedding 2.7M papers takes hours, so each paper
gets a deterministic pseudo-real vector: ``--anchors`` papers of the corpus are embedded with the real
model (cached in ``--data``); the paper in row r of the corpus gets anchor ``r mod anchors`` plus
Gaussian noise (σ 0.02 per component, seeded by the corpus chunk), renormalised — the construction of
``benchmarks/search.py``'s 1M corpus. They are written to the store as the real model's embeddings, so
search, the vector index and the web process use them as they would real ones.

Measured per backend: import rate (``paperwire import``, the keyword index following), keyword index
build from scratch (time, size on disk, peak RSS), writing the vectors, vector index build (time, peak
RSS of the building process; IVF once the store holds more than ``--exact-limit`` vectors), web process
RSS after a warm-up (``paperwire serve`` with one process: searches and paper pages), keyword and hybrid
search p50/p95 (the library's ``search()``), IVF recall@100 of the query vectors against an exact float
scan, trending recompute (with ``benchmarks/trending.py``'s synthetic activity), building the daily
digests of ``--subscribers`` subscribers (``benchmarks/digest.py``'s topics; build only, no delivery),
and ``paperwire copy`` SQLite → PostgreSQL. The load average is recorded beside each figure: the machine
is shared.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the other benchmarks' corpus helpers

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "data" / "arxiv" / "cs-2025-2026.jsonl.gz"
PG = os.environ.get("PAPERWIRE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
MONTHS_PER_COPY = 3
WORDS = ("revisited", "extended", "in practice", "at scale", "a survey", "a case study", "reconsidered",
         "and beyond", "made simple", "in the wild", "a second look", "for everyone")
DIM = 384


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def peak_rss_mb() -> int:
    """This process's peak RSS (VmHWM: ru_maxrss of an exec'd child starts at its parent's RSS on Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024)
    return 0


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


# -- the corpus ---------------------------------------------------------------------------------------
def shift(yymm: str, months: int) -> str:
    total = (2000 + int(yymm[:2])) * 12 + int(yymm[2:]) - 1 - months
    return f"{total // 12 % 100:02d}{total % 12 + 1:02d}"


def build_corpus(path: Path, copies: int) -> dict[str, int]:
    """Write the remapped corpus (if missing); its counts."""
    if copies > 36:
        raise SystemExit("at most 36 copies: about 2.7M papers, the size of all of arXiv")
    if path.exists():
        counts: dict[str, int] = json.loads(path.with_suffix(".json").read_text())
        return counts
    with gzip.open(SOURCE, "rt") as fh:
        records = [json.loads(line) for line in fh]
    numbers: dict[str, int] = {}  # the last number given in each target month
    written = 0
    tmp = path.with_suffix(".tmp")
    with gzip.open(tmp, "wt", compresslevel=1) as out:
        for k in range(copies):
            for j, r in enumerate(records):
                # a few old papers (ids of 2010–2014) would move before 2015: they go to 1501
                yymm = max(shift(r["id"].split(".")[0], MONTHS_PER_COPY * k), "1501")
                numbers[yymm] = number = numbers.get(yymm, 0) + 1
                if number > 99999:
                    raise SystemExit(f"month {yymm} is full")
                rec = dict(r, id=f"{yymm}.{number:05d}")
                if k:
                    day = date.fromisoformat(r["announced"])
                    total = day.year * 12 + day.month - 1 - MONTHS_PER_COPY * k
                    rec["announced"] = date(total // 12, total % 12 + 1, min(day.day, 28)).isoformat()
                    rec["title"] = f"{r['title']}: {WORDS[(j + k) % len(WORDS)]}"
                out.write(json.dumps(rec) + "\n")
                written += 1
    tmp.rename(path)
    counts = {"papers": written, "copies": copies, "originals": len(records),
              "months": len(numbers), "busiest_month": max(numbers.values())}
    path.with_suffix(".json").write_text(json.dumps(counts))
    return counts


def anchors(data: Path, n: int) -> np.ndarray:
    """``n`` papers of the original file embedded with the real model (cached)."""
    cache = data / f"anchors-{n}.npy"
    if cache.exists():
        cached: np.ndarray = np.load(cache)
        return cached
    from paperwire.config import Settings
    from paperwire.search.embedder import Embedder

    with gzip.open(SOURCE, "rt") as fh:
        records = [json.loads(line) for line in fh]
    step = max(1, len(records) // n)
    texts = [f"{r['title']}. {r['abstract']}" for r in records[::step][:n]]
    settings = Settings(data_dir=data / "model")
    vectors = Embedder.from_settings(settings).embed(texts)
    np.save(cache, vectors)
    return vectors


def pseudo_vectors(anchor: np.ndarray, start: int, stop: int) -> np.ndarray:
    """The vectors of corpus rows ``start:stop`` (chunk-aligned at 10,000 rows for determinism)."""
    out = []
    for chunk in range(start // 10_000, (stop + 9_999) // 10_000):
        rows = np.arange(chunk * 10_000, (chunk + 1) * 10_000)
        base = anchor[rows % len(anchor)]
        noisy = base + np.random.default_rng(chunk).normal(0, 0.02, base.shape).astype(np.float32)
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        out.append(noisy)
    matrix = np.concatenate(out)
    offset = (start // 10_000) * 10_000
    return matrix[start - offset : stop - offset].astype(np.float32)


# -- phases run in a child process, so their peak RSS is their own ------------------------------------
def settings_for(db: str, data_dir: Path, exact_limit: int, semantic: bool = True, shards: int | None = None) -> Any:
    """The instance's settings; the keyword index's shards from PAPERWIRE_SEARCH_INDEX_SHARDS (``--shards``,
    set for every child process too) unless ``shards`` says."""
    from paperwire.config import Settings

    chosen = {} if shards is None else {"search_index_shards": shards}
    return Settings(database_url=db, data_dir=data_dir, semantic_search=semantic, vector_exact_limit=exact_limit,
                    index_refresh_seconds=3600, anonymous_rate_per_minute=0, **chosen)


def phase_keyword(db: str, data_dir: Path, exact_limit: int) -> dict[str, Any]:
    from paperwire.runtime import Runtime

    runtime = Runtime(settings_for(db, data_dir, exact_limit, semantic=False))
    started = time.perf_counter()
    runtime.indexes.sync()
    seconds = time.perf_counter() - started
    path = runtime.indexes.keyword.path
    size = du(path) if path else 0
    runtime.close()
    return {"seconds": round(seconds, 1), "size_mb": round(size / 2**20),
            "peak_rss_mb": peak_rss_mb()}


def phase_vector_index(db: str, data_dir: Path, exact_limit: int) -> dict[str, Any]:
    from paperwire.runtime import Runtime

    runtime = Runtime(settings_for(db, data_dir, exact_limit))
    before = peak_rss_mb()
    started = time.perf_counter()
    runtime.indexes.sync()
    seconds = time.perf_counter() - started
    vectors = runtime.indexes.vectors
    assert vectors is not None
    vectors.save_if_due(force=True)
    info = {"seconds": round(seconds, 1), "vectors": len(vectors.index), "ivf": vectors.index.is_ann,
            "saved_mb": round(du(vectors.path) / 2**20),
            "rss_before_mb": round(before),
            "peak_rss_mb": peak_rss_mb()}
    runtime.close()
    return info


PHASES = {"keyword": phase_keyword, "vector-index": phase_vector_index}


def child(phase: str, db: str, data_dir: Path, exact_limit: int) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--phase", phase, "--db", db, "--data-dir", str(data_dir),
                          "--exact-limit", str(exact_limit)], check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    result["loadavg"] = load()
    return result


# -- the measurements -------------------------------------------------------------------------------
def paperwire(db: str, data_dir: Path, *args: str) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "paperwire", "--db", db, "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True)
    if done.returncode:  # a run of an hour must say why it stopped
        raise SystemExit(f"paperwire {' '.join(args)} exited {done.returncode}:\n{done.stderr[-4000:]}")
    return time.perf_counter() - started


def corpus_ids(path: Path) -> list[str]:
    with gzip.open(path, "rt") as fh:
        return [json.loads(line)["id"] for line in fh]


def write_vectors(db: str, data_dir: Path, ids: list[str], anchor: np.ndarray) -> dict[str, Any]:
    from paperwire.search.embed_papers import quantize
    from paperwire.search.embedder import LazyEmbedder
    from paperwire.store import open_store

    settings = settings_for(db, data_dir, 1000)
    model = LazyEmbedder(settings).model_id
    store = open_store(db)
    head = store.papers.max_seq()  # every paper's change counter is at most this: none looks stale
    started = time.perf_counter()
    for start in range(0, len(ids), 20_000):
        chunk = ids[start : start + 20_000]
        vectors = pseudo_vectors(anchor, start, start + len(chunk))
        store.embeddings.save_embeddings(model, DIM, [
            (pid, data, scale, "pseudo", head)
            for pid, (data, scale) in zip(chunk, quantize(vectors), strict=True)])
    seconds = time.perf_counter() - started
    store.close()
    return {"vectors": len(ids), "seconds": round(seconds, 1), "per_s": round(len(ids) / seconds),
            "loadavg": load()}


def web_rss(db: str, data_dir: Path, exact_limit: int, queries: list[str], ids: list[str]) -> dict[str, Any]:
    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "PAPERWIRE_VECTOR_EXACT_LIMIT": str(exact_limit), "PAPERWIRE_ANONYMOUS_RATE_PER_MINUTE": "0",
           "PAPERWIRE_WEB_PROCESSES": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "paperwire", "--db", db, "--data-dir", str(data_dir), "serve",
                             "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        started = time.perf_counter()
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            for _ in range(1200):
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.25)
            ready = time.perf_counter() - started
            for q in queries[:40]:
                client.get("/api/v1/search", params={"q": q})
            for pid in ids[:: max(1, len(ids) // 40)][:40]:
                client.get(f"/paper/{pid}")
        rss = sum(_rss(pid) for pid in [proc.pid, *_children(proc.pid)])
    finally:
        proc.terminate()
        proc.wait(60)
    return {"ready_s": round(ready, 1), "rss_mb": round(rss / 1024), "loadavg": load()}


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                found += [int(entry.name), *_children(int(entry.name))]
    return found


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def search_latency(db: str, data_dir: Path, exact_limit: int, queries: list[str], ids: list[str],
                   anchor: np.ndarray, shards: list[int]) -> dict[str, Any]:
    """Keyword and hybrid p50/p95 end to end; with several shard counts (``--shards 1,2``) one runtime each
    (its keyword index built from the store first), every query run on each in turn, the order rotating,
    so that all see the same machine. The first count's figures are ``keyword`` and ``hybrid``."""
    from paperwire.runtime import Runtime
    from paperwire.search.engine import SearchRequest, search

    runtimes = [Runtime(settings_for(db, data_dir, exact_limit, shards=n)) for n in shards]
    for runtime in runtimes:
        runtime.indexes.sync()
    runtime = runtimes[0]
    out: dict[str, Any] = {}
    for mode in ("keyword", "hybrid"):
        times: list[list[float]] = [[] for _ in runtimes]
        for i, q in enumerate(queries[:10] + queries):
            for j in (np.arange(len(runtimes)) + i) % len(runtimes):
                rt = runtimes[j]
                started = time.perf_counter()
                search(rt.store, rt.indexes, SearchRequest(q, limit=10, mode=mode), rt.search_policy)
                if i >= 10:  # the first 10: warming up
                    times[j].append((time.perf_counter() - started) * 1000)
        for n, values in zip(shards, times, strict=True):
            figures = {"queries": len(values), "p50_ms": round(statistics.median(values), 1),
                       "p95_ms": round(percentile(values, 95), 1), "loadavg": load()}
            out.setdefault(mode, figures)
            if len(shards) > 1:
                out.setdefault("by_shards", {}).setdefault(str(n), {})[mode] = figures
    vectors, embedder = runtime.indexes.vectors, runtime.embedder
    assert vectors is not None and embedder is not None
    qv = np.stack([embedder.embed_query(q) for q in queries[:100]]).astype(np.float32)
    exact = exact_top(qv, anchor, len(ids), 100)
    hits = 0
    for i, q in enumerate(qv):
        found = {key for key, _ in vectors.index.search(q, 100)}
        hits += len(found & {ids[r] for r in exact[i]})
    out["ivf"] = {"ivf": vectors.index.is_ann, "nprobe": runtime.settings.vector_nprobe,
                  "recall_at_100": round(hits / (100 * len(qv)), 3), "queries": len(qv)}
    for rt in runtimes:
        rt.close()
    return out


def exact_top(qv: np.ndarray, anchor: np.ndarray, n: int, k: int) -> np.ndarray:
    """Rows of the exact float top ``k`` of each query over the ``n`` pseudo vectors."""
    best_scores = np.full((len(qv), 0), -np.inf, dtype=np.float32)
    best_rows = np.zeros((len(qv), 0), dtype=np.int64)
    for start in range(0, n, 100_000):
        scores = qv @ pseudo_vectors(anchor, start, min(n, start + 100_000)).T
        rows = np.broadcast_to(np.arange(start, start + scores.shape[1]), scores.shape)
        all_scores = np.concatenate([best_scores, scores], axis=1)
        all_rows = np.concatenate([best_rows, rows], axis=1)
        top = np.argpartition(-all_scores, min(k, all_scores.shape[1] - 1), axis=1)[:, :k]
        best_scores = np.take_along_axis(all_scores, top, axis=1)
        best_rows = np.take_along_axis(all_rows, top, axis=1)
    return best_rows


def trending_time(db: str, data_dir: Path) -> dict[str, Any]:
    from trending import add_activity

    from paperwire.store import open_store
    from paperwire.trending import recompute

    store = open_store(db)
    newest = store.papers.latest_day()
    assert newest is not None
    now = datetime.combine(newest, dtime(12), tzinfo=UTC) + timedelta(days=1)
    add_activity(store, now, 5000, 45)
    started = time.perf_counter()
    ranked = recompute(store, settings_for(db, data_dir, 1000), now)
    seconds = time.perf_counter() - started
    store.close()
    return {"seconds": round(seconds, 1), "ranked": ranked, "loadavg": load()}


def digest_time(db: str, data_dir: Path, exact_limit: int, subscribers: int) -> dict[str, Any]:
    from digest import topic_pool, write_subscribers

    from paperwire.digest.build import build_digests
    from paperwire.digest.subscriptions import import_csv
    from paperwire.runtime import Runtime

    settings = settings_for(db, data_dir, exact_limit)
    runtime = Runtime(settings)
    runtime.indexes.sync()
    csv_path = data_dir / "subscribers.csv"
    write_subscribers(csv_path, subscribers, topic_pool(SOURCE, 7), 7)
    import_csv(runtime.store, settings, csv_path, "bench")
    newest = runtime.store.papers.latest_day()
    assert newest is not None
    report = build_digests(runtime.store, runtime.indexes, settings, "daily", newest + timedelta(days=1))
    runtime.close()
    return {"subscribers": report.subscribers, "built": report.built, "seconds": round(report.seconds, 1),
            "loadavg": load()}


def new_pg() -> str:
    return f"{PG}?schema=scale_{uuid.uuid4().hex[:8]}"


def run_backend(backend: str, args: argparse.Namespace, corpus: Path, ids: list[str], anchor: np.ndarray,
                queries: list[str]) -> tuple[str, Path, dict[str, Any]]:
    """Build the instance of ``backend`` step by step (each step's figures kept in ``steps.json`` of its
    work directory), then measure it. ``--reuse`` keeps the instance an earlier run built and runs only
    the build steps it has not finished (e.g. after a fix to one of them), then measures again."""
    work = args.data / f"{backend}-{args.copies}"
    data_dir = work / "data"
    done: dict[str, Any] = {}
    if args.reuse:
        if not (work / "db.url").is_file():
            raise SystemExit(f"--reuse: no instance in {work}: build one first, without --reuse")
        db = (work / "db.url").read_text().strip()
        if (work / "steps.json").is_file():
            done = json.loads((work / "steps.json").read_text())
    else:
        drop_instance(work)
        work.mkdir(parents=True)
        db = f"sqlite:///{work / 'paperwire.db'}" if backend == "sqlite" else new_pg()
        (work / "db.url").write_text(db + "\n")
    env_limit = args.exact_limit
    steps = {
        "import": lambda: import_step(db, data_dir, corpus, len(ids)),
        "keyword_index": lambda: keyword_step(db, data_dir, env_limit),
        "vectors_written": lambda: write_vectors(db, data_dir, ids, anchor),
        "vector_index": lambda: child("vector-index", db, data_dir, env_limit),
    }
    out: dict[str, Any] = {}
    for name, step in steps.items():
        if name in done:
            out[name] = {**done[name], "run": "earlier"}
            continue
        out[name] = done[name] = step()
        (work / "steps.json").write_text(json.dumps(done, indent=2))
        print(json.dumps({backend: {name: out[name]}}), file=sys.stderr, flush=True)
    return db, data_dir, measure(backend, args, db, data_dir, ids, anchor, queries, out)


def drop_instance(work: Path) -> None:
    """Remove the instance in ``work`` (and its PostgreSQL schema) before building it anew."""
    url = work / "db.url"
    if url.is_file() and url.read_text().startswith("postgresql"):
        from paperwire.store.postgres import drop_schema

        drop_schema(url.read_text().strip())
    shutil.rmtree(work, ignore_errors=True)


def children_cpu() -> float:
    """CPU seconds (user + system) of the finished children, theirs included (the import's follower)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def import_step(db: str, data_dir: Path, corpus: Path, papers: int) -> dict[str, Any]:
    cpu = children_cpu()
    seconds = paperwire(db, data_dir, "import", "--quiet", str(corpus))
    cpu = children_cpu() - cpu
    # on C cores no schedule of the same work beats C / (CPU per paper)
    return {"papers": papers, "seconds": round(seconds, 1), "papers_per_s": round(papers / seconds),
            "cpu_s": round(cpu, 1), "cpu_us_per_paper": round(cpu / papers * 1e6),
            "loadavg": load(), "note": "paperwire import, the keyword index following"}


def keyword_step(db: str, data_dir: Path, exact_limit: int) -> dict[str, Any]:
    shutil.rmtree(data_dir / "index", ignore_errors=True)
    return {**child("keyword", db, data_dir, exact_limit), "note": "built from scratch after the import"}


def measure(backend: str, args: argparse.Namespace, db: str, data_dir: Path, ids: list[str], anchor: np.ndarray,
            queries: list[str], out: dict[str, Any]) -> dict[str, Any]:
    """The measurements on a built instance: search, web, trending, digests (those not in ``--skip``)."""
    env_limit = args.exact_limit
    steps = {
        "search": lambda: search_latency(db, data_dir, env_limit, queries, ids, anchor, args.shards),
        "web": lambda: web_rss(db, data_dir, env_limit, queries, ids),
        "trending": lambda: trending_time(db, data_dir),
        "digest": lambda: digest_time(db, data_dir, env_limit, args.subscribers),
    }
    for name, step in steps.items():
        if name in args.skip:
            continue
        try:  # one failed measurement must not lose the others of a long run
            out[name] = step()
        except Exception as exc:
            out[name] = {"error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps({backend: {name: out[name]}}), file=sys.stderr, flush=True)
    if backend == "sqlite":
        out["disk_mb"] = {"database": round(Path(db[len("sqlite:///"):]).stat().st_size / 2**20),
                          "indexes": round(du(data_dir / "index") / 2**20) if (data_dir / "index").exists() else 0}
    print(json.dumps({backend: out}), file=sys.stderr, flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=36)
    parser.add_argument("--data", type=Path, default=Path("/work/data-h17"))
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--anchors", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--exact-limit", type=int, default=100_000)
    parser.add_argument("--skip", default="", help="comma-separated: search, web, trending, digest, copy")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the instances an earlier run built: finish their build steps, measure again")
    parser.add_argument("--shards", default="1", help="the keyword index's shards (search_index_shards) for the "
                        "build and every measurement; a list (1,2): search measured with each, queries alternating")
    parser.add_argument("--index-memory-mb", type=int, help="the keyword index writer's memory "
                        "(search_index_memory_mb) for the import and the index build (default: the setting's); with 2 "
                        "shards at 2.84M papers, 128 left 7 segments a shard and 2000 left 2")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(PHASES[args.phase](args.db, args.data_dir, args.exact_limit)))
        return
    args.skip = set(filter(None, args.skip.split(",")))
    args.shards = [int(n) for n in args.shards.split(",")]
    os.environ["PAPERWIRE_SEARCH_INDEX_SHARDS"] = str(args.shards[0])  # the import and every child read it
    if args.index_memory_mb:
        os.environ["PAPERWIRE_SEARCH_INDEX_MEMORY_MB"] = str(args.index_memory_mb)
    args.data.mkdir(parents=True, exist_ok=True)
    from import_search import make_queries

    from paperwire.config import Settings

    result: dict[str, Any] = {"benchmark": "scale", "copies": args.copies, "cpus": os.cpu_count(),
                              "shards": args.shards,
                              "index_memory_mb": int(os.environ.get("PAPERWIRE_SEARCH_INDEX_MEMORY_MB",
                                                                    Settings.model_fields["search_index_memory_mb"].default)),
                              "exact_limit": args.exact_limit, "loadavg_start": load()}
    corpus = args.data / f"corpus-{args.copies}.jsonl.gz"
    started = time.perf_counter()
    result["corpus"] = build_corpus(corpus, args.copies)
    result["corpus"]["build_s"] = round(time.perf_counter() - started, 1)
    anchor = anchors(args.data, args.anchors)
    ids = corpus_ids(corpus)
    queries = make_queries(SOURCE, args.queries)
    for backend in args.backends.split(","):
        _, _, result[backend] = run_backend(backend, args, corpus, ids, anchor, queries)
    sqlite_url = args.data / f"sqlite-{args.copies}" / "db.url"
    if "copy" not in args.skip and sqlite_url.is_file():  # the SQLite instance of this run or an earlier one
        from paperwire.store.postgres import drop_schema

        target = new_pg()
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "paperwire", "copy", "--from", sqlite_url.read_text().strip(),
                        "--to", target], check=True, capture_output=True)
        result["copy_sqlite_to_postgres"] = {"seconds": round(time.perf_counter() - started, 1), "loadavg": load()}
        print(json.dumps({"copy_sqlite_to_postgres": result["copy_sqlite_to_postgres"]}), file=sys.stderr,
              flush=True)
        drop_schema(target)
    result["loadavg_end"] = load()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

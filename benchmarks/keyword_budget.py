"""The keyword query budget (``QueryBudget``): latency at whole-arXiv scale and what it costs in quality.

    .venv/bin/python benchmarks/keyword_budget.py latency [--copies 36] [--data /work/data-h17] [--queries 200]
                                                  [--budgets 0/0,1500000/200,1500000/100] [--limits 10,100]
                                                  [--shards 1]
    .venv/bin/python benchmarks/keyword_budget.py quality [--budgets 0/0,1500000/200,800000/1000]
                                                  [--scale-to 2690208] [--shards 1]
    .venv/bin/python benchmarks/keyword_budget.py shards --shards 2 [--budgets …] [--limits 10]
    .venv/bin/python benchmarks/keyword_budget.py engine --db sqlite:////work/data-h17/sqlite-36/paperwire.db \
                                                  --data-dir /work/data-h17/sqlite-36/data [--budgets …] [--shards 1]

``latency``: the corpus of ``benchmarks/scale.py`` (``--copies`` copies of the 75k cs papers, written once
into ``--data``), indexed straight into a tantivy index in ``--data`` (no store: this measures the keyword
index alone; ``engine`` below adds the identity lookup and reading the papers from the store); then the same
200 queries as ``scale.py`` (5–40-word windows of abstracts) under each budget ``max_postings/candidates``
(0/0: off), p50/p95 per page size, and the postings a query reads (the sum of its words' document
frequencies in ``text``).

``quality``: keyword MRR@10 of ``benchmarks/known_items_75k.jsonl`` (all splits) over the 75k corpus, with
each budget scaled down by 74,728 / ``--scale-to`` so that the queries it splits at 75k are those it would
split at that size (a query's postings grow with the corpus; the candidates are scaled alike, at least 10).
With no scaling, no query of the set reaches the default budget at 75k.

``shards``: the same corpus's index in one shard against ``--shards`` shards searched in parallel
(``search_index_shards``; both built in ``--data`` the first time), each query run on both in turn, the
first of the two alternating; p50/p95 of each and the median of the per-query speed-up.

``engine``: keyword-mode ``search()`` of the library (what the web page and API run: the identity lookup,
the index, the page's papers read from the store) on an instance built by ``paperwire import`` of the same
corpus, the same 200 queries, page of 10, under each budget.

One JSON object on stdout; the load average beside each figure (the machine is shared).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale import SOURCE, build_corpus, percentile

from paperwire.models import IndexEntry
from paperwire.search.keyword import KeywordIndex, QueryBudget
from paperwire.search.query import ParsedQuery, words_of

ROOT = Path(__file__).resolve().parent.parent


def entries(path: Path) -> Iterator[IndexEntry]:
    with gzip.open(path, "rt") as fh:
        for seq, line in enumerate(fh):
            r = json.loads(line)
            day = date.fromisoformat(r["announced"]) if r.get("announced") else None
            yield IndexEntry(seq, r["id"], r["title"], r.get("abstract", ""), r.get("authors", []),
                             r.get("categories", []), day)


def budgets(spec: str) -> list[tuple[int, int]]:
    return [(int(a), int(b)) for a, b in (part.split("/") for part in spec.split(","))]


def latency(args: argparse.Namespace) -> dict[str, Any]:
    from import_search import make_queries

    args.data.mkdir(parents=True, exist_ok=True)
    corpus = args.data / f"corpus-{args.copies}.jsonl.gz"
    counts = build_corpus(corpus, args.copies)
    index, built = _index(args, corpus, args.shards)
    queries = make_queries(SOURCE, args.queries)
    postings = [index.postings(ParsedQuery(words=words_of(q))) for q in queries]
    result: dict[str, Any] = {"corpus": counts, "documents": index.num_docs(), "shards": args.shards,
                              "index_build": built,
                              "postings_per_query": {"p50": percentile(postings, 50), "p95": percentile(postings, 95),
                                                     "max": max(postings)}, "runs": []}
    for max_postings, candidates in budgets(args.budgets):
        index.budget = QueryBudget(max_postings, max(candidates, 10))
        split = sum(1 for p in postings if max_postings and p > max_postings)
        for limit in (int(x) for x in args.limits.split(",")):
            for q in queries[:20]:  # warm the page cache
                index.search(ParsedQuery(words=words_of(q)), limit)
            times = []
            for q in queries:
                started = time.perf_counter()
                index.search(ParsedQuery(words=words_of(q)), limit)
                times.append((time.perf_counter() - started) * 1000)
            result["runs"].append({"max_postings": max_postings, "candidates": candidates, "limit": limit,
                                   "queries_split": split, "p50_ms": round(statistics.median(times), 1),
                                   "p95_ms": round(percentile(times, 95), 1), "load": os.getloadavg()[0]})
            print(json.dumps(result["runs"][-1]), file=sys.stderr)
    return result


def _index(args: argparse.Namespace, corpus: Path, shards: int) -> tuple[KeywordIndex, dict[str, Any]]:
    """The corpus's keyword index in ``shards`` shards, built into ``--data`` the first time."""
    path = args.data / (f"keyword-{args.copies}" + (f"-{shards}shards" if shards > 1 else ""))
    built: dict[str, Any] = {}
    if not (path / ".complete").exists():
        started = time.perf_counter()
        KeywordIndex(path, heap_bytes=400_000_000, threads=2, shards=shards).write(entries(corpus), replace=False,
                                                                                  clear=True)
        (path / ".complete").write_text("")
        built = {"seconds": round(time.perf_counter() - started, 1), "load": os.getloadavg()[0]}
    return KeywordIndex(path, shards=shards), built


def shards(args: argparse.Namespace) -> dict[str, Any]:
    """One index against ``--shards`` shards, each query run on both in turn (which goes first alternates),
    so that both see the same machine."""
    from import_search import make_queries

    args.data.mkdir(parents=True, exist_ok=True)
    corpus = args.data / f"corpus-{args.copies}.jsonl.gz"
    counts = build_corpus(corpus, args.copies)
    one, built_one = _index(args, corpus, 1)
    split, built_split = _index(args, corpus, args.shards)
    queries = [ParsedQuery(words=words_of(q)) for q in make_queries(SOURCE, args.queries)]
    result: dict[str, Any] = {"corpus": counts, "documents": [one.num_docs(), split.num_docs()], "shards": args.shards,
                              "index_build": {"1": built_one, str(args.shards): built_split}, "runs": []}
    for max_postings, candidates in budgets(args.budgets):
        one.budget = split.budget = QueryBudget(max_postings, max(candidates, 10))
        for limit in (int(x) for x in args.limits.split(",")):
            for pq in queries[:20]:  # warm the page cache
                one.search_page(pq, limit)
                split.search_page(pq, limit)
            times: dict[str, list[float]] = {"one": [], "shards": []}
            for i, pq in enumerate(queries):
                for name, index in ((("one", one), ("shards", split)) if i % 2 else (("shards", split), ("one", one))):
                    started = time.perf_counter()
                    index.search_page(pq, limit)
                    times[name].append((time.perf_counter() - started) * 1000)
            ratio = [a / b for a, b in zip(times["one"], times["shards"], strict=True)]
            run = {"max_postings": max_postings, "candidates": candidates, "limit": limit}
            for name, values in times.items():
                run |= {f"{name}_p50_ms": round(statistics.median(values), 1),
                        f"{name}_p95_ms": round(percentile(values, 95), 1)}
            run |= {"speedup_median": round(statistics.median(ratio), 2), "load": os.getloadavg()[0]}
            result["runs"].append(run)
            print(json.dumps(run), file=sys.stderr)
    return result


def quality(args: argparse.Namespace) -> dict[str, Any]:
    index = KeywordIndex(None, heap_bytes=400_000_000, shards=args.shards)
    index.write(entries(SOURCE), replace=False)
    items = [json.loads(line) for line in (ROOT / "benchmarks" / "known_items_75k.jsonl").open()]
    factor = index.num_docs() / args.scale_to
    result: dict[str, Any] = {"documents": index.num_docs(), "shards": args.shards, "scale_to": args.scale_to,
                              "runs": []}
    for max_postings, candidates in budgets(args.budgets):
        index.budget = QueryBudget(round(max_postings * factor), max(10, round(candidates * factor)))
        reciprocal: dict[str, list[float]] = {}
        split: dict[str, int] = {}
        for item in items:
            query = ParsedQuery(words=words_of(item["query"]))
            if index.budget.max_postings and index.postings(query) > index.budget.max_postings:
                split[item["kind"]] = split.get(item["kind"], 0) + 1
            hits, _ = index.search(query, 10)
            keys = [key for key, _ in hits]
            rank = keys.index(item["id"]) + 1 if item["id"] in keys else 0
            reciprocal.setdefault(item["kind"], []).append(1 / rank if rank else 0.0)
        run = {"max_postings": max_postings, "candidates": candidates,
               "scaled": [index.budget.max_postings, index.budget.candidates]}
        run |= {f"mrr10_{kind}": round(statistics.mean(v), 3) for kind, v in reciprocal.items()}
        run |= {f"split_{kind}": f"{split.get(kind, 0)}/{len(v)}" for kind, v in reciprocal.items()}
        result["runs"].append(run)
        print(json.dumps(run), file=sys.stderr)
    return result


def keyword_latency(runtime: Any, queries: list[str]) -> dict[str, Any]:
    """p50 / p95 of keyword-mode ``search()`` over ``queries`` (page of 10) after 20 of them as a warm-up."""
    from paperwire.search.engine import SearchRequest, search

    for q in queries[:20]:
        search(runtime.store, runtime.indexes, SearchRequest(q, limit=10, mode="keyword"), runtime.search_policy)
    times = []
    for q in queries:
        started = time.perf_counter()
        search(runtime.store, runtime.indexes, SearchRequest(q, limit=10, mode="keyword"), runtime.search_policy)
        times.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(statistics.median(times), 1), "p95_ms": round(percentile(times, 95), 1),
            "load": os.getloadavg()[0]}


def keyword_runtime(db: str, data_dir: Path, shards: int) -> Any:
    """A keyword-only runtime on a built instance, its index brought up to date (no refresh while measuring)."""
    from paperwire.config import Settings
    from paperwire.runtime import Runtime

    runtime = Runtime(Settings(database_url=db, data_dir=data_dir, semantic_search=False,
                               index_refresh_seconds=3600, anonymous_rate_per_minute=0,
                               search_index_shards=shards))
    runtime.indexes.sync()
    return runtime


def engine(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword-mode ``search()`` end to end (identity, index, the store's papers) on a built instance."""
    from import_search import make_queries

    runtime = keyword_runtime(args.db, args.data_dir, args.shards)
    queries = make_queries(SOURCE, args.queries)
    result: dict[str, Any] = {"documents": runtime.indexes.keyword.num_docs(), "runs": []}
    for max_postings, candidates in budgets(args.budgets):
        runtime.indexes.keyword.budget = QueryBudget(max_postings, max(candidates, 10))
        result["runs"].append({"max_postings": max_postings, "candidates": candidates, "limit": 10,
                               **keyword_latency(runtime, queries)})
        print(json.dumps(result["runs"][-1]), file=sys.stderr)
    runtime.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=["latency", "quality", "engine", "shards"])
    parser.add_argument("--db", help="engine: the instance's database URL")
    parser.add_argument("--data-dir", type=Path, help="engine: the instance's data directory")
    parser.add_argument("--copies", type=int, default=36)
    parser.add_argument("--data", type=Path, default=Path("/work/data-h17"))
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--shards", type=int, default=1, help="latency, quality, engine: the keyword index in "
                        "this many shards searched in parallel (search_index_shards)")
    parser.add_argument("--budgets", default="0/0,1500000/1000,1500000/200,1500000/100,400000/100")
    parser.add_argument("--limits", default="10,100")
    parser.add_argument("--scale-to", type=int, default=2_690_208)
    args = parser.parse_args()
    run = {"latency": latency, "quality": quality, "engine": engine, "shards": shards}[args.what]
    print(json.dumps(run(args), indent=1))


if __name__ == "__main__":
    main()

"""Keyword engines compared on the same data: why Paperwire uses tantivy. Prints one JSON object.

    .venv/bin/python benchmarks/keyword_engines.py [--papers N] [--pg postgresql://...]

Engines, each with BM25-style ranking over title + abstract:
- tantivy: Paperwire's keyword index (paperwire.search.keyword), title boost as configured;
- sqlite-fts5: an FTS5 table (porter tokenizer), ``bm25()`` with the same column weights, query
  terms OR-ed (AND would return nothing for long natural-language queries);
- postgres-fts: a weighted tsvector (title A, abstract B) with a GIN index, ``ts_rank_cd`` over an
  OR-ed ``to_tsquery('english', ...)``;
For each: build time and query latency p50/p95 at N papers (200 seeded 5–40-word queries taken from
real abstracts), and SciFact nDCG@10 (809 training queries) for ranking quality.
This script holds its own SQL on purpose: it measures alternatives the product does not use.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from paperwire.models import IndexEntry
from paperwire.search.evaluation import load_beir
from paperwire.search.keyword import TITLE_BOOST, KeywordIndex
from paperwire.search.metrics import mean_metrics
from paperwire.search.query import ParsedQuery, words_of

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
Docs = list[tuple[str, str, str]]
Search = Callable[[str, int], list[str]]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def load_papers(n: int) -> Docs:
    docs = []
    with gzip.open(SHARED / "arxiv" / "cs-2025-2026.jsonl.gz", "rt") as fh:
        for line in fh:
            r = json.loads(line)
            docs.append((r["id"], r["title"], " ".join(r["abstract"].split())))
            if len(docs) >= n:
                break
    return docs


def queries_from(docs: Docs, n: int = 200) -> list[str]:
    import random

    rng = random.Random(7)
    out = []
    for _, _, abstract in rng.sample(docs, n):
        words = words_of(abstract)
        size = rng.randint(5, 40)
        start = rng.randint(0, max(0, len(words) - size))
        out.append(" ".join(words[start : start + size]))
    return out


def terms(text: str) -> list[str]:
    return [w.lower() for w in re.findall(r"[A-Za-z0-9]+", text)][:64]


def tantivy_engine(docs: Docs) -> Search:
    index = KeywordIndex(None)
    index.write((IndexEntry(i, key, title, text) for i, (key, title, text) in enumerate(docs)), replace=False)

    def search(query: str, k: int) -> list[str]:
        return [key for key, _ in index.search(ParsedQuery(words=words_of(query)), limit=k)[0]]

    return search


def fts5_engine(docs: Docs, path: Path) -> Search:
    db = sqlite3.connect(path)
    db.execute("CREATE VIRTUAL TABLE docs USING fts5(key UNINDEXED, title, abstract, tokenize='porter')")
    db.executemany("INSERT INTO docs VALUES (?, ?, ?)", docs)
    db.commit()

    def search(query: str, k: int) -> list[str]:
        words = terms(query)
        if not words:
            return []
        match = " OR ".join(f'"{w}"' for w in words)
        rows = db.execute(f"SELECT key FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, 0, {TITLE_BOOST}, 1.0) "
                          "LIMIT ?", (match, k)).fetchall()
        return [r[0] for r in rows]

    return search


def pg_engine(docs: Docs, url: str) -> tuple[Search, Callable[[], None]]:
    import psycopg

    schema = f"kwbench_{uuid.uuid4().hex[:8]}"
    conn = psycopg.connect(url, autocommit=True)
    conn.execute(f"CREATE SCHEMA {schema}")
    conn.execute(f"SET search_path = {schema}")
    conn.execute("CREATE TABLE docs (key TEXT PRIMARY KEY, title TEXT, abstract TEXT, tsv tsvector)")
    with conn.cursor().copy("COPY docs (key, title, abstract) FROM STDIN") as copy:
        for row in docs:
            copy.write_row(row)
    conn.execute("UPDATE docs SET tsv = setweight(to_tsvector('english', title), 'A') || "
                 "setweight(to_tsvector('english', abstract), 'B')")
    conn.execute("CREATE INDEX docs_tsv ON docs USING GIN (tsv)")
    conn.execute("ANALYZE docs")

    def search(query: str, k: int) -> list[str]:
        words = terms(query)
        if not words:
            return []
        rows = conn.execute(
            "WITH q AS (SELECT to_tsquery('english', %s) AS q) SELECT key FROM docs, q WHERE tsv @@ q.q "
            "ORDER BY ts_rank_cd(tsv, q.q) DESC LIMIT %s", (" | ".join(words), k)).fetchall()
        return [r[0] for r in rows]

    def drop() -> None:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")
        conn.close()

    return search, drop


def timed_build(build: Callable[[], object]) -> tuple[object, float]:
    started = time.perf_counter()
    result = build()
    return result, time.perf_counter() - started


def latency(search: Search, queries: list[str]) -> dict[str, float]:
    for q in queries[:10]:
        search(q, 10)
    times = []
    for q in queries:
        started = time.perf_counter()
        search(q, 10)
        times.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(statistics.median(times), 2), "p95_ms": round(percentile(times, 95), 2)}


def scifact_ndcg(make: Callable[[Docs], Search]) -> float:
    sf = SHARED / "eval" / "scifact"
    corpus, queries, qrels = load_beir(sf / "corpus.jsonl.gz", sf / "queries-train.jsonl", sf / "qrels-train.tsv")
    search = make(list(zip(corpus.ids, corpus.titles, corpus.texts, strict=True)))
    rankings = {qid: search(text, 100) for qid, text in queries.items()}
    return round(mean_metrics(rankings, qrels)["ndcg@10"], 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=75_000)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    docs = load_papers(args.papers)
    queries = queries_from(docs)
    result: dict[str, object] = {"papers": len(docs), "queries": len(queries)}
    with tempfile.TemporaryDirectory() as tmp:
        search, build_s = timed_build(lambda: tantivy_engine(docs))
        result["tantivy"] = {"build_s": round(build_s, 1), **latency(search, queries),  # type: ignore[arg-type]
                             "scifact_ndcg@10": scifact_ndcg(tantivy_engine)}
        n = 0

        def fts(d: Docs) -> Search:
            nonlocal n
            n += 1
            return fts5_engine(d, Path(tmp) / f"fts{n}.db")

        search, build_s = timed_build(lambda: fts(docs))
        result["sqlite-fts5"] = {"build_s": round(build_s, 1), **latency(search, queries),  # type: ignore[arg-type]
                                 "scifact_ndcg@10": scifact_ndcg(fts)}
    made, build_s = timed_build(lambda: pg_engine(docs, args.pg))
    search, drop = made  # type: ignore[misc]
    try:
        pg_stats = {"build_s": round(build_s, 1), **latency(search, queries)}
    finally:
        drop()
    sf_search, sf_drop = None, None

    def pg(d: Docs) -> Search:
        nonlocal sf_search, sf_drop
        sf_search, sf_drop = pg_engine(d, args.pg)
        return sf_search

    try:
        pg_stats["scifact_ndcg@10"] = scifact_ndcg(pg)
    finally:
        if sf_drop:
            sf_drop()
    result["postgres-fts"] = pg_stats
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

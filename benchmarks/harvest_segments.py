"""Months of daily harvests on a whole-arXiv instance: how many keyword index segments they leave, and
what that costs a keyword search.

    .venv/bin/python benchmarks/harvest_segments.py --db sqlite:////work/data-h17/sqlite-36/paperwire.db \
        --data-dir /work/data-h17/sqlite-36/data [--shards 2] [--months 6] [--per-month 25000] \
        [--commits-per-day 2] [--queries 200]

An instance built by ``scale.py`` (or ``paperwire import`` of its corpus) holds its first import's
segments. Each later write the search index follows (a harvest page, HF and GitHub updates, a web
process catching up) commits a small segment of its own, which tantivy merges with others of its size
8 at a time. This writes ``--months`` months of new papers, ``--per-month`` a month over 21 working
days, each day in ``--commits-per-day`` harvest pages (``save_batch``, the harvesters' write path), and
brings the keyword index up to date after each page (``LocalIndexes.sync``, what the worker and the web
processes do). Before the first month and after each one: the segments of every shard and keyword
``search()`` p50 / p95 on the 200 queries of ``keyword_budget.py engine``.

The new papers are the 75k cs papers again under ids of the months after the instance's latest
announcement (2608, 2609, … after ``scale.py``'s corpus), announced on those months' working days, each
title with one of ``scale.WORDS`` appended. The instance keeps them (a second run continues after them):
run it last, or on a copy.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from keyword_budget import keyword_latency, keyword_runtime
from scale import SOURCE, WORDS

from paperwire.ingest.codelinks import links_in_papers
from paperwire.ingest.paper_files import parse_record
from paperwire.models import Paper, SourceBatch
from paperwire.runtime import Runtime


def next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=31)).replace(day=1)


def working_days(first: date) -> list[date]:
    """The weekdays of ``first``'s month (arXiv announces on weekdays)."""
    days, day = [], first
    while day.month == first.month:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def month_papers(records: list[dict[str, Any]], start: int, first: date, count: int) -> list[Paper]:
    """``count`` papers of month ``first``: the records from ``start`` on (wrapping), new ids and dates."""
    yymm = first.strftime("%y%m")
    days = working_days(first)
    papers = []
    for n in range(count):
        r = records[(start + n) % len(records)]
        day = days[n * len(days) // count]
        papers.append(parse_record(dict(r, id=f"{yymm}.{n + 1:05d}", announced=day.isoformat(),
                                        title=f"{r['title']}: {WORDS[(start + n) % len(WORDS)]}")))
    return papers


def segments(runtime: Runtime) -> list[int]:
    return [index.searcher().num_segments for index in runtime.indexes.keyword.shards.indexes]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--per-month", type=int, default=25_000)
    parser.add_argument("--commits-per-day", type=int, default=2)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    from import_search import make_queries

    runtime = keyword_runtime(args.db, args.data_dir, args.shards)
    queries = make_queries(SOURCE, args.queries)
    with gzip.open(SOURCE, "rt") as fh:
        records = [json.loads(line) for line in fh]
    result: dict[str, Any] = {"documents": runtime.indexes.keyword.num_docs(), "shards": args.shards,
                              "per_month": args.per_month, "commits_per_day": args.commits_per_day,
                              "months": [{"month": 0, "segments": segments(runtime),
                                          **keyword_latency(runtime, queries)}]}
    print(json.dumps(result["months"][-1]), file=sys.stderr, flush=True)
    latest = runtime.store.papers.latest_day()
    if latest is None:
        raise SystemExit("the instance holds no papers: build it with scale.py or paperwire import first")
    first = next_month(latest)
    for month in range(1, args.months + 1):
        papers = month_papers(records, month * args.per_month, first, args.per_month)
        pages = len(working_days(first)) * args.commits_per_day
        write_s = index_s = 0.0
        for k in range(pages):
            page = papers[k * len(papers) // pages:(k + 1) * len(papers) // pages]
            started = time.perf_counter()
            runtime.store.papers.save_batch(SourceBatch(page, links_in_papers(page)))
            write_s += time.perf_counter() - started
            started = time.perf_counter()
            runtime.indexes.sync()
            index_s += time.perf_counter() - started
        result["months"].append({"month": month, "commits": pages, "write_s": round(write_s, 1),
                                 "index_s": round(index_s, 1), "documents": runtime.indexes.keyword.num_docs(),
                                 "segments": segments(runtime), **keyword_latency(runtime, queries)})
        print(json.dumps(result["months"][-1]), file=sys.stderr, flush=True)
        first = next_month(first)
    runtime.close()
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()

"""Time the website's pages on an existing instance: the first (cold) request and the median of five more
(each with a distinct query string, so the response cache does not answer). Prints one JSON object.

    .venv/bin/python benchmarks/pages.py --db sqlite:////work/data-h17/sqlite-36/paperwire.db \
        --data-dir /work/data-h17/sqlite-36/data

Used at whole-arXiv scale (issue 17) to find pages whose cost grows with the number of papers.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from fastapi.testclient import TestClient

    from paperwire.config import Settings
    from paperwire.store import open_store
    from paperwire.web import create_app

    settings = Settings(database_url=args.db, data_dir=args.data_dir, index_refresh_seconds=3600,
                        anonymous_rate_per_minute=0)
    store = open_store(args.db)
    newest = store.papers.latest_day()
    assert newest is not None
    started = time.perf_counter()
    out: dict[str, Any] = {"loadavg_start": os.getloadavg()[0]}
    with TestClient(create_app(settings, store)) as client:
        out["startup_s"] = round(time.perf_counter() - started, 1)
        pid = client.get("/api/v1/search", params={"q": "graph neural networks"}).json()
        first = (pid.get("results") or pid.get("papers") or [{}])[0]
        paper_id = first.get("id") or first.get("paper_id") or ""
        author = (first.get("authors") or ["someone"])[0]
        week = newest.isocalendar()
        pages = {
            "home": "/", "trending: week": "/trending/week", "trending: month": "/trending/month",
            "daily": "/daily", "day": f"/daily/{newest.isoformat()}", "week": f"/week/{week[0]}-W{week[1]:02d}",
            "month": f"/month/{newest.strftime('%Y-%m')}", "categories": "/c", "category": "/c/cs.LG",
            "paper": f"/paper/{paper_id}", "similar (API)": f"/api/v1/papers/{paper_id}/similar",
            "author": f"/author/{author.replace(' ', '-')}",
            "search page, 4 words": "/search?q=diffusion+models+for+video",
            "search API, 2 words": "/api/v1/search?q=sparse+attention",
            "search API, 14 words": "/api/v1/search?q=" + (
                "we propose a method that adapts large language models to low resource machine translation"
                .replace(" ", "+")),
            "API: categories": "/api/v1/categories", "API: weekly": "/api/v1/weekly",
            "daily_papers (HF API)": "/api/daily_papers", "atom: trending": "/feeds/trending.atom",
            "atom: category": "/feeds/c/cs.LG.atom",
        }
        for name, url in pages.items():
            sep = "&" if "?" in url else "?"
            t0 = time.perf_counter()
            status = client.get(url).status_code
            cold = time.perf_counter() - t0
            warm = []
            for i in range(args.repeat):
                t0 = time.perf_counter()
                client.get(f"{url}{sep}_bench={i}")
                warm.append(time.perf_counter() - t0)
            out[name] = {"url": url, "status": status, "cold_ms": round(cold * 1000, 1),
                         "median_ms": round(statistics.median(warm) * 1000, 1)}
    out["loadavg_end"] = os.getloadavg()[0]
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()

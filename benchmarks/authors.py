"""Author pages at 75k papers: what the author rows cost on import, and how long a page's reads take.
Prints one JSON object.

    .venv/bin/python benchmarks/authors.py [--file PATH] [--db URL]

Imports the corpus (``import_files``, the store only: no search index) into a fresh database, timing the
import with the author rows (``paper_authors``) and the rows' share of it (the same rows written again in
one transaction by the migration's backfill), then times, for the 50 most prolific authors and 50 random
ones, everything an author page reads from the store: ``paper_ids`` (first page and page 3), ``profile``
(counts per year and category, co-authors, spellings) and the trending join. Load average beside each
figure: this machine has 2 cores shared with other work.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from paperwire.ingest.bulk import import_files
from paperwire.store import open_store
from paperwire.store.authors import backfill_paper_authors

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("PAPERWIRE_SHARED_DATA", ROOT.parent / "shared" / "data"))
FULL = SHARED / "arxiv" / "cs-2025-2026.jsonl.gz"


def ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50_ms": round(statistics.median(ordered) * 1000, 2),
            "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 2), "max_ms": round(ordered[-1] * 1000, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--file", type=Path, default=FULL)
    parser.add_argument("--db", default="")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pw-authors-"))
    store = open_store(args.db or f"sqlite:///{tmp / 'authors.db'}")
    store.migrate()
    out: dict[str, object] = {"db": store.db.dialect, "load_before": os.getloadavg()[0]}
    start = time.perf_counter()
    report = import_files(store, [args.file])
    out["import_s"] = round(time.perf_counter() - start, 1)
    out["papers"] = report.inserted if hasattr(report, "inserted") else store.stats().papers
    with store.db.write() as tx:
        rows = tx.execute("SELECT COUNT(*) FROM paper_authors").scalar()
        tx.execute("DELETE FROM paper_authors")
        start = time.perf_counter()
        backfill_paper_authors(tx)
        out["author_rows_write_s"] = round(time.perf_counter() - start, 1)
    out["author_rows"] = int(rows)
    with store.db.read() as tx:
        top = [r[0] for r in tx.execute("SELECT author_key FROM paper_authors GROUP BY author_key "
                                        "ORDER BY COUNT(*) DESC LIMIT 50").all()]
        everyone = [r[0] for r in tx.execute("SELECT DISTINCT author_key FROM paper_authors").all()]
        out["authors"] = len(everyone)
        out["most_papers"] = int(tx.execute("SELECT COUNT(*) FROM paper_authors WHERE author_key = ?",
                                            (top[0],)).scalar())
    sample = random.Random(7).sample(everyone, 50)
    for name, keys in (("top50", top), ("random50", sample)):
        first, third, profile, trend = [], [], [], []
        for key in keys:
            for bucket, call in ((first, lambda k=key: store.authors.paper_ids(k, 25, 0)),
                                 (third, lambda k=key: store.authors.paper_ids(k, 25, 50)),
                                 (profile, lambda k=key: store.authors.profile(k)),
                                 (trend, lambda k=key: store.trending.trending_page_of_author("month", k, 5))):
                t = time.perf_counter()
                call()
                bucket.append(time.perf_counter() - t)
        out[name] = {"papers_page1": ms(first), "papers_page3": ms(third), "profile": ms(profile),
                     "trending": ms(trend), "load": os.getloadavg()[0]}
    store.close()
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()

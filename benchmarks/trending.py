"""Trending at scale: time to compute and store the day, week and month rankings; prints one JSON object.

    .venv/bin/python benchmarks/trending.py [--file F] [--db URL] [--repos 5000] [--days 45]

Imports the papers (default: the 74,728 cs papers of 2025-2026), then adds
synthetic activity written in bulk: ``--repos`` repositories linked to the
newest papers with one star snapshot a day for ``--days`` days (some papers
also link one widely shared library), and Hugging Face daily lists of 40
papers a day with three upvote snapshots each. ``now`` is noon of the day
after the newest announcement. Reported: candidates and ranked papers per
window, the median of 3 computations (read + score, nothing written) and
one full recompute (three windows, each replaced in one transaction).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

from paperwire.config import Settings
from paperwire.ingest.bulk import import_files
from paperwire.store import Store, open_store
from paperwire.store.core import iso
from paperwire.trending import Formula, compute, recompute

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = ROOT.parent / "shared" / "data" / "arxiv" / "cs-2025-2026.jsonl.gz"


def add_activity(store: Store, now: datetime, repos: int, days: int, seed: int = 11) -> dict[str, int]:
    rng = random.Random(seed)
    newest = [p.id for p in store.papers.list_papers(limit=repos)]
    first_seen = iso(now - timedelta(days=days + 1))
    links, repo_rows, snapshots = [], [], []
    for i, pid in enumerate(newest):
        repo = f"bench/repo-{i}"
        links.append((pid, repo, f"https://github.com/{repo}", "pwc", first_seen))
        if i % 25 == 0:
            links.append((pid, "bench/shared-library", "https://github.com/bench/shared-library", "abstract",
                          first_seen))
        stars, rate = rng.randint(0, 50), rng.choice([0, 0, 1, 2, 5, 20, 100])
        for d in range(days, 0, -1):
            stars += rng.randint(0, rate)
            snapshots.append((repo, iso(now - timedelta(days=d, hours=rng.random() * 6)), stars))
        repo_rows.append((repo, repo, stars, iso(now - timedelta(days=1)), "ok", "none", first_seen))
    repo_rows.append(("bench/shared-library", "bench/shared-library", 150_000, iso(now), "ok", "none", first_seen))
    store.tables.write_rows("code_links", ("paper_id", "repo", "url", "source", "first_seen"), links)
    store.tables.write_rows("repositories",
                            ("repo", "full_name", "stars", "checked_at", "status", "backfill", "first_seen"), repo_rows)
    store.tables.write_rows("star_snapshots", ("repo", "taken_at", "stars"), snapshots)
    daily, upvotes = [], []
    all_ids = [p.id for p in store.papers.list_papers(limit=days * 800)]
    for d in range(days, 0, -1):
        day = (now - timedelta(days=d)).date()
        for pid in rng.sample(all_ids, 40):
            votes = rng.randint(0, 200)
            at = datetime.combine(day, dtime(), tzinfo=UTC)
            daily.append((pid, day.isoformat(), votes, iso(at), iso(at), iso(at)))
            for k, share in ((1, 0.3), (2, 0.8), (3, 1.0)):
                upvotes.append((pid, iso(at + timedelta(hours=8 * k)), int(votes * share)))
    unique_daily = list({(r[0], r[1]): r for r in daily}.values())
    unique_votes = list({(r[0], r[1]): r for r in upvotes}.values())
    store.tables.write_rows("hf_daily",
                            ("paper_id", "daily_date", "upvotes", "submitted_on_daily", "first_seen", "last_seen"),
                            unique_daily)
    store.tables.write_rows("hf_upvotes", ("paper_id", "taken_at", "upvotes"), unique_votes)
    return {"code_links": len(links), "star_snapshots": len(snapshots), "hf_daily": len(unique_daily),
            "hf_upvotes": len(unique_votes)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--db", default="", help="database URL; default a fresh SQLite file")
    parser.add_argument("--repos", type=int, default=5000)
    parser.add_argument("--days", type=int, default=45)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pw-bench-") as tmp:
        db = args.db or f"sqlite:///{tmp}/bench.db"
        if db.startswith("postgresql://") and "schema=" not in db:
            db += ("&" if "?" in db else "?") + f"schema=bench_{uuid.uuid4().hex[:8]}"
        store = open_store(db)
        store.migrate()
        imported = import_files(store, [args.file])
        newest = store.papers.latest_day()
        assert newest is not None
        now = datetime.combine(newest, dtime(12), tzinfo=UTC) + timedelta(days=1)
        rows = add_activity(store, now, args.repos, args.days)
        settings = Settings(data_dir=Path(tmp))
        formula = Formula.from_settings(settings)
        windows = {}
        for window, length in (("day", 1), ("week", 7), ("month", 30)):
            times = []
            for _ in range(3):
                started = time.perf_counter()
                entries = compute(store, window, now, formula, settings.trending_keep)
                times.append(time.perf_counter() - started)
            inputs = store.trending.trending_inputs(now - timedelta(days=length), now)
            windows[window] = {"candidates": len(inputs.papers), "ranked": len(entries),
                               "compute_median_s": round(statistics.median(times), 3)}
        started = time.perf_counter()
        recompute(store, settings, now)
        full = round(time.perf_counter() - started, 3)
        store.close()
        if db.startswith("postgresql://"):
            from paperwire.store.postgres import drop_schema

            drop_schema(db)
    print(json.dumps({"backend": db.split(":", 1)[0], "papers": imported.inserted, "activity": rows,
                      "windows": windows, "recompute_all_s": full}, indent=2))


if __name__ == "__main__":
    main()

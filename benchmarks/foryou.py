""""For you" served from a store: prints one JSON object.

    .venv/bin/python benchmarks/foryou.py [--subscribers 10000] [--day 1000] [--background 20000] [--db URL]

Builds a store (SQLite in a temporary directory unless ``--db``) with ``--background`` papers of the corpus
announced before users-dev's cutoff plus every reader's library, and ``--day`` papers after it as one
announced day. Makes ``--subscribers`` accounts, each with the library of a users-dev reader (cycled) saved
through ``store.library.import_items``, and a confirmed daily subscription linked to it. Then measures,
through ``recommend.service`` (store reads, model load and explanations included):

- retraining one reader (``train_user``: the signals' papers read, vectorised, the model stored);
- ranking the day's papers for one reader (``rank_for``: signals, stored model, ranking, top-10 reasons);
- the digests' For-you sections of every subscriber (``digest.foryou.foryou_picks``: the day featurised
  once, then each subscriber), first with every model trained already (as the ``recommend-retrain``
  job leaves them), then cold (no stored models: each trained on the way).

Wall times with the load average beside them (the machine is shared) and CPU times.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from paperwire.config import Settings
from paperwire.digest.foryou import foryou_picks
from paperwire.models import DigestPeriod, Paper
from paperwire.recommend import service
from paperwire.recommend.evaluation import load_corpus, load_readers
from paperwire.recommend.model import UserModel
from paperwire.store import ImportItem, open_store

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"


def _summary(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    return {"median": round(statistics.median(values), 2), "p95": round(values[int(0.95 * (len(values) - 1))], 2),
            "max": round(values[-1], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=SHARED / "arxiv" / "cs-2025-2026.jsonl.gz")
    parser.add_argument("--users", type=Path, default=SHARED / "eval" / "recsys" / "users-dev.jsonl")
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--day", type=int, default=1000)
    parser.add_argument("--background", type=int, default=20_000)
    parser.add_argument("--probe", type=int, default=200, help="readers timed one by one")
    parser.add_argument("--db", default="")
    args = parser.parse_args()
    readers = load_readers(args.users)
    corpus = load_corpus(args.corpus)
    cutoff = readers[0].cutoff
    wanted = {pid for r in readers for pid in r.library}
    before = [p for p in corpus if p.announced < cutoff]
    keep = [p for p in before if p.id in wanted] + [p for p in before if p.id not in wanted][-args.background:]
    day = date.fromisoformat(cutoff)
    after = [p for p in corpus if p.announced >= cutoff][: args.day]
    tmp = tempfile.TemporaryDirectory()
    url = args.db or f"sqlite:///{tmp.name}/foryou.db"
    store = open_store(url)
    store.migrate()
    settings = Settings(database_url=url, data_dir=Path(tmp.name) / "data")
    started = time.perf_counter()
    papers = [Paper(p.id, p.title, p.abstract, categories=list(p.categories), announced=date.fromisoformat(p.announced))
              for p in keep] + [Paper(p.id, p.title, p.abstract, categories=list(p.categories), announced=day)
                                for p in after]
    for i in range(0, len(papers), 5000):
        store.papers.upsert_papers(papers[i:i + 5000])
    ids = []
    for n in range(args.subscribers):
        user = store.accounts.create_user(f"r{n}@example.org", f"r{n}", "x")
        store.library.import_items(user.id, [ImportItem(pid) for pid in readers[n % len(readers)].library])
        store.subscriptions.add_subscriber(f"r{n}@example.org", "daily", [], "confirmed", "bench", f"n{n}", user.id)
        ids.append(user.id)
    setup_s = time.perf_counter() - started
    fit = time.perf_counter()
    background, _ = service.refresh_background(store, settings, force=True)
    fit_s = time.perf_counter() - fit
    pool_t = time.perf_counter()
    pool = service.pool_for(store, background, day, day)
    pool_s = time.perf_counter() - pool_t
    subscribers = store.subscriptions.list_subscribers("confirmed", "daily", limit=args.subscribers)
    period = DigestPeriod("daily", day, day, day)  # the day's papers: what the page's "day" window ranks

    def timed_cold() -> float:
        t = time.perf_counter()
        foryou_picks(store, settings, subscribers, period)
        return time.perf_counter() - t

    with store.db.write() as tx:
        tx.execute("DELETE FROM recommend_models")
    cpu = time.process_time()
    cold_s = timed_cold()
    cold_cpu = time.process_time() - cpu
    load_cold = os.getloadavg()
    cpu = time.process_time()
    warm_s = timed_cold()
    warm_cpu = time.process_time() - cpu
    load_warm = os.getloadavg()
    retrain, ranking = [], []
    for uid in ids[: args.probe]:
        signals = store.preferences.user_signals(uid)
        stored = store.recommendations.get_model(uid)
        previous = UserModel.from_bytes(stored.model) if stored else None
        t = time.perf_counter()
        service.train_user(store, settings, background, signals, previous)
        retrain.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        service.rank_for(store, settings, uid, pool, background, limit=10)
        ranking.append((time.perf_counter() - t) * 1000)
    print(json.dumps({
        "store": url.split(":")[0], "papers": len(papers), "day_papers": len(pool),
        "subscribers": len(subscribers), "setup_s": round(setup_s, 1), "fit_background_s": round(fit_s, 2),
        "featurise_day_s": round(pool_s, 2),
        "foryou_sections_warm_s": round(warm_s, 1), "foryou_sections_warm_cpu_s": round(warm_cpu, 1),
        "load_after_warm": [round(x, 2) for x in load_warm],
        "foryou_sections_cold_s": round(cold_s, 1), "foryou_sections_cold_cpu_s": round(cold_cpu, 1),
        "load_after_cold": [round(x, 2) for x in load_cold],
        "retrain_one_ms": _summary(retrain), "rank_day_top10_with_reasons_ms": _summary(ranking),
        "target": {"sections_max_s": 120, "rank_max_ms": 20, "retrain_max_ms": 100},
    }, indent=2))
    store.close()
    tmp.cleanup()


if __name__ == "__main__":
    main()

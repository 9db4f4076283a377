"""Recommendation speed and size: prints one JSON object.

    .venv/bin/python benchmarks/recommend.py [--corpus F] [--users F] [--readers 100] [--day 1000]

Fits the background on the papers announced before the readers' cutoff (the
74,728-paper corpus: about 40,000 papers), featurises a day of ``--day``
new papers once (shared by every reader), then for each of ``--readers``
readers of users-dev.jsonl measures: training from their library, retraining
after one new save (the previous model's rows reused), ranking the day's
papers (scores, boosts, mutes, sorting), explaining the top 10, and the
stored model's size. Medians and maxima of wall time (the machine is shared:
the load average is reported beside them) and of CPU time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from datetime import date
from pathlib import Path

from paperwire.recommend.evaluation import load_corpus, load_readers
from paperwire.recommend.explain import explain
from paperwire.recommend.features import counts_matrix, fit_background
from paperwire.recommend.scoring import Candidates, Preferences, RankConfig, rank
from paperwire.recommend.text import paper_text
from paperwire.recommend.training import Signal, train

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"


def _timed(fn):  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def _summary(values: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values), 3), "max": round(max(values), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=SHARED / "arxiv" / "cs-2025-2026.jsonl.gz")
    parser.add_argument("--users", type=Path, default=SHARED / "eval" / "recsys" / "users-dev.jsonl")
    parser.add_argument("--readers", type=int, default=100)
    parser.add_argument("--day", type=int, default=1000)
    args = parser.parse_args()
    corpus = load_corpus(args.corpus)
    readers = load_readers(args.users)[: args.readers]
    cutoff = readers[0].cutoff
    texts = {p.id: paper_text(p.title, p.abstract) for p in corpus}
    announced = {p.id: p.announced for p in corpus}
    before = [p for p in corpus if p.announced < cutoff]
    background, fit_ms, _ = _timed(lambda: fit_background(counts_matrix(texts[p.id] for p in before)))
    day = [p for p in corpus if p.announced >= cutoff][: args.day]
    candidates, featurise_ms, featurise_cpu = _timed(lambda: Candidates.build(
        background, [p.id for p in day], [p.title for p in day], [p.abstract for p in day],
        [list(p.categories) for p in day], [[] for _ in day]))
    prefs = Preferences(followed_categories=frozenset({"cs.CL"}), muted_categories=frozenset({"cs.CR"}))
    config = RankConfig(exploration=0.1)
    today = date.fromisoformat(cutoff)
    rows: dict[str, list[float]] = {k: [] for k in ("train_ms", "train_cpu_ms", "retrain_ms", "retrain_cpu_ms",
                                                    "rank_ms", "rank_cpu_ms", "explain10_ms", "model_bytes")}
    for reader in readers:
        signals = [Signal(pid, "save", date.fromisoformat(announced[pid])) for pid in reader.library]
        model, ms, cpu = _timed(lambda s=signals: train(background, s, texts, today))
        rows["train_ms"].append(ms)
        rows["train_cpu_ms"].append(cpu)
        more = [*signals, Signal(day[0].id, "save", today)]
        _, ms, cpu = _timed(lambda s=more, m=model: train(background, s, texts, today, previous=m))
        rows["retrain_ms"].append(ms)
        rows["retrain_cpu_ms"].append(cpu)
        ranked, ms, cpu = _timed(lambda m=model: rank(m, candidates, prefs, config, limit=100))
        rows["rank_ms"].append(ms)
        rows["rank_cpu_ms"].append(cpu)
        _, ms, _ = _timed(lambda m=model, r=ranked: [explain(m, candidates, x.index, prefs, config) for x in r[:10]])
        rows["explain10_ms"].append(ms)
        rows["model_bytes"].append(float(len(model.to_bytes())))
    print(json.dumps({
        "readers": len(readers), "day_papers": len(day), "background_papers": len(before),
        "background_fit_ms": round(fit_ms, 1), "background_bytes": len(background.to_bytes()),
        "featurise_day_ms": round(featurise_ms, 1), "featurise_day_cpu_ms": round(featurise_cpu, 1),
        **{k: _summary(v) for k, v in rows.items()},
        "load_average": [round(x, 2) for x in os.getloadavg()], "cpus": os.cpu_count(),
    }, indent=2))


if __name__ == "__main__":
    main()

"""Tune hybrid fusion on the SciFact training split; check it on held-out data. Prints one JSON object.

    .venv/bin/python benchmarks/tune_fusion.py [--data-dir DIR]

The 809 SciFact training queries are split in two by a hash of their id: fusion functions and weights
are chosen on the "tune" half only, then reported on the "held-out" half, on the known-item set
(benchmarks/known_items.jsonl over the 2k sample) and on CSFCube. Keyword and semantic candidate lists
(top 100 each) are computed once per query; every fusion candidate is then a pure function of them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
from collections.abc import Callable
from pathlib import Path

from paperwire.config import Settings
from paperwire.search.embedder import LazyEmbedder
from paperwire.search.evaluation import (
    Retriever,
    _jsonl,
    load_beir,
    load_csfcube,
    load_papers_corpus,
    unranked_last,
)
from paperwire.search.hybrid import FusionConfig
from paperwire.search.metrics import mean_metrics

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
Scored = list[tuple[str, float]]
Candidates = dict[str, tuple[Scored, Scored]]


def half(qid: str) -> str:
    return "tune" if int(hashlib.sha256(qid.encode()).hexdigest(), 16) % 2 == 0 else "held-out"


def candidates(retriever: Retriever, queries: dict[str, str], k: int = 100,
               only: Callable[[str], list[str]] | None = None) -> Candidates:
    out = {}
    for qid, text in queries.items():
        allowed = only(qid) if only else None
        out[qid] = (retriever.lexical(text, k, allowed), retriever.dense(text, k, allowed))
    return out


def rank_all(cands: Candidates, fusion: FusionConfig | None, mode: str) -> dict[str, list[str]]:
    result = {}
    for qid, (lexical, dense) in cands.items():
        dense = [(key, s) for key, s in dense if s >= (fusion.min_similarity if fusion else -1.0)]
        if mode == "keyword":
            ranked = lexical
        elif mode == "semantic":
            ranked = dense
        else:
            assert fusion is not None
            ranked = fusion.fuse(lexical, dense)
        result[qid] = [key for key, _ in ranked]
    return result


def known_item_mrr(rankings: dict[str, list[str]], targets: dict[str, str], kinds: dict[str, str]) -> dict[str, float]:
    scores: dict[str, list[float]] = {}
    for qid, ranked in rankings.items():
        top = ranked[:10]
        rr = 1 / (top.index(targets[qid]) + 1) if targets[qid] in top else 0.0
        scores.setdefault("all", []).append(rr)
        scores.setdefault(kinds[qid], []).append(rr)
    return {f"{kind}:mrr@10": round(sum(v) / len(v), 4) for kind, v in sorted(scores.items())}


def grid() -> list[FusionConfig]:
    configs = [FusionConfig("rrf", (1.0, 1.0), rrf_k=k, min_similarity=0.0) for k in (10, 30, 60, 100)]
    configs += [FusionConfig("rrf", (1 - w, w), rrf_k=60, min_similarity=0.0) for w in (0.3, 0.4, 0.6, 0.7)]
    for norm in ("minmax", "zscore", "dbsf"):
        for w in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
            for floor in (0.0, 0.3):
                configs.append(FusionConfig("convex", (round(1 - w, 2), w), norm, min_similarity=floor))
    return configs


def describe(c: FusionConfig) -> str:
    if c.name == "rrf":
        return f"rrf k={c.rrf_k:g} w={c.weights[1]:g}"
    return f"convex {c.norm} w_sem={c.weights[1]:g} floor={c.min_similarity:g}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "paperwire-eval")
    args = parser.parse_args()
    settings = Settings(data_dir=args.data_dir.absolute())
    embedder = LazyEmbedder(settings)
    cache = settings.data_dir / "eval-cache"

    sf = SHARED / "eval" / "scifact"
    corpus, queries, qrels = load_beir(sf / "corpus.jsonl.gz", sf / "queries-train.jsonl", sf / "qrels-train.tsv")
    scifact = candidates(Retriever(corpus, embedder, cache), queries)
    splits = {name: {q: c for q, c in scifact.items() if half(q) == name} for name in ("tune", "held-out")}

    items = list(_jsonl(ROOT / "benchmarks" / "known_items.jsonl"))
    known_retriever = Retriever(load_papers_corpus(SHARED / "arxiv" / "sample-2k.jsonl.gz"), embedder, cache)
    known = candidates(known_retriever, {str(i): it["query"] for i, it in enumerate(items)}, k=100)
    targets = {str(i): it["id"] for i, it in enumerate(items)}
    kinds = {str(i): it["kind"] for i, it in enumerate(items)}

    cs_corpus, cs_queries, cs_qrels = load_csfcube(SHARED / "eval" / "csfcube" / "csfcube.json.gz")
    by_id = dict(zip(cs_corpus.ids, zip(cs_corpus.titles, cs_corpus.texts, strict=True), strict=True))
    cs_candidates = {q: [c for c in cs_qrels[q] if c != p] for q, p in cs_queries.items()}
    cs = candidates(Retriever(cs_corpus, embedder, cache),
                    {q: f"{by_id[p][0]}. {by_id[p][1]}" for q, p in cs_queries.items()},
                    k=1000, only=lambda q: cs_candidates[q])

    def scifact_ndcg(split: str, fusion: FusionConfig | None, mode: str) -> float:
        judged = {q: qrels[q] for q in splits[split]}
        return round(mean_metrics(rank_all(splits[split], fusion, mode), judged)["ndcg@10"], 4)

    tuned = []
    for config in grid():
        tuned.append((scifact_ndcg("tune", config, "hybrid"), describe(config), config))
    tuned.sort(key=lambda t: -t[0])
    best = tuned[0][2]

    def report(fusion: FusionConfig | None, mode: str) -> dict[str, object]:
        cs_rank = rank_all(cs, fusion, mode)
        cs_rank = {q: unranked_last(r, cs_candidates[q]) for q, r in cs_rank.items()}
        return {
            "scifact_tune_ndcg@10": scifact_ndcg("tune", fusion, mode),
            "scifact_heldout_ndcg@10": scifact_ndcg("held-out", fusion, mode),
            "scifact_all": {k: round(v, 4) for k, v in mean_metrics(rank_all(scifact, fusion, mode), qrels).items()},
            "known_items": known_item_mrr(rank_all(known, fusion, mode), targets, kinds),
            "csfcube_ndcg@20": round(mean_metrics(cs_rank, cs_qrels, ndcg_k=20)["ndcg@20"], 4),
        }

    floor = FusionConfig(min_similarity=settings.semantic_min_similarity)
    print(json.dumps({
        "top_on_tune_half": [(score, name) for score, name, _ in tuned[:10]],
        "chosen": describe(best),
        "keyword": report(None, "keyword"),
        "semantic": report(floor, "semantic"),
        "hybrid_chosen": report(best, "hybrid"),
        "hybrid_rrf_baseline": report(FusionConfig("rrf", (1.0, 1.0), rrf_k=60, min_similarity=0.0), "hybrid"),
    }, indent=2))


if __name__ == "__main__":
    main()

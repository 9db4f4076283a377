"""Retrieval metrics as pure functions, as trec_eval / BEIR define them.

Gains are linear in the graded relevance (trec_eval's ``ndcg_cut``), and a
document counts as relevant for recall and MRR when its grade is above 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def dcg(gains: Sequence[float]) -> float:
    """Discounted cumulative gain of gains in rank order."""
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def ndcg_at_k(ranked: Sequence[str], qrels: Mapping[str, int], k: int) -> float:
    """nDCG@k of one ranking against graded judgments (0 when nothing is relevant)."""
    ideal = dcg(sorted((g for g in qrels.values() if g > 0), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg([max(qrels.get(doc, 0), 0) for doc in ranked[:k]]) / ideal


def recall_at_k(ranked: Sequence[str], qrels: Mapping[str, int], k: int) -> float:
    """Share of the relevant documents found in the top k."""
    relevant = {d for d, g in qrels.items() if g > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranked[:k])) / len(relevant)


def mrr_at_k(ranked: Sequence[str], qrels: Mapping[str, int], k: int) -> float:
    """Reciprocal rank of the first relevant document within the top k."""
    for i, doc in enumerate(ranked[:k]):
        if qrels.get(doc, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def mean_metrics(rankings: Mapping[str, Sequence[str]], qrels: Mapping[str, Mapping[str, int]],
                 ndcg_k: int = 10, recall_k: int = 100, mrr_k: int = 10) -> dict[str, float]:
    """Means over the judged queries (a query without a ranking scores 0)."""
    judged = [q for q, rels in qrels.items() if any(g > 0 for g in rels.values())]
    n = len(judged) or 1
    return {
        f"ndcg@{ndcg_k}": sum(ndcg_at_k(rankings.get(q, []), qrels[q], ndcg_k) for q in judged) / n,
        f"recall@{recall_k}": sum(recall_at_k(rankings.get(q, []), qrels[q], recall_k) for q in judged) / n,
        f"mrr@{mrr_k}": sum(mrr_at_k(rankings.get(q, []), qrels[q], mrr_k) for q in judged) / n,
        "queries": float(len(judged)),
    }

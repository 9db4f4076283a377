"""Fusion of ranked lists: pure functions, chosen by name.

- ``rrf``: reciprocal rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009):
  score(d) = Σ_i w_i / (k + rank_i(d)); ranks only, robust, the baseline.
- ``convex``: a convex combination of per-list normalised scores (Bruch, Gai &
  Ingber, "An Analysis of Fusion Functions for Hybrid Retrieval", TOIS 2023):
  score(d) = Σ_i w_i · norm_i(s_i(d)), a document missing from a list getting
  that list's floor. Normalisations: ``minmax`` (to [0, 1] within the list),
  ``zscore`` (standardised, floored at the list minimum), and ``dbsf``
  (distribution-based: mean ± 3σ mapped to [0, 1], as in Qdrant's DBSF).

``by_length`` chooses the semantic side's weight from the query's length: a
few remembered words are best matched by their words, a long description by
its meaning (measured in docs/benchmarks.md).

Scores keep their meaning: higher is better. Ties are broken by the order
of first appearance, so results are deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

Scored = Sequence[tuple[str, float]]


def rrf(lists: Sequence[Scored], weights: Sequence[float] | None = None, k: float = 60.0) -> list[tuple[str, float]]:
    """Reciprocal rank fusion of ranked lists (their scores are ignored)."""
    weights = weights or [1.0] * len(lists)
    fused: dict[str, float] = {}
    for ranked, weight in zip(lists, weights, strict=True):
        for rank, (key, _score) in enumerate(ranked, start=1):
            fused[key] = fused.get(key, 0.0) + weight / (k + rank)
    return sorted(fused.items(), key=lambda item: -item[1])


def _minmax(scores: list[float]) -> tuple[list[float], float]:
    lo, hi = min(scores), max(scores)
    if hi - lo < 1e-12:
        return [1.0] * len(scores), 0.0
    return [(s - lo) / (hi - lo) for s in scores], 0.0


def _zscore(scores: list[float]) -> tuple[list[float], float]:
    mean = sum(scores) / len(scores)
    std = math.sqrt(sum((s - mean) ** 2 for s in scores) / len(scores))
    if std < 1e-12:
        return [0.0] * len(scores), 0.0
    normed = [(s - mean) / std for s in scores]
    return normed, min(normed)


def _dbsf(scores: list[float]) -> tuple[list[float], float]:
    mean = sum(scores) / len(scores)
    std = math.sqrt(sum((s - mean) ** 2 for s in scores) / len(scores))
    if std < 1e-12:
        return [1.0] * len(scores), 0.0
    lo, hi = mean - 3 * std, mean + 3 * std
    return [min(1.0, max(0.0, (s - lo) / (hi - lo))) for s in scores], 0.0


NORMALISATIONS: dict[str, Callable[[list[float]], tuple[list[float], float]]] = {
    "minmax": _minmax, "zscore": _zscore, "dbsf": _dbsf,
}


def convex(lists: Sequence[Scored], weights: Sequence[float] | None = None,
           norm: str = "minmax") -> list[tuple[str, float]]:
    """Weighted sum of normalised scores; absent documents get the list's floor."""
    if norm not in NORMALISATIONS:
        raise ValueError(f"unknown normalisation {norm!r}; choose one of {', '.join(NORMALISATIONS)}")
    weights = weights or [1.0] * len(lists)
    fused: dict[str, float] = {}
    floors = []
    normalised = []
    for ranked in lists:
        if ranked:
            values, floor = NORMALISATIONS[norm]([s for _, s in ranked])
        else:
            values, floor = [], 0.0
        normalised.append(dict(zip((key for key, _ in ranked), values, strict=True)))
        floors.append(floor)
    for scores in normalised:
        for key in scores:
            fused.setdefault(key, 0.0)
    for key in fused:
        fused[key] = sum(w * scores.get(key, floor)
                         for w, scores, floor in zip(weights, normalised, floors, strict=True))
    return sorted(fused.items(), key=lambda item: -item[1])


def by_length(words: int, short_weight: float, long_weight: float, short_words: int = 5,
              long_words: int = 15) -> float:
    """The semantic weight for a query of ``words`` words: ``short_weight`` up to ``short_words``,
    ``long_weight`` from ``long_words`` on, and a straight line between (no jump at one word more)."""
    if words <= short_words or long_words <= short_words:
        return short_weight if words <= short_words else long_weight
    if words >= long_words:
        return long_weight
    share = (words - short_words) / (long_words - short_words)
    return short_weight + share * (long_weight - short_weight)


Fusion = Callable[..., list[tuple[str, float]]]
FUSIONS: dict[str, Fusion] = {"rrf": rrf, "convex": convex}


def get_fusion(name: str) -> Fusion:
    """The fusion function called ``name``."""
    try:
        return FUSIONS[name]
    except KeyError:
        raise ValueError(f"unknown fusion {name!r}; choose one of {', '.join(FUSIONS)}") from None

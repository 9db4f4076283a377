"""Ranking candidates for one reader: named scorers, boosts, mutes, exploration.

The content score of a candidate ``c`` compares it with the reader's positive
rows ``l`` (cosines ``s_l``, weights ``w_l``) by a scorer chosen by name:

- ``softmax`` (the default): (1/β) · ln Σ_l w_l · exp(β · s_l), a soft
  maximum: near the best match, raised by several good ones. Measured best
  (docs/recommendations.md); β = 6.
- ``mean``: Σ_l w_l · s_l / Σ_l w_l, the cosine to the library's centroid.
- ``max``: max_l s_l, the nearest library paper alone.

then ``content − hub_weight · hubness(c) − negative_weight · max_n s_n`` over
the thumbs-down rows ``n``. Muted authors and categories are hard filters;
followed ones add fixed boosts; papers already in the model are left out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from paperwire.config import Settings
from paperwire.recommend.explore import mix
from paperwire.recommend.features import Background
from paperwire.recommend.model import UserModel
from paperwire.recommend.text import paper_text

Scorer = Callable[[np.ndarray, np.ndarray, float], np.ndarray]


def softmax(sims: np.ndarray, weights: np.ndarray, beta: float) -> np.ndarray:
    """(1/β) · ln Σ_l w_l · exp(β · s_l) per column of ``sims`` (rows: library papers)."""
    scaled = beta * sims + np.log(np.maximum(weights, 1e-12))[:, None]
    top = scaled.max(axis=0)
    return np.asarray((top + np.log(np.exp(scaled - top).sum(axis=0))) / beta)


def mean(sims: np.ndarray, weights: np.ndarray, beta: float) -> np.ndarray:
    """Weighted mean cosine (the centroid's score); ``beta`` is unused."""
    return np.asarray((weights[:, None] * sims).sum(axis=0) / max(float(weights.sum()), 1e-12))


def maximum(sims: np.ndarray, weights: np.ndarray, beta: float) -> np.ndarray:
    """The highest cosine to any library paper; ``weights`` and ``beta`` are unused."""
    return np.asarray(sims.max(axis=0))


SCORERS: dict[str, Scorer] = {"softmax": softmax, "mean": mean, "max": maximum}


def get_scorer(name: str) -> Scorer:
    """The scorer called ``name``."""
    try:
        return SCORERS[name]
    except KeyError:
        raise ValueError(f"unknown scorer {name!r}; choose one of {', '.join(SCORERS)}") from None


@dataclass(frozen=True, slots=True)
class RankConfig:
    """The ranking's parameters (the defaults are the measured ones)."""

    scorer: str = "softmax"
    beta: float = 6.0
    hub_weight: float = 0.25
    negative_weight: float = 1.0
    author_boost: float = 0.1
    category_boost: float = 0.03
    exploration: float = 0.0
    seed: int = 0

    @classmethod
    def from_settings(cls, settings: Settings, seed: int = 0) -> RankConfig:
        """The ranking the settings describe; ``seed`` varies exploration (e.g. reader and day)."""
        return cls(exploration=settings.recommend_exploration, seed=seed)


@dataclass(frozen=True)
class Preferences:
    """Follows and mutes: boosts and hard filters, kept outside the model (they change without retraining)."""

    followed_authors: frozenset[str] = frozenset()
    followed_categories: frozenset[str] = frozenset()
    muted_authors: frozenset[str] = frozenset()
    muted_categories: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Candidates:
    """A batch of papers to rank (a day's new papers), featurised once for every reader."""

    ids: list[str]
    texts: list[str]
    rows: sp.csr_matrix
    hub: np.ndarray
    categories: list[list[str]] = field(default_factory=list)
    authors: list[list[str]] = field(default_factory=list)
    by_term: sp.csr_matrix | None = None
    """``rows`` transposed, as CSR (terms × candidates), made once by ``build``: every reader's product
    with it then needs no conversion of a 2^20-wide matrix (which cost more than the rest of ranking)."""
    surfaces: dict[int, dict[int, str]] = field(default_factory=dict)
    """Per candidate, its buckets read back as words (filled by ``explain`` as needed, shared by readers)."""
    postings: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    """Where each id, author and category occurs (``("id" | "author" | "category", value)`` → candidate
    indices), made on first use (``postings``) and shared by readers, so a reader's follows, mutes and
    library cost lookups rather than a pass over every candidate."""

    @classmethod
    def build(cls, background: Background, ids: Sequence[str], titles: Sequence[str], abstracts: Sequence[str],
              categories: Sequence[Sequence[str]] | None = None,
              authors: Sequence[Sequence[str]] | None = None) -> Candidates:
        """Vectorise the papers and measure their hubness."""
        texts = [paper_text(t, a) for t, a in zip(titles, abstracts, strict=True)]
        rows = background.rows(texts)
        return cls(list(ids), texts, rows, background.hubness(rows),
                   [list(c) for c in categories] if categories is not None else [[] for _ in ids],
                   [list(a) for a in authors] if authors is not None else [[] for _ in ids],
                   by_term=rows.T.tocsr())


@dataclass(frozen=True, slots=True)
class Recommendation:
    """One ranked paper: its index in the candidates, score and parts, and whether exploration put it there."""

    index: int
    paper_id: str
    score: float
    content: float
    boost: float
    explored: bool = False


def similarities(model: UserModel, candidates: Candidates) -> tuple[np.ndarray, np.ndarray]:
    """Cosines of the candidates to the positive rows and to the negative rows (rows × candidates)."""
    other = candidates.by_term if candidates.by_term is not None else candidates.rows.T
    pos = (model.positives @ other).toarray()
    neg = (model.negatives @ other).toarray()
    return pos, neg


def content_scores(model: UserModel, candidates: Candidates, config: RankConfig) -> np.ndarray:
    """The content score of every candidate (0 for a reader with no positives, less the penalties)."""
    pos, neg = similarities(model, candidates)
    n = len(candidates.ids)
    score = get_scorer(config.scorer)(pos, model.positive_weights, config.beta) if pos.shape[0] else np.zeros(n)
    score = score - config.hub_weight * candidates.hub
    if neg.shape[0]:
        score = score - config.negative_weight * neg.max(axis=0)
    return np.asarray(score, dtype=np.float64)


def postings(candidates: Candidates) -> dict[tuple[str, str], list[int]]:
    """``candidates.postings``, made on first use (built aside and then added whole, so readers on other
    threads see it complete or not at all)."""
    if not candidates.postings and candidates.ids:
        made: dict[tuple[str, str], list[int]] = {}
        for i, (pid, cats, names) in enumerate(zip(candidates.ids, candidates.categories, candidates.authors,
                                                   strict=True)):
            made.setdefault(("id", pid), []).append(i)
            for cat in cats:
                made.setdefault(("category", cat), []).append(i)
            for name in names:
                made.setdefault(("author", name), []).append(i)
        candidates.postings.update(made)
    return candidates.postings


def _having(candidates: Candidates, kind: str, values: Iterable[str]) -> np.ndarray:
    """A mask of the candidates with any of ``values`` (ids, authors or categories)."""
    mask = np.zeros(len(candidates.ids), dtype=bool)
    where = postings(candidates)
    for value in values:
        mask[where.get((kind, value), [])] = True
    return mask


def boosts(candidates: Candidates, prefs: Preferences, config: RankConfig) -> np.ndarray:
    """Followed authors and categories, per candidate; −inf for a muted one (a hard filter)."""
    out = np.zeros(len(candidates.ids))
    if not (prefs.followed_authors or prefs.followed_categories or prefs.muted_authors or prefs.muted_categories):
        return out
    out += config.author_boost * _having(candidates, "author", prefs.followed_authors)
    out += config.category_boost * _having(candidates, "category", prefs.followed_categories)
    out[_having(candidates, "author", prefs.muted_authors) | _having(candidates, "category", prefs.muted_categories)] \
        = -np.inf
    return out


def rank(model: UserModel, candidates: Candidates, prefs: Preferences | None = None,
         config: RankConfig | None = None, limit: int = 100) -> list[Recommendation]:
    """The reader's top ``limit`` candidates, best first, with exploration mixed in when configured."""
    config = config or RankConfig()
    prefs = prefs or Preferences()
    content = content_scores(model, candidates, config)
    extra = boosts(candidates, prefs, config)
    total = content + extra
    # the reader's own papers are never recommended back, nor a muted one
    allowed = np.isfinite(extra) & ~_having(candidates, "id", {*model.positive_ids, *model.negative_ids})
    ranked = np.lexsort((np.arange(len(total)), -total))
    order: list[int] = ranked[allowed[ranked]].tolist()
    picked = mix(order[:limit], order[limit:], config.exploration, config.seed)
    return [Recommendation(i, candidates.ids[i], float(total[i]), float(content[i]),
                           float(extra[i]), explored) for i, explored in picked]

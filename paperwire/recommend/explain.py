"""Why a paper is recommended (pure).

Every recommendation names the library papers it is most like (their share
of the soft maximum), the followed authors and categories it matches, and
the terms that carried the match, as arxiv-sanity shows its SVM's weights:
a term's part is its weight in the candidate times its weight in the
library rows, each row counted by its share. Terms are read back from the
candidate's own text, so hashed buckets show as the words that filled them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from paperwire.recommend.model import UserModel
from paperwire.recommend.scoring import Candidates, Preferences, RankConfig
from paperwire.recommend.text import bucket, terms


@dataclass(frozen=True)
class Explanation:
    """The reasons for one recommendation, strongest first."""

    paper_id: str
    like: tuple[str, ...]
    authors: tuple[str, ...]
    categories: tuple[str, ...]
    terms: tuple[str, ...]
    explored: bool = False

    def sentences(self, titles: dict[str, str] | None = None) -> list[str]:
        """The reasons as short sentences (library papers named by title when ``titles`` has them)."""
        titles = titles or {}
        out = []
        if self.explored:
            out.append("outside your usual topics, to explore")
        if self.authors:
            out.append(f"by an author you follow: {', '.join(self.authors)}")
        if self.categories:
            out.append(f"in a category you follow: {', '.join(self.categories)}")
        if self.like:
            named = [f"“{titles[p]}”" if p in titles else p for p in self.like]
            out.append(f"like {' and '.join(named)} in your library")
        if self.terms:
            out.append(f"matching terms: {', '.join(self.terms)}")
        return out


def shares(sims: np.ndarray, weights: np.ndarray, beta: float) -> np.ndarray:
    """Each library row's share of the soft maximum over one candidate's cosines (sums to 1)."""
    if sims.size == 0:
        return sims
    scaled = beta * sims + np.log(np.maximum(weights, 1e-12))
    scaled = np.exp(scaled - scaled.max())
    return np.asarray(scaled / scaled.sum())


def explain(model: UserModel, candidates: Candidates, index: int, prefs: Preferences | None = None,
            config: RankConfig | None = None, explored: bool = False, n_like: int = 2,
            n_terms: int = 5) -> Explanation:
    """The reasons for recommending ``candidates.ids[index]`` to the model's reader."""
    config = config or RankConfig()
    prefs = prefs or Preferences()
    row = candidates.rows[index]
    like: tuple[str, ...] = ()
    top_terms: tuple[str, ...] = ()
    if not model.empty:
        sims = (model.positives @ row.T).toarray().ravel()
        part = shares(sims, model.positive_weights, config.beta)
        order = [i for i in np.argsort(-part, kind="stable") if sims[i] > 0]
        like = tuple(model.positive_ids[i] for i in order[:n_like])
        # The library's weight on each of the candidate's buckets, each row scaled by its share (only the
        # candidate's columns: summing all 2^20 columns cost more than the ranking itself).
        library = np.asarray(model.positives[:, row.indices].T @ part).ravel()
        contribution = {int(b): float(v) * float(w)
                        for b, v, w in zip(row.indices, row.data, library, strict=True) if w > 0}
        text = candidates.texts[index] if candidates.texts else ""
        surface: dict[int, str] = {}
        for term in terms(text):
            surface.setdefault(bucket(term), term)
        ranked = sorted(contribution, key=lambda b: -contribution[b])
        top_terms = tuple(surface[b] for b in ranked if b in surface)[:n_terms]
    authors = tuple(a for a in candidates.authors[index] if a in prefs.followed_authors)
    cats = tuple(c for c in candidates.categories[index] if c in prefs.followed_categories)
    return Explanation(candidates.ids[index], like, authors, cats, top_terms, explored)

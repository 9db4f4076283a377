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
from itertools import islice

import numpy as np
import scipy.sparse as sp

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
            n_terms: int = 5, library: sp.coo_matrix | None = None) -> Explanation:
    """The reasons for recommending ``candidates.ids[index]`` to the model's reader (``library``: the
    model's positives as COO, when the caller explains several papers and converts them once)."""
    config = config or RankConfig()
    prefs = prefs or Preferences()
    rows = candidates.rows
    lo, hi = rows.indptr[index], rows.indptr[index + 1]
    cols, values = rows.indices[lo:hi], rows.data[lo:hi]
    like: tuple[str, ...] = ()
    top_terms: tuple[str, ...] = ()
    if not model.empty:
        # Only the library entries on the candidate's buckets matter: find them with one sorted lookup
        # (sparse products against a 2^20-wide row converted whole matrices and cost milliseconds each).
        lib = library if library is not None else model.positives.tocoo()
        order_c = np.argsort(cols)
        where = np.searchsorted(cols[order_c], lib.col)
        where = np.minimum(where, max(len(cols) - 1, 0))
        hit = (cols[order_c][where] == lib.col) if len(cols) else np.zeros(len(lib.col), dtype=bool)
        pos = order_c[where[hit]]  # index into the candidate's entries
        r, v, cv = lib.row[hit], lib.data[hit], values[pos]
        sims = np.bincount(r, weights=v * cv, minlength=len(model.positive_ids))
        part = shares(sims, model.positive_weights, config.beta)
        order = [i for i in np.argsort(-part, kind="stable") if sims[i] > 0]
        like = tuple(model.positive_ids[i] for i in order[:n_like])
        # a term's part: its weight in the candidate times the library's weight on it, rows by their share
        per_term = np.bincount(pos, weights=part[r] * v * cv, minlength=len(cols))
        carrying = np.flatnonzero(per_term > 0)  # strongest first; ties in the row's order
        ranked = cols[carrying[np.argsort(-per_term[carrying], kind="stable")]].tolist()
        surface = candidates.surfaces.get(index)
        if surface is None:  # once per candidate, whichever reader asks first
            surface = {}
            for term in terms(candidates.texts[index] if candidates.texts else ""):
                surface.setdefault(bucket(term), term)
            candidates.surfaces[index] = surface
        top_terms = tuple(islice((surface[b] for b in ranked if b in surface), n_terms))
    authors = tuple(a for a in candidates.authors[index] if a in prefs.followed_authors)
    cats = tuple(c for c in candidates.categories[index] if c in prefs.followed_categories)
    return Explanation(candidates.ids[index], like, authors, cats, top_terms, explored)

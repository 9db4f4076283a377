"""A reader's "For you" ranking of a pool of papers, with reasons (pure: no store, no clock).

``Pool`` is the papers of one window (a day's or a week's new papers, one category or all), featurised
once and shared by every reader: the page, the feed, the API and each digest rank the same pool the
same way, so they agree. ``rank_pool`` applies a reader's signals: follows are boosts, muted authors
and keywords are hard filters (a muted keyword anywhere in the title or abstract), papers the reader
already saved or rated are left out, and every item carries sentences saying why it is there.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from paperwire.models import Paper, UserSignals
from paperwire.models.library import author_key, fold
from paperwire.recommend.explain import Explanation, explain
from paperwire.recommend.features import Background
from paperwire.recommend.model import UserModel
from paperwire.recommend.scoring import Candidates, Preferences, RankConfig, rank

FAINT = "only faintly like your library: rate it to teach your ranking"


@dataclass(frozen=True)
class Pool:
    """The papers of one window, featurised against one background."""

    papers: list[Paper]
    candidates: Candidates
    folded: list[str]
    """Each paper's title and abstract as ``fold`` leaves them, padded with spaces (for keyword mutes)."""
    background: str

    @classmethod
    def build(cls, background: Background, papers: Sequence[Paper]) -> Pool:
        """Vectorise the papers (the costly step: about 0.3 ms a paper) and index their authors by normal form."""
        papers = list(papers)
        cands = Candidates.build(background, [p.id for p in papers], [p.title for p in papers],
                                 [p.abstract for p in papers], [p.categories for p in papers],
                                 [[author_key(a) for a in p.authors] for p in papers])
        folded = [f" {fold(p.title)} {fold(p.abstract)} " for p in papers]
        return cls(papers, cands, folded, background.fingerprint)

    def __len__(self) -> int:
        return len(self.papers)


@dataclass(frozen=True, slots=True)
class Ranked:
    """One recommended paper: its score, whether exploration put it there, and why."""

    paper: Paper
    score: float
    explored: bool
    reasons: list[str]
    like: list[str] = field(default_factory=list)
    """Ids of the library papers it is most like."""
    terms: list[str] = field(default_factory=list)
    followed: list[str] = field(default_factory=list)
    """Followed authors and categories it matches, as the reader named them."""

    def to_json(self) -> dict[str, Any]:
        """The reasons as the API and ``paperwire recommend --json`` give them (the paper is added by the caller)."""
        return {"score": round(self.score, 4), "explored": self.explored, "reasons": self.reasons,
                "like": self.like, "terms": self.terms, "followed": self.followed}


def preferences_of(signals: UserSignals) -> Preferences:
    """Follows as boosts, muted authors as filters (keywords are filtered by ``rank_pool`` itself)."""
    return Preferences(followed_authors=frozenset(signals.followed_authors),
                       followed_categories=frozenset(signals.followed_categories),
                       muted_authors=frozenset(signals.muted_authors))


def seed_for(user_id: int, day: str) -> int:
    """A stable seed per reader and day: exploration picks the same papers on every page load that day."""
    return zlib.crc32(f"{user_id}:{day}".encode())


def keyword_muted(pool: Pool, keys: Sequence[str]) -> list[int]:
    """Indices of the pool's papers whose title or abstract holds a muted keyword (normal forms)."""
    if not keys:
        return []
    needles = [f" {k} " for k in keys if k]
    return [i for i, text in enumerate(pool.folded) if any(n in text for n in needles)]


def subset(cands: Candidates, keep: Sequence[int]) -> Candidates:
    """The candidates at ``keep`` (same order)."""
    idx = np.asarray(keep, dtype=np.int64)
    by_term = cands.by_term[:, idx].tocsr() if cands.by_term is not None else None
    return Candidates([cands.ids[i] for i in keep], [cands.texts[i] for i in keep], cands.rows[idx],
                      cands.hub[idx], [cands.categories[i] for i in keep], [cands.authors[i] for i in keep],
                      by_term=by_term)


def reasons_of(why: Explanation, signals: UserSignals, titles: dict[str, str]) -> list[str]:
    """The explanation as sentences, followed authors and categories named as the reader named them."""
    named = replace(why, authors=tuple(signals.followed_authors.get(a, a) for a in why.authors),
                    categories=tuple(signals.followed_categories.get(c, c) for c in why.categories))
    return named.sentences(titles) or [FAINT]


def rank_pool(model: UserModel, pool: Pool, signals: UserSignals, exploration: float, seed: int,
              limit: int, offset: int = 0, config: RankConfig | None = None
              ) -> tuple[list[tuple[int, bool, float, Explanation]], Candidates]:
    """The reader's ranking of the pool from ``offset``: (pool index, explored, score, explanation) per item,
    and the candidates ranked (the pool less keyword-muted papers). Titles are not looked up here."""
    config = replace(config or RankConfig(), exploration=exploration, seed=seed)
    prefs = preferences_of(signals)
    muted = set(keyword_muted(pool, list(signals.muted_keywords)))
    keep = [i for i in range(len(pool)) if i not in muted] if muted else range(len(pool))
    cands = pool.candidates if not muted else subset(pool.candidates, keep)
    # Papers the reader rated after the model was trained are left out too (the model knows the rest).
    rated = (set(signals.positive_ids()) | set(signals.negative_ids())).intersection(cands.ids)
    recs = rank(model, cands, prefs, config, limit=offset + limit + len(rated))
    recs = [r for r in recs if r.paper_id not in rated][offset:offset + limit]
    out = []
    library = model.positives.tocoo()  # once for every paper explained
    for rec in recs:
        why = explain(model, cands, rec.index, prefs, config, explored=rec.explored, library=library)
        out.append((keep[rec.index], rec.explored, rec.score, why))
    return out, cands


def ranked_items(pool: Pool, picked: Sequence[tuple[int, bool, float, Explanation]], signals: UserSignals,
                 titles: dict[str, str]) -> list[Ranked]:
    """``rank_pool``'s output as ``Ranked`` items with their sentences (``titles``: library papers' titles)."""
    out = []
    for index, explored, score, why in picked:
        followed = [signals.followed_authors.get(a, a) for a in why.authors] + \
            [signals.followed_categories.get(c, c) for c in why.categories]
        out.append(Ranked(pool.papers[index], score, explored, reasons_of(why, signals, titles), list(why.like),
                          list(why.terms), followed))
    return out

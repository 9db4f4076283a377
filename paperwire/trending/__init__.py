"""What is hot: a documented, pure score of a paper's signals per window (day, week, month).

- ``formula``: the score and its named pieces, the reasons ("+312 stars this week"), the ranking.
- ``signals``: from the store's raw data to each paper's signals (stars and upvotes gained, age).
- ``service``: recompute the stored rankings (the worker's job), read them for pages, API and CLI.

docs/trending.md explains the formula, its parameters and why.
"""

from __future__ import annotations

from paperwire.trending.formula import Formula, ScoreParts, Signals, explain, rank, score, summary
from paperwire.trending.service import (
    PaperTrend,
    TrendingItem,
    TrendingList,
    compute,
    paper_trend,
    ranking,
    recompute,
)

__all__ = [
    "Formula", "PaperTrend", "ScoreParts", "Signals", "TrendingItem", "TrendingList", "compute", "explain",
    "paper_trend", "rank", "ranking", "recompute", "score", "summary",
]

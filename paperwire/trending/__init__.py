"""What is hot: a documented, pure score of a paper's signals per window (day, week, month).

- ``formula``: the score and its named pieces, the reasons ("+312 stars this week"), the ranking.
- ``activity``: from the store's raw data to each paper's signals (stars and upvotes gained, age).
- ``service``: recompute the stored rankings (the worker's job).
- ``reader``: the one reader of stored rankings, for the CLI, pages, API, feeds and digests.
- ``sparkline``: a pure, accessible SVG line chart of a repository's stars.

docs/trending.md explains the formula, its parameters and why.
"""

from __future__ import annotations

from paperwire.trending.formula import Formula, ScoreParts, Signals, explain, rank, score, summary
from paperwire.trending.reader import PaperTrend, TrendingItem, TrendingList, paper_trend, ranking
from paperwire.trending.service import compute, recompute

__all__ = [
    "Formula", "PaperTrend", "ScoreParts", "Signals", "TrendingItem", "TrendingList", "compute", "explain",
    "paper_trend", "rank", "ranking", "recompute", "score", "summary",
]

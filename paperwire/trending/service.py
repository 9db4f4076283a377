"""Trending over a store: recompute the stored rankings (reading them is ``trending.reader``).

``recompute`` is what the worker's ``trending`` job runs: for each window
it reads the inputs (``Store.trending.trending_inputs``) and the community's upvotes
and submissions of the window (``Store.community.community_activity``), scores them
with the pure formula and replaces the window's ranking in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from paperwire.config import Settings
from paperwire.models import TRENDING_WINDOWS, TrendingEntry
from paperwire.store import Store
from paperwire.trending.activity import community_signals, gather
from paperwire.trending.formula import WINDOW_LENGTH, Formula, check_window, rank


def compute(store: Store, window: str, now: datetime, formula: Formula, keep: int | None = None,
            community: Mapping[str, int] | None = None) -> list[TrendingEntry]:
    """The ranking of ``window`` ending at ``now``, computed from the store (nothing is written).

    ``community`` (upvotes per paper) replaces what the store records of the community in the window;
    by default the store's ``community_activity`` of the window is read. Papers with community
    activity are candidates however old they are.
    """
    start = now - WINDOW_LENGTH[check_window(window)]
    if community is None:
        community, extra = community_signals(store.community.community_activity(start, now))
    else:
        extra = {pid for pid, n in community.items() if n > 0}
    inputs = store.trending.trending_inputs(start, now, also=sorted(extra))
    return rank(gather(inputs, community), window, now, formula, keep)


def recompute(store: Store, settings: Settings, now: datetime | None = None,
              windows: Sequence[str] = TRENDING_WINDOWS,
              community: Mapping[str, int] | None = None) -> dict[str, int]:
    """Recompute and store each window's ranking (one transaction per window); returns papers ranked per window.

    Each window counts the community upvotes made in it (``compute``); ``community`` overrides them
    for every window.
    """
    now = now or datetime.now(UTC)
    formula = Formula.from_settings(settings)
    counts: dict[str, int] = {}
    for window in windows:
        entries = compute(store, window, now, formula, settings.trending_keep, community)
        store.trending.replace_trending(window, entries, now)
        counts[window] = len(entries)
    return counts

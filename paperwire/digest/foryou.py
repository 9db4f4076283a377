"""The "For you" section of digests: for each subscriber linked to an account, the top of their own
ranking of the digest's period (``recommend.service``: the same ranking as their For-you page, API and
private feed over the same days), each paper with its reasons.

The period's papers are featurised once (``service.pool_for``) and shared by every subscriber; the
store is read per batch of subscribers (``service.rank_many``), and each subscriber then costs their
model (retrained only when their signals changed) and a ranking of the pool.
"""

from __future__ import annotations

from collections.abc import Sequence

from paperwire.config import Settings
from paperwire.models import DigestPeriod, Subscriber
from paperwire.recommend import service
from paperwire.store import Store

REASON = "foryou"
"""The kind of a For-you entry's reason in a digest (its value: the reasons, joined by " · ")."""


def foryou_picks(store: Store, settings: Settings, subscribers: Sequence[Subscriber], period: DigestPeriod,
                 errors: list[str] | None = None) -> dict[int, list[tuple[str, str]]]:
    """Per subscriber id, up to ``limit`` ``(paper id, why)`` of their ranking of the period, best first
    (more than the section shows, so papers sent before can be skipped). Subscribers without an account,
    or whose account has nothing to learn from, get nothing."""
    linked = [s for s in subscribers if s.user_id is not None]
    if not linked or settings.digest_foryou_papers == 0:
        return {}
    try:
        background = service.ensure_background(store, settings)
    except service.NoBackground:
        return {}
    pool = service.pool_for(store, background, period.start, period.end)
    if not len(pool):
        return {}
    # a few spare for papers sent before; each one explained costs about as much as the ranking itself
    limit = settings.digest_foryou_papers + 3
    by_user: dict[int, list[int]] = {}
    for sub in linked:
        assert sub.user_id is not None
        by_user.setdefault(sub.user_id, []).append(sub.id)

    def failed(user_id: int, exc: Exception) -> None:  # one reader's broken model must not stop everyone's digest
        if errors is not None:
            errors.extend(f"for you, subscriber {sid}: {type(exc).__name__}: {exc}" for sid in by_user[user_id])

    ranked = service.rank_many(store, settings, list(by_user), pool, background, limit=limit, on_error=failed)
    out: dict[int, list[tuple[str, str]]] = {}
    for user_id, items in ranked.items():
        if items:
            picks = [(i.paper.id, " · ".join(i.reasons)) for i in items]
            out.update((sid, picks) for sid in by_user[user_id])
    return out

"""The trending score: a pure function of a paper's signals, its age and the window.

For a window of length ``W`` ending at ``now``::

    signal    = w_stars · ln(1 + stars gained in the window)
              + w_hf    · ln(1 + Hugging Face upvotes gained in the window)
              + w_fresh                                   (the freshness prior)
    community = w_comm  · ln(1 + Paperwire upvotes gained in the window)
    decay(a)  = 2 ^ (−a / half-life of the window)
    score     = signal · decay(age) + community · decay(min(age, W))

The logarithm damps counts, so a paper with 10,000 stars does not bury one
with upvotes and stars of its own, and the sum rewards papers with several
signals. The decay is the age discount of Hacker News's gravity or Papers
with Code's "stars per hour", with a half-life per window: a paper one
half-life old needs roughly the square of a fresh paper's gains to tie it.
The freshness prior (below ln 2, the worth of a single star at weight 1)
ranks recent papers without any signal after every paper with one, newest
first.

Community upvotes are this instance's own readers voting *now*: an upvote
counts when it was made in the window, by an account that is not disabled
(saves do not count: a library is a private reading list, and an account
that upvotes and saves a paper would count twice). Their discount stops at
one window's age, so a paper announced last year that the community
upvotes this week can still trend — ranked like a paper one window old,
after a new paper with the same upvotes. Stars and Hugging Face upvotes keep
the full discount: an old, famous repository gains stars every week without
anyone rediscovering the paper. docs/trending.md explains the choices and
gives an example.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from paperwire.config import Settings
from paperwire.models import TRENDING_WINDOWS, TrendingEntry

WINDOW_LENGTH: Mapping[str, timedelta] = {"day": timedelta(days=1), "week": timedelta(days=7),
                                          "month": timedelta(days=30)}
WINDOW_PHRASE: Mapping[str, str] = {"day": "today", "week": "this week", "month": "this month"}


def check_window(window: str) -> str:
    """``window`` if it is one of day, week, month; ValueError otherwise."""
    if window not in TRENDING_WINDOWS:
        raise ValueError(f"unknown trending window {window!r}: use one of {', '.join(TRENDING_WINDOWS)}")
    return window


@dataclass(frozen=True, slots=True)
class Formula:
    """The score's parameters (settings ``trending_*``): weights and a half-life in days per window."""

    star_weight: float = 1.0
    hf_weight: float = 1.0
    community_weight: float = 1.0
    fresh_weight: float = 0.5
    half_life_days: Mapping[str, float] = field(
        default_factory=lambda: {"day": 2.0, "week": 7.0, "month": 30.0})

    @classmethod
    def from_settings(cls, settings: Settings) -> Formula:
        """The formula the settings describe."""
        return cls(settings.trending_star_weight, settings.trending_hf_weight, settings.trending_community_weight,
                   settings.trending_fresh_weight,
                   {"day": settings.trending_half_life_day, "week": settings.trending_half_life_week,
                    "month": settings.trending_half_life_month})


@dataclass(frozen=True, slots=True)
class Signals:
    """What is measured of one paper for one window.

    ``published`` is the paper's most recent debut — the later of its arXiv
    announcement and its first Hugging Face daily list — and ``published_by``
    says which (``arxiv``, ``hf``, or ``submitted`` when only the submission
    date is known). ``repo`` is the paper's best-linked repository, whose
    stars count; ``repo_stars`` its latest total; ``hf_upvotes`` the latest
    HF total; ``community`` the upvotes Paperwire's own enabled accounts
    made in the window.
    """

    paper_id: str
    stars_gained: int = 0
    hf_gained: int = 0
    community: int = 0
    published: datetime | None = None
    published_by: str = "arxiv"
    repo: str | None = None
    repo_stars: int | None = None
    hf_upvotes: int = 0


@dataclass(frozen=True, slots=True)
class ScoreParts:
    """The named pieces of a score: each weighted, damped signal, the prior, the decay and the total."""

    stars: float
    hf: float
    community: float
    fresh: float
    age_hours: float
    decay: float
    total: float
    community_decay: float = 1.0

    def as_dict(self) -> dict[str, float]:
        """Rounded for storage and display."""
        return {"stars": round(self.stars, 6), "hf": round(self.hf, 6), "community": round(self.community, 6),
                "fresh": round(self.fresh, 6), "age_hours": round(self.age_hours, 2),
                "decay": round(self.decay, 6), "community_decay": round(self.community_decay, 6),
                "total": round(self.total, 6)}


def damp(count: float) -> float:
    """``ln(1 + count)``; negative counts (unstarred repositories) count as 0."""
    return math.log1p(max(count, 0.0))


def age_hours(published: datetime | None, now: datetime, window: str) -> float:
    """Hours from ``published`` to ``now`` (never negative); an unknown date counts as one window old."""
    if published is None:
        return WINDOW_LENGTH[window].total_seconds() / 3600
    return max((now - published).total_seconds() / 3600, 0.0)


def decay(hours: float, half_life_days: float) -> float:
    """``2^(−hours / half-life)``: 1 when new, 1/2 after one half-life."""
    return float(0.5 ** (max(hours, 0.0) / (half_life_days * 24.0)))


def score(signals: Signals, window: str, now: datetime, formula: Formula) -> ScoreParts:
    """The trending score of ``signals`` in ``window`` at ``now``, with its pieces."""
    hours = age_hours(signals.published, now, window)
    half_life = formula.half_life_days[check_window(window)]
    factor = decay(hours, half_life)
    # community upvotes are votes cast in the window: their discount stops at one window's age
    community_factor = decay(min(hours, WINDOW_LENGTH[window].total_seconds() / 3600), half_life)
    stars = formula.star_weight * damp(signals.stars_gained)
    hf = formula.hf_weight * damp(signals.hf_gained)
    community = formula.community_weight * damp(signals.community)
    total = (stars + hf + formula.fresh_weight) * factor + community * community_factor
    return ScoreParts(stars, hf, community, formula.fresh_weight, hours, factor, total, community_factor)


# -- reasons ---------------------------------------------------------------------------------

def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def age_phrase(hours: float) -> str:
    """``today``, ``yesterday``, ``3 days ago``, ``2 weeks ago``, ``4 months ago``, ``2 years ago``."""
    days = int(hours // 24)
    if days < 1:
        return "today"
    if days == 1:
        return "yesterday"
    if days < 14:
        return f"{days} days ago"
    if days < 60:
        return f"{days // 7} weeks ago"
    if days < 730:
        return f"{days // 30} months ago"
    return f"{days // 365} years ago"


def explain(signals: Signals, window: str, now: datetime) -> list[dict[str, Any]]:
    """Why a paper ranks where it does, as ``{"kind", "text", "value"}`` reasons in display order.

    Only signals that raised the score are named (``+312 stars this week``,
    ``48 upvotes on Hugging Face``, ``+5 upvotes on Paperwire this week``),
    then the age (``announced 2 days ago``).
    """
    phrase = WINDOW_PHRASE[check_window(window)]
    reasons: list[dict[str, Any]] = []
    if signals.stars_gained > 0:
        text = f"+{_count(signals.stars_gained, 'star', 'stars')} {phrase}"
        reasons.append({"kind": "stars", "text": text + (f" on {signals.repo}" if signals.repo else ""),
                        "value": signals.stars_gained, "short": text})
    if signals.hf_gained > 0:
        if signals.hf_gained >= signals.hf_upvotes:
            text = f"{_count(signals.hf_gained, 'upvote', 'upvotes')} on Hugging Face"
        else:
            text = (f"+{_count(signals.hf_gained, 'upvote', 'upvotes')} on Hugging Face {phrase} "
                    f"({signals.hf_upvotes:,} in all)")
        reasons.append({"kind": "hf", "text": text, "value": signals.hf_gained, "short": text})
    if signals.community > 0:
        text = f"+{_count(signals.community, 'upvote', 'upvotes')} on Paperwire {phrase}"
        reasons.append({"kind": "community", "text": text, "value": signals.community, "short": text})
    if signals.published is not None:
        hours = age_hours(signals.published, now, window)
        verb = {"hf": "featured on Hugging Face", "submitted": "submitted"}.get(signals.published_by, "announced")
        text = f"{verb} {age_phrase(hours)}"
        reasons.append({"kind": "age", "text": text, "value": round(hours, 1), "short": text})
    return reasons


def summary(reasons: Iterable[dict[str, Any]]) -> str:
    """The reasons as one line: ``+312 stars this week · 48 upvotes on Hugging Face · announced 2 days ago``."""
    return " · ".join(str(r.get("short") or r["text"]) for r in reasons)


# -- ranking ---------------------------------------------------------------------------------

def signals_dict(signals: Signals, parts: ScoreParts) -> dict[str, Any]:
    """What is stored with a ranked paper: the measured signals and the pieces of its score."""
    return {
        "stars_gained": signals.stars_gained, "repo": signals.repo, "repo_stars": signals.repo_stars,
        "hf_gained": signals.hf_gained, "hf_upvotes": signals.hf_upvotes, "community": signals.community,
        "published": signals.published.isoformat() if signals.published else None,
        "published_by": signals.published_by, "parts": parts.as_dict(),
    }


def rank(candidates: Iterable[Signals], window: str, now: datetime, formula: Formula,
         keep: int | None = None) -> list[TrendingEntry]:
    """Score, order and number candidates: highest score first; equal scores newest id first, so the
    order never depends on the input's order. Papers scoring 0 are left out; ``keep`` caps the list."""
    scored = [(s, score(s, window, now, formula)) for s in candidates]
    scored = [(s, p) for s, p in scored if p.total > 0]
    scored.sort(key=lambda sp: sp[0].paper_id, reverse=True)
    scored.sort(key=lambda sp: sp[1].total, reverse=True)  # stable: ties keep the id order
    if keep is not None:
        scored = scored[:keep]
    return [TrendingEntry(window, s.paper_id, i, p.total, explain(s, window, now), signals_dict(s, p), now)
            for i, (s, p) in enumerate(scored, start=1)]

"""Listing periods: a day, an ISO week (``2026-W20``) or a month (``2026-05``), and trending windows.

Pure date arithmetic plus ``neighbours``, which asks the store for the
nearest periods that have papers (so navigation never lands on an empty page).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from paperwire.store import Store

Kind = Literal["day", "week", "month"]
KINDS: tuple[Kind, ...] = ("day", "week", "month")
_WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")

# Trending windows end on the newest announcement day, not on the wall clock: a mirror of
# an older dump, or a quiet weekend, should still show the latest papers.
WINDOWS: dict[str, int] = {"day": 1, "week": 7, "month": 30}  # the names of models.TRENDING_WINDOWS
WINDOW_LABELS: dict[str, str] = {"day": "Today", "week": "This week", "month": "This month"}
# ``today``: how the public URLs (API and feed ``period=``, ``/trending/today``) have always said ``day``.
WINDOW_ALIASES: dict[str, str] = {"today": "day"}


def window_name(param: str) -> str:
    """The window a URL names: ``day``, ``week``, ``month`` (``today`` is ``day``)."""
    return WINDOW_ALIASES.get(param, param)


class PeriodError(ValueError):
    """A period that does not parse; the message is meant for the user."""


@dataclass(frozen=True, slots=True)
class ListingPeriod:
    """A calendar period with inclusive bounds."""

    kind: Kind
    start: date
    end: date

    @property
    def key(self) -> str:
        """``2025-03-18``, ``2026-W20`` or ``2026-05``."""
        if self.kind == "day":
            return self.start.isoformat()
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.start:%Y-%m}"

    @property
    def path(self) -> str:
        """The page of this period."""
        return {"day": "/daily/", "week": "/week/", "month": "/month/"}[self.kind] + self.key

    @property
    def label(self) -> str:
        """A heading: ``Tuesday 18 March 2025``, ``Week 20 of 2026``, ``May 2026``."""
        if self.kind == "day":
            return f"{self.start:%A} {self.start.day} {self.start:%B %Y}"
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"Week {week} of {year}"
        return f"{self.start:%B %Y}"

    @property
    def short_label(self) -> str:
        """For navigation links: ``Wed 19 Mar 2025``, ``Week 21, 2026``, ``Jun 2026``."""
        if self.kind == "day":
            return f"{self.start:%a} {self.start.day} {self.start:%b %Y}"
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"Week {week}, {year}"
        return f"{self.start:%b %Y}"

    @property
    def span(self) -> str:
        """The dates it covers, for under the heading: ``11–17 May 2026``."""
        return span_label(self.start, self.end)


def span_label(start: date, end: date) -> str:
    """``18 March 2025``, ``11–17 May 2026``, ``27 April – 3 May 2026``, ``29 Dec 2025 – 4 Jan 2026``."""
    if start == end:
        return f"{start.day} {start:%B %Y}"
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{end.day} {end:%B %Y}"
    if start.year == end.year:
        return f"{start.day} {start:%B} – {end.day} {end:%B %Y}"
    return f"{start.day} {start:%B %Y} – {end.day} {end:%B %Y}"


def containing(kind: Kind, day: date) -> ListingPeriod:
    """The period of ``kind`` that contains ``day``."""
    if kind == "day":
        return ListingPeriod("day", day, day)
    if kind == "week":
        monday = day - timedelta(days=day.weekday())
        return ListingPeriod("week", monday, monday + timedelta(days=6))
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return ListingPeriod("month", first, following - timedelta(days=1))


def parse_period(kind: Kind, text: str) -> ListingPeriod:
    """Parse ``YYYY-MM-DD``, ``YYYY-Www`` or ``YYYY-MM`` for its kind; PeriodError says what is wrong."""
    text = text.strip()
    try:
        if kind == "day":
            return containing("day", date.fromisoformat(text)) if len(text) == 10 else _fail(kind, text)
        if kind == "week":
            m = _WEEK_RE.match(text)
            if not m:
                return _fail(kind, text)
            return containing("week", date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1))
        m = _MONTH_RE.match(text)
        if not m:
            return _fail(kind, text)
        return containing("month", date(int(m.group(1)), int(m.group(2)), 1))
    except ValueError as exc:
        if isinstance(exc, PeriodError):
            raise
        raise PeriodError(f"{text!r} is not a valid {kind}: {exc}") from None


_EXAMPLES = {"day": "YYYY-MM-DD, e.g. 2026-05-14", "week": "an ISO week YYYY-Www, e.g. 2026-W20",
             "month": "YYYY-MM, e.g. 2026-05"}


def _fail(kind: Kind, text: str) -> ListingPeriod:
    raise PeriodError(f"{text!r} is not a valid {kind}: use {_EXAMPLES[kind]}")


def neighbours(store: Store, period: ListingPeriod) -> tuple[ListingPeriod | None, ListingPeriod | None]:
    """The nearest earlier and later periods of the same kind that have papers."""
    before, _ = store.papers.announced_days(period.start)
    _, after = store.papers.announced_days(period.end)
    return (containing(period.kind, before) if before else None,
            containing(period.kind, after) if after else None)


def window(name: str, latest: date) -> tuple[date, date]:
    """The trending window ``name`` (day, week, month) ending on ``latest``."""
    days = WINDOWS[name]
    return latest - timedelta(days=days - 1), latest

"""Plain data of subscriptions and digests: topics, subscribers, digest periods and entries. No I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

FREQUENCIES = ("daily", "weekly")
SUBSCRIBER_STATES = ("pending", "confirmed", "unsubscribed", "bounced")
TOPIC_KINDS = ("query", "category", "author")
_CATEGORY_RE = re.compile(r"^[A-Za-z\-]+(?:\.[A-Za-z\-]+)?$")


@dataclass(frozen=True, slots=True)
class Topic:
    """One thing a subscriber follows: a saved search, a category or an author."""

    kind: str
    value: str

    def query(self) -> str:
        """The search query (query syntax) that finds this topic's papers."""
        if self.kind == "category":
            return f"cat:{self.value}"
        if self.kind == "author":
            return f'author:"{self.value}"'
        return self.value

    def label(self) -> str:
        """How the topic is named to the subscriber."""
        if self.kind == "category":
            return f"category {self.value}"
        if self.kind == "author":
            return f"author {self.value}"
        return self.value


def parse_topic(text: str) -> Topic:
    """``cat:cs.CL`` is a category, ``author:Name`` / ``author:"Full Name"`` an author, anything else a query."""
    value = " ".join(text.split())
    lowered = value.lower()
    if lowered.startswith("cat:") and _CATEGORY_RE.match(value[4:]):
        return Topic("category", value[4:])
    if lowered.startswith("author:"):
        name = value[7:].strip()
        if name.startswith('"') and name.endswith('"') and len(name) > 2 and '"' not in name[1:-1]:
            name = name[1:-1].strip()
        if name and '"' not in name and ":" not in name:
            return Topic("author", name)
    return Topic("query", value)


@dataclass(slots=True)
class Subscriber:
    """An email address that asked for digests (``state`` is one of ``SUBSCRIBER_STATES``)."""

    id: int
    email: str
    frequency: str
    state: str
    source: str
    nonce: str
    topics: list[Topic] = field(default_factory=list)
    user_id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    confirmed_at: datetime | None = None
    unsubscribed_at: datetime | None = None
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class DigestPeriod:
    """A digest period: which subscribers (``frequency``), which papers (``start``…``end``), and its key."""

    frequency: str
    day: date
    start: date
    end: date

    @property
    def key(self) -> str:
        """``daily:2026-06-29`` or ``weekly:2026-W27``: one digest per subscriber and key."""
        if self.frequency == "weekly":
            year, week, _ = self.day.isocalendar()
            return f"weekly:{year}-W{week:02d}"
        return f"daily:{self.day.isoformat()}"

    @property
    def window(self) -> str:
        """The trending window: ``day`` or ``week``."""
        return "week" if self.frequency == "weekly" else "day"


def period_for(frequency: str, day: date) -> DigestPeriod:
    """The period a digest sent on ``day`` covers.

    Daily digests go out Monday to Friday and cover announcement days since the previous one
    (Monday's covers Saturday to Monday); weekly ones cover the seven days ending on ``day``.
    """
    if frequency not in FREQUENCIES:
        raise ValueError(f"unknown frequency {frequency!r}; choose daily or weekly")
    if frequency == "weekly":
        return DigestPeriod("weekly", day, day - timedelta(days=6), day)
    span = 3 if day.weekday() == 0 else 1
    return DigestPeriod("daily", day, day - timedelta(days=span - 1), day)


@dataclass(slots=True)
class DigestEntry:
    """One paper of a digest and why: reasons ``(trending-day|trending-week, the ranking's reasons)``,
    ``(new-day|new-week, "")`` (no ranking was computed yet) or ``(topic kind, value)``."""

    paper_id: str
    reasons: list[tuple[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.paper_id, "reasons": [list(r) for r in self.reasons]}

    @staticmethod
    def from_json(data: dict[str, Any]) -> DigestEntry:
        return DigestEntry(str(data["id"]), [(str(a), str(b)) for a, b in data.get("reasons", [])])

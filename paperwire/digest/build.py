"""Building digests: per subscriber and period, the top trending papers plus papers matching their
topics, never a paper already sent to them, each with why it is there.

Topic matching is the site's own search (``search.engine.search``) with the
topic's query and the period's dates as filters, in keyword mode, with every
word of the topic required (``strict_query``), as alert services do: a
search ranks papers that share any word, which would fill a quiet day's
digest with papers that merely mention "models". So a paper "matches your
topic" exactly when the search ``strict_query(topic) after:start
before:end+1`` finds it. Identical topics are searched once per period,
however many subscribers share them.

The top section is the stored trending ranking of the digest's window
(``StoredTrending``: ``day`` for daily digests, ``week`` for weekly ones, as
the worker's ``trending`` job last computed it), each paper with the
ranking's reasons ("Trending this week: +312 stars this week · announced 2
days ago"). Only when that window was never computed does the section list
the newest papers of the period instead, and then it says so ("New today",
not "Trending today"). ``build_digests`` takes any other ``Trending``
function too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from paperwire.config import Settings
from paperwire.digest.foryou import REASON as FORYOU
from paperwire.digest.foryou import foryou_picks
from paperwire.mail.outbox import message_id, sender_domain
from paperwire.models import DigestEntry, DigestPeriod, OutboxMessage, Subscriber, Topic, period_for
from paperwire.search.analysis import analyze
from paperwire.search.engine import SearchError, SearchPolicy, SearchRequest, search
from paperwire.search.indexes import LocalIndexes
from paperwire.search.query import parse_query
from paperwire.store import Store
from paperwire.trending.formula import WINDOW_LENGTH
from paperwire.trending.reader import ranking

log = logging.getLogger(__name__)

TOPIC_MODE = "keyword"
ENQUEUE_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Pick:
    """A paper of a digest's top section, and why it is there.

    ``kind`` is ``trending`` (from a trending ranking; ``why`` is its reasons,
    ``+312 stars this week · announced 2 days ago``) or ``new`` (the newest
    papers, listed only when no ranking was ever computed).
    """

    paper_id: str
    kind: str = "trending"
    why: str = ""


Trending = Callable[[str, date, int], Sequence[Pick | str]]
"""``trending(window, day, limit)``: the top ``limit`` papers of ``window`` (``"day"`` or ``"week"``)
for the digest sent on ``day``, best first. A bare id is a trending pick without reasons."""


def as_picks(items: Sequence[Pick | str]) -> list[Pick]:
    """Picks from what a ``Trending`` function returned."""
    return [item if isinstance(item, Pick) else Pick(item) for item in items]


def newest_papers(store: Store, window: str, day: date, limit: int) -> list[Pick]:
    """The newest papers announced in the window ending on ``day``, as ``new`` picks: recency only, not a
    trending score, which is why readers see "New today" rather than "Trending today"."""
    start = day - timedelta(days=6 if window == "week" else 0)
    return [Pick(p.id, "new") for p in store.papers.list_papers(start, day, limit=limit)]


class StoredTrending:
    """The stored trending ranking of a window (``trending.reader.ranking``), as the worker last computed it.

    Each pick carries the ranking's reasons. A window whose ranking was never computed (a new
    instance whose worker has not run ``trending`` yet) gives the newest papers instead, as ``new``
    picks; a computed ranking that is empty gives nothing.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def __call__(self, window: str, day: date, limit: int) -> list[Pick]:
        page = ranking(self.store, window, limit)
        if page.computed_at is None:
            log.info("digests: the %s trending ranking was never computed; listing the newest papers instead",
                     window)
            return newest_papers(self.store, window, day, limit)
        if not _fits(page.computed_at, window, day):
            # trending was switched off long ago: that ranking says nothing about this period
            log.info("digests: the %s trending ranking (computed %s) is not of %s; listing the newest papers "
                     "instead", window, page.computed_at.isoformat(), day.isoformat())
            return newest_papers(self.store, window, day, limit)
        return [Pick(i.entry.paper_id, "trending", i.summary) for i in page.items]


def _fits(computed_at: datetime, window: str, day: date) -> bool:
    """Whether a ranking computed at ``computed_at`` is recent enough to stand for ``window`` in a digest of
    ``day``: computed no earlier than one window before that day (a later one is the best there is)."""
    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    return computed_at >= start - WINDOW_LENGTH[window]


@dataclass
class BuildReport:
    """What building one period did."""

    period: str
    subscribers: int = 0
    built: int = 0
    empty: int = 0
    already: int = 0
    topics: int = 0
    papers: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"{self.period}: {self.built} digests built ({self.papers} papers) for {self.subscribers} subscribers, "
                f"{self.empty} empty (skipped), {self.already} built before; {self.topics} distinct topics "
                f"in {self.seconds:.1f} s")


def compose(subscriber: Subscriber, trending: Sequence[Pick | str], matches: dict[str, list[str]],
            sent: set[tuple[int, str]], period: DigestPeriod, settings: Settings,
            foryou: Sequence[tuple[str, str]] = ()) -> list[DigestEntry]:
    """One subscriber's digest: their For-you ranking first (``foryou``: ids and why, best first), then
    trending, then each topic's matches; nothing sent before.

    A For-you paper's reason is ``("foryou", why)``; a trending paper's ``(f"{kind}-{window}", why)``,
    e.g. ``("trending-week", "+312 stars this week")``. A paper found several ways is listed once with
    every reason. Pure: what goes in depends only on the arguments.
    """
    entries: dict[str, DigestEntry] = {}
    limit = settings.digest_max_papers

    def fresh(pid: str) -> bool:
        return (subscriber.id, pid) not in sent

    for pid, why in [p for p in foryou if fresh(p[0])][: settings.digest_foryou_papers]:
        entries.setdefault(pid, DigestEntry(pid, [(FORYOU, why)]))
    for pick in [p for p in as_picks(trending) if fresh(p.paper_id)][: settings.digest_trending_papers]:
        reason = (f"{pick.kind}-{period.window}", pick.why)
        if pick.paper_id in entries:
            entries[pick.paper_id].reasons.append(reason)
        else:
            entries[pick.paper_id] = DigestEntry(pick.paper_id, [reason])
    for topic in subscriber.topics:
        taken = 0
        for pid in matches.get(topic.query(), []):
            if taken >= settings.digest_topic_papers:
                break
            if not fresh(pid):
                continue
            reason = (topic.kind, topic.value)
            if pid in entries:
                entries[pid].reasons.append(reason)
            elif len(entries) < limit:
                entries[pid] = DigestEntry(pid, [reason])
            else:
                continue
            taken += 1
    return list(entries.values())[:limit]


def strict_query(query: str) -> str:
    """The topic's query with each of its words also required (as a one-word phrase); phrases, authors
    and filters are kept as they are. Stop words stay optional: they match nothing on their own."""
    required = [f'"{w}"' for w in parse_query(query).words if analyze(w)]
    return " ".join([query, *dict.fromkeys(required)])


def topic_matches(store: Store, indexes: LocalIndexes, policy: SearchPolicy, topics: Sequence[Topic],
                  period: DigestPeriod, per_topic: int, errors: list[str] | None = None) -> dict[str, list[str]]:
    """For each distinct topic query, the ids a keyword search finds among the period's papers, best first."""
    found: dict[str, list[str]] = {}
    for query in dict.fromkeys(t.query() for t in topics):
        request = SearchRequest(strict_query(query), limit=per_topic, mode=TOPIC_MODE, after=period.start,
                                before=period.end + timedelta(days=1))
        try:
            found[query] = [h.paper_id for h in search(store, indexes, request, policy).hits]
        except SearchError as exc:  # a topic saved before a rule changed: skip it, keep the digest
            found[query] = []
            if errors is not None:
                errors.append(f"topic {query!r}: {exc}")
    return found


def digest_key(subscriber_id: int, period: DigestPeriod) -> str:
    """The outbox key of a subscriber's digest for a period: unique, so a period is sent once."""
    return f"digest:{subscriber_id}:{period.key}"


def confirmed_subscribers(store: Store, frequency: str, only: Sequence[int] | None = None) -> list[Subscriber]:
    """Every confirmed subscriber of a frequency (or just the ids in ``only``)."""
    if only is not None:
        subs = [store.subscriptions.get_subscriber(i) for i in only]
        return [s for s in subs if s is not None and s.state == "confirmed" and s.frequency == frequency]
    result: list[Subscriber] = []
    after = 0
    while page := store.subscriptions.list_subscribers("confirmed", frequency, after_id=after, limit=5000):
        result += page
        after = page[-1].id
    return result


def plan(store: Store, indexes: LocalIndexes, settings: Settings, subscribers: Sequence[Subscriber],
         period: DigestPeriod, trending: Trending, report: BuildReport) -> list[tuple[OutboxMessage, list[str]]]:
    """The digests of ``subscribers`` for ``period``, not yet queued (empty ones left out)."""
    per_topic = settings.digest_topic_papers * 2 + 5  # room for papers some subscribers already had
    top = as_picks(trending(period.window, period.day, settings.digest_trending_papers * 3 + 10))
    policy = SearchPolicy.from_settings(settings)
    matches = topic_matches(store, indexes, policy, [t for s in subscribers for t in s.topics], period, per_topic,
                            report.errors)
    report.topics = len(matches)
    mine = foryou_picks(store, settings, subscribers, period, report.errors)
    candidates = list(dict.fromkeys([*(p.paper_id for p in top), *(pid for ids in matches.values() for pid in ids),
                                     *(pid for picks in mine.values() for pid, _ in picks)]))
    sent = store.outbox.already_sent(candidates) if candidates else set()
    domain, instance = sender_domain(settings), store.instance_id()
    digests = []
    for sub in subscribers:
        entries = compose(sub, top, matches, sent, period, settings, mine.get(sub.id, ()))
        if not entries:
            report.empty += 1
            continue
        key = digest_key(sub.id, period)
        payload = {"period": period.key, "frequency": period.frequency, "day": period.day.isoformat(),
                   "start": period.start.isoformat(), "end": period.end.isoformat(),
                   "entries": [e.to_json() for e in entries]}
        digests.append((OutboxMessage(key=key, kind="digest", recipient=sub.email, payload=payload,
                                      message_id=message_id(instance, key, domain), subscriber_id=sub.id,
                                      period=period.key), [e.paper_id for e in entries]))
    return digests


def build_digests(store: Store, indexes: LocalIndexes, settings: Settings, frequency: str, day: date,
                  trending: Trending | None = None, only: Sequence[int] | None = None) -> BuildReport:
    """Queue the digests of every confirmed ``frequency`` subscriber for the period sent on ``day``.

    ``trending`` defaults to the stored ranking of the period's window (``StoredTrending``).

    Idempotent: a subscriber whose digest for the period is queued already (by this or an earlier
    run, whatever its state) is left out, so running twice never sends twice.
    """
    started = time.perf_counter()
    period = period_for(frequency, day)
    report = BuildReport(period.key)
    subscribers = confirmed_subscribers(store, frequency, only)
    report.subscribers = len(subscribers)
    done = store.outbox.outbox_keys([digest_key(s.id, period) for s in subscribers])
    todo = [s for s in subscribers if digest_key(s.id, period) not in done]
    report.already = len(subscribers) - len(todo)
    if todo:
        digests = plan(store, indexes, settings, todo, period, trending or StoredTrending(store), report)
        for i in range(0, len(digests), ENQUEUE_CHUNK):
            chunk = digests[i : i + ENQUEUE_CHUNK]
            queued = set(store.outbox.enqueue_digests(chunk))
            report.built += len(queued)
            report.already += len(chunk) - len(queued)
            report.papers += sum(len(ids) for m, ids in chunk if m.key in queued)
    report.seconds = time.perf_counter() - started
    log.info("digests %s", report.line())
    return report

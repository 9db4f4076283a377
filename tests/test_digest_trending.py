"""Digests carry the stored trending ranking, on both backends: its order and reasons in both MIME parts, the
newest papers only while no ranking was ever computed, and never a paper twice across periods.

The ranking comes from real community upvotes written through the store and ``trending.recompute`` (the
worker's job) at the real now; the hand-made papers of ``tests.helpers.community`` are months old by then, so
only the community's upvotes rank them (an old paper the community upvotes can trend).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from paperwire.digest.service import run_digests
from paperwire.models import Subscriber
from paperwire.runtime import Runtime
from paperwire.store import Store
from paperwire.trending import recompute
from tests.helpers.community import BASE
from tests.helpers.smtp import Handler, Received

MONDAY, TUESDAY, WEDNESDAY = date(2026, 6, 29), date(2026, 6, 30), date(2026, 7, 1)


def upvote(store: Store, votes: dict[str, int], prefix: str) -> None:
    """``votes[paper]`` distinct accounts upvote each paper."""
    users = [store.accounts.create_user(f"{prefix}{i}@example.org", f"{prefix}{i}", "hash")
             for i in range(max(votes.values()))]
    for pid, n in votes.items():
        for user in users[:n]:
            store.community.set_upvote(user.id, pid, True)


def subscriber(rt: Runtime, email: str, frequency: str = "daily") -> Subscriber:
    return rt.store.subscriptions.add_subscriber(email, frequency, [], "confirmed", "web", "n")


def order_in(text: str, ids: list[str]) -> list[int]:
    return [text.index(f"{BASE}/paper/{pid}") for pid in ids]


def paper_ids(received: Received) -> list[str]:
    """The papers a digest links to, in the order of its plain-text part."""
    text = received.part("plain")
    found = {w.split("/paper/")[1] for w in text.split() if w.startswith(f"{BASE}/paper/")}
    return sorted(found, key=lambda pid: text.index(f"{BASE}/paper/{pid}"))


def test_a_digest_follows_the_stored_ranking_with_its_reasons(mail_rt: Runtime, smtp: tuple[Handler, int]) -> None:
    handler, _ = smtp
    store = mail_rt.store
    upvote(store, {"2606.00003": 3, "2606.00007": 2, "2606.00005": 1}, "fan")
    recompute(store, mail_rt.settings)
    ranked = [e.paper_id for e in store.trending.trending_page("day").entries]
    assert ranked == ["2606.00003", "2606.00007", "2606.00005"]
    daily = subscriber(mail_rt, "daily@example.org")
    weekly = subscriber(mail_rt, "weekly@example.org", "weekly")
    run = run_digests(mail_rt, None, MONDAY)  # a Monday: daily and weekly digests are both due
    assert run.delivery is not None and run.delivery.sent == 2
    (received,) = handler.to(daily.email)
    text, html = received.part("plain"), received.part("html")
    assert paper_ids(received) == ranked  # the ranking's order, nothing else (no topics)
    assert order_in(html, ranked) == sorted(order_in(html, ranked))
    assert "\r\nTRENDING\r\n" in text and "NEW" not in text and "3 trending papers." in text
    assert "Why: Trending today: +3 upvotes on Paperwire today · announced " in text
    assert "Why: Trending today: +1 upvote on Paperwire today · announced " in text
    assert "Trending today: +2 upvotes on Paperwire today · announced " in html
    (entry, *_) = store.outbox.get_outbox(f"digest:{daily.id}:daily:2026-06-29").payload["entries"]  # type: ignore[union-attr]
    kind, why = entry["reasons"][0]
    assert (entry["id"], kind) == ("2606.00003", "trending-day")
    assert why == " · ".join(r["short"] for r in store.trending.trending_entry("day", "2606.00003").reasons)  # type: ignore[union-attr]
    (week,) = handler.to(weekly.email)
    assert paper_ids(week) == [e.paper_id for e in store.trending.trending_page("week").entries] == ranked
    assert "Why: Trending this week: +3 upvotes on Paperwire this week" in week.part("plain")
    assert "Trending this week: +3 upvotes on Paperwire this week" in week.part("html")


def test_the_newest_papers_only_while_no_ranking_was_computed(mail_rt: Runtime, smtp: tuple[Handler, int]) -> None:
    handler, _ = smtp
    first = subscriber(mail_rt, "first@example.org")
    run_digests(mail_rt, "daily", MONDAY)  # no ranking was ever computed
    (received,) = handler.to(first.email)
    text = received.part("plain")
    # the papers of Monday's period (Saturday to Monday), newest id first
    assert paper_ids(received) == ["2606.00004", "2606.00003", "2606.00002", "2606.00001"]
    assert "\r\nNEW\r\n" in text and "Why: New today" in text and "TRENDING" not in text and "Trending" not in text
    assert "New today" in received.part("html") and "Trending" not in received.part("html")
    recompute(mail_rt.store, mail_rt.settings)  # computed now, and empty: nothing happened in the last day
    assert mail_rt.store.trending.trending_page("day").total == 0
    second = subscriber(mail_rt, "second@example.org")
    run = run_digests(mail_rt, "daily", TUESDAY)
    assert (run.builds[0].built, run.builds[0].empty) == (0, 2)  # an empty ranking is not replaced by new papers
    assert handler.to(second.email) == [] and len(handler.to(first.email)) == 1


def test_a_ranking_older_than_its_window_gives_the_newest_papers(mail_rt: Runtime,
                                                                 smtp: tuple[Handler, int]) -> None:
    handler, _ = smtp
    # the last ranking dates from nine days before Monday (trending was switched off since)
    recompute(mail_rt.store, mail_rt.settings, datetime(2026, 6, 20, tzinfo=UTC))
    assert mail_rt.store.trending.trending_page("day").computed_at is not None
    reader = subscriber(mail_rt, "reader@example.org")
    run_digests(mail_rt, "daily", MONDAY)
    (received,) = handler.to(reader.email)
    assert paper_ids(received) == ["2606.00004", "2606.00003", "2606.00002", "2606.00001"]
    assert "Why: New today" in received.part("plain") and "Trending" not in received.part("plain")


def test_no_paper_twice_across_periods(mail_rt: Runtime, smtp: tuple[Handler, int]) -> None:
    handler, _ = smtp
    store = mail_rt.store
    sub = subscriber(mail_rt, "ann@example.org")
    upvote(store, {"2606.00003": 2, "2606.00007": 1}, "early")
    recompute(store, mail_rt.settings)
    run_digests(mail_rt, "daily", MONDAY)
    assert paper_ids(handler.to(sub.email)[0]) == ["2606.00003", "2606.00007"]
    upvote(store, {"2606.00001": 3}, "late")
    recompute(store, mail_rt.settings)
    day = store.trending.trending_page("day")
    assert [e.paper_id for e in day.entries] == ["2606.00001", "2606.00003", "2606.00007"]
    run_digests(mail_rt, "daily", TUESDAY)
    run_digests(mail_rt, "daily", TUESDAY)  # again: nothing more
    _, tuesday = handler.to(sub.email)
    assert paper_ids(tuesday) == ["2606.00001"]  # the two sent on Monday are left out
    assert "Why: Trending today: +3 upvotes on Paperwire today" in tuesday.part("plain")
    run = run_digests(mail_rt, "daily", WEDNESDAY)  # the same ranking: everything in it was sent
    assert (run.builds[0].built, run.builds[0].empty) == (0, 1) and len(handler.to(sub.email)) == 2

"""The trending formula and signals as pure functions: properties (hypothesis), reasons, gains from series."""

from __future__ import annotations

import itertools
import math
import random
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperwire.models import HFActivity, RepoStars
from paperwire.trending.activity import best_repo, cumulative_stars, debut, stars_gained, upvotes_gained
from paperwire.trending.formula import Formula, Signals, age_phrase, decay, explain, rank, score, summary

NOW = datetime(2026, 8, 1, 12, tzinfo=UTC)
F = Formula()
counts = st.integers(min_value=0, max_value=10**7)
ages = st.floats(min_value=0, max_value=24 * 3650, allow_nan=False)
windows = st.sampled_from(["day", "week", "month"])


def sig(stars: int = 0, hf: int = 0, community: int = 0, age_h: float = 24.0, pid: str = "2607.00001") -> Signals:
    return Signals(pid, stars_gained=stars, hf_gained=hf, community=community,
                   published=NOW - timedelta(hours=age_h), hf_upvotes=hf)


@given(counts, counts, counts, ages, windows, st.sampled_from(["stars", "hf", "community"]),
       st.integers(min_value=1, max_value=10**6))
def test_score_grows_with_every_signal(stars: int, hf: int, community: int, age: float, window: str,
                                       which: str, more: int) -> None:
    base = sig(stars, hf, community, age)
    bumped = sig(stars + more * (which == "stars"), hf + more * (which == "hf"),
                 community + more * (which == "community"), age)
    low, high = score(base, window, NOW, F), score(bumped, window, NOW, F)
    assert high.total >= low.total
    gain = ((high.stars - low.stars + high.hf - low.hf) * high.decay
            + (high.community - low.community) * high.community_decay)
    if gain > low.total * 1e-12:  # strictly, unless the age discount made the gain too small for a float
        assert high.total > low.total


@given(counts, counts, counts, ages, st.floats(min_value=0.01, max_value=24 * 365), windows)
def test_score_decays_with_age(stars: int, hf: int, community: int, age: float, older: float, window: str) -> None:
    young, old = score(sig(stars, hf, community, age), window, NOW, F), score(
        sig(stars, hf, community, age + older), window, NOW, F)
    assert old.total <= young.total
    assert old.decay < young.decay or young.decay < 1e-300  # subnormal floats cannot tell tiny decays apart


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50), st.integers(0, 72)), min_size=1, max_size=40),
       st.randoms(use_true_random=False), windows)
def test_ranking_order_does_not_depend_on_input_order(rows: list[tuple[int, int, int]], rnd: random.Random,
                                                      window: str) -> None:
    papers = [sig(s, h, 0, float(a), pid=f"2607.{i:05d}") for i, (s, h, a) in enumerate(rows)]
    shuffled = papers[:]
    rnd.shuffle(shuffled)
    first, second = rank(papers, window, NOW, F), rank(shuffled, window, NOW, F)
    assert [e.paper_id for e in first] == [e.paper_id for e in second]
    assert [e.rank for e in first] == list(range(1, len(first) + 1))
    for a, b in itertools.pairwise(first):  # ties: newest id first
        assert a.score > b.score or (a.score == b.score and a.paper_id > b.paper_id)


def test_the_score_is_the_documented_formula() -> None:
    parts = score(sig(stars=312, hf=48, community=3, age_h=7 * 24), "week", NOW, F)
    signal = math.log(313) + math.log(49) + math.log(4) + 0.5
    assert parts.decay == pytest.approx(0.5)  # one half-life old
    assert parts.total == pytest.approx(signal * 0.5)
    weighted = Formula(star_weight=2.0, hf_weight=0.0, community_weight=0.0, fresh_weight=0.0,
                       half_life_days={"day": 1.0, "week": 1.0, "month": 1.0})
    assert score(sig(stars=312, hf=48, age_h=48), "day", NOW, weighted).total == pytest.approx(
        2 * math.log(313) * 0.25)
    assert decay(0, 7) == 1.0 and decay(-5, 7) == 1.0  # a date in the future is not a bonus
    # community upvotes of a year-old paper: discounted as if it were one window old, the rest fully
    old = score(sig(stars=312, community=3, age_h=365 * 24), "week", NOW, F)
    assert old.community_decay == pytest.approx(0.5) and old.decay == pytest.approx(2 ** (-365 / 7))
    assert old.total == pytest.approx(math.log(4) * 0.5 + (math.log(313) + 0.5) * 2 ** (-365 / 7))
    assert score(sig(community=3, age_h=12), "day", NOW, F).community_decay == pytest.approx(2 ** (-12 / 48))


def test_freshness_prior_ranks_new_papers_without_signals_after_those_with_one() -> None:
    fresh = sig(age_h=1, pid="2608.00002")
    starred = sig(stars=1, age_h=1, pid="2608.00001")
    older_starred = sig(stars=5, age_h=30, pid="2607.00009")
    ranked = [e.paper_id for e in rank([fresh, starred, older_starred], "day", NOW, F)]
    assert ranked == ["2607.00009", "2608.00001", "2608.00002"]
    assert rank([fresh], "day", NOW, Formula(fresh_weight=0.0)) == []  # no prior: only papers with signals


def test_reasons_say_why() -> None:
    s = Signals("2607.28624", stars_gained=312, hf_gained=48, published=NOW - timedelta(days=2),
                published_by="arxiv", repo="yaoyao-jpg/PhiZero", repo_stars=900, hf_upvotes=48)
    reasons = explain(s, "week", NOW)
    assert [r["text"] for r in reasons] == [
        "+312 stars this week on yaoyao-jpg/PhiZero", "48 upvotes on Hugging Face", "announced 2 days ago"]
    assert summary(reasons) == "+312 stars this week · 48 upvotes on Hugging Face · announced 2 days ago"
    partial = Signals("x", stars_gained=1, hf_gained=12, community=2, hf_upvotes=60, published_by="hf",
                      published=NOW - timedelta(hours=3))
    assert summary(explain(partial, "day", NOW)) == (
        "+1 star today · +12 upvotes on Hugging Face today (60 in all) · +2 upvotes on Paperwire today · "
        "featured on Hugging Face today")
    assert summary(explain(Signals("y", stars_gained=1312), "month", NOW)) == "+1,312 stars this month"
    assert [age_phrase(h * 24) for h in (0.5, 1, 3, 20, 90, 800)] == [
        "today", "yesterday", "3 days ago", "2 weeks ago", "3 months ago", "2 years ago"]
    with pytest.raises(ValueError, match="unknown trending window"):
        explain(s, "year", NOW)


# -- gains from series ------------------------------------------------------------------------

START, END = NOW - timedelta(days=7), NOW


def at(days_before_now: float) -> datetime:
    return NOW - timedelta(days=days_before_now)


def test_stars_gained_from_snapshots() -> None:
    repo = RepoStars("a/b", "A/b", snapshots=[(at(20), 10), (at(8), 100), (at(3), 400), (at(1), 910), (at(-1), 5000)])
    assert stars_gained(repo, START, END) == 810  # 910 at the end minus 100 at the start; the future is ignored
    assert stars_gained(RepoStars("a/b", "A/b", snapshots=[(at(8), 100)]), START, END) == 0
    unstarred = RepoStars("a/b", "A/b", snapshots=[(at(8), 100), (at(1), 90)])
    assert stars_gained(unstarred, START, END) == 0


def test_stars_gained_when_the_series_starts_inside_the_window() -> None:
    first_seen = RepoStars("a/b", "A/b", snapshots=[(at(3), 26), (at(1), 30)])
    assert stars_gained(first_seen, START, END) == 4  # only the growth that was seen
    created = RepoStars("a/b", "A/b", created_at=at(5), snapshots=[(at(3), 26), (at(1), 30)])
    assert stars_gained(created, START, END) == 30  # created inside the window: every star is new
    backfilled = RepoStars("a/b", "A/b", snapshots=[(at(1), 50), (at(0.5), 58)],
                           history=[((at(10)).date(), 7), (at(3).date(), 20), (at(2).date(), 24), (at(1).date(), 6)])
    # backfilled days of the window up to the first snapshot's day (50), then growth after it (8)
    assert stars_gained(backfilled, START, END) == 58
    assert stars_gained(backfilled, NOW - timedelta(days=1.25), END) == 6 + 8  # that day only
    assert stars_gained(backfilled, NOW - timedelta(days=1), END) == 8  # a snapshot at the start: exact


def test_upvotes_gained() -> None:
    featured_inside = HFActivity("p", 140, at(1.5), [(at(1.25), 40), (at(0.25), 140)])
    assert upvotes_gained(featured_inside, START, END) == 140  # entered the list in the window
    assert upvotes_gained(featured_inside, NOW - timedelta(days=1), END) == 100  # baseline at 1.25 days
    older = HFActivity("p", 60, at(9), [(at(6), 50), (at(1), 60)])
    assert upvotes_gained(older, START, END) == 10
    assert upvotes_gained(HFActivity("p", 60, at(3), []), START, END) == 60
    assert upvotes_gained(HFActivity("p", 60, at(30), []), START, END) == 0


def test_best_repo_is_the_papers_own_not_a_library_or_a_fork() -> None:
    links = [("huggingface/transformers", "abstract"), ("me/code", "abstract"), ("fork/code", "pwc"),
             ("me/code", "hf")]
    assert best_repo(links, {"huggingface/transformers": 900, "me/code": 1, "fork/code": 1}) == "me/code"
    assert best_repo([("huggingface/transformers", "abstract"), ("me/code", "abstract")],
                     {"huggingface/transformers": 900, "me/code": 1}) == "me/code"
    assert best_repo([("a/x", "comment"), ("b/y", "pwc")], {}) == "b/y"
    assert best_repo([], {}) is None


def test_debut_is_the_latest_of_announcement_and_hf_feature() -> None:
    assert debut(date(2026, 7, 30), None, datetime(2026, 7, 31, 3, tzinfo=UTC)) == (
        datetime(2026, 7, 31, 3, tzinfo=UTC), "hf")
    assert debut(date(2026, 7, 30), None, None) == (datetime(2026, 7, 30, tzinfo=UTC), "arxiv")
    assert debut(None, datetime(2026, 7, 2, tzinfo=UTC), None) == (datetime(2026, 7, 2, tzinfo=UTC), "submitted")


def test_cumulative_stars_counts_the_backfill_back_from_the_first_snapshot() -> None:
    repo = RepoStars("a/b", "A/b", snapshots=[(datetime(2026, 7, 31, 18, tzinfo=UTC), 50)],
                     history=[(date(2026, 7, 29), 20), (date(2026, 7, 30), 24), (date(2026, 7, 31), 6)])
    assert cumulative_stars(repo) == [(datetime(2026, 7, 30, tzinfo=UTC), 20), (datetime(2026, 7, 31, tzinfo=UTC), 44),
                                      (datetime(2026, 7, 31, 18, tzinfo=UTC), 50)]
    only_history = RepoStars("a/b", "A/b", history=[(date(2026, 7, 29), 2), (date(2026, 7, 30), 3)])
    assert [n for _, n in cumulative_stars(only_history)] == [2, 5]

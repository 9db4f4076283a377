"""Community activity in trending, on both backends: upvotes made by Paperwire's own accounts in a window make a
paper a candidate and raise its score, through the library (``recompute``), the worker's ``trending`` job and
the ``paperwire trending --recompute`` command.

The papers are hand-made (not real arXiv records). The store runs on a settable clock, so every upvote has a
known instant and the rankings are computed at a fixed ``NOW``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from paperwire.cli import cli
from paperwire.config import Settings
from paperwire.models import Paper
from paperwire.runtime import Runtime
from paperwire.store import Store, open_store
from paperwire.trending import Formula, paper_trend, ranking, recompute, score
from paperwire.trending.formula import Signals
from paperwire.worker import Worker
from tests.helpers.clock import Clock

NOW = datetime(2026, 8, 1, 12, tzinfo=UTC)
SETTINGS = Settings(data_dir=Path("/nonexistent"))


def paper(pid: str, announced: date, title: str = "A paper") -> Paper:
    return Paper(pid, title, "An abstract.", ["A. Author"], ["cs.LG"], announced=announced, version=1)


OLD = paper("2501.00007", date(2025, 1, 10), "Announced last year, upvoted this week")
OLD_LESS = paper("2501.00009", date(2025, 1, 10), "Announced the same day, fewer upvotes")
SPAMMED = paper("2501.00011", date(2025, 1, 10), "Upvoted only by a disabled account")
FRESH = paper("2607.00001", date(2026, 8, 1), "Announced today, no signal")
IGNORED = paper("2502.00001", date(2025, 2, 1), "Never upvoted")


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW - timedelta(days=2))


@pytest.fixture
def community(db_url: str, clock: Clock) -> Iterator[Store]:
    """Five users (one of them disabled later) and their upvotes, two days before ``NOW``."""
    store = open_store(db_url, clock=clock)
    store.migrate()
    store.papers.upsert_papers([OLD, OLD_LESS, SPAMMED, FRESH, IGNORED])
    users = [store.accounts.create_user(f"u{i}@example.org", f"user{i}", "hash") for i in range(5)]
    for user in users[:3]:
        store.community.set_upvote(user.id, OLD.id, True)
    store.community.set_upvote(users[3].id, OLD_LESS.id, True)
    spammer = users[4]
    for pid in (SPAMMED.id, OLD_LESS.id, OLD.id):
        store.community.set_upvote(spammer.id, pid, True)
    store.library.set_saved(users[0].id, IGNORED.id, True)  # a save is no vote
    store.accounts.update_user(spammer.id, disabled=True)
    clock.now = NOW
    yield store
    store.close()


def test_community_upvotes_make_an_old_paper_trend(community: Store) -> None:
    counts = recompute(community, SETTINGS, NOW)
    assert counts["week"] == 3  # OLD, OLD_LESS (upvoted) and FRESH (announced): not SPAMMED, not IGNORED
    week = community.trending.trending_page("week", limit=10).entries
    # 3 upvotes of an old paper beat a new paper without signals, which beats 1 upvote of an old paper
    assert [e.paper_id for e in week] == [OLD.id, FRESH.id, OLD_LESS.id]
    top = week[0]
    assert top.signals["community"] == 3  # the disabled account's upvote is not counted
    assert week[2].signals["community"] == 1 and week[1].signals["community"] == 0
    assert [r["text"] for r in top.reasons] == ["+3 upvotes on Paperwire this week", "announced 18 months ago"]
    assert top.reasons[0] == {"kind": "community", "text": "+3 upvotes on Paperwire this week", "value": 3,
                              "short": "+3 upvotes on Paperwire this week"}
    # the score is the documented formula: the community part is discounted by one window's age at most
    signals = Signals(OLD.id, community=3, published=datetime(2025, 1, 10, tzinfo=UTC))
    assert top.score == pytest.approx(score(signals, "week", NOW, Formula()).total)
    assert top.signals["parts"]["community_decay"] == pytest.approx(0.5)  # one week-long half-life
    for window in ("day", "month"):  # two days ago: inside the week and month windows, not the last 24 hours
        ids = [e.paper_id for e in community.trending.trending_page(window, limit=10).entries]
        assert (OLD.id in ids) == (window == "month") and SPAMMED.id not in ids and IGNORED.id not in ids


def test_pages_and_the_api_explain_the_community_reason(community: Store) -> None:
    recompute(community, SETTINGS, NOW)
    item = ranking(community, "week", limit=1).to_json()["items"][0]
    assert item["paper"]["id"] == OLD.id
    assert item["summary"] == "+3 upvotes on Paperwire this week · announced 18 months ago"
    assert item["reasons"][0] == {"kind": "community", "text": "+3 upvotes on Paperwire this week", "value": 3}
    assert paper_trend(community, OLD.id, now=NOW).lines() == [
        "#1 this week: +3 upvotes on Paperwire this week · announced 18 months ago",
        "#1 this month: +3 upvotes on Paperwire this month · announced 18 months ago"]


def test_more_upvotes_rank_higher_all_else_equal(community: Store, clock: Clock) -> None:
    recompute(community, SETTINGS, NOW, windows=["week"])
    before = {e.paper_id: e.rank for e in community.trending.trending_page("week", limit=10).entries}
    # 3 upvotes against 1, at the same age (and the id order would favour OLD_LESS)
    assert (before[OLD.id], before[OLD_LESS.id]) == (1, 3)
    fans = [community.accounts.create_user(f"fan{i}@example.org", f"fan{i}", "hash") for i in range(4)]
    for fan in fans:
        community.community.set_upvote(fan.id, OLD_LESS.id, True)
    recompute(community, SETTINGS, NOW + timedelta(minutes=1), windows=["week"])
    after = {e.paper_id: e for e in community.trending.trending_page("week", limit=10).entries}
    assert after[OLD_LESS.id].signals["community"] == 5 and after[OLD_LESS.id].rank == 1
    assert after[OLD.id].rank == 2
    # an upvote taken back no longer counts
    for fan in fans:
        community.community.set_upvote(fan.id, OLD_LESS.id, False)
    recompute(community, SETTINGS, NOW + timedelta(minutes=2), windows=["week"])
    assert community.trending.trending_entry("week", OLD_LESS.id).signals["community"] == 1  # type: ignore[union-attr]


def test_submissions_are_candidates_unless_hidden(community: Store, clock: Clock) -> None:
    submitter = community.accounts.create_user("sub@example.org", "submitter", "hash")
    community.community.add_submission(IGNORED.id, submitter.id, "https://arxiv.org/abs/2502.00001")
    clock.now = NOW + timedelta(hours=1)
    recompute(community, SETTINGS, clock.now, windows=["day"])
    entry = community.trending.trending_entry("day", IGNORED.id)
    assert entry is not None and entry.signals["community"] == 0  # a candidate, with no upvote of its own
    assert [r["kind"] for r in entry.reasons] == ["age"]
    community.community.set_submission_hidden(IGNORED.id, True, "spam")
    recompute(community, SETTINGS, clock.now + timedelta(minutes=1), windows=["day"])
    assert community.trending.trending_entry("day", IGNORED.id) is None


def test_the_worker_trending_job_counts_the_community(community: Store, tmp_path: Path, db_url: str) -> None:
    settings = Settings(database_url=db_url, data_dir=tmp_path / "data", semantic_search=False)
    worker = Worker(Runtime(settings, community), only=["trending"], owner="w1")
    (run,) = worker.run_once()
    assert run.status == "ok" and "week 3" in run.summary
    entry = community.trending.trending_entry("week", OLD.id)
    assert entry is not None and entry.rank == 1 and entry.computed_at == NOW
    assert entry.reasons[0]["text"] == "+3 upvotes on Paperwire this week"


def test_the_trending_command_counts_the_community(db_url: str, tmp_path: Path) -> None:
    store = open_store(db_url)  # the real clock: the command recomputes at the real now
    store.migrate()
    store.papers.upsert_papers([OLD])
    user = store.accounts.create_user("ann@example.org", "ann", "hash")
    store.community.set_upvote(user.id, OLD.id, True)
    store.close()
    base = ["--db", db_url, "--data-dir", str(tmp_path / "data"), "trending", "--recompute", "--json"]
    result = CliRunner().invoke(cli, [*base, "--window", "day"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    (item,) = json.loads(result.stdout)["items"]
    assert item["paper"]["id"] == OLD.id
    assert item["reasons"][0] == {"kind": "community", "text": "+1 upvote on Paperwire today", "value": 1}

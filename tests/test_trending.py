"""Trending on both backends, from real Hugging Face daily papers and star snapshots written through the store.

The store runs on a settable clock, so every snapshot has a known instant
and the rankings are computed at a fixed ``NOW``: windows, gains, order
and reasons are checked against the formula.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from click.testing import CliRunner

from paperwire.cli import cli
from paperwire.config import Settings
from paperwire.models import Paper, TrendingEntry
from paperwire.store import Store
from paperwire.trending import Formula, Signals, paper_trend, ranking, recompute, score
from tests.helpers.paths import ROOT
from tests.helpers.world import NOW, SETTINGS, opened_world


@pytest.fixture
def world(db_url: str) -> Iterator[Store]:
    with opened_world(db_url) as store:
        yield store


def signals_of(entry: TrendingEntry) -> Signals:
    s = entry.signals
    return Signals(entry.paper_id, int(s["stars_gained"]), int(s["hf_gained"]), int(s["community"]),  # type: ignore[call-overload]
                   datetime.fromisoformat(str(s["published"])) if s["published"] else None, str(s["published_by"]))


@pytest.mark.needs_data
def test_rankings_follow_the_formula_in_every_window(world: Store) -> None:
    counts = recompute(world, SETTINGS, NOW)
    assert counts == {"day": 35, "week": 35, "month": 37}
    for window in ("day", "week", "month"):
        entries = world.trending.trending_page(window, limit=100).entries
        assert [e.rank for e in entries] == list(range(1, len(entries) + 1))
        for e in entries:  # each stored score is the formula's, and the order is by score
            assert e.score == pytest.approx(score(signals_of(e), window, NOW, Formula()).total)
        assert [e.score for e in entries] == sorted((e.score for e in entries), reverse=True)
    week = {e.paper_id: e for e in world.trending.trending_page("week", limit=100).entries}
    gained = {pid: (e.signals["stars_gained"], e.signals["repo"]) for pid, e in week.items() if e.signals["repo"]}
    assert gained["2607.28624"] == (900, "yaoyao-jpg/PhiZero")  # its own repository, not transformers
    assert gained["2607.28625"] == (900, "yaoyao-jpg/PhiZero")  # a repository counts for each paper linking it
    assert gained["2607.28227"] == (300, "huggingface/transformers")  # its only link
    assert gained["2607.26760"] == (4, "MemTensor/Metis")  # first checked inside the window: growth seen
    assert gained["2607.27380"] == (50, "micky-li-hd/VideoCoCo")  # backfilled history
    assert week["2607.27919"].signals["hf_gained"] == 140  # entered the list this week: every upvote counts
    # two signals beat one bigger one: ln(301) + ln(110) for 28227 > ln(901) + ln(34) for 28625
    assert [e.paper_id for e in world.trending.trending_page("week", limit=3).entries] == [
        "2607.28624", "2607.28227", "2607.28625"]
    assert "2607.11886" not in week  # on the 07-15 list: only the month ranks it
    assert world.trending.trending_entry("month", "2607.11886") is not None


@pytest.mark.needs_data
def test_the_day_window_counts_only_the_last_24_hours(world: Store) -> None:
    world.papers.upsert_papers([Paper("2608.00002", "Withdrawn", "abstract", ["A. Author"], ["cs.LG"],
                                      announced=date(2026, 8, 1), version=2, withdrawn=True)])
    recompute(world, SETTINGS, NOW, windows=["day"])
    day = world.trending.trending_page("day", limit=100).entries
    by_id = {e.paper_id: e for e in day}
    assert "2608.00002" not in by_id  # a withdrawn paper is never trending
    assert by_id["2607.28624"].signals["stars_gained"] == 510  # 910 now, 400 at the window's start
    assert by_id["2607.27380"].signals["stars_gained"] == 6  # the backfilled 07-31
    assert by_id["2607.27919"].signals["hf_gained"] == 100 and by_id["2607.28624"].signals["hf_gained"] == 0
    assert [r["text"] for r in by_id["2607.27919"].reasons] == [
        "+100 upvotes on Hugging Face today (140 in all)", "featured on Hugging Face yesterday"]
    assert [r["text"] for r in by_id["2608.00001"].reasons] == ["announced today"]
    # without any signal, the same age gives the same score: newest id first
    quiet = [e for e in day if e.score == by_id["2607.28022"].score]
    assert len(quiet) > 5 and [e.paper_id for e in quiet] == sorted((e.paper_id for e in quiet), reverse=True)


@pytest.mark.needs_data
def test_a_ranking_is_replaced_whole_or_not_at_all(world: Store) -> None:
    recompute(world, SETTINGS, NOW, windows=["week"])
    before = world.trending.trending_page("week", limit=100)
    entries = before.entries
    broken = [*entries[:3], replace(entries[0], rank=99)]  # the same paper twice: the write fails
    with pytest.raises(Exception):  # noqa: B017 - the driver's IntegrityError type differs per backend
        world.trending.replace_trending("week", broken, NOW + timedelta(hours=1))
    after = world.trending.trending_page("week", limit=100)
    assert [e.paper_id for e in after.entries] == [e.paper_id for e in before.entries]
    assert after.computed_at == before.computed_at == NOW
    world.trending.replace_trending("week", [], NOW + timedelta(hours=2))
    empty = world.trending.trending_page("week")
    assert (empty.total, empty.entries, empty.computed_at) == (0, [], NOW + timedelta(hours=2))
    assert world.trending.trending_page("day").computed_at is None  # never computed


@pytest.mark.needs_data
def test_reading_pages_and_explaining_a_paper(world: Store) -> None:
    recompute(world, SETTINGS, NOW)
    page = ranking(world, "week", limit=2, offset=1)
    assert (page.total, page.offset, [i.entry.rank for i in page.items]) == (35, 1, [2, 3])
    data = page.to_json()
    assert data["window"] == "week" and data["computed_at"] == NOW.isoformat()
    first = data["items"][1]
    assert first["paper"]["id"] == "2607.28625" and first["paper"]["title"]
    assert first["summary"] == "+900 stars this week · 33 upvotes on Hugging Face · featured on Hugging Face yesterday"
    assert first["reasons"][0] == {"kind": "stars", "text": "+900 stars this week on yaoyao-jpg/PhiZero", "value": 900}
    trend = paper_trend(world, "2607.27380", now=NOW)
    assert trend.repo == "micky-li-hd/VideoCoCo" and trend.repo_stars == 50
    assert trend.series == [(datetime(2026, 7, 30, tzinfo=UTC), 20), (datetime(2026, 7, 31, tzinfo=UTC), 44),
                            (datetime(2026, 7, 31, 18, tzinfo=UTC), 50)]
    assert 'aria-labelledby="stars-2607-27380-title' in trend.sparkline
    assert "GitHub stars of micky-li-hd/VideoCoCo, last 90 days" in trend.sparkline
    lines = trend.lines()
    assert lines[1].startswith("#") and " this week: +50 stars this week · 60 upvotes on Hugging Face" in lines[1]
    assert json.loads(json.dumps(trend.to_json()))["windows"]["week"]["rank"] == world.trending.trending_entry(
        "week", "2607.27380").rank  # type: ignore[union-attr]
    unranked = paper_trend(world, "2501.00001", now=NOW)
    assert (unranked.entries, unranked.repo, unranked.sparkline) == ({}, None, "")


@pytest.mark.needs_data
def test_trending_command(world: Store, settings: Settings) -> None:
    recompute(world, SETTINGS, NOW)
    base = ["--db", settings.resolved_database_url(), "--data-dir", str(settings.data_dir), "trending"]
    result = CliRunner().invoke(cli, [*base, "--window", "week", "--limit", "2"], catch_exceptions=False)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Trending this week: 35 papers (computed 2026-08-01 12:00 UTC")
    assert lines[1].startswith("   1. [") and "2607.28624" in lines[1]
    assert lines[2].strip() == ("+900 stars this week on yaoyao-jpg/PhiZero · 145 upvotes on Hugging Face · "
                                "featured on Hugging Face yesterday")
    result = CliRunner().invoke(cli, [*base, "--window", "month", "--json"], catch_exceptions=False)
    data = json.loads(result.stdout)
    assert data["total"] == 37 and len(data["items"]) == 20 and data["items"][0]["paper"]["id"] == "2607.28624"
    result = CliRunner().invoke(cli, [*base, "--window", "year"])
    assert result.exit_code == 2 and "'year' is not one of 'day', 'week', 'month'" in result.stderr


def test_trending_doc_explains_every_trending_setting() -> None:
    text = (ROOT / "docs" / "trending.md").read_text()
    names = [n for n in Settings.model_fields if n.startswith("trending_")]
    assert len(names) == 8
    assert [n for n in names if f"PAPERWIRE_{n.upper()}" not in text] == []

"""GitHub stars against PyGithub's real recordings: snapshots, ETags, Link paging, backfill, rate limits."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta

import pytest

from paperwire.config import Settings
from paperwire.ingest.github import GitHub, GitHubError, next_link, parse_stargazers, per_day
from paperwire.ingest.harvest import github_client, run_stars
from paperwire.ingest.report import HarvestReport
from paperwire.models import CodeLink, SourceBatch
from paperwire.store import Store
from tests.helpers.clock import FakeTime
from tests.helpers.net import make_client
from tests.helpers.paths import FIXTURES_SHARED
from tests.helpers.replay import Recorded, ReplayServer, load_pygithub

GH = FIXTURES_SHARED / "github-api"
NOW = datetime(2026, 8, 1, 12, tzinfo=UTC)


@pytest.fixture
def github(replay: ReplayServer) -> ReplayServer:
    replay.rewrite["https://api.github.com"] = ""  # recorded Link headers point at the real API
    for name in ("setUp", "testGetStargazers", "testGetStargazersWithDates"):
        for route, recorded in load_pygithub(GH / f"pygithub_Repository.{name}.txt"):
            replay.add(route, recorded, ignore=["per_page"])
    return replay


def link(store: Store, *repos: str) -> None:
    store.papers.save_batch(SourceBatch(links=[CodeLink(f"2501.0000{i}", r.lower(), f"https://github.com/{r}", "pwc")
                                               for i, r in enumerate(repos, start=1)]))


def stars(store: Store, replay: ReplayServer, fake_time: FakeTime, now: datetime = NOW,
          **settings: object) -> HarvestReport:
    config = Settings(github_api_url=replay.url, **settings)  # type: ignore[arg-type]
    with make_client(fake_time) as client:
        return run_stars(store, config, client=client, now=now)


def test_link_header_of_a_real_page() -> None:
    header = ('<https://api.github.com/repos/PyGithub/PyGithub/stargazers?page=3>; rel="next", '
              '<https://api.github.com/repos/PyGithub/PyGithub/stargazers?page=3>; rel="last", '
              '<https://api.github.com/repos/PyGithub/PyGithub/stargazers?page=1>; rel="first"')
    assert next_link(header) == "https://api.github.com/repos/PyGithub/PyGithub/stargazers?page=3"
    assert next_link('<https://x/?page=1>; rel="prev"') is None and next_link(None) is None


@pytest.mark.needs_data
def test_stargazer_pages_follow_real_link_headers(github: ReplayServer, fake_time: FakeTime) -> None:
    api = GitHub(make_client(fake_time), github.url)
    pages = list(api.stargazer_pages("PyGithub/PyGithub", accept="application/vnd.github+json"))
    api.client.close()
    assert [len(json.loads(p.content)) for p in pages] == [30, 30, 7]
    assert [r.param("page") for r in github.requests()] == [None, "2", "3"]
    assert api.rate is not None and api.rate.remaining == 4984
    with pytest.raises(GitHubError, match="no 'starred_at'"):
        parse_stargazers(pages[0].content)  # recorded without the star media type


@pytest.mark.needs_data
def test_starred_at_counts_per_day() -> None:
    (_, _, (_, recorded)) = load_pygithub(GH / "pygithub_Repository.testGetStargazersWithDates.txt")
    times = parse_stargazers(recorded.body)
    assert len(times) == 6 and sum(per_day(times).values()) == 6
    assert min(per_day(times)) == date(2014, 8, 13)


@pytest.mark.needs_data
def test_snapshots_backfill_and_conditional_requests(store: Store, github: ReplayServer, fake_time: FakeTime) -> None:
    link(store, "PyGithub/PyGithub", "danvk/comparea")
    report = stars(store, github, fake_time, stargazer_backfill_max_stars=1000)
    assert report.ok and (report.repos, report.snapshots, report.backfilled) == (2, 2, 1)
    big, small = store.signals.get_repository("pygithub/pygithub"), store.signals.get_repository("DANVK/Comparea")
    assert big is not None and (big.stars, big.full_name, big.backfill) == (7122, "PyGithub/PyGithub", "skipped")
    assert small is not None and (small.stars, small.backfill) == (6, "done")
    assert sum(n for _, n in store.signals.star_history("danvk/comparea")) == 6
    assert store.signals.star_history("pygithub/pygithub") == []  # 7,122 stars: more than the backfill limit
    star_page = github.requests("/repos/danvk/comparea/stargazers")[0]
    assert star_page.headers["accept"] == "application/vnd.github.star+json" and star_page.param("per_page") == "100"
    # a day later: asked again with If-None-Match; the 304 adds a point with the same count
    later = NOW + timedelta(days=1)
    again = stars(store, github, fake_time, now=later, stargazer_backfill_max_stars=1000)
    assert again.ok and again.snapshots == 2 and again.backfilled == 0
    conditional = github.requests("/repos/PyGithub/PyGithub")[-1]
    assert conditional.headers["if-none-match"] == big.etag
    snapshots = store.signals.star_snapshots("PyGithub/PyGithub")
    assert [(s.taken_at, s.stars) for s in snapshots] == [(NOW, 7122), (later, 7122)]
    # not due yet: nothing is asked
    assert stars(store, github, fake_time, now=later + timedelta(hours=1)).repos == 0


@pytest.mark.needs_data
def test_rate_limit_reserve_ends_the_run_cleanly(store: Store, github: ReplayServer, fake_time: FakeTime) -> None:
    link(store, "PyGithub/PyGithub", "danvk/comparea")
    # the first answer (danvk/comparea, recorded) says 4,914 left: at a reserve of 4,914 the run stops there
    report = stars(store, github, fake_time, github_rate_reserve=4914, stargazer_backfill_max_stars=0)
    assert report.ok and report.repos == 1 and "stopped: GitHub rate limit reserve reached" in report.line()
    assert "resets at 2015-10-14" in report.line()
    assert store.get_state("github.rate_limit") is not None


def test_rate_limited_403_missing_404_and_token(store: Store, replay: ReplayServer, fake_time: FakeTime,
                                                caplog: pytest.LogCaptureFixture) -> None:
    # HAND-MADE answers, in GitHub's documented shapes
    replay.add("/repos/gone/away", Recorded(404, [("X-RateLimit-Remaining", "59")], b'{"message": "Not Found"}'))
    replay.add("/repos/zz/limited", Recorded(403, [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "1785585600")],
                                             b'{"message": "API rate limit exceeded for 127.0.0.1."}'))
    link(store, "gone/away", "zz/limited")
    caplog.set_level(logging.DEBUG)
    config = Settings(github_api_url=replay.url, github_token="ghp_secretvalue123")  # type: ignore[arg-type]
    client = github_client(config)
    client.sleep = fake_time.sleep
    report = run_stars(store, config, client=client, now=NOW)
    client.close()
    assert report.ok and "rate limit exceeded" in report.line()
    gone = store.signals.get_repository("gone/away")
    assert gone is not None and gone.status == "missing" and store.signals.star_snapshots("gone/away") == []
    # missing ones are not asked again
    assert store.signals.repos_due(NOW + timedelta(days=9), 10)[0].repo == "zz/limited"
    assert replay.requests()[0].headers["authorization"] == "Bearer ghp_secretvalue123"
    assert "ghp_secretvalue123" not in caplog.text and "ghp_secretvalue123" not in repr(config)

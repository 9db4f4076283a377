"""The HTTP client against a real server on 127.0.0.1: retries, Retry-After, pacing, limits, timeouts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from paperwire.config import Settings
from paperwire.ingest.http import HttpError, parse_retry_after, redirect_allowed, user_agent
from tests.helpers.clock import FakeTime
from tests.helpers.net import make_client
from tests.helpers.paths import FIXTURES_SHARED
from tests.helpers.replay import Recorded, ReplayServer, load_nock

OK = Recorded(200, [("Content-Type", "text/plain")], b"fine")
NOCK_503 = FIXTURES_SHARED / "arxiv-oai" / "paperhive_nock_oaipmh-listrecords---should-list-identifiers-from-arxiv.json"


@pytest.mark.needs_data
def test_real_arxiv_503_retry_after_is_honoured(replay: ReplayServer, fake_time: FakeTime) -> None:
    calls = list(load_nock(NOCK_503))  # recorded: 503 with Retry-After: 10, then 200
    assert [c[1].status for c in calls] == [503, 200]
    replay.add(calls[0][0], *(c[1] for c in calls))
    with make_client(fake_time) as client:
        response = client.get(replay.url + calls[0][0])
    assert response.status == 200 and b"<ListRecords>" in response.content
    assert fake_time.sleeps == [10.0]
    assert len(replay.requests("/oai2")) == 2


def test_429_then_200_and_retry_after_as_http_date(replay: ReplayServer, fake_time: FakeTime) -> None:
    # HAND-MADE: a 429 whose Retry-After is an HTTP date 30 s ahead
    later = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=30)
    replay.add("/limited", Recorded(429, [("Retry-After", later.strftime("%a, %d %b %Y %H:%M:%S GMT"))], b"slow"), OK)
    with make_client(fake_time) as client:
        assert client.get(replay.url + "/limited").content == b"fine"
    assert len(fake_time.sleeps) == 1 and 27 <= fake_time.sleeps[0] <= 30
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", datetime(2015, 10, 21, 7, 27, 30, tzinfo=UTC)) == 30
    assert parse_retry_after("120") == 120 and parse_retry_after("soon") is None


def test_5xx_backoff_is_exponential_with_jitter_then_gives_up(replay: ReplayServer, fake_time: FakeTime) -> None:
    replay.add("/broken", Recorded(500, [], b"internal error"))
    with make_client(fake_time, retries=3) as client, pytest.raises(HttpError, match="HTTP 500 4 times"):
        client.get(replay.url + "/broken")
    assert fake_time.sleeps == [1.0, 2.0, 4.0]  # backoff 1 s doubling; jitter fixed at x1.0 here
    jittered = make_client(fake_time)
    jittered.rand = lambda: 0.0
    assert jittered._backoff(2) == 2.0  # 4 s * 0.5
    jittered.rand = lambda: 0.999
    assert 5.99 < jittered._backoff(2) < 6.0  # 4 s * 1.5
    jittered.close()


def test_a_4xx_is_returned_not_retried(replay: ReplayServer, fake_time: FakeTime) -> None:
    replay.add("/missing", Recorded(404, [], b"no"))
    with make_client(fake_time) as client:
        assert client.get(replay.url + "/missing").status == 404
    assert fake_time.sleeps == [] and len(replay.requests()) == 1


def test_too_long_retry_after_fails_clearly(replay: ReplayServer, fake_time: FakeTime) -> None:
    replay.add("/busy", Recorded(503, [("Retry-After", "86400")], b"come back tomorrow"))
    with make_client(fake_time, max_retry_after=600) as client, pytest.raises(HttpError, match="retry after 86400 s"):
        client.get(replay.url + "/busy")


def test_truncated_transfer_is_a_network_error_and_retried(replay: ReplayServer, fake_time: FakeTime) -> None:
    replay.add("/cut", Recorded(200, [], b"x" * 1000, truncate=True), OK)
    with make_client(fake_time) as client:
        assert client.get(replay.url + "/cut").content == b"fine"
    assert len(fake_time.sleeps) == 1


def test_slow_response_times_out_and_fails_after_retries(replay: ReplayServer, fake_time: FakeTime) -> None:
    replay.add("/slow", Recorded(200, [], b"late", delay=2.0))
    with make_client(fake_time, retries=1, timeout=0.3) as client, pytest.raises(HttpError, match="ReadTimeout"):
        client.get(replay.url + "/slow")
    assert len(replay.requests("/slow")) == 2


def test_response_size_cap(replay: ReplayServer, fake_time: FakeTime) -> None:
    replay.add("/huge", Recorded(200, [], b"a" * 5000))
    with make_client(fake_time, max_bytes=4096) as client, pytest.raises(HttpError, match="4,096-byte limit"):
        client.get(replay.url + "/huge")


def test_requests_to_one_host_are_paced(replay: ReplayServer, fake_time: FakeTime) -> None:
    replay.add("/a", OK)
    with make_client(fake_time, min_interval=3.0) as client:
        for _ in range(3):
            client.get(replay.url + "/a")
    assert fake_time.sleeps == [3.0, 3.0]  # none before the first request


def test_user_agent_names_the_site_and_contact(replay: ReplayServer, fake_time: FakeTime) -> None:
    replay.add("/ua", OK)
    with make_client(fake_time) as client:
        client.get(replay.url + "/ua")
    assert replay.requests()[0].headers["user-agent"].startswith("Paperwire/test (+http://127.0.0.1; mailto:")
    settings = Settings(base_url="https://papers.example.org", contact_email="ops@example.org")
    assert user_agent(settings) == "Paperwire/0.1.0 (+https://papers.example.org; mailto:ops@example.org)"


def test_connection_refused_fails_after_retries(fake_time: FakeTime) -> None:
    with make_client(fake_time, retries=1) as client, pytest.raises(HttpError, match="ConnectError"):
        client.get("http://127.0.0.1:9/nothing-listens-here")
    assert len(fake_time.sleeps) == 1


def test_a_server_trickling_its_answer_is_cut_off_at_the_deadline(replay: ReplayServer, fake_time: FakeTime) -> None:
    # HAND-MADE: a byte every 0.2 s never trips the 1 s read timeout; 100 bytes would take 20 s
    replay.add("/drip", Recorded(200, [("Content-Type", "text/plain")], b"x" * 100, trickle=0.2))
    with make_client(fake_time, retries=2, timeout=1.0, deadline=2.0) as client, \
            pytest.raises(HttpError, match="cut off at the 2-second deadline"):
        client.get(replay.url + "/drip")
    assert len(replay.requests("/drip")) == 1  # a deadline passed is not retried


def test_a_retry_after_past_the_deadline_fails_at_once(replay: ReplayServer, fake_time: FakeTime) -> None:
    replay.add("/busy", Recorded(503, [("Retry-After", "120")], b"later"), OK)
    with make_client(fake_time, deadline=60.0) as client, \
            pytest.raises(HttpError, match=r"next retry \(in 120 s\) would pass the 60-second deadline"):
        client.get(replay.url + "/busy")
    assert fake_time.sleeps == [] and len(replay.requests("/busy")) == 1


def test_retries_and_their_waits_end_by_the_deadline(replay: ReplayServer, fake_time: FakeTime) -> None:
    replay.add("/flaky", Recorded(500, [], b"oops"))
    with make_client(fake_time, retries=10, deadline=10.0) as client, pytest.raises(HttpError, match="deadline"):
        client.get(replay.url + "/flaky")
    assert fake_time.sleeps == [1.0, 2.0, 4.0] and sum(fake_time.sleeps) <= 10  # the 8 s wait would pass it


def test_redirects_are_followed_on_the_same_host_only(replay: ReplayServer, fake_time: FakeTime) -> None:
    port = replay.url.rsplit(":", 1)[1]
    replay.add("/old", Recorded(301, [("Location", "/new")], b""))
    replay.add("/new", OK)
    # the same server under another name: another host as far as the client can tell
    replay.add("/away", Recorded(302, [("Location", f"http://localhost:{port}/new")], b""))
    replay.add("/loop", Recorded(302, [("Location", "/loop")], b""))
    with make_client(fake_time) as client:
        moved = client.get(replay.url + "/old")
        assert moved.status == 200 and moved.url == replay.url + "/new"
        with pytest.raises(HttpError, match="refused to follow a redirect to http://localhost"):
            client.get(replay.url + "/away")
        with pytest.raises(HttpError, match="more than 5 redirects"):
            client.get(replay.url + "/loop")
    assert len(replay.requests("/new")) == 1  # only the same-host hop reached it


@pytest.mark.parametrize(("current", "target", "allowed"), [
    ("https://api.github.com/repos/a/b", "https://api.github.com/repositories/1", True),
    ("http://export.arxiv.org/api/query", "https://export.arxiv.org/api/query", True),  # an upgrade
    ("https://export.arxiv.org/api/query", "http://export.arxiv.org/api/query", False),  # never down
    ("https://export.arxiv.org/api/query", "https://evil.example/api/query", False),
    ("https://export.arxiv.org/api/query", "https://arxiv.org/api/query", False),  # another host
    ("https://export.arxiv.org/api/query", "https://export.arxiv.org:8443/api", False),  # another port
    ("http://127.0.0.1:8765/a", "http://127.0.0.1:6379/", False),
    ("http://127.0.0.1:8765/a", "http://127.0.0.1:8765/b", True),
    ("https://huggingface.co/api", "file:///etc/passwd", False),
    ("https://huggingface.co/api", "https://huggingface.co:bad/api", False),
])
def test_which_redirects_are_allowed(current: str, target: str, allowed: bool) -> None:
    assert redirect_allowed(current, target) is allowed

"""What the site answers when it cannot serve now: a locked database (503) and, below, an anonymous client
asking too often (429); both with Retry-After, in the route's error shape, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import psycopg
import pytest
from fastapi.testclient import TestClient

from paperwire.accounts.service import Accounts
from paperwire.config import Settings
from paperwire.models import Paper
from paperwire.runtime import Runtime
from paperwire.security.buckets import TokenBuckets, client_key
from paperwire.store import Store
from paperwire.store.postgres import split_schema
from paperwire.web import create_app
from paperwire.web.auth import cookie_name
from paperwire.web.server import open_web_store


@contextmanager
def write_locked(store: Store, table: str) -> Iterator[None]:
    """Another connection holds the write lock (SQLite: the whole file; PostgreSQL: ``table``) meanwhile."""
    if store.path is not None:
        import sqlite3

        conn = sqlite3.connect(store.path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    conninfo, schema = split_schema(store.url)
    with psycopg.connect(conninfo, options=f"-c search_path={schema}") as pg:
        pg.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")  # readers go on, writers wait
        yield
        pg.rollback()


@pytest.fixture
def web_store(settings: Settings) -> Iterator[Store]:
    """The store as ``paperwire serve`` opens it, with a short wait for locks."""
    store = open_web_store(Settings(**{**settings.model_dump(), "web_busy_timeout_ms": 300}))
    yield store
    store.close()


def test_a_write_waiting_on_a_locked_database_is_a_503_with_retry_after(web_store: Store, settings: Settings
                                                                        ) -> None:
    web_settings = Settings(**{**settings.model_dump(), "web_busy_timeout_ms": 300})
    web_store.papers.upsert_papers([Paper("2501.00001", "Alpha", "Alpha abstract", ["Ada"], ["cs.CL"],
                                          announced=date(2025, 1, 2))])
    accounts = Accounts(web_store, web_settings, Runtime(web_settings, web_store).secret_key)
    user = web_store.accounts.create_user("ada@example.org", "ada", "not-a-real-hash")
    user = web_store.accounts.update_user(user.id, verified=True) or user
    _, token = accounts.create_api_token(user, "script", ["read", "write"])
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(web_settings, web_store)) as client:
        assert client.put("/api/v1/upvotes/2501.00001", headers=auth).status_code == 200  # token noted as used
        with write_locked(web_store, "upvotes"):
            r = client.delete("/api/v1/upvotes/2501.00001", headers=auth)
            assert r.status_code == 503 and r.headers["retry-after"] == "1", r.text
            assert r.json()["error"]["code"] == "service_unavailable"
            assert r.headers["x-content-type-options"] == "nosniff"
            assert client.get("/api/v1/papers/2501.00001").status_code == 200  # reading goes on meanwhile
        assert client.delete("/api/v1/upvotes/2501.00001", headers=auth).status_code == 200  # the retry works
        assert web_store.community.upvote_counts(["2501.00001"]) == {}


# -- anonymous rate limit ----------------------------------------------------------------------------------
SEARCHES = ["/search?q=alpha", "/api/v1/search?q=alpha", "/feeds/search.atom?q=alpha", "/api/papers/search?q=alpha"]


@pytest.fixture
def limited(runtime: Runtime) -> Settings:
    """Three searches at once per client, then one a minute; two papers to find."""
    runtime.store.papers.upsert_papers([Paper(f"2501.0000{i}", f"Alpha paper {i}", "About alpha.", ["Ada"],
                                              ["cs.CL"], announced=date(2025, 1, 2)) for i in (1, 2)])
    runtime.indexes.sync()
    return Settings(**{**runtime.settings.model_dump(), "anonymous_rate_per_minute": 1, "anonymous_burst": 3})


def test_the_buckets_refill_at_the_rate_and_forget_the_oldest_client() -> None:
    now = [100.0]
    buckets = TokenBuckets(rate_per_minute=6, burst=2, clock=lambda: now[0], max_clients=2)
    assert [buckets.take("a"), buckets.take("a")] == [0.0, 0.0]
    assert buckets.take("a") == pytest.approx(10.0)  # one token every 10 s
    now[0] += 4
    assert buckets.take("a") == pytest.approx(6.0) and buckets.take("b") == 0.0
    now[0] += 6
    assert buckets.take("a") == 0.0 and buckets.take("a") > 0  # refilled one, not the whole burst
    buckets.take("c")  # a third client: "b", seen longest ago, is forgotten
    assert len(buckets) == 2 and buckets.take("b") == 0.0
    with pytest.raises(ValueError):
        TokenBuckets(0, 1)


def test_client_keys() -> None:
    assert client_key("203.0.113.5") == "203.0.113.5" and client_key(None) == "-"
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key("::ffff:203.0.113.5") == "203.0.113.5" and client_key("testclient") == "testclient"


@pytest.mark.parametrize("path", SEARCHES)
def test_a_burst_from_one_client_gets_429_while_another_is_served(limited: Settings, store: Store,
                                                                  path: str) -> None:
    app = create_app(limited, store)
    with TestClient(app, client=("203.0.113.5", 4000)) as one:
        other = TestClient(app, client=("198.51.100.7", 4000))
        # distinct queries: a repeat would be answered from the response cache, without searching
        answers = [one.get(f"{path}+{i}") for i in range(4)]
        assert [r.status_code for r in answers] == [200, 200, 200, 429], path
        limited_answer = answers[-1]
        assert 1 <= int(limited_answer.headers["retry-after"]) <= 60
        if path.startswith("/api/v1/"):
            assert limited_answer.json()["error"]["code"] == "too_many_requests"
        elif path.startswith("/api/papers/"):  # Hugging Face's shape, which huggingface_hub reads
            assert "Too many searches" in limited_answer.json()["error"]
        else:
            assert "text/html" in limited_answer.headers["content-type"] and "Too many searches" in limited_answer.text
        # another address is served; forwarding headers are not believed (uvicorn handles trusted proxies)
        assert other.get(f"{path}+other").status_code == 200
        assert one.get(f"{path}+5", headers={"X-Forwarded-For": "192.0.2.99", "X-Real-IP": "192.0.2.99"}
                       ).status_code == 429
        assert one.get("/api/v1/papers/2501.00001").status_code == 200  # cheap routes are not limited


def test_revalidations_cached_answers_and_members_do_not_count(limited: Settings, store: Store) -> None:
    app = create_app(limited, store)
    user = store.accounts.create_user("ada@example.org", "ada", "not-a-real-hash")
    rt = Runtime(limited, store)
    token, _ = Accounts(store, limited, rt.secret_key).open_session(user, "203.0.113.5", "test")
    with TestClient(app, client=("203.0.113.5", 4000)) as client:
        first = client.get("/search?q=alpha")
        for _ in range(5):
            assert client.get("/search?q=alpha", headers={"If-None-Match": first.headers["etag"]}).status_code == 304
            assert client.get("/search?q=alpha").status_code == 200  # the response cache's copy
        member = TestClient(app, client=("203.0.113.5", 4000), cookies={cookie_name(limited, "session"): token})
        assert all(member.get(f"/search?q=alpha+{i}").status_code == 200 for i in range(6))
        forged = TestClient(app, client=("203.0.113.5", 4000), cookies={cookie_name(limited, "session"): "made-up"})
        # one search counted so far (the first): two more, then the forged cookie counts as anonymous too
        assert [client.get("/search?q=beta").status_code, forged.get("/search?q=gamma").status_code,
                forged.get("/search?q=delta").status_code] == [200, 200, 429]

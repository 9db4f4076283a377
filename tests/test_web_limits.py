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
from paperwire.store import Store
from paperwire.store.postgres import split_schema
from paperwire.web import create_app
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

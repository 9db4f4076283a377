"""Request bodies are limited (``max_body_bytes``): a 1 MB body to a JSON route or a form is answered 413 in
the route's error shape, declared with Content-Length (refused unread) or streamed chunked (reading stops at
the limit); bodies under the limit work as before. Both backends."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from paperwire.runtime import Runtime
from paperwire.web import create_app
from tests.helpers.community import PAPERS, csrf_of
from tests.helpers.live import live_server
from tests.helpers.tokens import member_token

MB = 1_000_000
LIMIT = 65_536  # the default


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    runtime.store.papers.upsert_papers(PAPERS)
    return create_app(runtime.settings, runtime.store)


@pytest.fixture
def token(runtime: Runtime) -> str:
    return member_token(runtime)


def big_json() -> bytes:
    return b'{"paper": "' + b"9" * MB + b'"}'


def chunks(total: int, size: int = 16_384) -> Iterator[bytes]:
    """A body without a declared length: httpx sends an iterator with Transfer-Encoding: chunked."""
    for start in range(0, total, size):
        yield b"x" * min(size, total - start)


def assert_json_413(r: httpx.Response) -> None:
    assert r.status_code == 413, r.text[:300]
    error = r.json()["error"]
    assert (error["status"], error["code"]) == (413, "content_too_large")
    assert "65,536 bytes" in error["message"]


def assert_page_413(r: httpx.Response) -> None:
    assert r.status_code == 413, r.text[:300]
    assert r.headers["content-type"].startswith("text/html") and "too large" in r.text
    assert "content-security-policy" in r.headers  # the site's headers, like any page


def test_a_large_json_body_is_refused(app: FastAPI, runtime: Runtime, token: str) -> None:
    with TestClient(app) as c:
        r = c.post("/api/v1/submissions", content=big_json(),
                   headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert_json_413(r)  # type: ignore[arg-type]
    assert runtime.store.community.list_submissions(limit=10) == []


def test_a_large_form_is_refused_with_a_page(app: FastAPI) -> None:
    with TestClient(app) as c:
        csrf = csrf_of(c.get("/signin").text)
        r = c.post("/signin", data={"csrf_token": csrf, "email": "ann@example.org", "password": "x" * MB})
    assert_page_413(r)  # type: ignore[arg-type]


def test_bodies_under_the_limit_are_read_as_before(app: FastAPI, runtime: Runtime, token: str) -> None:
    padded = b'{"paper": "' + PAPERS[0].id.encode() + b'"' + b" " * (LIMIT - 100) + b"}"  # just under
    with TestClient(app) as c:
        r = c.post("/api/v1/submissions", content=padded,
                   headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        assert r.status_code == 201, r.text
        csrf = csrf_of(c.get("/signin").text)
        r = c.post("/signin", data={"csrf_token": csrf, "email": "nobody@example.org", "password": "not the one",
                                    "padding": "x" * (LIMIT - 500)})
        assert r.status_code == 401  # read and judged: wrong password, not too large
    assert [s.paper_id for s in runtime.store.community.list_submissions(limit=10)] == [PAPERS[0].id]


def test_chunked_bodies_are_refused_by_a_real_server(app: FastAPI, token: str) -> None:
    with live_server(app) as base, httpx.Client(base_url=base, timeout=30) as c:
        r = c.post("/api/v1/submissions", content=chunks(MB),
                   headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        assert "content-length" not in r.request.headers and r.request.headers["transfer-encoding"] == "chunked"
        assert_json_413(r)
        csrf = csrf_of(c.get("/signin").text)
        r = c.post("/signin", content=chunks(MB, 4096),
                   headers={"Content-Type": "application/x-www-form-urlencoded",
                            "X-CSRF-Token": csrf})
        assert_page_413(r)
        assert c.get("/healthz").status_code == 200  # and the server goes on serving


class Wire:
    """The server's side of one request at the ASGI level: hands the app a body chunk by chunk and
    counts what the app pulled."""

    def __init__(self, body_chunks: int, chunk: int = 16_384) -> None:
        self.remaining = body_chunks
        self.chunk = chunk
        self.pulled = 0
        self.sent: list[dict[str, Any]] = []

    async def receive(self) -> dict[str, Any]:
        self.pulled += 1
        self.remaining -= 1
        return {"type": "http.request", "body": b"x" * self.chunk, "more_body": self.remaining > 0}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int:
        return int(next(m["status"] for m in self.sent if m["type"] == "http.response.start"))


def call(app: FastAPI, wire: Wire, headers: list[tuple[bytes, bytes]], token: str) -> None:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/api/v1/submissions", "raw_path": b"/api/v1/submissions", "query_string": b"", "root_path": "",
             "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"),
                         (b"authorization", f"Bearer {token}".encode()), *headers],
             "client": ("127.0.0.1", 5000), "server": ("testserver", 80)}
    asyncio.run(app(scope, wire.receive, wire.send))  # type: ignore[arg-type]


def test_a_declared_length_over_the_limit_is_refused_before_any_reading(app: FastAPI, token: str) -> None:
    wire = Wire(body_chunks=64)  # 1 MB
    call(app, wire, [(b"content-length", str(64 * 16_384).encode())], token)
    assert wire.status == 413 and wire.pulled == 0


def test_a_streamed_body_is_read_only_up_to_the_limit(app: FastAPI, token: str) -> None:
    wire = Wire(body_chunks=6_000)  # about 100 MB, if anybody read it all
    call(app, wire, [(b"transfer-encoding", b"chunked")], token)
    assert wire.status == 413
    assert wire.pulled == LIMIT // 16_384 + 1  # the chunk that crossed the limit was the last one read

"""HTTP hygiene: ETag/Last-Modified and 304s, the response cache never outliving an import, gzip,
cache headers and security headers (both backends)."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from paperwire.config import Settings
from paperwire.models import DataVersion, Paper
from paperwire.runtime import Runtime
from paperwire.web import create_app
from paperwire.web.http import etag_matches, not_modified_since

CONDITIONAL = ["/", "/trending/week", "/daily/2025-01-02", "/c/cs.CL", "/paper/2501.00001", "/search?q=alpha",
               "/feeds/trending.atom", "/feeds/c/cs.CL.rss", "/api/v1/daily", "/api/v1/search?q=alpha",
               "/api/v1/categories", "/api/daily_papers", "/api/papers/2501.00001"]


def paper(pid: str, title: str, day: str = "2025-01-02") -> Paper:
    return Paper(pid, title, f"{title} abstract", ["Ada Lovelace"], ["cs.CL"], announced=date.fromisoformat(day))


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    runtime.store.papers.upsert_papers([paper("2501.00001", "Alpha paper"), paper("2501.00002", "Beta paper")])
    runtime.indexes.sync()
    return create_app(runtime.settings, runtime.store)


def test_validators_and_304(app: FastAPI) -> None:
    with TestClient(app) as c:
        for path in CONDITIONAL:
            r = c.get(path)
            assert r.status_code == 200, path
            etag = r.headers["etag"]
            assert etag.startswith('W/"') and r.headers["cache-control"] == "public, no-cache"
            assert "last-modified" in r.headers and "Accept-Encoding" in r.headers["vary"]
            again = c.get(path, headers={"If-None-Match": etag})
            assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag, path
            assert c.get(path, headers={"If-None-Match": 'W/"other", ' + etag}).status_code == 304
            assert c.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
            since = c.get(path, headers={"If-Modified-Since": r.headers["last-modified"]})
            assert since.status_code == 304, path
            assert c.get(path, headers={"If-Modified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"}).status_code == 200
        assert c.get("/", headers={"If-None-Match": c.get("/daily/2025-01-02").headers["etag"]}).status_code == 200


def test_an_import_changes_every_page_at_once(app: FastAPI, runtime: Runtime) -> None:
    with TestClient(app) as c:
        before = {path: c.get(path) for path in ("/", "/search?q=gamma", "/api/v1/daily", "/feeds/daily.atom")}
        assert "Gamma" not in before["/"].text and "No papers match" in before["/search?q=gamma"].text
        runtime.store.papers.upsert_papers([paper("2501.00003", "Gamma paper", "2025-01-03")])
        for path, old in before.items():  # no stale page from the response cache, no false 304
            r = c.get(path, headers={"If-None-Match": old.headers["etag"]})
            assert r.status_code == 200 and r.headers["etag"] != old.headers["etag"], path
            assert "Gamma" in r.text or "2501.00003" in r.text, path


def test_the_response_cache_serves_repeats(app: FastAPI) -> None:
    cache = app.state.response_cache
    with TestClient(app) as c:
        first = c.get("/c/cs.CL")
        hits = cache.hits
        second = c.get("/c/cs.CL")
        assert cache.hits == hits + 1 and second.content == first.content
        assert second.headers["etag"] == first.headers["etag"]
        gz = c.get("/c/cs.CL", headers={"Accept-Encoding": "gzip"})
        plain = c.get("/c/cs.CL", headers={"Accept-Encoding": "identity"})
        assert gz.headers["content-encoding"] == "gzip" and "content-encoding" not in plain.headers
        assert gz.text == plain.text == first.text  # httpx decodes gzip; the cache kept both encodings apart


def test_no_cache_when_disabled(runtime: Runtime) -> None:
    settings = Settings(**{**runtime.settings.model_dump(), "web_cache_mb": 0})
    app = create_app(settings, runtime.store)
    assert app.state.response_cache is None
    with TestClient(app) as c:
        assert c.get("/").status_code == 200 and "etag" in c.get("/").headers


def test_errors_are_not_cached_or_validated(app: FastAPI) -> None:
    with TestClient(app) as c:
        r = c.get("/paper/2101.99999")
        assert r.status_code == 404 and "etag" not in r.headers


def test_gzip(app: FastAPI) -> None:
    with TestClient(app) as c:
        for path in ("/", "/api/v1/daily", "/feeds/trending.rss", "/api/openapi.json"):
            r = c.get(path, headers={"Accept-Encoding": "gzip"})
            assert r.headers.get("content-encoding") == "gzip", path


def test_security_headers_everywhere(app: FastAPI) -> None:
    with TestClient(app, raise_server_exceptions=False) as c:
        for path in ("/", "/paper/2501.00001", "/nope", "/api/v1/daily", "/api/docs", "/static/style.css",
                     "/feeds/trending.atom"):
            headers = c.get(path).headers
            csp = headers["content-security-policy"]
            assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
            assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
            assert headers["x-content-type-options"] == "nosniff"
            assert headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_a_crash_is_a_500_page_with_the_headers(app: FastAPI, runtime: Runtime,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_: object, **__: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(runtime.store.papers, "get_paper", boom)
    with TestClient(app, raise_server_exceptions=False) as c:
        page = c.get("/paper/2501.00001")
        assert page.status_code == 500 and "Something went wrong" in page.text and "disk on fire" not in page.text
        assert page.headers["x-content-type-options"] == "nosniff" and "etag" not in page.headers
        api = c.get("/api/v1/papers/2501.00001")
        assert api.status_code == 500 and api.json()["error"]["code"] == "internal_server_error"


def test_static_files_are_versioned_and_cached(app: FastAPI) -> None:
    with TestClient(app) as c:
        page = c.get("/").text
        url = page.split('rel="stylesheet" href="')[1].split('"')[0]
        assert url.startswith("/static/style.css?v=")
        versioned = c.get(url)
        assert versioned.headers["cache-control"] == "public, max-age=31536000, immutable"
        bare = c.get("/static/style.css")
        assert bare.headers["cache-control"] == "public, no-cache" and bare.headers["etag"]
        assert c.get("/static/style.css", headers={"If-None-Match": bare.headers["etag"]}).status_code == 304
        assert c.get("/static/vendor/katex/katex.min.js").status_code == 200


def test_header_helpers() -> None:
    assert etag_matches("*", 'W/"a"') and etag_matches('"a"', 'W/"a"') and etag_matches('W/"b", W/"a"', 'W/"a"')
    assert not etag_matches('"b"', 'W/"a"')
    from datetime import UTC, datetime

    when = datetime(2025, 1, 2, 3, 4, 5, 600000, tzinfo=UTC)
    assert not_modified_since("Thu, 02 Jan 2025 03:04:05 GMT", when)
    assert not not_modified_since("Thu, 02 Jan 2025 03:04:04 GMT", when)
    assert not not_modified_since("yesterday", when)


@pytest.mark.parametrize("protocol_name", ["NoDelayH11Protocol", "NoDelayHttpToolsProtocol"])
def test_server_connections_get_tcp_nodelay(protocol_name: str) -> None:
    """With several workers uvicorn's listening socket says protocol 0, so asyncio leaves Nagle on
    and each response waits 40 ms for a delayed ACK; our protocol turns it off per connection."""
    import asyncio
    import socket

    import uvicorn
    from uvicorn.server import ServerState

    from paperwire.web import server

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # as uvicorn's bind_socket makes it
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    client = socket.create_connection(listener.getsockname())
    conn, _ = listener.accept()
    assert conn.proto == 0 and not conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)

    class Transport(asyncio.Transport):
        def get_extra_info(self, name: str, default: object = None) -> object:
            return {"socket": conn, "sockname": conn.getsockname(), "peername": conn.getpeername()}.get(name, default)

    loop = asyncio.new_event_loop()
    try:
        protocol = getattr(server, protocol_name)(uvicorn.Config(FastAPI()), ServerState(), {}, _loop=loop)
        protocol.connection_made(Transport())
        assert conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        loop.close()
        for s in (client, conn, listener):
            s.close()


def test_handler_threads_follow_the_setting(app: FastAPI) -> None:
    import anyio
    import anyio.to_thread

    async def tokens_in_lifespan() -> float:
        async with app.router.lifespan_context(app):
            return anyio.to_thread.current_default_thread_limiter().total_tokens

    assert anyio.run(tokens_in_lifespan) == app.state.settings.web_threads == 4


def test_head_is_answered_like_get(app: FastAPI) -> None:
    with TestClient(app) as c:
        for path in ("/", "/feeds/trending.atom", "/api/v1/daily", "/paper/2501.00001"):
            get, head = c.get(path), c.head(path)
            assert head.status_code == 200 and head.content == b"", path
            assert head.headers["etag"] == get.headers["etag"]
            assert head.headers["content-type"] == get.headers["content-type"]
            assert head.headers["content-length"] == get.headers["content-length"]
        assert c.head("/paper/2101.99999").status_code == 404


def test_a_slow_database_does_not_hold_up_other_requests(app: FastAPI, runtime: Runtime,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The validators' store reads ran on the event loop: one slow read stalled every request of the
    process. The first read here waits for the second to start; on the event loop the second could only
    start after the first had given up."""
    import asyncio
    import threading

    import httpx

    events: list[str] = []
    second_started = threading.Event()
    original = runtime.store.data_version

    def slow() -> DataVersion:
        first = "enter" not in events
        events.append("enter")
        if first:
            second_started.wait(timeout=10)
        else:
            second_started.set()
        events.append("leave")
        return original()

    async def two_requests() -> list[int]:
        async with app.router.lifespan_context(app):
            monkeypatch.setattr(runtime.store, "data_version", slow)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                answers = await asyncio.gather(client.get("/api/v1/categories"), client.get("/c/cs.CL"))
            return [r.status_code for r in answers]

    assert asyncio.run(two_requests()) == [200, 200]
    assert events[:2] == ["enter", "enter"], events  # the two reads overlapped

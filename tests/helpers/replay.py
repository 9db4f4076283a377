"""A real HTTP server on 127.0.0.1 that replays recorded responses.

Routes map ``(method, path, query)`` to a list of recorded responses
(status, headers, body) served in order, the last one repeating, so a
recorded "503 then 200" plays back as it happened. The query is compared
as a multiset of pairs, in any order; ``ignore`` drops parameters a route
does not care about (``per_page``). Loaders read the shared fixtures in
place and faithfully: nock JSON recordings (status, raw headers such as
``Retry-After``), PyGithub replay files (headers including ``Link`` and
``X-RateLimit-*``) and arxiv.py recordings. Absolute URLs of the recorded
service in headers (GitHub's ``Link``) are rewritten to this server, as a
client following them would need.

Like a real server it answers ``If-None-Match`` with 304 when the ETag
matches. Tests can add delays (a slow page), truncated bodies, and
inspect every request received; a body can trickle in a byte at a time.
"""

from __future__ import annotations

import ast
import json
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

# hop-by-hop or recomputed: the replay server sends its own
_DROP_HEADERS = {"content-length", "transfer-encoding", "connection", "keep-alive", "status", "content-encoding"}


@dataclass
class Recorded:
    """One response to play back."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    delay: float = 0.0
    truncate: bool = False  # announce the full length, send half, close: a broken transfer
    trickle: float = 0.0  # send the body a byte at a time, this many seconds apart: a slow drip


@dataclass
class Seen:
    """One request the server received."""

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]

    def param(self, name: str) -> str | None:
        return next((v for k, v in self.query if k == name), None)


@dataclass
class Route:
    responses: list[Recorded]
    ignore: frozenset[str] = frozenset()
    served: int = 0
    delay: float = 0.0


def _key(method: str, path: str, query: Sequence[tuple[str, str]], ignore: frozenset[str]) -> tuple[str, str, tuple]:
    return method.upper(), path, tuple(sorted((k, v) for k, v in query if k not in ignore))


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that timed out or was killed mid-response is part of the tests


@dataclass
class ReplayServer:
    """Start with ``with ReplayServer() as server:``; ``server.url`` is its base URL."""

    routes: dict[tuple[str, str, tuple], Route] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    rewrite: dict[str, str] = field(default_factory=dict)
    port: int = 0
    in_flight: int = 0  # requests being answered now, and the most there ever were at once
    max_in_flight: int = 0

    def __post_init__(self) -> None:
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self.arrived = threading.Condition(self._lock)
        self._server = _Server(("127.0.0.1", self.port), _handler(self))
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> ReplayServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    # -- routes ---------------------------------------------------------------------------
    def add(self, url: str, *responses: Recorded, method: str = "GET", ignore: Sequence[str] = ()) -> Route:
        """Serve ``responses`` in order for ``url`` (a path with query, or a full URL)."""
        parts = urlsplit(url)
        route = Route(list(responses), frozenset(ignore))
        query = parse_qsl(parts.query, keep_blank_values=True)
        self.routes[_key(method, parts.path or "/", query, route.ignore)] = route
        return route

    def route(self, url: str, method: str = "GET") -> Route:
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        for key, route in self.routes.items():
            if key == _key(method, parts.path, query, route.ignore):
                return route
        raise KeyError(url)

    def requests(self, path: str | None = None) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if path is None or s.path == path]

    def wait_for(self, predicate: object, timeout: float = 30.0) -> bool:
        """Block until ``predicate(seen)`` holds (a request arrived), or time out."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while not predicate(self.seen):  # type: ignore[operator]
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.arrived.wait(left)
        return True

    # -- serving --------------------------------------------------------------------------
    def _find(self, method: str, path: str, query: list[tuple[str, str]]) -> Route | None:
        for route_key, route in self.routes.items():
            if route_key == _key(method, path, query, route.ignore):
                return route
        return None

    def _rewrite(self, value: str) -> str:
        for origin, replacement in self.rewrite.items():
            value = value.replace(origin, replacement or self.url)
        return value

    def pause(self, seconds: float) -> None:
        self._stopping.wait(seconds)


def _handler(server: ReplayServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            with server._lock:
                server.in_flight += 1
                server.max_in_flight = max(server.max_in_flight, server.in_flight)
            try:
                self._get()
            finally:
                with server._lock:
                    server.in_flight -= 1

        def _get(self) -> None:
            parts = urlsplit(self.path)
            query = parse_qsl(parts.query, keep_blank_values=True)
            with server.arrived:
                server.seen.append(Seen("GET", parts.path, query, {k.lower(): v for k, v in self.headers.items()}))
                route = server._find("GET", parts.path, query)
                recorded = None
                if route is not None:
                    recorded = route.responses[min(route.served, len(route.responses) - 1)]
                    route.served += 1
                server.arrived.notify_all()
            if route is None or recorded is None:
                self._send(Recorded(404, [("Content-Type", "text/plain")],
                                    f"replay: no recorded response for GET {self.path}".encode()))
                return
            delay = recorded.delay or route.delay
            if delay:
                server.pause(delay)
            etag = next((v for k, v in recorded.headers if k.lower() == "etag"), None)
            if etag and self.headers.get("If-None-Match") == etag and recorded.status == 200:
                self._send(Recorded(304, [("ETag", etag)] + [h for h in recorded.headers
                                                             if h[0].lower().startswith("x-ratelimit")], b""))
                return
            self._send(recorded)

        def _send(self, recorded: Recorded) -> None:
            self.send_response(recorded.status)
            for name, value in recorded.headers:
                if name.lower() not in _DROP_HEADERS:
                    self.send_header(name, server._rewrite(value))
            self.send_header("Content-Length", str(len(recorded.body)))
            if recorded.truncate:
                self.send_header("Connection", "close")
            self.end_headers()
            if recorded.truncate:
                self.wfile.write(recorded.body[: len(recorded.body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            if recorded.trickle:
                try:
                    for i in range(len(recorded.body)):
                        if server._stopping.wait(recorded.trickle):
                            break
                        self.wfile.write(recorded.body[i : i + 1])
                        self.wfile.flush()
                except OSError:  # the client hung up
                    self.close_connection = True
                return
            self.wfile.write(recorded.body)

    return Handler


# -- loaders for the shared recordings ---------------------------------------------------------

def load_nock(path: Path) -> Iterator[tuple[str, Recorded]]:
    """``(path with query, response)`` for each call of a nock recording, in recorded order."""
    for call in json.loads(path.read_text()):
        raw = call.get("rawHeaders") or []
        headers = list(zip(raw[0::2], raw[1::2], strict=True))
        body = call["response"]
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        yield call["path"], Recorded(int(call["status"]), headers, data)


def load_pygithub(path: Path) -> Iterator[tuple[str, Recorded]]:
    """``(path with query, response)`` for each exchange of a PyGithub replay file.

    The format: protocol, verb, host, port, URL, request headers, request
    body, status, response headers (a Python list of pairs), body, blank.
    """
    lines = path.read_text().split("\n")
    i = 0
    while i + 9 < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        url, status = lines[i + 4], int(lines[i + 7])
        headers = [(str(k), str(v)) for k, v in ast.literal_eval(lines[i + 8])]
        yield url, Recorded(status, headers, lines[i + 9].encode())
        i += 10


def load_arxivpy(path: Path) -> tuple[str, Recorded]:
    """``(path with query, response)`` of an arxiv.py golden-file recording."""
    data = json.loads(path.read_text())
    parts = urlsplit(data["url"])
    # the body was stored decoded as latin-1; encoding it back gives the original UTF-8 bytes
    body = data["body"].encode("latin-1")
    return f"{parts.path}?{parts.query}", Recorded(int(data["status_code"]),
                                                   [("Content-Type", "application/atom+xml; charset=utf-8")], body)


def file_response(path: Path, content_type: str, status: int = 200) -> Recorded:
    """A recorded body kept as a file, served with ``content_type``."""
    return Recorded(status, [("Content-Type", content_type)], path.read_bytes())

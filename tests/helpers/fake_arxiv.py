"""A fake arXiv query API on 127.0.0.1 that can misbehave, and counts how it is treated.

HAND-MADE answers (not recordings): any ``id_list`` gets an Atom feed with one small entry per id,
except the ids listed in ``unknown`` (absent, as arXiv leaves them). ``mode`` says how it answers now:
``ok``; ``unavailable`` (503 with ``Retry-After: retry_after``, arXiv's flow control); ``hang`` (holds
the request until the server stops or ``mode`` changes, then 503). ``fail_first`` requests get the 503
whatever the mode. Every request is recorded with its
arrival and end (``hits``), and ``max_in_flight`` is the most it ever served at once — what arXiv's
"one connection, one request every three seconds" is about.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

FEED = ('<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
        'xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">'
        "<title>fake arXiv</title><opensearch:totalResults>{n}</opensearch:totalResults>"
        "<opensearch:startIndex>0</opensearch:startIndex>{entries}</feed>")
ENTRY = ("<entry><id>http://arxiv.org/abs/{id}v1</id><updated>2025-01-02T00:00:00Z</updated>"
         "<published>2025-01-02T00:00:00Z</published><title>A paper called {id}</title>"
         "<summary>An abstract.</summary><author><name>Ada Lovelace</name></author>"
         '<arxiv:primary_category term="cs.LG"/><category term="cs.LG"/></entry>')


@dataclass
class Hit:
    """One request: when it arrived and ended (``time.monotonic``), the ids asked, the status sent."""

    start: float
    ids: list[str]
    end: float = 0.0
    status: int = 0


@dataclass
class FakeArxiv:
    """Start with ``with FakeArxiv() as arxiv:``; ``arxiv.api_url`` is its query API."""

    mode: str = "ok"
    retry_after: int = 30
    delay: float = 0.0
    unknown: set[str] = field(default_factory=set)
    fail_first: int = 0
    hits: list[Hit] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.api_url = f"http://127.0.0.1:{self.server.server_address[1]}/api/query"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeArxiv:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()

    def gaps(self) -> list[float]:
        """Seconds from each request's end to the next one's arrival, in arrival order."""
        with self.lock:
            hits = sorted(self.hits, key=lambda h: h.start)
        return [b.start - a.end for a, b in itertools.pairwise(hits)]

    def asked(self) -> list[str]:
        """Every id asked for, in arrival order."""
        with self.lock:
            return [i for h in sorted(self.hits, key=lambda h: h.start) for i in h.ids]


def _handler(fake: FakeArxiv) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            query = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
            hit = Hit(time.monotonic(), [i for i in query.get("id_list", "").split(",") if i])
            with fake.lock:
                fake.in_flight += 1
                fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                fake.hits.append(hit)
                early = len(fake.hits) <= fake.fail_first
            try:
                if fake.delay:
                    fake.stopping.wait(fake.delay)
                while fake.mode == "hang" and not fake.stopping.wait(0.05):
                    pass
                if fake.mode == "ok" and not early:
                    known = [i for i in hit.ids if i not in fake.unknown]
                    body = FEED.format(n=len(known), entries="".join(ENTRY.format(id=i) for i in known)).encode()
                    self._send(hit, 200, body, [("Content-Type", "application/atom+xml")])
                else:
                    self._send(hit, 503, b"busy", [("Retry-After", str(fake.retry_after))])
            finally:
                with fake.lock:
                    fake.in_flight -= 1
                    hit.end = hit.end or time.monotonic()

        def _send(self, hit: Hit, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
            hit.status = status
            try:
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                # the end as the client sees it: it cannot send its next request before it has the body
                hit.end = time.monotonic()
                self.wfile.write(body)
            except OSError:  # the client gave up (a deadline): part of the tests
                self.close_connection = True

    return Handler

"""HTTP hygiene as plain ASGI middleware: conditional GETs and a response cache (security headers:
``security_headers``).

Validators come from the data, not from the clock: a response's ETag is a
digest of the database's instance id and papers' change counter, the
version of everything else pages show (``Store.data_version``: trending
rankings, star counts, Hugging Face upvotes, the community's upvotes and
submissions), the search index's loaded watermark, the program version and
the request (path and query). Any import, recompute, star check, HF fetch
or upvote changes every ETag, so no cached page outlives the data it was
built from; between changes a revalidation costs a few indexed reads and no
rendering. The same key names entries of a small in-process LRU cache of
rendered bodies (already gzip-compressed when the client accepts it).

Requests of a signed-in member (a session cookie) or a script (a bearer
token) get pages with their own marks and CSRF tokens: they bypass the
validators and the cache both ways and are answered ``private, no-store``.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

import anyio.to_thread
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperwire.runtime import Runtime
from paperwire.web.auth import cookie_name
from paperwire.web.security_headers import REVALIDATE

PERSONAL = "private, no-store"
NOT_CONDITIONAL = ("/static/", "/healthz")
MAX_ENTRY_BYTES = 2_000_000


@dataclass(frozen=True, slots=True)
class DataState:
    """What a response may depend on: the papers' last change, the rest of the data's version, the
    index the searches read; ``modified`` is the newest change of any of them."""

    seq: int
    modified: datetime | None
    index_mark: int
    version: str = ""

    @property
    def settled(self) -> bool:
        """True when the search index has caught up with the store."""
        return self.index_mark == self.seq


def data_state(rt: Runtime) -> DataState:
    """The current state (a few indexed reads of the store)."""
    seq, modified = rt.store.papers.last_change()
    data = rt.store.data_version()
    if data.modified is not None and (modified is None or data.modified > modified):
        modified = data.modified
    # The watermark the index *reader* has loaded, not the one on disk: another process may
    # have advanced the file while this process still searches the older snapshot. LocalIndexes
    # has no public accessor for it yet.
    loaded = getattr(rt.indexes, "_loaded_mark", None)
    mark = int(loaded if loaded is not None else rt.indexes.watermark())
    return DataState(seq, modified, mark, data.token)


class HeadAsGet:
    """Answer HEAD like GET without the body (feed readers and link checkers ask HEAD first)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)


@dataclass(slots=True)
class CachedResponse:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


class ResponseCache:
    """A least-recently-used cache of whole responses, bounded in bytes (event-loop only)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[str, CachedResponse] = OrderedDict()

    def get(self, key: str) -> CachedResponse | None:
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry

    def put(self, key: str, entry: CachedResponse) -> None:
        if len(entry.body) > min(self.max_bytes // 4, MAX_ENTRY_BYTES):
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self.size -= len(old.body)
        self._entries[key] = entry
        self.size += len(entry.body)
        while self.size > self.max_bytes and self._entries:
            _, evicted = self._entries.popitem(last=False)
            self.size -= len(evicted.body)


def etag_matches(header: str, etag: str) -> bool:
    """Weak comparison of an If-None-Match list with our ETag."""
    if header.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in header.split(","))


def not_modified_since(header: str, modified: datetime) -> bool:
    """True when If-Modified-Since is at or after ``modified`` (HTTP dates have whole seconds)."""
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return modified.replace(microsecond=0) <= since


class ConditionalGet:
    """ETag and Last-Modified on dynamic GETs, 304 when the client is current, cached bodies otherwise."""

    def __init__(self, app: ASGIApp, runtime: Runtime, version: str, cache: ResponseCache | None,
                 state: Callable[[Runtime], DataState] = data_state) -> None:
        self.app = app
        self.runtime = runtime
        self.version = version
        self.cache = cache
        self.state = state
        self._instance = b""

    def _current(self) -> DataState:
        """The data's state (store reads: called in a worker thread)."""
        if not self._instance:  # two databases with equal counters must not share validators
            self._instance = self.runtime.store.instance_id().encode()
        return self.state(self.runtime)

    def _key(self, scope: Scope, state: DataState) -> str:
        raw = b"|".join([
            self._instance, self.version.encode(), str(state.seq).encode(), str(state.index_mark).encode(),
            state.version.encode(), scope["path"].encode(), scope.get("query_string", b""),
        ])
        return hashlib.blake2b(raw, digest_size=12).hexdigest()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"].startswith(NOT_CONDITIONAL):
            await self.app(scope, receive, send)
            return
        if self._personal(Headers(scope=scope)):
            await self.app(scope, receive, _private(send))
            return
        # In a worker thread, not on the event loop: these are store reads, and a slow database (PostgreSQL
        # over a network, a lock) would otherwise stall every request of the process, 304s included.
        state = await anyio.to_thread.run_sync(self._current)
        key = self._key(scope, state)
        etag = f'W/"{key}"'
        validators = [("etag", etag), ("cache-control", REVALIDATE), ("vary", "Accept-Encoding")]
        if state.modified is not None and state.settled:  # a lagging index may still change results
            validators.append(("last-modified", format_datetime(state.modified.astimezone(UTC), usegmt=True)))
        request_headers = Headers(scope=scope)
        if self._fresh(request_headers, etag, state):
            await _send_all(send, 304, _encode(validators), b"")
            return
        gzip = "gzip" in request_headers.get("accept-encoding", "")
        cache_key = f"{key}:{int(gzip)}"
        cached = self.cache.get(cache_key) if self.cache is not None else None
        if cached is not None:
            await _send_all(send, cached.status, cached.headers, cached.body)
            return
        await self._respond(scope, receive, send, validators, cache_key)

    def _personal(self, headers: Headers) -> bool:
        """A request from a signed-in member or a script: its answer may show their own state."""
        if headers.get("authorization"):
            return True
        name = f"{cookie_name(self.runtime.settings, 'session')}="
        return any(part.strip().startswith(name) for part in headers.get("cookie", "").split(";"))

    @staticmethod
    def _fresh(headers: Headers, etag: str, state: DataState) -> bool:
        if_none_match = headers.get("if-none-match")
        if if_none_match is not None:
            return etag_matches(if_none_match, etag)
        since = headers.get("if-modified-since")
        return since is not None and state.modified is not None and state.settled and \
            not_modified_since(since, state.modified)

    async def _respond(self, scope: Scope, receive: Receive, send: Send, validators: list[tuple[str, str]],
                       cache_key: str) -> None:
        start: Message | None = None
        chunks: list[bytes] = []
        cacheable = False

        async def capture(message: Message) -> None:
            nonlocal start, cacheable
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                opted_out = "no-store" in headers.get("cache-control", "")
                if message["status"] == 200 and not opted_out and "set-cookie" not in headers:
                    for name, value in validators:
                        if name == "vary" and "vary" in headers:
                            continue  # gzip already said Vary: Accept-Encoding
                        headers[name] = value
                    cacheable = self.cache is not None
                start = message
            elif message["type"] == "http.response.body" and cacheable:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False) and start is not None and self.cache is not None:
                    body = b"".join(chunks)
                    self.cache.put(cache_key, CachedResponse(start["status"], list(start["headers"]), body))
            await send(message)

        await self.app(scope, receive, capture)


def _private(send: Send) -> Send:
    """``send`` marking the response private and never stored (unless it already is no-store)."""
    async def private(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            if "no-store" not in headers.get("cache-control", ""):
                headers["cache-control"] = PERSONAL
            elif "private" not in headers["cache-control"]:
                headers["cache-control"] = f"private, {headers['cache-control']}"
        await send(message)

    return private


def _encode(headers: Iterable[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]


async def _send_all(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})

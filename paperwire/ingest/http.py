"""The HTTP client every fetcher uses: polite, patient and bounded.

- requests to a host strictly one after another, at least ``min_interval``
  seconds apart, through a ``Pacer`` (ingest/pacing.py): per client by default;
  the arXiv clients share one per process and, through the database, per
  instance (``harvest.arxiv_client``);
- retries with exponential backoff and ±50% jitter after network errors,
  timeouts, 5xx and 429 answers; a ``Retry-After`` (seconds or HTTP date)
  is honoured instead, up to ``max_retry_after``;
- one **deadline** per request (``deadline`` seconds): waiting for a turn, every
  attempt's connect and read, and the waits between retries all end by it, and
  a watchdog cuts a connection that is still busy when it passes (a server
  trickling bytes cannot hold a worker);
- redirects are followed only on the same host and port (``http`` to ``https``
  on the same host is allowed, never the reverse), at most ``MAX_REDIRECTS``;
- a descriptive User-Agent with a contact address;
- bodies larger than ``max_bytes`` (after decompression) are refused.

Time is injectable (``clock``, ``sleep``, ``rand``) so tests exercise the
waits without waiting.
"""

from __future__ import annotations

import contextlib
import logging
import random
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from paperwire import __version__
from paperwire.config import Settings
from paperwire.ingest.pacing import Pacer, TurnTimeout

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5


class HttpError(RuntimeError):
    """A request that failed for good, with a message saying what and where."""

    def __init__(self, message: str, url: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


def user_agent(settings: Settings) -> str:
    """``Paperwire/<version> (+<site>; mailto:<contact>)``: who we are and how to reach us."""
    parts = [f"+{settings.public_url()}"]
    if settings.contact_email:
        parts.append(f"mailto:{settings.contact_email}")
    return f"Paperwire/{__version__} ({'; '.join(parts)})"


@dataclass(frozen=True)
class HttpConfig:
    """How patient and how polite a client is."""

    user_agent: str = f"Paperwire/{__version__}"
    timeout: float = 30.0
    retries: int = 4
    backoff: float = 2.0
    max_backoff: float = 120.0
    max_retry_after: float = 900.0
    max_bytes: int = 64 * 1024 * 1024
    min_interval: float = 0.0
    deadline: float = 300.0

    @classmethod
    def from_settings(cls, settings: Settings, min_interval: float = 0.0) -> HttpConfig:
        """The configuration the settings describe, with this source's request interval."""
        return cls(user_agent=user_agent(settings), timeout=settings.http_timeout_seconds,
                   retries=settings.http_retries, backoff=settings.http_backoff_seconds,
                   max_backoff=settings.http_max_backoff_seconds,
                   max_retry_after=settings.http_max_retry_after_seconds,
                   max_bytes=settings.http_max_response_bytes, min_interval=min_interval,
                   deadline=settings.http_deadline_seconds)


@dataclass(frozen=True)
class Response:
    """A complete response: status, headers and the whole (bounded) body."""

    url: str
    status: int
    headers: httpx.Headers
    content: bytes

    def text_snippet(self, limit: int = 200) -> str:
        """The start of the body, for error messages."""
        return " ".join(self.content[:limit].decode("utf-8", "replace").split())


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date; None if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # isdigit() alone takes '²', which float() refuses
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def safe_url(url: str) -> str:
    """A URL for logs: without query values that could hold secrets."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}" + (f"?{parts.query}" if len(parts.query) < 300 else "?…")


_DEFAULT_PORTS = {"http": 80, "https": 443}


def redirect_allowed(current: str, target: str) -> bool:
    """Whether a redirect from ``current`` to ``target`` may be followed: same host and port, and never
    from ``https`` to ``http``; ``http`` to ``https`` on the same host (default ports) is an upgrade.

    Another host could be anything, an address inside the network included; a downgrade would send
    the request (and its headers, a token among them) in clear text.
    """
    old, new = urlsplit(current), urlsplit(target)
    if new.scheme not in _DEFAULT_PORTS or not new.hostname or new.hostname != old.hostname:
        return False
    try:
        old_port = old.port or _DEFAULT_PORTS.get(old.scheme)
        new_port = new.port or _DEFAULT_PORTS[new.scheme]
    except ValueError:  # a port that is not a number
        return False
    if new.scheme == old.scheme:
        return new_port == old_port
    return (old.scheme, new.scheme) == ("http", "https") and (old_port, new_port) == (80, 443)


class _Watchdog:
    """Cuts the connection when a request's deadline passes, whatever the request is waiting for.

    Timeouts bound each network operation, not their sum: a server sending a byte every few seconds
    would never trip them. httpx reports each new connection through its ``trace`` extension; at the
    deadline the watchdog shuts that socket down, which wakes the blocked read with an error.
    """

    def __init__(self) -> None:
        self.socket: socket.socket | None = None
        self.fired = False
        self._timer: threading.Timer | None = None

    def trace(self, event: str, info: dict[str, Any]) -> None:
        if event == "connection.connect_tcp.complete" and info.get("return_value") is not None:
            self.socket = info["return_value"].get_extra_info("socket")

    def arm(self, seconds: float) -> None:
        self.fired = False
        self._timer = threading.Timer(max(seconds, 0.0), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _fire(self) -> None:
        self.fired = True
        sock = self.socket
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed
                sock.shutdown(socket.SHUT_RDWR)


class HttpClient:
    """GET with retries, backoff, pacing, a deadline and a size cap, over one ``httpx.Client``."""

    def __init__(
        self,
        config: HttpConfig,
        headers: Mapping[str, str] | None = None,
        *,
        pacer: Pacer | None = None,
        pace_key: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """``pacer`` gives the turns (default: one of this client's own, on ``clock``); ``pace_key`` names
        the turn every request takes (default: each request's host)."""
        self.config = config
        self.clock, self.sleep, self.rand = clock, sleep, rand
        self.pacer = pacer or Pacer(config.min_interval, clock=clock, sleep=sleep)
        self.pace_key = pace_key
        self.requests = 0
        self._watchdog = _Watchdog()
        self._client = httpx.Client(
            headers={"User-Agent": config.user_agent, **(headers or {})},
            timeout=httpx.Timeout(config.timeout),
            follow_redirects=False,  # followed by hand: only on the same host (redirect_allowed)
            # one connection: arXiv's rule, and polite to everyone else
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            transport=transport,
        )

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection."""
        self._client.close()

    def get(self, url: str, params: Mapping[str, Any] | None = None,
            headers: Mapping[str, str] | None = None) -> Response:
        """GET ``url``; retries what is worth retrying, returns any other answer as it is.

        Raises ``HttpError`` when retries run out, when a server asks to wait
        longer than ``max_retry_after``, when the deadline passes, when a
        redirect leaves the host, or when the body is too large.
        """
        deadline = self.clock() + self.config.deadline
        attempt = redirects = 0
        while True:
            try:
                with self.pacer.turn(self.pace_key or urlsplit(url).netloc, deadline) as turn:
                    try:
                        response = self._fetch(url, params, headers, deadline)
                    except httpx.TransportError as exc:
                        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                        wait = self._backoff(attempt)
                        if attempt >= self.config.retries:
                            raise HttpError(f"GET {safe_url(url)} failed after {attempt + 1} attempts: {reason}",
                                            url) from exc
                        log.warning("GET %s: %s; retry %d/%d in %.1f s", safe_url(url), reason, attempt + 1,
                                    self.config.retries, wait)
                    else:
                        if response.status in REDIRECT_STATUSES and "location" in response.headers:
                            url = self._redirect(response, redirects)
                            params, redirects = None, redirects + 1
                            continue  # the next hop takes the next turn
                        if response.status not in RETRY_STATUSES:
                            return response
                        wait = self._retry_wait(response, attempt)
                        if attempt >= self.config.retries:
                            raise HttpError(f"GET {safe_url(response.url)} answered HTTP {response.status} "
                                            f"{attempt + 1} times: {response.text_snippet()}", response.url,
                                            response.status)
                        log.warning("GET %s: HTTP %d; retry %d/%d in %.1f s", safe_url(response.url),
                                    response.status, attempt + 1, self.config.retries, wait)
                    if self.clock() + wait > deadline:
                        raise HttpError(f"GET {safe_url(url)}: gave up after {attempt + 1} attempts: the next retry "
                                        f"(in {wait:.0f} s) would pass the {self.config.deadline:.0f}-second deadline "
                                        "(PAPERWIRE_HTTP_DEADLINE_SECONDS)", url)
                    turn.gap = wait  # everyone waiting for this host waits it out too
            except TurnTimeout as exc:
                raise HttpError(f"GET {safe_url(url)}: {exc} ({self.config.deadline:.0f} s, "
                                "PAPERWIRE_HTTP_DEADLINE_SECONDS)", url) from None
            attempt += 1

    def _redirect(self, response: Response, redirects: int) -> str:
        target = str(httpx.URL(response.url).join(response.headers["location"]))
        if redirects >= MAX_REDIRECTS:
            raise HttpError(f"GET {safe_url(response.url)}: more than {MAX_REDIRECTS} redirects", response.url,
                            response.status)
        if not redirect_allowed(response.url, target):
            raise HttpError(f"GET {safe_url(response.url)}: refused to follow a redirect to {safe_url(target)} "
                            "(only the same host, never from https to http)", response.url, response.status)
        return target

    def _fetch(self, url: str, params: Mapping[str, Any] | None, headers: Mapping[str, str] | None,
               deadline: float) -> Response:
        self.requests += 1
        left = deadline - self.clock()
        if left <= 0:
            raise HttpError(f"GET {safe_url(url)}: the {self.config.deadline:.0f}-second deadline passed "
                            "(PAPERWIRE_HTTP_DEADLINE_SECONDS)", url)
        watchdog = self._watchdog
        watchdog.arm(left)
        try:
            with self._client.stream("GET", url, params=params, headers=headers,
                                     timeout=httpx.Timeout(min(self.config.timeout, left)),
                                     extensions={"trace": watchdog.trace}) as resp:
                declared = resp.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > self.config.max_bytes:
                    raise HttpError(f"GET {safe_url(str(resp.url))}: response of {int(declared):,} bytes is over "
                                    f"the {self.config.max_bytes:,}-byte limit", str(resp.url), resp.status_code)
                chunks, size = [], 0
                for chunk in resp.iter_bytes():
                    size += len(chunk)
                    if size > self.config.max_bytes:
                        raise HttpError(f"GET {safe_url(str(resp.url))}: response body over the "
                                        f"{self.config.max_bytes:,}-byte limit", str(resp.url), resp.status_code)
                    if watchdog.fired or self.clock() > deadline:
                        raise httpx.ReadTimeout("the request's deadline passed")
                    chunks.append(chunk)
                return Response(str(resp.url), resp.status_code, resp.headers, b"".join(chunks))
        except httpx.TransportError as exc:
            if watchdog.fired:
                raise HttpError(f"GET {safe_url(url)}: cut off at the {self.config.deadline:.0f}-second deadline "
                                "(PAPERWIRE_HTTP_DEADLINE_SECONDS)", url) from exc
            raise
        finally:
            watchdog.disarm()

    def _backoff(self, attempt: int) -> float:
        base = min(self.config.max_backoff, self.config.backoff * 2.0**attempt)
        return base * (0.5 + self.rand())  # jitter: many clients do not retry in lockstep

    def _retry_wait(self, response: Response, attempt: int) -> float:
        asked = parse_retry_after(response.headers.get("retry-after"))
        if asked is None:
            return self._backoff(attempt)
        if asked > self.config.max_retry_after:
            raise HttpError(f"GET {safe_url(response.url)}: HTTP {response.status} asks to retry after {asked:.0f} s, "
                            f"more than the {self.config.max_retry_after:.0f} s allowed "
                            "(PAPERWIRE_HTTP_MAX_RETRY_AFTER_SECONDS)", response.url, response.status)
        return max(asked, self.config.min_interval)

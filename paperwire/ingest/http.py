"""The HTTP client every fetcher uses: polite, patient and bounded.

- one connection, requests strictly one after another, at least
  ``min_interval`` seconds apart per host (arXiv asks for 3 s);
- retries with exponential backoff and ±50% jitter after network errors,
  timeouts, 5xx and 429 answers; a ``Retry-After`` (seconds or HTTP date)
  is honoured instead, up to ``max_retry_after``;
- a descriptive User-Agent with a contact address;
- bodies larger than ``max_bytes`` (after decompression) are refused.

Time is injectable (``clock``, ``sleep``, ``rand``) so tests exercise the
waits without waiting.
"""

from __future__ import annotations

import logging
import random
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

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


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

    @classmethod
    def from_settings(cls, settings: Settings, min_interval: float = 0.0) -> HttpConfig:
        """The configuration the settings describe, with this source's request interval."""
        return cls(user_agent=user_agent(settings), timeout=settings.http_timeout_seconds,
                   retries=settings.http_retries, backoff=settings.http_backoff_seconds,
                   max_backoff=settings.http_max_backoff_seconds,
                   max_retry_after=settings.http_max_retry_after_seconds,
                   max_bytes=settings.http_max_response_bytes, min_interval=min_interval)


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


class HttpClient:
    """GET with retries, backoff, per-host pacing and a size cap, over one ``httpx.Client``."""

    def __init__(
        self,
        config: HttpConfig,
        headers: Mapping[str, str] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.config = config
        self.clock, self.sleep, self.rand = clock, sleep, rand
        self.requests = 0
        self._last_done: dict[str, float] = {}
        self._client = httpx.Client(
            headers={"User-Agent": config.user_agent, **(headers or {})},
            timeout=httpx.Timeout(config.timeout),
            follow_redirects=True,
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
        longer than ``max_retry_after``, or when the body is too large.
        """
        attempt = 0
        while True:
            self._pace(url)
            try:
                response = self._fetch(url, params, headers)
            except httpx.TransportError as exc:
                reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                wait = self._backoff(attempt)
                if attempt >= self.config.retries:
                    raise HttpError(f"GET {safe_url(url)} failed after {attempt + 1} attempts: {reason}", url) from exc
                log.warning("GET %s: %s; retry %d/%d in %.1f s", safe_url(url), reason, attempt + 1,
                            self.config.retries, wait)
            else:
                if response.status not in RETRY_STATUSES:
                    return response
                wait = self._retry_wait(response, attempt)
                if attempt >= self.config.retries:
                    raise HttpError(f"GET {safe_url(response.url)} answered HTTP {response.status} "
                                    f"{attempt + 1} times: {response.text_snippet()}", response.url, response.status)
                log.warning("GET %s: HTTP %d; retry %d/%d in %.1f s", safe_url(response.url), response.status,
                            attempt + 1, self.config.retries, wait)
            self.sleep(wait)
            attempt += 1

    def _pace(self, url: str) -> None:
        host = urlsplit(url).netloc
        last = self._last_done.get(host)
        if last is not None and self.config.min_interval > 0:
            wait = last + self.config.min_interval - self.clock()
            if wait > 0:
                self.sleep(wait)

    def _fetch(self, url: str, params: Mapping[str, Any] | None, headers: Mapping[str, str] | None) -> Response:
        self.requests += 1
        try:
            with self._client.stream("GET", url, params=params, headers=headers) as resp:
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
                    chunks.append(chunk)
                return Response(str(resp.url), resp.status_code, resp.headers, b"".join(chunks))
        finally:
            # measured from the end of a request: the gap the server sees between two of ours
            self._last_done[urlsplit(url).netloc] = self.clock()

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

"""GitHub stars: a snapshot per repository per run, plus a one-time history backfill.

``GET /repos/{owner}/{name}`` with ``If-None-Match`` (a 304 costs no rate
limit and means the count is unchanged) gives ``stargazers_count``; each
check becomes a point of the repository's star time series. A repository
small enough (``stargazer_backfill_max_stars``) has its history rebuilt
once from ``/stargazers`` with ``starred_at`` (100 per request, following
``Link: rel="next"``), as new stars per day. ``X-RateLimit-Remaining`` is
read on every answer: the run stops, cleanly, at the reserve.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from paperwire.ingest.codelinks import parse_repo
from paperwire.ingest.http import HttpClient, Response, safe_url
from paperwire.ingest.records import MAX_COUNT, RecordError, storable_instant
from paperwire.ingest.report import HarvestReport
from paperwire.models import RepoCheck, Repository
from paperwire.store import Store

log = logging.getLogger(__name__)

STAR_MEDIA_TYPE = "application/vnd.github.star+json"
PER_PAGE = 100
MAX_STARGAZER_PAGES = 400  # GitHub serves at most 400 pages of any list
_DIGITS_RE = re.compile(r"[0-9]{1,18}")


class GitHubError(RuntimeError):
    """An answer from GitHub that cannot be used."""


class RateLimited(GitHubError):
    """GitHub's rate limit (or our reserve of it) is reached; try again after ``reset``."""

    def __init__(self, message: str, reset: datetime | None) -> None:
        super().__init__(message)
        self.reset = reset


@dataclass(frozen=True)
class RateInfo:
    """GitHub's ``X-RateLimit-*`` headers."""

    limit: int | None
    remaining: int | None
    reset: datetime | None

    @classmethod
    def from_headers(cls, headers: httpx.Headers) -> RateInfo | None:
        remaining = _count(headers.get("x-ratelimit-remaining"))
        if remaining is None:
            return None
        reset = _count(headers.get("x-ratelimit-reset"))
        try:
            when = datetime.fromtimestamp(reset, UTC) if reset is not None else None
        except (OverflowError, OSError, ValueError):  # a time past what the platform can represent
            when = None
        return cls(_count(headers.get("x-ratelimit-limit")), remaining, when)


def _count(value: str | None) -> int | None:
    """A header's whole number: ASCII digits only (str.isdigit() also takes '²', which int() refuses)."""
    value = (value or "").strip()
    return int(value) if _DIGITS_RE.fullmatch(value) else None


def next_link(header: str | None) -> str | None:
    """The ``rel="next"`` URL of a ``Link`` header, or None."""
    for part in (header or "").split(","):
        url, _, params = part.partition(";")
        if any(p.strip().replace(" ", "") in ('rel="next"', "rel=next") for p in params.split(";")):
            return url.strip().strip("<>")
    return None


def parse_repository(data: bytes) -> tuple[str, int, datetime | None]:
    """``(full_name, stargazers_count, created_at)`` of a repository answer."""
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise GitHubError(f"repository answer is not valid JSON: {exc}") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("full_name"), str):
        raise GitHubError("repository answer has no 'full_name'")
    full_name = obj["full_name"]
    # it goes into API paths (stargazers) and links: only a plain owner/name, as GitHub spells them
    repo = parse_repo(f"github.com/{full_name}")
    if repo is None or repo[1] != full_name:
        raise GitHubError(f"repository answer has no usable 'full_name' ({full_name[:60]!r})")
    stars = obj.get("stargazers_count")
    if not isinstance(stars, int) or isinstance(stars, bool) or not 0 <= stars <= MAX_COUNT:
        raise GitHubError(f"repository answer has no usable 'stargazers_count' ({str(stars)[:20]!r})")
    created = obj.get("created_at")
    return full_name, stars, _instant(created) if isinstance(created, str) else None


def _instant(value: str) -> datetime:
    try:
        return storable_instant(datetime.fromisoformat(value.replace("Z", "+00:00")), "time")
    except (ValueError, RecordError):
        raise GitHubError(f"bad time {value[:30]!r}") from None


def parse_stargazers(data: bytes) -> list[datetime]:
    """The ``starred_at`` times of one stargazers page (requested with the star media type)."""
    try:
        items = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise GitHubError(f"stargazers answer is not valid JSON: {exc}") from None
    if not isinstance(items, list):
        raise GitHubError("stargazers answer is not a list")
    times = []
    for item in items:
        when = item.get("starred_at") if isinstance(item, dict) else None
        if not isinstance(when, str):
            raise GitHubError("a stargazer has no 'starred_at': the server ignored the "
                              f"{STAR_MEDIA_TYPE} media type")
        times.append(_instant(when))
    return times


def per_day(times: list[datetime]) -> dict[date, int]:
    """New stars per UTC day."""
    return dict(sorted(Counter(t.astimezone(UTC).date() for t in times).items()))


class GitHub:
    """A thin GitHub REST client that tracks the rate limit and stops at the reserve."""

    def __init__(self, client: HttpClient, base_url: str, reserve: int = 10) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.reserve = reserve
        self.rate: RateInfo | None = None

    def _get(self, url: str, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> Response:
        if self.rate and self.rate.remaining is not None and self.rate.remaining <= self.reserve:
            raise RateLimited(f"GitHub rate limit reserve reached ({self.rate.remaining} requests left)",
                              self.rate.reset)
        response = self.client.get(url, params, headers)
        self.rate = RateInfo.from_headers(response.headers) or self.rate
        if response.status in (403, 429) and (
            response.headers.get("x-ratelimit-remaining") == "0" or "rate limit" in response.text_snippet().lower()
        ):
            raise RateLimited(f"GitHub rate limit exceeded (HTTP {response.status})", self.rate.reset if self.rate
                              else None)
        if response.status == 401:
            raise GitHubError("GitHub refused the token (HTTP 401): check PAPERWIRE_GITHUB_TOKEN")
        return response

    def check(self, repo: Repository, now: datetime) -> RepoCheck:
        """Ask for one repository's star count, conditionally on its ETag."""
        headers = {"If-None-Match": repo.etag} if repo.etag and repo.stars is not None else None
        response = self._get(f"{self.base_url}/repos/{repo.full_name}", headers=headers)
        etag = response.headers.get("etag")
        if response.status == 304:
            return RepoCheck(repo.repo, now, "ok", etag=etag, not_modified=True)
        if response.status in (404, 410):
            return RepoCheck(repo.repo, now, "missing")
        if response.status in (403, 451):
            return RepoCheck(repo.repo, now, "blocked")
        if response.status != 200:
            raise GitHubError(f"{safe_url(response.url)} answered HTTP {response.status}: {response.text_snippet()}")
        full_name, stars, created = parse_repository(response.content)
        return RepoCheck(repo.repo, now, "ok", stars, full_name, etag, created)

    def stargazer_pages(self, full_name: str, accept: str = STAR_MEDIA_TYPE) -> Iterator[Response]:
        """Every page of a repository's stargazers, following ``Link: rel="next"`` on the same host."""
        url: str | None = f"{self.base_url}/repos/{full_name}/stargazers"
        params: dict[str, Any] | None = {"per_page": PER_PAGE}
        host = urlsplit(self.base_url).netloc
        for _ in range(MAX_STARGAZER_PAGES):
            if url is None:
                return
            response = self._get(url, params, {"Accept": accept})
            if response.status != 200:
                raise GitHubError(f"{safe_url(response.url)} answered HTTP {response.status}: "
                                  f"{response.text_snippet()}")
            yield response
            url, params = next_link(response.headers.get("link")), None
            if url and urlsplit(url).netloc != host:  # never send our token elsewhere
                raise GitHubError(f"Link header points to another host: {safe_url(url)}")

    def stargazer_times(self, full_name: str) -> list[datetime]:
        """Every stargazer's ``starred_at``."""
        return [t for page in self.stargazer_pages(full_name) for t in parse_stargazers(page.content)]

    def budget(self) -> int | None:
        """Requests left before the reserve, when known."""
        if self.rate is None or self.rate.remaining is None:
            return None
        return self.rate.remaining - self.reserve


def _backfill(github: GitHub, store: Store, repo: Repository, check: RepoCheck, max_stars: int,
              report: HarvestReport) -> None:
    stars = check.stars if check.stars is not None else repo.stars
    if repo.backfill != "none" or stars is None or check.status != "ok" or max_stars <= 0:
        return
    if stars > max_stars:
        store.signals.save_star_history(repo.repo, {}, "skipped")
        return
    pages = max(1, math.ceil(stars / PER_PAGE))
    budget = github.budget()
    if budget is not None and budget < pages:
        log.info("%s: backfill needs %d requests, %d left before the reserve; later", repo.repo, pages, budget)
        return
    times = github.stargazer_times(check.full_name or repo.full_name)
    store.signals.save_star_history(repo.repo, per_day(times), "done")
    report.backfilled += 1


def harvest_stars(store: Store, github: GitHub, report: HarvestReport, now: datetime, check_interval: timedelta,
                  limit: int, backfill_max_stars: int = 0) -> None:
    """Check the repositories due, oldest check first; snapshot each; backfill new small ones.

    A repository that fails is reported and skipped; the rate limit ends
    the run early with a note (not an error): the rest are due next time.
    """
    for repo in store.signals.repos_due(now - check_interval, limit):
        try:
            check = github.check(repo, now)
            store.signals.save_repo_check(check)
            report.repos += 1
            report.snapshots += int(check.status == "ok")
            _backfill(github, store, repo, check, backfill_max_stars, report)
        except RateLimited as exc:
            when = f", resets at {exc.reset:%Y-%m-%d %H:%M} UTC" if exc.reset else ""
            report.notes.append(f"stopped: {exc}{when}")
            log.warning("harvest stars: %s%s", exc, when)
            break
        except GitHubError as exc:
            report.errors.append(f"{repo.full_name}: {exc}")
            log.error("harvest stars: %s: %s", repo.full_name, exc)
        finally:
            report.requests = github.client.requests
    if github.rate:
        store.set_state("github.rate_limit", orjson.dumps({
            "limit": github.rate.limit, "remaining": github.rate.remaining,
            "reset": github.rate.reset.isoformat() if github.rate.reset else None}).decode())

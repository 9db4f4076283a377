"""Run one source once and report: what the CLI's ``harvest`` commands and the worker call.

Each ``run_*`` builds its HTTP client from the settings (tests pass their
own, with a fake clock), runs the source, and returns a ``HarvestReport``
whose ``errors`` say what failed. Nothing here raises for a source's
failure: a failed unit (a set, a feed, a day, a repository) is logged with
a clear line, reported, and committed nothing of its own.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from paperwire.config import Settings
from paperwire.ingest import arxiv_api, arxiv_oai, arxiv_rss, github, hf, pwc
from paperwire.ingest.http import HttpClient, HttpConfig, HttpError
from paperwire.ingest.pacing import process_pacer
from paperwire.ingest.report import HarvestReport
from paperwire.store import Store

log = logging.getLogger(__name__)

SOURCES = ("arxiv", "listing", "hf", "stars", "ids", "pwc")


ARXIV_PACE_KEY = "arxiv.org"
"""The one turn every arXiv host shares (OAI-PMH, the query API, the feeds): arXiv's rule is per client."""


def arxiv_client(settings: Settings, store: Store | None = None) -> HttpClient:
    """A client paced for arXiv: one request at a time, ``arxiv_min_interval_seconds`` apart, in turns
    shared with every arXiv client of this process and, given the ``store``, of every process on it."""
    interval = settings.arxiv_min_interval_seconds
    pacer = process_pacer(interval, store.pacing if store is not None else None)
    return HttpClient(HttpConfig.from_settings(settings, interval), pacer=pacer, pace_key=ARXIV_PACE_KEY)


def hf_client(settings: Settings) -> HttpClient:
    """A client for Hugging Face."""
    return HttpClient(HttpConfig.from_settings(settings, settings.hf_min_interval_seconds))


def github_client(settings: Settings) -> HttpClient:
    """A client for the GitHub REST API, with the token when one is set."""
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    token = settings.github_token.get_secret_value()
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return HttpClient(HttpConfig.from_settings(settings, settings.github_min_interval_seconds), headers)


def _run(report: HarvestReport, client: HttpClient | None, make: Callable[[], HttpClient],
         body: Callable[[HttpClient], None], store: Store | None = None) -> HarvestReport:
    """Run ``body`` with a client (closing one made here), timing it and turning failures into errors.

    With ``store``, a run that wrote many papers refreshes the planner's statistics, as an import
    does: a first sync of all of arXiv is a bulk load too (``Papers.refresh_statistics``)."""
    started = time.perf_counter()
    own = client is None
    http = client or make()
    try:
        body(http)
    except (HttpError, arxiv_oai.HarvestError, arxiv_oai.OaiError, arxiv_api.ArxivApiError,
            github.GitHubError, ValueError) as exc:
        report.errors.append(str(exc))
        log.error("harvest %s: %s", report.source, exc)
    finally:
        report.requests = max(report.requests, http.requests)
        report.seconds = time.perf_counter() - started
        if own:
            http.close()
    if store is not None:
        store.papers.refresh_statistics(report.papers.inserted + report.papers.updated)
    return report


def run_arxiv(store: Store, settings: Settings, sets: Sequence[str] | None = None, start: date | None = None,
              until: date | None = None, max_pages: int | None = None,
              client: HttpClient | None = None) -> HarvestReport:
    """Harvest arXiv's OAI-PMH sets (default: ``harvest_sets``), resuming interrupted harvests."""
    report = HarvestReport("arxiv")
    if not settings.contact_email:
        log.warning("PAPERWIRE_CONTACT_EMAIL is not set: arXiv asks harvesters for a contact address")

    def body(http: HttpClient) -> None:
        for set_ in sets if sets is not None else settings.harvest_set_list():
            try:  # one set failing does not keep the others from being harvested
                arxiv_oai.harvest_set(store, http, settings.arxiv_oai_url, set_, settings.arxiv_oai_format, report,
                                      start, until, max_pages, settings.harvest_category_list())
            except (arxiv_oai.HarvestError, arxiv_oai.OaiError, HttpError) as exc:
                report.errors.append(str(exc))
                log.error("harvest arxiv: %s", exc)

    return _run(report, client, lambda: arxiv_client(settings, store), body, store)


def run_listing(store: Store, settings: Settings, categories: Sequence[str] | None = None,
                client: HttpClient | None = None) -> HarvestReport:
    """Read the announcement feed of each category (default: ``listing_categories``); a bad feed is skipped."""
    report = HarvestReport("listing")

    def body(http: HttpClient) -> None:
        for category in categories or settings.listing_category_list():
            try:
                arxiv_rss.harvest_listing(store, http, settings.arxiv_rss_url, category, report)
            except (arxiv_rss.ListingError, HttpError) as exc:
                report.errors.append(str(exc))
                log.error("harvest listing: %s", exc)

    return _run(report, client, lambda: arxiv_client(settings, store), body, store)


def days_between(start: date, end: date) -> list[date]:
    """Every day from ``start`` to ``end``, inclusive."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def run_hf(store: Store, settings: Settings, start: date | None = None, end: date | None = None,
           client: HttpClient | None = None, api_client: HttpClient | None = None,
           today: date | None = None) -> HarvestReport:
    """Fetch HF daily papers for ``start``…``end`` (default: the last ``hf_days_back`` days and today)."""
    report = HarvestReport("hf")
    end = end or today or datetime.now(UTC).date()
    start = start or end - timedelta(days=settings.hf_days_back)
    if start > end:
        report.errors.append(f"--from {start} is after --to {end}")
        return report
    own_api = api_client is None and settings.hf_fill_from_arxiv
    api = api_client or (arxiv_client(settings, store) if own_api else None)

    def body(http: HttpClient) -> None:
        fill = (api, settings.arxiv_api_url, settings.arxiv_api_batch) if api else None
        hf.harvest_days(store, http, settings.hf_url, days_between(start, end), report, fill)

    try:
        return _run(report, client, lambda: hf_client(settings), body)
    finally:
        if own_api and api is not None:
            api.close()


def run_stars(store: Store, settings: Settings, limit: int | None = None, backfill: bool = True,
              client: HttpClient | None = None, now: datetime | None = None) -> HarvestReport:
    """Snapshot the stars of repositories due for a check, and backfill new small ones."""
    report = HarvestReport("stars")

    def body(http: HttpClient) -> None:
        api = github.GitHub(http, settings.github_api_url, settings.github_rate_reserve)
        github.harvest_stars(store, api, report, now or datetime.now(UTC),
                             timedelta(hours=settings.stars_check_interval_hours), limit or settings.stars_max_repos,
                             settings.stargazer_backfill_max_stars if backfill else 0)

    return _run(report, client, lambda: github_client(settings), body)


def run_ids(store: Store, settings: Settings, ids: Sequence[str], client: HttpClient | None = None) -> HarvestReport:
    """Fetch papers by arXiv id from the query API; ids not found are an error."""
    report = HarvestReport("ids")

    def body(http: HttpClient) -> None:
        missing = arxiv_api.harvest_ids(store, http, settings.arxiv_api_url, ids, report, settings.arxiv_api_batch)
        if missing:
            report.errors.append(f"not found on arXiv: {', '.join(missing)}")

    return _run(report, client, lambda: arxiv_client(settings, store), body, store)


def run_pwc(store: Store, path: Path, batch_size: int = 5000) -> HarvestReport:
    """Import a Papers with Code links file."""
    report = HarvestReport("pwc")
    try:
        pwc.import_links(store, path, report, batch_size)
    except (OSError, EOFError, pwc.PwcError, UnicodeDecodeError) as exc:
        report.errors.append(f"{path}: {exc}")
        log.error("import pwc: %s: %s", path, exc)
    return report

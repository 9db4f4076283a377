"""The fetch queue: ask for arXiv ids now, fetch them later, in the worker, politely.

Nothing a visitor does may wait on arXiv: arXiv allows one request every three
seconds and may answer ``503 Retry-After``, and a web thread waiting for it is a
thread no other visitor gets. So a request for ids the store does not hold (a
submission, a library import, a search's "fetch this id") calls
``request_fetch``, which records them (``store.fetches``, one row per id, who
asked and why) and returns at once. The worker's ``fetch-requested`` job calls
``drain``: it claims due ids in batches of ``arxiv_api_batch`` and fetches each
batch with one request to the arXiv query API, through the instance's shared
arXiv pacer (``harvest.arxiv_client``). Each id ends ``done`` (stored),
``not-found`` or, after ``fetch_max_attempts`` failed tries spaced by a growing
backoff, ``failed``. Features then act on the outcomes of their own waiters
(``community.service.complete_submissions``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from paperwire.config import Settings
from paperwire.ingest import arxiv_api
from paperwire.ingest.harvest import arxiv_client
from paperwire.ingest.http import HttpClient, HttpError
from paperwire.ingest.pacing import default_owner
from paperwire.ingest.report import HarvestReport
from paperwire.models import FETCH_REASONS, FetchRequest, is_arxiv_id, split_version
from paperwire.store import Store

log = logging.getLogger(__name__)

MAX_BATCHES = 10
"""Batches (arXiv requests) one ``drain`` takes at most; the next run continues."""
LEASE_MARGIN = 60.0
"""Seconds a claim outlives the deadline of its arXiv request."""


@dataclass
class DrainReport:
    """What one ``drain`` did."""

    claimed: int = 0
    done: int = 0
    not_found: int = 0
    retrying: int = 0
    failed: int = 0
    requests: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        """One summary line, for logs and ``paperwire jobs``."""
        if not self.claimed:
            return "fetch-requested: nothing to fetch"
        return (f"fetch-requested: {self.claimed} ids: {self.done} stored, {self.not_found} not on arXiv, "
                f"{self.retrying} to retry, {self.failed} failed; {self.requests} requests in {self.seconds:.1f} s")


def bare_ids(ids: Sequence[str]) -> list[str]:
    """The bare ids (no version) of arXiv ids, each once; ``ValueError`` for anything else."""
    out = []
    for raw in ids:
        bare, _ = split_version(raw.strip())
        if not is_arxiv_id(bare):
            raise ValueError(f"not an arXiv id: {raw[:40]!r}")
        out.append(bare)
    return list(dict.fromkeys(out))


def request_fetch(store: Store, ids: Sequence[str], reason: str, user_id: int | None = None,
                  detail: str = "") -> dict[str, FetchRequest]:
    """Queue arXiv ids for the worker to fetch and return their requests; never waits on arXiv.

    ``reason`` is one of ``FETCH_REASONS``; with ``user_id`` the member is noted as waiting for each
    (``detail``: what they typed, kept for the feature). Idempotent per id.
    """
    if reason not in FETCH_REASONS:
        raise ValueError(f"unknown fetch reason {reason!r}: one of {', '.join(FETCH_REASONS)}")
    return store.fetches.request(bare_ids(ids), reason, user_id, detail)


def retry_backoff(attempts: int) -> float:
    """Seconds before an id is tried again after its ``attempts``-th failed try: 1, 2, 4 ... minutes, at
    most an hour."""
    return float(min(3600, 60 * 2 ** max(attempts - 1, 0)))


def drain(store: Store, settings: Settings, client: HttpClient | None = None, owner: str | None = None,
          max_batches: int = MAX_BATCHES) -> DrainReport:
    """Fetch due requested ids from the arXiv query API, ``arxiv_api_batch`` per request, and record each
    outcome. A failing arXiv (an error, or a deadline passed) ends the run: the claimed ids are due
    again after a backoff, and the worker waits out any ``Retry-After`` in the shared pacer."""
    report = DrainReport()
    started = time.perf_counter()
    owner = owner or default_owner()
    lease = settings.http_deadline_seconds + LEASE_MARGIN
    http = client
    try:
        for _ in range(max_batches):
            ids = store.fetches.claim(owner, settings.arxiv_api_batch, lease)
            if not ids:
                break
            report.claimed += len(ids)
            http = http or arxiv_client(settings, store)  # made only when there is something to fetch
            if not _fetch_batch(store, settings, http, owner, ids, report):
                break
    finally:
        report.seconds = time.perf_counter() - started
        if http is not None:
            report.requests = http.requests
            if client is None:
                http.close()
    return report


def _fetch_batch(store: Store, settings: Settings, http: HttpClient, owner: str, ids: list[str],
                 report: DrainReport) -> bool:
    stored = set(store.papers.get_papers(ids))  # arrived since it was asked for (a harvest, another request)
    wanted = [i for i in ids if i not in stored]
    try:
        missing = arxiv_api.harvest_ids(store, http, settings.arxiv_api_url, wanted, HarvestReport("fetch"),
                                        settings.arxiv_api_batch) if wanted else []
    except (HttpError, arxiv_api.ArxivApiError) as exc:
        gave_up = store.fetches.fail(owner, wanted, str(exc), settings.fetch_max_attempts, retry_backoff)
        store.fetches.finish(owner, done=sorted(stored))
        report.done += len(stored)
        report.failed += gave_up
        report.retrying += len(wanted) - gave_up
        report.errors.append(str(exc))
        log.error("fetch-requested: %s", exc)
        return False
    store.fetches.finish(owner, done=[i for i in ids if i not in missing], missing=missing)
    report.done += len(ids) - len(missing)
    report.not_found += len(missing)
    return True

"""The worker's jobs: what each one runs, how often (from the settings), and their state for ``paperwire jobs``.

A job is a name, the setting that holds its interval in minutes (declared with the
job: ``interval=lambda s: s.schedule_embed_minutes``, so renaming either is a type
error, not a silently disabled job; 0 disables it) and a function of the Runtime
that returns a ``JobOutcome``.
Sources' failures come back as outcomes with an error (the harvesters never
raise for them), so the worker records them and retries later with backoff.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from paperwire.config import Settings
from paperwire.ingest.report import HarvestReport
from paperwire.runtime import Runtime
from paperwire.store import EmbedProgress, JobInfo, Store

MAX_ERROR_CHARS = 2000


@dataclass(frozen=True, slots=True)
class JobOutcome:
    """What one run did (``summary``), and why it failed (``error``, None when it did not)."""

    summary: str
    error: str | None = None
    skipped: bool = False


@dataclass(frozen=True, slots=True)
class JobSpec:
    """One scheduled job: its name, what it does, and the function that runs it."""

    name: str
    description: str
    run: Callable[[Runtime], JobOutcome]
    interval: Callable[[Settings], float]
    """The job's interval setting (minutes; 0 disables it), read from the settings."""

    def interval_seconds(self, settings: Settings) -> int:
        """Seconds between runs; 0 when the job is disabled."""
        minutes = float(self.interval(settings))
        return max(1, round(minutes * 60)) if minutes > 0 else 0


def _from_report(report: HarvestReport) -> JobOutcome:
    distinct = list(dict.fromkeys(report.errors))  # offline, every day or set fails the same way
    error = None
    if distinct:
        error = distinct[0] + (f" (+{len(report.errors) - 1} more)" if len(report.errors) > 1 else "")
    return JobOutcome(report.line(), error[:MAX_ERROR_CHARS] if error else None)


def _harvest_arxiv(rt: Runtime) -> JobOutcome:
    from paperwire.ingest.harvest import run_arxiv

    return _from_report(run_arxiv(rt.store, rt.settings))


def _harvest_listing(rt: Runtime) -> JobOutcome:
    from paperwire.ingest.harvest import run_listing

    return _from_report(run_listing(rt.store, rt.settings))


def _harvest_hf(rt: Runtime) -> JobOutcome:
    from paperwire.ingest.harvest import run_hf

    return _from_report(run_hf(rt.store, rt.settings))


def _harvest_stars(rt: Runtime) -> JobOutcome:
    from paperwire.ingest.harvest import run_stars

    return _from_report(run_stars(rt.store, rt.settings))


NO_EMBEDDER = "skipped: semantic search is switched off (PAPERWIRE_SEMANTIC_SEARCH=false)"


def _embed(rt: Runtime) -> JobOutcome:
    embedder = rt.embedder
    if embedder is None:
        return JobOutcome(NO_EMBEDDER, skipped=True)
    from paperwire.search.embed_papers import embed_missing

    report = embed_missing(rt.store, embedder, rt.settings.embed_pipeline_batch,
                           limit=rt.settings.worker_embed_max_papers, lease_seconds=rt.settings.embed_lease_seconds)
    return JobOutcome(f"embed: {report.summary()}")


def _trending(rt: Runtime) -> JobOutcome:
    from paperwire.trending import recompute

    started = time.perf_counter()
    counts = recompute(rt.store, rt.settings, rt.store.clock())
    ranked = ", ".join(f"{window} {n}" for window, n in counts.items())
    return JobOutcome(f"trending: papers ranked: {ranked}; {time.perf_counter() - started:.1f} s")


def _digests(rt: Runtime, frequency: str) -> JobOutcome:
    from paperwire.digest.service import scheduled_digests

    run = scheduled_digests(rt, frequency, rt.store.clock())
    return JobOutcome(f"digest-{frequency}: {run.line()}")


def _digest_daily(rt: Runtime) -> JobOutcome:
    return _digests(rt, "daily")


def _digest_weekly(rt: Runtime) -> JobOutcome:
    return _digests(rt, "weekly")


def _deliver_outbox(rt: Runtime) -> JobOutcome:
    from paperwire.digest.service import deliver_outbox

    report = deliver_outbox(rt)
    if report.mail_off:  # not a failure to retry sooner: nothing will change until someone sets a server
        counts = rt.store.outbox.outbox_counts()
        waiting = counts.get("pending", 0) + counts.get("sending", 0)
        return JobOutcome(f"skipped: {report.unreachable} ({waiting} now)", skipped=True)
    summary = f"deliver-outbox: {report.line()}"
    if report.unreachable:  # a set server that cannot be used: a failure, retried; the messages wait
        return JobOutcome(summary, report.unreachable[:MAX_ERROR_CHARS])
    return JobOutcome(summary + (f"; first problem: {report.errors[0]}" if report.errors else ""))


def _fetch_requested(rt: Runtime) -> JobOutcome:
    from paperwire.community.library import complete_library_imports
    from paperwire.community.service import complete_submissions
    from paperwire.ingest.fetch_queue import drain

    report = drain(rt.store, rt.settings)
    # outcomes are acted on even when arXiv failed: ids stored by a harvest, or failed for good, are settled
    completed = complete_submissions(rt.store)
    imported = complete_library_imports(rt.store)
    summary = f"{report.line()}; submissions recorded: {completed.recorded}; imported papers filed: {imported.saved}"
    error = report.errors[0][:MAX_ERROR_CHARS] if report.errors else None
    return JobOutcome(summary, error)


def _recommend_retrain(rt: Runtime) -> JobOutcome:
    from paperwire.recommend.service import retrain_stale

    report = retrain_stale(rt.store, rt.settings)
    if report.errors:  # too few papers for a background: nothing to do yet, not a failure to retry sooner
        return JobOutcome(f"skipped: {report.errors[0]}", skipped=True)
    return JobOutcome(f"recommend-retrain: {report.line()}")


JOBS: tuple[JobSpec, ...] = (
    JobSpec("harvest-arxiv", "arXiv OAI-PMH harvest of harvest_sets (incremental, resumable)", _harvest_arxiv,
            lambda s: s.schedule_harvest_arxiv_minutes),
    JobSpec("harvest-listing", "arXiv announcement feeds of listing_categories (same-day papers)", _harvest_listing,
            lambda s: s.schedule_harvest_listing_minutes),
    JobSpec("harvest-hf", "Hugging Face daily papers of the last hf_days_back days (upvotes, code links)",
            _harvest_hf, lambda s: s.schedule_harvest_hf_minutes),
    JobSpec("harvest-stars", "GitHub stars of the linked repositories that are due", _harvest_stars,
            lambda s: s.schedule_harvest_stars_minutes),
    JobSpec("embed", "embeddings of new and changed papers (needs an embedder)", _embed,
            lambda s: s.schedule_embed_minutes),
    JobSpec("trending", "recompute the day, week and month trending rankings", _trending,
            lambda s: s.schedule_trending_minutes),
    JobSpec("digest-daily", "queue the daily digests of the day (Mon-Fri, from digest_daily_hour_utc)", _digest_daily,
            lambda s: s.schedule_digest_daily_minutes),
    JobSpec("digest-weekly", "queue the weekly digests (digest_weekly_day, from digest_weekly_hour_utc)",
            _digest_weekly, lambda s: s.schedule_digest_weekly_minutes),
    JobSpec("deliver-outbox", "send the outbox over SMTP: digests, confirmations, account emails, due retries",
            _deliver_outbox, lambda s: s.schedule_deliver_outbox_minutes),
    JobSpec("fetch-requested", "fetch the arXiv ids members asked for (submissions, library imports), in "
            "batches, then record the submissions and file the imported papers", _fetch_requested,
            lambda s: s.schedule_fetch_requested_minutes),
    JobSpec("recommend-retrain", "retrain the \"For you\" models of readers whose signals changed; refit the "
            "background when the collection grew", _recommend_retrain, lambda s: s.schedule_recommend_retrain_minutes),
)
JOB_NAMES: tuple[str, ...] = tuple(spec.name for spec in JOBS)

# What each job does on a machine without network (``paperwire run`` says so on start): the harvesters
# fail, keep what is stored and retry with backoff; everything else works from the stored data.
WITHOUT_NETWORK: dict[str, str] = {
    "harvest-arxiv": "needs arxiv.org: fails and retries with backoff, the site keeps serving what is stored",
    "harvest-listing": "needs arxiv.org: fails and retries with backoff",
    "harvest-hf": "needs huggingface.co: fails and retries with backoff (no new upvotes)",
    "harvest-stars": "needs api.github.com: fails and retries with backoff (no new star counts)",
    "embed": "works offline (the model ships in a package)",
    "trending": "works offline, from the stored signals",
    "digest-daily": "works offline (queues mail in the outbox)",
    "digest-weekly": "works offline (queues mail in the outbox)",
    "deliver-outbox": "sends only when smtp_host is set; otherwise mail waits in the outbox",
    "fetch-requested": "needs export.arxiv.org: requested ids wait in the queue",
}


def job_spec(name: str) -> JobSpec:
    """The job called ``name``; KeyError for an unknown one."""
    for spec in JOBS:
        if spec.name == name:
            return spec
    raise KeyError(name)


def retry_seconds(settings: Settings, consecutive_failures: int, interval_seconds: int) -> int:
    """How long to wait after the ``n``-th failure in a row: ``worker_retry_seconds`` doubled each time,
    capped by ``worker_max_retry_seconds`` and by the job's own interval (a failing job is never tried
    less often than a working one)."""
    wait = settings.worker_retry_seconds * 2 ** max(consecutive_failures - 1, 0)
    cap = min(settings.worker_max_retry_seconds, interval_seconds or settings.worker_max_retry_seconds)
    return int(max(1, round(min(wait, cap))))


# -- state for 'paperwire jobs' ----------------------------------------------------------------

@dataclass(slots=True)
class JobStatus:
    """A job as ``paperwire jobs`` shows it: its schedule from the settings and its record in the store."""

    name: str
    description: str
    interval_seconds: int
    info: JobInfo | None
    state: str

    @property
    def enabled(self) -> bool:
        return self.interval_seconds > 0

    def to_json(self) -> dict[str, Any]:
        """JSON-ready, times in ISO format."""
        info = self.info

        def when(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "name": self.name, "description": self.description, "state": self.state, "enabled": self.enabled,
            "interval_seconds": self.interval_seconds,
            "last_started": when(info.last_started) if info else None,
            "last_finished": when(info.last_finished) if info else None,
            "last_status": info.last_status if info else None,
            "last_summary": info.last_summary if info else None,
            "last_error": info.last_error if info else None,
            "next_run": when(info.next_run) if info and self.enabled else None,
            "runs": info.runs if info else 0, "failures": info.failures if info else 0,
            "failing_in_a_row": (info.attempts if info and info.last_status == "failed" else 0),
            "lease_owner": info.lease_owner if info else None,
            "lease_expires": when(info.lease_expires) if info else None,
        }


def _state(info: JobInfo | None, enabled: bool, now: datetime) -> str:
    if info is not None and info.lease_owner:
        running = info.lease_expires is not None and info.lease_expires >= now
        return "running" if running else "lease expired (holder died; retried)"
    if not enabled:
        return "disabled"
    if info is None or info.last_status is None:
        return "never run"
    return info.last_status


def job_statuses(store: Store, settings: Settings, now: datetime) -> list[JobStatus]:
    """Every known job: the scheduled ones in schedule order, then any others the store remembers."""
    infos = {info.name: info for info in store.jobs.list_jobs()}
    out = []
    for spec in JOBS:
        interval = spec.interval_seconds(settings)
        info = infos.pop(spec.name, None)
        out.append(JobStatus(spec.name, spec.description, interval, info, _state(info, interval > 0, now)))
    for name, info in sorted(infos.items()):
        out.append(JobStatus(name, "(not a job of this version)", 0, info, _state(info, False, now)))
    return out


def ago(delta: timedelta) -> str:
    """``45 s``, ``12 min``, ``3.5 h``, ``2.0 d``."""
    seconds = abs(delta.total_seconds())
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def status_lines(statuses: Sequence[JobStatus], now: datetime) -> list[str]:
    """The table ``paperwire jobs`` prints: one line per job, its last summary or error under it."""
    header = ("JOB", "STATE", "EVERY", "LAST RUN", "NEXT RUN", "RUNS", "FAILED")
    lines = ["{:<16} {:<10} {:>7} {:>12} {:>12} {:>5} {:>6}  LEASE".format(*header)]
    for st in statuses:
        info = st.info
        every = ago(timedelta(seconds=st.interval_seconds)) if st.enabled else "-"
        last = f"{ago(now - info.last_finished)} ago" if info and info.last_finished else "never"
        if not st.enabled or info is None:
            nxt = "-"
        elif info.next_run is None or info.next_run <= now:
            nxt = "due now"
        else:
            nxt = f"in {ago(info.next_run - now)}"
        lease = f"{info.lease_owner} until {info.lease_expires:%H:%M:%S}" if info and info.lease_owner \
            and info.lease_expires else "-"
        state = st.state.split(" ")[0] if st.state.startswith("lease") else st.state
        lines.append(f"{st.name:<16} {state:<10} {every:>7} {last:>12} {nxt:>12} {info.runs if info else 0:>5} "
                     f"{info.failures if info else 0:>6}  {lease}")
        if info and info.last_status == "failed" and info.last_error:
            lines.append(f"    failed {info.attempts} time{'s' if info.attempts != 1 else ''} in a row: "
                         f"{info.last_error[:300]}")
        elif info and info.last_summary:
            lines.append(f"    {info.last_summary[:300]}")
        if st.state.startswith("lease expired"):
            lines.append("    its worker stopped renewing the lease (crashed?): the next worker runs it again")
    return lines


def embedding_lines(progress: Sequence[EmbedProgress], now: datetime) -> list[str]:
    """The shared embedding work as ``paperwire jobs`` and ``stats`` show it: batches done per process,
    and the batches claimed now, with their holder and lease."""
    lines = []
    for p in progress:
        lines.append(f"embedding ({p.model}): {p.embedded} papers embedded in {p.done_batches} batches"
                     f"{f', {p.unchanged} unchanged' if p.unchanged else ''}"
                     f"{f', {p.taken_over} taken over from a stopped process' if p.taken_over else ''}")
        for owner, n in sorted(p.by_owner.items(), key=lambda kv: -kv[1])[:10]:
            lines.append(f"    {owner:<40} {n:>9} papers")
        for held in p.claimed:
            until = held.lease_expires
            lease = ("expired: taken over by the next claimer" if until and until < now
                     else f"until {until:%H:%M:%S}" if until else "")
            lines.append(f"    claimed by {held.owner}: {held.papers} papers (seq {held.first_seq}-{held.last_seq}), "
                         f"lease {lease}")
    return lines

"""The worker: runs the scheduled jobs (paperwire/schedule.py) with leases, retries and a graceful stop.

Jobs live in the store's ``jobs`` table. A worker claims one due job at a
time with a lease (``Store.jobs.claim_job``: one transaction, so two workers —
on one host or many — never hold the same job), renews the lease from a
heartbeat thread while the job runs, and records the outcome
(``finish_job``). A worker killed mid-job stops renewing; once the lease
expires, any worker claims the job again. A failed job (arXiv unreachable,
a bad answer) is retried after ``worker_retry_seconds``, doubled after each
further failure in a row; the worker itself keeps going, and repeated
identical log lines are rate-limited (``RepeatFilter``).

SIGTERM or SIGINT stops the worker: a running job gets
``worker_stop_grace_seconds`` to finish; after that (or at a second signal)
it is interrupted — its open transaction rolls back, everything committed
before stays (the harvesters resume from their cursors) — and its lease is
given back with the job still due, so the next start runs it.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import signal
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import FrameType

from paperwire.runtime import Runtime
from paperwire.schedule import JOBS, JobOutcome, JobSpec, retry_seconds
from paperwire.store import Store

log = logging.getLogger(__name__)
INDEX_CHECK_SECONDS = 60.0


class JobInterrupted(BaseException):
    """Raised inside a running job when the worker must stop now (BaseException: no ``except Exception``
    in a job swallows it)."""


@dataclass(frozen=True, slots=True)
class JobRun:
    """What happened to one claimed job: ``ok``, ``failed``, ``skipped`` or ``interrupted``."""

    name: str
    status: str
    summary: str
    error: str | None = None
    seconds: float = 0.0


class RepeatFilter(logging.Filter):
    """Let an identical warning or error through once per ``period`` seconds.

    Lines that differ only in numbers (retry counts, backoff seconds) are the
    same line. The next one let through says how many were held back. An
    offline worker thus logs each distinct failure about once an hour
    instead of at every retry.
    """

    def __init__(self, period: float, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.period = period
        self.clock = clock
        self._seen: dict[tuple[str, int, str], tuple[float, int]] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING or self.period <= 0:
            return True
        message = record.getMessage()
        key = (record.name, record.levelno, re.sub(r"\d+(?:\.\d+)?", "#", message))
        now = self.clock()
        with self._lock:
            last, held = self._seen.get(key, (None, 0))
            if last is not None and now - last < self.period:
                self._seen[key] = (last, held + 1)
                return False
            self._seen[key] = (now, 0)
        if held:
            record.msg, record.args = f"{message} (and {held} similar since the last one)", None
        return True


def install_repeat_filter(period: float) -> RepeatFilter:
    """Rate-limit repeated lines on every handler of the root logger (where every module's lines end up)."""
    flt = RepeatFilter(period)
    for handler in logging.getLogger().handlers:
        handler.addFilter(flt)
    return flt


class _Heartbeat(threading.Thread):
    """Renews a job's lease every third of its length until stopped; notes when the lease was lost."""

    def __init__(self, worker: Worker, name: str) -> None:
        super().__init__(name=f"lease-{name}", daemon=True)
        self.worker, self.job = worker, name
        self.done = threading.Event()
        self.lost = False

    def run(self) -> None:
        lease = self.worker.lease_seconds
        while not self.done.wait(lease / 3):
            try:
                if not self.worker.store.jobs.renew_lease(self.job, self.worker.owner, lease):
                    self.lost = True
                    log.error("job %s: lease lost (this worker was paused longer than %d s?); another worker may "
                              "run it now, and this run's outcome will not be recorded", self.job, lease)
                    return
            except Exception as exc:  # the database may come back before the lease runs out
                log.warning("job %s: could not renew the lease: %s", self.job, exc)

    def stop(self) -> None:
        self.done.set()
        self.join(timeout=30)


def default_owner() -> str:
    """``host:pid:random``: names the lease holder in ``paperwire jobs``."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Worker:
    """Runs the enabled jobs of ``runtime.settings`` (or only those of ``only``) until stopped."""

    def __init__(self, runtime: Runtime, only: Sequence[str] | None = None, owner: str | None = None,
                 jobs: Sequence[JobSpec] = JOBS) -> None:
        self.runtime = runtime
        self.settings = runtime.settings
        self.owner = owner or default_owner()
        self.lease_seconds = self.settings.worker_lease_seconds
        self.jobs = {spec.name: spec for spec in jobs}
        chosen = [s for s in jobs if only is None or s.name in only]
        self.specs: list[JobSpec] = [s for s in chosen if s.interval_seconds(self.settings) > 0]
        self.disabled = [s.name for s in chosen if s.interval_seconds(self.settings) == 0]
        self._stop = threading.Event()
        self._in_job = False
        self._signals = 0
        self._indexes_checked = time.monotonic()  # opening the store (migrate) has just checked

    @property
    def store(self) -> Store:
        return self.runtime.store

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def register(self) -> None:
        """Create or update the job rows of the enabled jobs (their intervals come from the settings)."""
        for spec in self.specs:
            self.store.jobs.ensure_job(spec.name, spec.interval_seconds(self.settings))

    # -- running ---------------------------------------------------------------------------
    def run_forever(self) -> None:
        """Claim and run due jobs, one at a time, until ``stop()`` or a signal."""
        self.register()
        names = [s.name for s in self.specs]
        plan = ", ".join(f"{s.name} every {s.interval_seconds(self.settings) / 60:g} min" for s in self.specs)
        log.info("worker %s started: %s%s", self.owner, plan or "no jobs enabled",
                 f"; disabled: {', '.join(self.disabled)}" if self.disabled else "")
        while not self._stop.is_set():
            try:
                name = self.store.jobs.claim_job(self.owner, self.lease_seconds, names) if names else None
            except Exception as exc:  # the database is down or locked: keep trying, quietly
                log.error("worker: cannot claim jobs: %s", exc)
                self._stop.wait(self.settings.worker_poll_seconds)
                continue
            if name is None:
                self._restore_abandoned_indexes()
                self._stop.wait(self._idle_seconds(names))
                continue
            self.run_claimed(name)
        log.info("worker %s stopped", self.owner)

    def run_once(self, force: bool = False) -> list[JobRun]:
        """Run each enabled job once if it is due (``force``: even if not), unless another worker holds it."""
        self.register()
        runs = []
        for spec in self.specs:
            if self._stop.is_set():
                break
            if self.store.jobs.claim_named_job(spec.name, self.owner, self.lease_seconds, force=force):
                runs.append(self.run_claimed(spec.name))
        return runs

    def _restore_abandoned_indexes(self) -> None:
        """Between jobs, at most once a minute: build the indexes a killed first import left missing once its
        lease has run out (``store.bulk_load``). Otherwise only a re-run import or a process start would,
        and a site that keeps running would list by day, category or author from whole tables for good."""
        now = time.monotonic()
        if now - self._indexes_checked < INDEX_CHECK_SECONDS:
            return
        self._indexes_checked = now
        try:
            built = self.store.bulk_load.restore_indexes(only_abandoned=True)  # a read when none are missing
        except Exception as exc:  # busy or down: the next check tries again
            log.warning("worker: the indexes a killed import left missing are not built yet: %s", exc)
            return
        if built:
            log.info("worker %s built the indexes a killed import left missing: %s", self.owner, ", ".join(built))

    def _idle_seconds(self, names: Sequence[str]) -> float:
        """Until the next of our jobs is due (or a held lease expires), at most ``worker_poll_seconds``."""
        poll = self.settings.worker_poll_seconds
        try:
            jobs = [j for j in self.store.jobs.list_jobs() if j.name in names]
        except Exception:
            return poll
        now = datetime.now(UTC)
        due = [max(j.next_run, j.lease_expires) if j.lease_owner and j.lease_expires else j.next_run
               for j in jobs if j.next_run is not None]
        if not due:
            return poll
        return min(max((min(due) - now).total_seconds() + 0.05, 0.2), poll)

    def run_claimed(self, name: str) -> JobRun:
        """Run a job this worker holds the lease of, and record the outcome."""
        spec = self.jobs[name]
        heartbeat = _Heartbeat(self, name)
        heartbeat.start()
        started = time.perf_counter()
        try:
            self._in_job = True
            try:
                outcome = spec.run(self.runtime)
            finally:
                self._in_job = False
                _cancel_alarm()
        except JobInterrupted:
            heartbeat.stop()
            return self._release(name, time.perf_counter() - started)
        except Exception as exc:  # a bug or a broken database must not end the worker
            log.exception("job %s crashed", name)
            outcome = JobOutcome(f"{name}: crashed", f"{type(exc).__name__}: {exc}")
        heartbeat.stop()
        seconds = time.perf_counter() - started
        if heartbeat.lost:
            return JobRun(name, "lost", outcome.summary, outcome.error, seconds)
        return self._record(spec, outcome, seconds)

    def _record(self, spec: JobSpec, outcome: JobOutcome, seconds: float) -> JobRun:
        status = "failed" if outcome.error else ("skipped" if outcome.skipped else "ok")
        try:
            retry = None
            if outcome.error:
                info = next((j for j in self.store.jobs.list_jobs() if j.name == spec.name), None)
                in_a_row = info.attempts if info else 1
                retry = retry_seconds(self.settings, in_a_row, spec.interval_seconds(self.settings))
                log.error("job %s failed (%d in a row) after %.1f s: %s; next try in %s", spec.name, in_a_row,
                          seconds, outcome.error, _minutes(retry))
            elif outcome.skipped:
                log.warning("job %s %s", spec.name, outcome.summary)
            else:
                log.info("job %s done in %.1f s: %s", spec.name, seconds, outcome.summary)
            self.store.jobs.finish_job(spec.name, self.owner, outcome.error, retry, outcome.summary, outcome.skipped)
        except Exception as exc:  # the lease expires and the job runs again
            log.error("job %s: could not record its outcome: %s", spec.name, exc)
        return JobRun(spec.name, status, outcome.summary, outcome.error, seconds)

    def _release(self, name: str, seconds: float) -> JobRun:
        log.warning("job %s interrupted after %.1f s: stopped mid-run, left due for the next start", name, seconds)
        try:
            self.store.jobs.release_job(name, self.owner)
        except Exception as exc:
            log.error("job %s: could not give back its lease (it expires in %d s): %s", name, self.lease_seconds, exc)
        return JobRun(name, "interrupted", "interrupted", None, seconds)

    # -- stopping ---------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop after the running job (from another thread, or a signal handler)."""
        self._stop.set()

    def install_signal_handlers(self) -> None:
        """SIGTERM and SIGINT stop the worker gracefully (call from the main thread)."""
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGALRM, self._on_alarm)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._signals += 1
        self._stop.set()
        if not self._in_job:
            return
        grace = self.settings.worker_stop_grace_seconds
        if self._signals > 1 or grace <= 0:
            raise JobInterrupted()
        log.info("%s: stopping; the running job may finish within %g s", signal.Signals(signum).name, grace)
        signal.setitimer(signal.ITIMER_REAL, grace)

    def _on_alarm(self, signum: int, frame: FrameType | None) -> None:
        if self._in_job:
            raise JobInterrupted()


def _minutes(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def _cancel_alarm() -> None:
    """Cancel a pending grace-period alarm (timers belong to the main thread)."""
    if threading.current_thread() is threading.main_thread():
        signal.setitimer(signal.ITIMER_REAL, 0)

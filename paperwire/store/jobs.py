"""The jobs area: scheduled jobs with leases: a job is never run twice at once, a crashed one is retried.

A job row holds its schedule (``next_run``, ``interval_seconds``) and its
lease (``lease_owner``, ``lease_expires``). Claiming happens in one write
transaction: under ``BEGIN IMMEDIATE`` on SQLite (one writer at a time) and
with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (claimers skip rows another
transaction is taking). A holder that dies stops renewing; once its lease
expires the job is due again and another worker claims it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from paperwire.store.core import Database, Tx, iso, parse_instant, placeholders

_JOB_COLUMNS = (
    "name, interval_seconds, next_run, lease_owner, lease_expires, last_started, last_finished, "
    "last_status, last_error, attempts, runs, failures, last_summary"
)


@dataclass(slots=True)
class JobInfo:
    """A scheduled job's record: its lease and its last outcome."""

    name: str
    interval_seconds: int
    next_run: datetime | None
    lease_owner: str | None
    lease_expires: datetime | None
    last_started: datetime | None
    last_finished: datetime | None
    last_status: str | None
    last_error: str | None
    attempts: int
    runs: int
    failures: int
    last_summary: str | None = None


class Jobs:
    """The jobs table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def ensure_job(self, name: str, interval_seconds: int) -> None:
        """Create a scheduled job if missing (due now); keep its state, update its interval.

        A next run further away than the new interval is brought forward to it.
        """
        # A shortened interval takes effect now: a next run further away than one new interval is
        # brought forward (ISO instants compare as text in both databases).
        latest = iso(self.db.clock() + timedelta(seconds=interval_seconds))
        with self.db.write() as tx:
            tx.execute(
                "INSERT INTO jobs (name, interval_seconds, next_run) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET interval_seconds = excluded.interval_seconds, "
                "next_run = CASE WHEN jobs.next_run > ? THEN ? ELSE jobs.next_run END",
                (name, interval_seconds, self.db.now(), latest, latest),
            )

    def claim_job(self, owner: str, lease_seconds: int, names: Sequence[str] | None = None) -> str | None:
        """Take the lease of one due job nobody holds (or whose lease expired).

        Returns the job's name, or None when nothing is due. Two processes
        never hold the same job at once; a crashed holder's lease expires
        and the job is claimed again.
        """
        now = self.db.clock()
        only = f" AND name IN ({placeholders(len(names))})" if names else ""
        with self.db.write() as tx:
            row = tx.execute(
                "SELECT name FROM jobs WHERE next_run <= ? AND (lease_owner IS NULL OR lease_expires < ?)"
                f"{only} ORDER BY next_run, name LIMIT 1{self.db.skip_locked}",
                (iso(now), iso(now), *(names or ())),
            ).one()
            if row is None:
                return None
            self._take(tx, row[0], owner, lease_seconds)
            return str(row[0])

    def claim_named_job(self, name: str, owner: str, lease_seconds: int, force: bool = False) -> bool:
        """Take one job's lease if free (``force``: even if not due yet)."""
        now = iso(self.db.clock())
        due = "" if force else " AND next_run <= ?"
        with self.db.write() as tx:
            row = tx.execute(
                f"SELECT name FROM jobs WHERE name = ? AND (lease_owner IS NULL OR lease_expires < ?){due}"
                f"{self.db.skip_locked}",
                (name, now) if force else (name, now, now),
            ).one()
            if row is None:
                return False
            self._take(tx, name, owner, lease_seconds)
            return True

    def _take(self, tx: Tx, name: str, owner: str, lease_seconds: int) -> None:
        now = self.db.clock()
        tx.execute(
            "UPDATE jobs SET lease_owner = ?, lease_expires = ?, last_started = ?, attempts = attempts + 1 "
            "WHERE name = ?",
            (owner, iso(now + timedelta(seconds=lease_seconds)), iso(now), name),
        )

    def renew_lease(self, name: str, owner: str, lease_seconds: int) -> bool:
        """Extend a held lease; False when the lease was lost."""
        expires = iso(self.db.clock() + timedelta(seconds=lease_seconds))
        with self.db.write() as tx:
            tx.execute("UPDATE jobs SET lease_expires = ? WHERE name = ? AND lease_owner = ?", (expires, name, owner))
            return tx.rowcount == 1

    def finish_job(self, name: str, owner: str, error: str | None = None, retry_seconds: int | None = None,
                   summary: str | None = None, skipped: bool = False) -> None:
        """Release a lease and record the outcome; schedules the next run.

        Status ``failed`` with an error, else ``skipped`` or ``ok``. Success runs
        it again after its interval, failure after ``retry_seconds`` (default:
        the interval). ``summary`` says what the run did. A caller that lost the
        lease records nothing.
        """
        now = self.db.clock()
        status = "failed" if error else ("skipped" if skipped else "ok")
        with self.db.write() as tx:
            row = tx.execute("SELECT interval_seconds FROM jobs WHERE name = ? AND lease_owner = ?",
                             (name, owner)).one()
            if row is None:
                return  # the lease was lost; the new holder records its own outcome
            wait = row[0] if error is None else (retry_seconds if retry_seconds is not None else row[0])
            tx.execute(
                "UPDATE jobs SET lease_owner = NULL, lease_expires = NULL, last_finished = ?, last_status = ?, "
                "last_error = ?, last_summary = ?, next_run = ?, runs = runs + 1, failures = failures + ?, "
                "attempts = CASE WHEN ? = 1 THEN attempts ELSE 0 END WHERE name = ?",
                (
                    iso(now), status, error, summary, iso(now + timedelta(seconds=wait)),
                    1 if error else 0, 1 if error else 0, name,
                ),
            )

    def release_job(self, name: str, owner: str) -> bool:
        """Give a lease back without an outcome (an interrupted run): the job stays due.

        False when ``owner`` did not hold it.
        """
        # An interrupted run is not an outcome: the job stays due (next_run unchanged) and the
        # attempt is not counted, so the next worker simply runs it again.
        with self.db.write() as tx:
            tx.execute(
                "UPDATE jobs SET lease_owner = NULL, lease_expires = NULL, "
                "attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END "
                "WHERE name = ? AND lease_owner = ?", (name, owner))
            return tx.rowcount == 1

    def list_jobs(self) -> list[JobInfo]:
        """All scheduled jobs."""
        with self.db.read() as tx:
            rows = tx.execute(f"SELECT {_JOB_COLUMNS} FROM jobs ORDER BY name").all()
        return [
            JobInfo(
                name=r[0], interval_seconds=r[1], next_run=parse_instant(r[2]), lease_owner=r[3],
                lease_expires=parse_instant(r[4]), last_started=parse_instant(r[5]),
                last_finished=parse_instant(r[6]), last_status=r[7], last_error=r[8],
                attempts=r[9], runs=r[10], failures=r[11], last_summary=r[12],
            )
            for r in rows
        ]

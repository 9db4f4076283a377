"""What the CLI and the worker call: run a period's digests, deliver the outbox, preview, inbound mail.

``run_digests(runtime, period, day)`` builds the digests due on ``day`` and
sends them (with anything else queued), and ``deliver_outbox`` sends (and
retries) what is due; both are safe to run from several processes at once.
The worker's ``digest-daily`` and ``digest-weekly`` jobs call
``scheduled_digests`` (queue the period's digests once they are due) and its
``deliver-outbox`` job calls ``deliver_outbox``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header

from paperwire.accounts.emails import renderers as account_renderers
from paperwire.community.discussion_emails import renderers as discussion_renderers
from paperwire.config import Settings
from paperwire.digest.build import BuildReport, StoredTrending, Trending, build_digests, plan
from paperwire.digest.render import Renderer, renderers
from paperwire.digest.subscriptions import Subscriptions
from paperwire.mail.addresses import AddressError, normalize_email
from paperwire.mail.mime import DkimSigner, to_bytes
from paperwire.mail.render import Render, by_kind
from paperwire.mail.send import DeliveryReport, deliver_now
from paperwire.models import FREQUENCIES, Email, Subscriber, period_for
from paperwire.runtime import Runtime

log = logging.getLogger(__name__)
_TOKEN_IN_TEXT = re.compile(r"\b(\d{1,18}\.\d{1,12}\.[A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])")


def today() -> date:
    """Today in UTC (digests are dated by UTC days, like arXiv's announcements here)."""
    return datetime.now(UTC).date()


def is_sending_day(frequency: str, day: date, settings: Settings) -> bool:
    """Daily digests go out Monday to Friday, weekly ones on ``digest_weekly_day``."""
    if frequency == "daily":
        return day.weekday() < 5
    return day.weekday() == settings.digest_weekly_day


@dataclass
class DigestRun:
    """What ``run_digests`` did."""

    builds: list[BuildReport] = field(default_factory=list)
    not_due: list[str] = field(default_factory=list)
    delivery: DeliveryReport | None = None

    @property
    def ok(self) -> bool:
        """False when the SMTP server could not be used (the messages wait for the next run)."""
        return self.delivery is None or self.delivery.unreachable is None

    def lines(self) -> list[str]:
        out = [f"digests {b.line()}" for b in self.builds]
        out += [f"digests {f}: not a sending day" for f in self.not_due]
        if self.delivery is not None:
            out.append(f"delivery: {self.delivery.line()}")
            if self.delivery.unreachable:
                out.append(f"  {self.delivery.unreachable}")
            out += [f"  {e}" for e in self.delivery.errors[:10]]
        return out


def run_digests(runtime: Runtime, period: str | None, day: date | None = None, trending: Trending | None = None,
                any_day: bool = False, send: bool = True) -> DigestRun:
    """Build the ``period`` (daily, weekly, or None for both) digests due on ``day`` and send the outbox.

    On a day that is not a sending day for a frequency nothing is built for it (``any_day``
    builds anyway, for trying things out); the outbox is delivered either way. ``trending``
    defaults to the stored ranking of each period's window (``build.StoredTrending``).
    """
    day = day or today()
    run = DigestRun()
    frequencies = [period] if period else list(FREQUENCIES)
    due = [f for f in frequencies if any_day or is_sending_day(f, day, runtime.settings)]
    run.not_due = [f for f in frequencies if f not in due]
    if due:
        runtime.indexes.sync()
        ranking = trending or StoredTrending(runtime.store)
        for frequency in due:
            run.builds.append(build_digests(runtime.store, runtime.indexes, runtime.settings, frequency, day, ranking))
    if send:
        run.delivery = deliver_outbox(runtime)
    return run


def due_day(frequency: str, now: datetime, settings: Settings) -> tuple[date | None, str]:
    """The sending day whose ``frequency`` digests are due at ``now``: today (UTC) on a sending day, from
    its hour (``digest_daily_hour_utc`` / ``digest_weekly_hour_utc``) on; else None and why not yet."""
    now = now.astimezone(UTC)
    if not is_sending_day(frequency, now.date(), settings):
        return None, f"not a sending day ({now:%A})"
    hour = settings.digest_daily_hour_utc if frequency == "daily" else settings.digest_weekly_hour_utc
    if now.hour < hour:
        return None, f"due today from {hour:02d}:00 UTC"
    return now.date(), ""


@dataclass
class ScheduledRun:
    """What one scheduled look at a frequency's digests did: built (``build``) or why not (``waiting``)."""

    frequency: str
    build: BuildReport | None = None
    waiting: str = ""
    refreshed: str | None = None

    def line(self) -> str:
        if self.build is None:
            return f"{self.frequency}: nothing to build: {self.waiting}"
        refreshed = f"; {self.refreshed} trending ranking recomputed first (it was behind)" if self.refreshed else ""
        return self.build.line() + refreshed


def refresh_ranking(runtime: Runtime, window: str, now: datetime) -> bool:
    """Recompute ``window``'s trending ranking when the worker's ``trending`` job is behind — never run, or
    not for two of its intervals (a worker that just started may reach the digests first) — so a digest
    never carries a stale ranking. Nothing is done when that job is disabled."""
    from paperwire.trending import recompute

    minutes = runtime.settings.schedule_trending_minutes
    if minutes <= 0:
        return False
    computed = runtime.store.trending.trending_page(window, 1, 0).computed_at
    if computed is not None and now - computed <= timedelta(minutes=2 * minutes):
        return False
    recompute(runtime.store, runtime.settings, now, windows=[window])
    return True


def scheduled_digests(runtime: Runtime, frequency: str, now: datetime) -> ScheduledRun:
    """Queue ``frequency``'s digests of the current period if they are due at ``now`` (``due_day``).

    What the worker's ``digest-daily`` and ``digest-weekly`` jobs run. Idempotent: a digest already
    queued for a subscriber and period is never queued again, so every later look that day queues
    only those of subscribers confirmed since. Sending is the ``deliver-outbox`` job's. While mail is
    off nothing is queued: periods missed then are not sent later.
    """
    if not runtime.settings.smtp_host:
        # queued digests would all go out at once, stale, the day mail is switched on
        return ScheduledRun(frequency, waiting="mail is off (PAPERWIRE_SMTP_HOST is empty): no digests are queued")
    day, why = due_day(frequency, now, runtime.settings)
    if day is None:
        return ScheduledRun(frequency, waiting=why)
    window = period_for(frequency, day).window
    refreshed = window if refresh_ranking(runtime, window, now) else None
    run = run_digests(runtime, frequency, day, send=False)
    return ScheduledRun(frequency, run.builds[0], refreshed=refreshed)


def outbox_renderer(settings: Settings, secret: bytes) -> Render:
    """Renders every kind of message the features queue: digests and subscription notices (this
    package), account emails (``accounts.emails``) and reply emails (``community.discussion_emails``).
    Digests sit above accounts and community, so this is where they meet; the mail engine knows none."""
    return by_kind({**renderers(settings, secret), **account_renderers(settings, secret),
                    **discussion_renderers(settings, secret)})


def deliver_outbox(runtime: Runtime, keys: Sequence[str] | None = None, limit: int | None = None) -> DeliveryReport:
    """Send what is due in the outbox (retries included), or only ``keys``."""
    render = outbox_renderer(runtime.settings, runtime.secret_key)
    return deliver_now(runtime.store, runtime.settings, render, keys, limit)


def preview(runtime: Runtime, email: str, day: date | None = None, trending: Trending | None = None
            ) -> tuple[Subscriber, Email | None, bytes | None]:
    """The digest a subscriber would get for the period sent on ``day``, without queueing or sending it
    (``None`` when it would be empty). Raises ``LookupError`` for an unknown address."""
    try:
        address = normalize_email(email)
    except AddressError as exc:
        raise LookupError(str(exc)) from None
    sub = runtime.store.subscriptions.get_subscriber_by_email(address)
    if sub is None:
        raise LookupError(f"no subscriber {address}")
    runtime.indexes.sync()
    period = period_for(sub.frequency, day or today())
    report = BuildReport(period.key)
    store, settings = runtime.store, runtime.settings
    digests = plan(store, runtime.indexes, settings, [sub], period, trending or StoredTrending(store), report)
    if not digests:
        return sub, None, None
    message = digests[0][0]
    message.created_at = datetime.now(UTC)
    papers = store.papers.get_papers([e["id"] for e in message.payload["entries"]])
    rendered = Renderer(settings, runtime.secret_key).digest(message, sub, papers)
    return sub, rendered, to_bytes(rendered, message, settings, DkimSigner.from_settings(settings))


def handle_inbound(runtime: Runtime, raw: bytes) -> Subscriber | None:
    """Unsubscribe from an email sent to the List-Unsubscribe mailto address (an MTA pipes it here).

    The subject (or body) must carry a valid signed unsubscribe token; anything else is ignored.
    """
    message = message_from_bytes(raw)
    subject = str(make_header(decode_header(message.get("Subject", ""))))
    texts = [subject]
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                texts.append(payload.decode("utf-8", "replace")[:10_000])
    subscriptions = Subscriptions(runtime.store, runtime.settings, runtime.secret_key)
    for text in texts:
        for token in _TOKEN_IN_TEXT.findall(text):
            sub = subscriptions.unsubscribe(token)
            if sub is not None:
                log.info("subscriber %s unsubscribed by email", sub.id)
                return sub
    return None

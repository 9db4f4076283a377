"""What the CLI and the worker call: run a period's digests, deliver the outbox, preview, inbound mail.

Worker hook: ``run_digests(runtime, period, day)`` builds the digests due on
``day`` and sends them (with anything else queued), and ``deliver_outbox``
retries what is due; both are safe to run from several processes at once.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email import message_from_bytes
from email.header import decode_header, make_header

from paperwire.accounts.addresses import AddressError, normalize_email
from paperwire.config import Settings
from paperwire.digest.build import BuildReport, StoredTrending, Trending, build_digests, plan
from paperwire.digest.mime import DkimSigner, to_bytes
from paperwire.digest.models import FREQUENCIES, Subscriber, period_for
from paperwire.digest.render import Email, Renderer
from paperwire.digest.send import DeliveryReport, deliver_now
from paperwire.digest.subscriptions import Subscriptions
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


def deliver_outbox(runtime: Runtime, keys: Sequence[str] | None = None, limit: int | None = None) -> DeliveryReport:
    """Send what is due in the outbox (retries included)."""
    return deliver_now(runtime.store, runtime.settings, runtime.secret_key, keys, limit)


def preview(runtime: Runtime, email: str, day: date | None = None, trending: Trending | None = None
            ) -> tuple[Subscriber, Email | None, bytes | None]:
    """The digest a subscriber would get for the period sent on ``day``, without queueing or sending it
    (``None`` when it would be empty). Raises ``LookupError`` for an unknown address."""
    try:
        address = normalize_email(email)
    except AddressError as exc:
        raise LookupError(str(exc)) from None
    sub = runtime.store.get_subscriber_by_email(address)
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
    papers = store.get_papers([e["id"] for e in message.payload["entries"]])
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

"""Delivery: the outbox, sent over SMTP with aiosmtplib.

The guarantee (docs/digests.md): every queued message is delivered or
recorded as failed, and a crashed sender repeats at most one message. A
sender claims a few messages at a time (``pending`` → ``sending``, with a
lease), sends each, and records each outcome right after the server's
answer. If it dies, its claimed messages stay ``sending`` until the lease
ends; then the next sender takes them again. Only a message accepted by the
server whose outcome was not yet recorded can arrive twice, and there is at
most one such message at any time: the connections run their transactions
in parallel up to the last byte of the message, then pass one at a time
through the commit (the final "." and the server's ``250``, then the
record "sent"; ``mail.transaction``). A repeat carries the same Message-ID,
so receivers can drop it.

Temporary failures (4xx, dropped connections, timeouts) are retried with
exponential backoff up to ``mail_max_attempts``; permanent ones (5xx) are
recorded at once, and a refused recipient marks its subscriber ``bounced``.
An unreachable server costs no attempt: the claimed messages go back to
``pending`` and the run stops. With no server set (``smtp_host`` empty) mail
is off: nothing is claimed, and every message waits in the outbox.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import aiosmtplib

from paperwire.config import Settings
from paperwire.mail.mime import DkimSigner, to_bytes
from paperwire.mail.outbox import sender_address, sender_domain
from paperwire.mail.render import Render
from paperwire.mail.transaction import begin, commit
from paperwire.models import OutboxMessage, Paper, Subscriber
from paperwire.store import Store

log = logging.getLogger(__name__)
BATCH = 20
MAX_BACKOFF = timedelta(hours=6)
SEND_ERRORS = (TimeoutError, aiosmtplib.SMTPException, OSError)
MAIL_OFF = "mail is off: no SMTP server is set (PAPERWIRE_SMTP_HOST is empty); messages wait in the outbox"


@dataclass
class DeliveryReport:
    """What one delivery run did."""

    sent: int = 0
    failed: int = 0
    retrying: int = 0
    cancelled: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    unreachable: str | None = None
    mail_off: bool = False

    def line(self) -> str:
        return (f"sent {self.sent}, failed {self.failed}, to retry {self.retrying}, cancelled {self.cancelled} "
                f"in {self.seconds:.1f} s")


class Unreachable(Exception):
    """The SMTP server could not be reached or refused us as a client (login, TLS)."""


class RateLimiter:
    """At most ``rate`` acquisitions per second across every connection (0: no limit)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1 / rate if rate > 0 else 0.0
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        if not self.interval:
            return
        async with self._lock:
            now = time.monotonic()
            wait = self._next - now
            self._next = max(now, self._next) + self.interval
        if wait > 0:
            await asyncio.sleep(wait)


def classify(exc: Exception) -> tuple[bool, bool, str]:
    """``(permanent, recipient refused, text)`` of a failed send."""
    if isinstance(exc, aiosmtplib.SMTPRecipientRefused):
        permanent = exc.code >= 500
        return permanent, permanent, f"recipient refused: {exc.code} {exc.message}"
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        text = "; ".join(f"{r.code} {r.message}" for r in exc.recipients)
        permanent = bool(codes) and all(c >= 500 for c in codes)
        return permanent, permanent, f"recipient refused: {text}"
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return exc.code >= 500, False, f"{exc.code} {exc.message}"
    return False, False, f"{type(exc).__name__}: {exc}"


class Sender:
    """One delivery run: claims, renders, sends and records, over a few reused connections."""

    def __init__(self, store: Store, settings: Settings, render: Render, keys: Sequence[str] | None = None,
                 limit: int | None = None) -> None:
        self.store = store
        self.settings = settings
        self.render = render
        self.signer = DkimSigner.from_settings(settings)
        self.keys = list(keys) if keys is not None else None
        self.left = limit
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.rate = RateLimiter(settings.smtp_rate_per_second)
        self.report = DeliveryReport()
        self.stop = False
        self._claim_lock = asyncio.Lock()
        # held from a message's final "." until its "sent" is recorded: at most one message is ever accepted
        # by the server and not yet recorded, so a crash repeats at most one, however many connections
        self._commit_lock = asyncio.Lock()
        self.batch = BATCH
        if settings.smtp_rate_per_second > 0:  # a batch must go out well within its lease
            fits = int(settings.mail_lease_seconds * settings.smtp_rate_per_second / (4 * settings.smtp_connections))
            self.batch = max(1, min(BATCH, fits))

    # -- claiming and preparing --------------------------------------------------------------
    async def _claim(self) -> list[OutboxMessage]:
        async with self._claim_lock:
            if self.stop or (self.left is not None and self.left <= 0):
                return []
            size = self.batch if self.left is None else min(self.batch, self.left)
            claimed = await asyncio.to_thread(self.store.outbox.claim_outbox, self.owner, size,
                                              self.settings.mail_lease_seconds, self.keys)
            if self.left is not None:
                self.left -= len(claimed)
            return claimed

    def _load(self, batch: list[OutboxMessage]) -> tuple[dict[int, Subscriber | None], dict[str, Paper]]:
        """What rendering a claimed batch needs from the store (read in a thread: it is I/O)."""
        subscribers = {sid: self.store.subscriptions.get_subscriber(sid)
                       for sid in {m.subscriber_id for m in batch} if sid}
        paper_ids = [e["id"] for m in batch if m.kind == "digest" for e in m.payload["entries"]]
        return subscribers, self.store.papers.get_papers(paper_ids) if paper_ids else {}

    def _render(self, message: OutboxMessage, sub: Subscriber | None, papers: dict[str, Paper]) -> bytes | None:
        """The message's bytes; None when its subscriber left (or is not confirmed) since it was queued.

        Rendering is CPU work: it runs on the event loop's thread, between sends, rather than in a
        worker thread that would hold the GIL while the loop waits to read the server's replies.
        """
        wanted = "pending" if message.kind == "subscription_confirm" else "confirmed"
        if message.subscriber_id and (sub is None or sub.state != wanted):
            return None
        email = self.render(message, sub, papers)
        return to_bytes(email, message, self.settings, self.signer)

    # -- recording ------------------------------------------------------------------------------
    def _retry_at(self, attempts: int) -> datetime:
        wait = timedelta(seconds=self.settings.mail_retry_seconds * 2 ** max(0, attempts - 1))
        return datetime.now(UTC) + min(wait, MAX_BACKOFF)

    async def _record(self, message: OutboxMessage, state: str, error: str | None = None,
                      next_attempt: datetime | None = None) -> None:
        await asyncio.to_thread(self.store.outbox.finish_outbox, [(message.key, state, error, next_attempt)],
                                self.owner)
        if state == "sent":
            self.report.sent += 1
        elif state == "failed":
            self.report.failed += 1
        elif state == "cancelled":
            self.report.cancelled += 1
        else:
            self.report.retrying += 1
        if error and len(self.report.errors) < 20:
            self.report.errors.append(f"{message.recipient}: {error}")

    async def _failed(self, message: OutboxMessage, sub: Subscriber | None, exc: Exception) -> None:
        permanent, refused, text = classify(exc)
        log.warning("sending %s to %s failed (%s): %s", message.key, message.recipient,
                    "permanent" if permanent else "temporary", text)
        if permanent or message.attempts >= self.settings.mail_max_attempts:
            await self._record(message, "failed", text)
            if refused and sub is not None and sub.state == "confirmed":
                await asyncio.to_thread(self.store.subscriptions.update_subscriber, sub.id, state="bounced", error=text)
        else:
            await self._record(message, "pending", text, self._retry_at(message.attempts))

    # -- connections --------------------------------------------------------------------------------
    def _client(self) -> aiosmtplib.SMTP:
        s = self.settings
        return aiosmtplib.SMTP(
            hostname=s.smtp_host, port=s.smtp_port, timeout=s.smtp_timeout_seconds, local_hostname=sender_domain(s),
            use_tls=s.smtp_tls == "tls", start_tls=s.smtp_tls == "starttls",
            username=s.smtp_username or None, password=s.smtp_password.get_secret_value() or None,
        )

    async def _connect(self) -> aiosmtplib.SMTP:
        client = self._client()
        try:
            await client.connect()
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise Unreachable(f"cannot use SMTP server {self.settings.smtp_host}:{self.settings.smtp_port}: "
                              f"{type(exc).__name__}: {exc}") from exc
        return client

    @staticmethod
    def _broken(client: aiosmtplib.SMTP, exc: Exception) -> Exception:
        """``exc``, after closing the connection if it is unusable (the next message reconnects)."""
        if isinstance(exc, aiosmtplib.SMTPServerDisconnected | OSError | asyncio.TimeoutError):
            client.close()
        return exc

    @staticmethod
    async def _close(client: aiosmtplib.SMTP | None) -> None:
        if client is None or not client.is_connected:
            return
        try:
            await client.quit()
        except (aiosmtplib.SMTPException, OSError):
            client.close()

    async def _worker(self) -> None:
        client: aiosmtplib.SMTP | None = None
        used = 0
        sender = sender_address(self.settings)
        try:
            while batch := await self._claim():
                subscribers, papers = await asyncio.to_thread(self._load, batch)
                renewed = time.monotonic()
                held = {m.key for m in batch}
                for i, message in enumerate(batch):
                    if time.monotonic() - renewed > self.settings.mail_lease_seconds / 3:
                        # a slow server must not let the lease run out under us: another sender would
                        # take these messages and send them too
                        held = await asyncio.to_thread(self.store.outbox.renew_outbox, [m.key for m in batch[i:]],
                                                       self.owner, self.settings.mail_lease_seconds)
                        renewed = time.monotonic()
                    if message.key not in held:
                        log.warning("lost the lease of %s; another sender has it", message.key)
                        continue
                    sub = subscribers.get(message.subscriber_id) if message.subscriber_id else None
                    try:
                        data = self._render(message, sub, papers)
                    except Exception as exc:  # a message that cannot be rendered must not stop the others
                        log.exception("cannot render %s", message.key)
                        await self._record(message, "failed", f"cannot render: {type(exc).__name__}: {exc}")
                        continue
                    if data is None:
                        await self._record(message, "cancelled", "subscriber is no longer subscribed")
                        continue
                    if client is None or not client.is_connected or used >= self.settings.smtp_messages_per_connection:
                        await self._close(client)
                        used = 0
                        try:
                            client = await self._connect()
                        except Unreachable as exc:
                            self.stop = True
                            self.report.unreachable = str(exc)
                            log.error("%s", exc)
                            keys = [m.key for m in batch[i:]]
                            await asyncio.to_thread(self.store.outbox.release_outbox, keys, self.owner,
                                                    self._retry_at(1), str(exc))
                            self.report.retrying += len(keys)
                            return
                    await self.rate.acquire()
                    used += 1
                    try:
                        await begin(client, sender, message.recipient, data)
                    except SEND_ERRORS as exc:
                        await self._failed(message, sub, self._broken(client, exc))
                        continue
                    async with self._commit_lock:
                        try:
                            await commit(client)
                        except SEND_ERRORS as exc:
                            # the outcome is unknown (the server may have accepted it): recorded before the
                            # next commit, like a success
                            await self._failed(message, sub, self._broken(client, exc))
                            continue
                        await self._record(message, "sent")
        finally:
            await self._close(client)

    async def run(self) -> DeliveryReport:
        """Send until nothing is due (or ``limit`` messages were taken, or the server is unreachable).

        With mail off (no ``smtp_host``) nothing is claimed: ``unreachable`` says so and ``mail_off`` is set.
        """
        if not self.settings.smtp_host:
            self.report.unreachable, self.report.mail_off = MAIL_OFF, True
            return self.report
        started = time.perf_counter()
        await asyncio.gather(*(self._worker() for _ in range(self.settings.smtp_connections)))
        self.report.seconds = time.perf_counter() - started
        return self.report


async def deliver(store: Store, settings: Settings, render: Render, keys: Sequence[str] | None = None,
                  limit: int | None = None) -> DeliveryReport:
    """Send every due message of the outbox (or only ``keys``), each rendered by ``render``
    (``mail.render.by_kind`` of the features' renderers); see the module's doc for the guarantee."""
    return await Sender(store, settings, render, keys, limit).run()


def deliver_now(store: Store, settings: Settings, render: Render, keys: Sequence[str] | None = None,
                limit: int | None = None) -> DeliveryReport:
    """``deliver`` from synchronous code (the CLI, the worker, the web app's background tasks)."""
    return asyncio.run(deliver(store, settings, render, keys, limit))

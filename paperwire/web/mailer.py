"""Account and subscription emails from a web process: one sender thread that requests wake, never wait for.

A form that queues an email (sign-up, a password reset, subscribe) hands the
message's key to ``Mailer.wake`` and answers at once. One daemon thread per web
process sends what it was handed (``digest.service.deliver_outbox`` of those
keys only), with SMTP commands limited to ``web_smtp_timeout_seconds``. An SMTP
server that stalls therefore holds this one thread, never the request thread
pool (``web_threads``), which it used to exhaust with a handful of forms.

What the thread cannot send stays in the outbox: an unreachable server puts the
messages back to ``pending`` and the worker's ``deliver-outbox`` job sends them
at its next run once ``mail_retry_seconds`` have passed; a web process that
stops mid-send leaves them ``sending`` until ``mail_lease_seconds`` end, then
the worker takes them. Keys handed over while ``MAX_WAITING`` are already
waiting are left to the worker the same way.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from paperwire.digest.service import deliver_outbox
from paperwire.runtime import Runtime

log = logging.getLogger(__name__)
MAX_WAITING = 1000


class Mailer:
    """This process's sender thread for just-queued emails (started on the first ``wake``)."""

    def __init__(self, runtime: Runtime, max_waiting: int = MAX_WAITING) -> None:
        settings = runtime.settings
        timeout = min(settings.smtp_timeout_seconds, settings.web_smtp_timeout_seconds)
        # the thread's own Runtime: the same store and secret, shorter SMTP timeouts, one connection
        self.runtime = Runtime(settings.model_copy(update={"smtp_timeout_seconds": timeout, "smtp_connections": 1}),
                               runtime.store)
        self.max_waiting = max_waiting
        self._waiting: dict[str, None] = {}
        self._sending = False
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._cond = threading.Condition()

    def wake(self, keys: Sequence[str]) -> None:
        """Have the thread send these queued messages soon; returns at once, whatever SMTP does."""
        if not keys:
            return
        with self._cond:
            room = max(0, self.max_waiting - len(self._waiting))
            if room < len(keys):
                log.warning("web mail sender is behind: %d message(s) left to the worker", len(keys) - room)
            self._waiting.update(dict.fromkeys(keys[:room]))
            if self._thread is None:  # started here, not at import: each forked web process gets its own
                self._thread = threading.Thread(target=self._run, name="web-mailer", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until everything handed over was tried (for shutdown and tests); False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._waiting and not self._sending, timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Let the thread send what it holds, for at most ``timeout`` seconds, and end (the app's shutdown).
        A later ``wake`` starts a new thread: an app may be started again (tests do)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
        with self._cond:
            self._stopping = False  # a thread still stuck on SMTP stays the one thread; it sees more keys

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: bool(self._waiting) or self._stopping)
                if not self._waiting:
                    self._thread = None  # under the lock: a wake from now on starts a new thread
                    return
                keys = list(self._waiting)
                self._waiting.clear()
                self._sending = True
            try:
                deliver_outbox(self.runtime, keys)  # an unreachable server is logged there; the worker retries
            except Exception:  # a broken database must not end the thread; the outbox keeps the messages
                log.exception("web mail sender: delivery of %d message(s) failed", len(keys))
            finally:
                with self._cond:
                    self._sending = False
                    self._cond.notify_all()

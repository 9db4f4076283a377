"""Emails queued by the site's forms leave from one sender thread per web process: a wedged SMTP server
never holds a request, nor the request thread pool, and what the web could not send the worker sends."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from paperwire.runtime import Runtime
from paperwire.store import Store
from paperwire.web import create_app
from paperwire.worker import Worker
from tests.helpers.community import PAPERS, csrf_of, link_in, mail_settings
from tests.helpers.live import live_server
from tests.helpers.smtp import silent_server, smtp_server

VISITORS = 6  # more than the request thread pool (web_threads: 4)


def _subscribe(base: str, i: int) -> int:
    """One anonymous visitor: open the form (its CSRF cookie), subscribe."""
    with httpx.Client(base_url=base, timeout=30) as c:
        token = csrf_of(c.get("/subscribe").text)
        r = c.post("/subscribe", data={"csrf_token": token, "email": f"v{i}@example.org", "queries": "diffusion"})
        return r.status_code


def test_a_silent_smtp_server_does_not_freeze_the_site(db_url: str, tmp_path: Path, store: Store) -> None:
    store.papers.upsert_papers(PAPERS)
    with silent_server() as port:
        # a long SMTP timeout, as an operator may set: before, each form's email held a request thread for it
        settings = mail_settings(db_url, tmp_path, port, smtp_timeout_seconds=60, web_smtp_timeout_seconds=2)
        app = create_app(settings, store)
        with live_server(app) as base:
            with ThreadPoolExecutor(VISITORS) as pool:
                statuses = list(pool.map(lambda i: _subscribe(base, i), range(VISITORS)))
            assert statuses == [200] * VISITORS
            with httpx.Client(base_url=base, timeout=10) as probe:  # generous: a free site answers in ms
                assert probe.get("/healthz").json()["ok"] is True
                assert "Subscribe" in probe.get("/subscribe").text
            assert app.state.mailer.wait_idle(60)  # its thread gave up on the server after 2 s a try
    waiting = store.outbox.list_outbox(kind="subscription_confirm", limit=100)
    assert len(waiting) == VISITORS and {m.state for m in waiting} == {"pending"}  # kept for the worker
    # the relay is back: the worker's deliver-outbox job sends every confirmation
    with smtp_server() as (handler, good_port):
        worker = Worker(Runtime(mail_settings(db_url, tmp_path, good_port), store), only=["deliver-outbox"])
        (run,) = worker.run_once(force=True)
        assert run.status == "ok", run
        for i in range(VISITORS):
            (mail,) = handler.to(f"v{i}@example.org")
            assert link_in(mail, "/subscriptions/confirm")


def test_confirmations_leave_without_the_worker(db_url: str, tmp_path: Path, store: Store) -> None:
    """With a working relay the web process's own thread sends at once: no worker needed for a confirmation."""
    store.papers.upsert_papers(PAPERS)
    with smtp_server() as (handler, port):
        app = create_app(mail_settings(db_url, tmp_path, port), store)
        with live_server(app) as base:
            assert _subscribe(base, 0) == 200
            assert handler.wait_for(1, timeout=30), "no confirmation email"
    (mail,) = handler.to("v0@example.org")
    assert link_in(mail, "/subscriptions/confirm")

"""Shared pieces of the accounts, community and digest tests: hand-made papers, settings pointing at a
real aiosmtpd server, fixtures (``smtp``, ``recorded_arxiv``, ``mail_rt``), helpers to fill forms (sign up,
sign in) and read emails, and ``paperwire serve`` in its own process for end-to-end tests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from paperwire.config import Settings
from paperwire.models import Paper
from paperwire.runtime import Runtime
from paperwire.store import Store
from tests.helpers.net import free_port
from tests.helpers.paths import FIXTURES_SHARED, require_shared_data
from tests.helpers.processes import wait_ready
from tests.helpers.replay import ReplayServer, load_arxivpy
from tests.helpers.smtp import Handler, Received, smtp_server

BASE = "http://testserver"  # TestClient's host: links in emails work as they are
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
PASSWORD = "correct horse battery"  # of the accounts sign_up() makes

# Hand-made papers (not real arXiv records): titles chosen so topic searches have known answers.
PAPERS = [
    Paper("2606.00001", "Energy-Based Models for Protein Design", "We train energy-based models on protein "
          "structures with $\\alpha$-helix priors.", ["Ada Lovelace", "Alan Turing"], ["cs.LG", "q-bio.BM"],
          announced=date(2026, 6, 29)),
    Paper("2606.00002", "Scaling Energy-Based Models", "Energy-based models scale with data.", ["Grace Hopper"],
          ["cs.LG"], announced=date(2026, 6, 29)),
    Paper("2606.00003", "Gaussian Splatting in the Wild", "Splatting outdoor scenes.", ["Edsger Dijkstra"],
          ["cs.CV"], announced=date(2026, 6, 29)),
    Paper("2606.00004", f"Attack {HOSTILE} on Retrieval", f"Abstract with {HOSTILE} inside.", [f"Eve {HOSTILE}"],
          ["cs.CR"], announced=date(2026, 6, 29)),
    Paper("2606.00005", "Language Models as Judges", "Large language models grade essays.", ["Barbara Liskov"],
          ["cs.CL"], announced=date(2026, 6, 30)),
    Paper("2606.00006", "Energy-Based Models Revisited", "A second look at energy-based models.", ["Ada Lovelace"],
          ["cs.LG"], announced=date(2026, 6, 30)),
    Paper("2606.00007", "Diffusion for Video", "Video diffusion models.", ["Donald Knuth"], ["cs.CV"],
          announced=date(2026, 6, 30)),
    Paper("2605.00001", "An Older Energy-Based Model", "Energy-based model from May.", ["Ada Lovelace"], ["cs.LG"],
          announced=date(2026, 5, 20)),
]


def mail_settings(db_url: str, tmp_path: Path, port: int, **more: Any) -> Settings:
    """Settings for a test: the database, a local data dir, and SMTP at the test server."""
    values: dict[str, Any] = {
        "database_url": db_url, "data_dir": tmp_path / "data", "index_refresh_seconds": 0, "smtp_host": "127.0.0.1",
        "smtp_port": port, "smtp_rate_per_second": 0, "mail_retry_seconds": 0, "base_url": BASE,
        "smtp_timeout_seconds": 5, "http_retries": 0,
    }
    values.update(more)
    return Settings(**values)


@pytest.fixture
def smtp() -> Iterator[tuple[Handler, int]]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd): ``(handler, port)``."""
    with smtp_server() as pair:
        yield pair


@pytest.fixture
def recorded_arxiv() -> Iterator[ReplayServer]:
    """arXiv's API as recorded (every ``arxivpy_id_*`` fixture), for submissions by id."""
    require_shared_data()
    with ReplayServer() as server:
        for path in sorted((FIXTURES_SHARED / "arxiv-api").glob("arxivpy_id_*.json")):
            route, recorded = load_arxivpy(path)
            server.add(route, recorded)
        yield server


@pytest.fixture
def mail_rt(db_url: str, tmp_path: Path, store: Store, smtp: tuple[Handler, int]) -> Iterator[Runtime]:
    """A Runtime with the hand-made papers indexed and mail going to the test SMTP server."""
    store.papers.upsert_papers(PAPERS)
    rt = Runtime(mail_settings(db_url, tmp_path, smtp[1]), store)
    rt.indexes.sync()
    yield rt


def post_form(c: TestClient, page: str, action: str, data: dict[str, object], **kwargs: object) -> object:
    """Fill and post a form like a browser; then wait for the emails it queued (``mail_sent``)."""
    token = csrf_of(c.get(page).text)
    response = c.post(action, data={"csrf_token": token, **data}, **kwargs)  # type: ignore[arg-type]
    mail_sent(c)
    return response


def mail_sent(c: TestClient, timeout: float = 30.0) -> None:
    """Wait until the site's sender thread (``web.mailer``) has tried every email queued so far: the
    response no longer waits for them, so a test reading the SMTP server's messages waits here."""
    mailer = getattr(c.app, "state").mailer  # noqa: B009  (TestClient types its app as a bare ASGI app)
    assert mailer.wait_idle(timeout), "the site's mail sender did not finish"


def sign_up(c: TestClient, handler: Handler, email: str = "ann@example.org", handle: str = "ann",
            verify: bool = True) -> None:
    r = post_form(c, "/signup", "/signup", {"email": email, "handle": handle, "password": PASSWORD})
    assert r.status_code == 200 and "Check your email" in r.text  # type: ignore[attr-defined]
    if verify:
        r = c.get(link_in(handler.to(email)[-1], "/account/verify"))
        assert r.status_code == 200 and "verified" in r.text


def sign_in(c: TestClient, email: str = "ann@example.org", password: str = PASSWORD) -> object:
    return post_form(c, "/signin", "/signin", {"email": email, "password": password}, follow_redirects=False)


def signed_in_member(c: TestClient, handler: Handler) -> str:
    """Ann, signed up, verified and signed in on ``c``; returns a CSRF token of her session."""
    sign_up(c, handler)
    sign_in(c)
    return csrf_of(c.get("/account").text)


def csrf_of(html: str) -> str:
    """The CSRF token of the first form of a page."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field in the page"
    return match.group(1)


def link_in(received: Received, path: str) -> str:
    """The first link to ``path`` in a message's text part, made relative to the site."""
    match = re.search(re.escape(BASE + path) + r"\S*", received.part("plain"))
    assert match, f"no {path} link in {received.part('plain')[:500]}"
    return match.group(0)[len(BASE):]


def token_of(link: str) -> str:
    """The ``token`` parameter of a link."""
    match = re.search(r"[?&]token=([^&\s]+)", link)
    assert match
    from urllib.parse import unquote

    return unquote(match.group(1))


def live_env(base: str, smtp_port: int, arxiv_url: str) -> dict[str, str]:
    """The environment of a ``paperwire serve`` or ``paperwire digest`` process in an end-to-end test: links
    to ``base``, mail to the test's SMTP server, submissions through the replayed arXiv API, no waiting."""
    return {**os.environ, "PAPERWIRE_BASE_URL": base, "PAPERWIRE_SMTP_HOST": "127.0.0.1",
            "PAPERWIRE_SMTP_PORT": str(smtp_port), "PAPERWIRE_SMTP_RATE_PER_SECOND": "0",
            "PAPERWIRE_ARXIV_API_URL": arxiv_url + "/api/query", "PAPERWIRE_ARXIV_MIN_INTERVAL_SECONDS": "0",
            "PAPERWIRE_HTTP_RETRIES": "0"}


@contextmanager
def live_service(db_url: str, tmp_path: Path, arxiv_url: str,
                 ) -> Iterator[tuple[str, Handler, list[str], dict[str, str]]]:
    """``paperwire serve`` in its own process with a real SMTP server: (base URL, SMTP handler, the CLI
    prefix for more commands on the same database, their environment)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with smtp_server() as (handler, smtp_port):
        env = live_env(base, smtp_port, arxiv_url)
        common = [sys.executable, "-m", "paperwire", "--db", db_url, "--data-dir", str(tmp_path / "data")]
        with (tmp_path / "serve.log").open("w") as log:  # a file, not a pipe nobody reads (it would fill up)
            server = subprocess.Popen([*common, "serve", "--port", str(port)], env=env, stdout=log,
                                      stderr=subprocess.STDOUT, text=True)
        try:
            wait_ready(port, server)
            yield base, handler, common, env
        finally:
            server.terminate()
            server.wait(timeout=30)

"""The newcomer's path against a live server (uvicorn in its own process) with httpx: sign up, verify,
upvote, submit a paper (queued, then fetched from the replayed arXiv API by the worker), subscribe with
topics, confirm, receive a digest in a real SMTP server, and unsubscribe in one click."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import httpx
import pytest

from paperwire.store import Store
from tests.helpers.community import PAPERS, live_service
from tests.helpers.replay import ReplayServer
from tests.helpers.smtp import Handler, Received

pytestmark = pytest.mark.slow


def form_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def link(received: Received, base: str, path: str) -> str:
    match = re.search(re.escape(base + path) + r"\S*", received.part("plain"))
    assert match, received.part("plain")
    return match.group(0)


def test_newcomer_end_to_end(db_url: str, store: Store, tmp_path: Path, recorded_arxiv: ReplayServer) -> None:
    store.papers.upsert_papers(PAPERS)
    with live_service(db_url, tmp_path, recorded_arxiv.url) as (base, handler, common, env):
        with httpx.Client(base_url=base, timeout=30, follow_redirects=True) as browser:
            _newcomer(browser, handler, base, common, env)
            digest = subprocess.run([*common, "digest", "run", "--period", "daily", "--date", "2026-06-29"],
                                    env=env, capture_output=True, text=True, timeout=120)
            assert digest.returncode == 0, digest.stderr
            assert "1 digests built" in digest.stdout, digest.stdout
        (received,) = [m for m in handler.to("ann.digests@example.org") if "digest" in m.message["Subject"]]
        text = received.part("plain")
        assert "Matches your topic energy-based models" in text and "Energy-Based Models for Protein Design" in text
        url = re.search(r"<(http[^>]+)>", received.message["List-Unsubscribe"]).group(1)  # type: ignore[union-attr]
        assert received.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        with httpx.Client(timeout=30) as provider:  # the mail provider's one-click POST, without cookies
            r = provider.post(url, content=b"List-Unsubscribe=One-Click",
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status_code == 200 and not r.is_redirect and "You are unsubscribed" in r.text
        sub = store.subscriptions.get_subscriber_by_email("ann.digests@example.org")
        assert sub is not None and sub.state == "unsubscribed"


def _newcomer(browser: httpx.Client, handler: Handler, base: str, common: list[str], env: dict[str, str]) -> None:
    page = browser.get("/signup")
    r = browser.post("/signup", data={"csrf_token": form_token(page.text), "email": "ann@example.org",
                                      "handle": "ann", "password": "correct horse battery"})
    assert r.status_code == 200 and "Check your email" in r.text
    assert handler.wait_for(1), "no verification email"
    r = browser.get(link(handler.to("ann@example.org")[0], base, "/account/verify"))
    assert r.status_code == 200 and "verified" in r.text
    page = browser.get("/signin")
    r = browser.post("/signin", data={"csrf_token": form_token(page.text), "email": "ann@example.org",
                                      "password": "correct horse battery"})
    assert r.status_code == 200 and "Your account" in r.text  # followed the redirect to /account
    token = form_token(r.text)
    r = browser.post("/upvote/2606.00002", data={"csrf_token": token, "next": "/submissions"})
    assert r.status_code == 200
    r = browser.post("/submit", data={"csrf_token": token, "paper": "https://arxiv.org/abs/1707.08567v1"})
    assert r.status_code == 202 and "We are fetching 1707.08567 from arXiv" in r.text
    assert browser.get("/paper/1707.08567").status_code == 404  # not yet
    worker = subprocess.run([*common, "worker", "--once", "--only", "fetch-requested"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert worker.returncode == 0, worker.stderr
    assert browser.get("/paper/1707.08567").status_code == 200  # the link on the page works now
    listing = browser.get("/submissions").text
    assert "1707.08567" in listing and 'href="/u/ann"' in listing
    assert browser.get("/api/v1/community", params={"ids": "2606.00002"}).json()["2606.00002"]["upvotes"] == 1
    page = browser.get("/subscribe")
    r = browser.post("/subscribe", data={"csrf_token": form_token(page.text), "email": "ann.digests@example.org",
                                         "frequency": "daily", "queries": "energy-based models",
                                         "categories": "cs.CV"})
    assert r.status_code == 200 and "Check your email" in r.text
    assert handler.wait_for(2), "no confirmation email"
    confirm = link(handler.to("ann.digests@example.org")[0], base, "/subscriptions/confirm")
    page = browser.get(confirm)
    token_value = re.search(r'name="token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = browser.post("/subscriptions/confirm", data={"csrf_token": form_token(page.text), "token": token_value})
    assert r.status_code == 200 and "Subscription confirmed" in r.text

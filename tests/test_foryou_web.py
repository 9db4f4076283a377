""""For you" end to end through the site, on both backends: a new member imports a BibTeX file, sees a
ranking whose every entry says why, "Not interested" changes it on reload, and the API, the private
Atom feed, the CLI and the digest's For-you section carry the same ranking; rating ten papers works
as well as an import; the feed's token is revocable and never in the access log."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from paperwire.cli.main import cli
from paperwire.digest.service import preview
from paperwire.runtime import Runtime
from paperwire.web import create_app
from paperwire.web.server import RedactSecrets
from tests.helpers.community import signed_in_member
from tests.helpers.recommend import NEW_DAY, stored_world, world_id
from tests.helpers.smtp import Handler

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def client(mail_rt: Runtime) -> Iterator[TestClient]:
    stored_world(mail_rt.store, arxiv=True)
    with TestClient(create_app(mail_rt.settings, mail_rt.store)) as c:
        yield c


@pytest.fixture
def ann(client: TestClient, smtp: tuple[Handler, int]) -> str:
    """Ann, signed up, verified and signed in; returns a CSRF token of her session."""
    return signed_in_member(client, smtp[0])


def page_entries(html: str) -> list[tuple[str, list[str]]]:
    """(paper id, reasons) of each entry of the For-you page, in order."""
    out = []
    for block in html.split('<li class="paper" data-paper>')[1:]:
        pid = re.search(r'href="/paper/([^"]+)"', block)
        why = re.search(r'<ul class="fy-why[^>]*>(.*?)</ul>', block, re.S)
        assert pid and why
        out.append((pid.group(1), re.findall(r"<li>(.*?)</li>", why.group(1), re.S)))
    return out


def api_ids(client: TestClient, **params: object) -> list[str]:
    r = client.get("/api/v1/me/recommendations", params=params)  # type: ignore[arg-type]
    assert r.status_code == 200 and "no-store" in r.headers["cache-control"]
    body = r.json()
    assert all(item["reasons"] for item in body["results"])
    return [item["paper"]["id"] for item in body["results"]]


def test_an_imported_library_gives_a_ranking_that_explains_itself_everywhere(
        client: TestClient, ann: str, mail_rt: Runtime, caplog: pytest.LogCaptureFixture) -> None:
    first = client.get("/for-you")
    assert first.status_code == 200 and "Tell us what you read" in first.text
    assert 'href="/for-you/start"' in first.text and 'href="/library/import"' in first.text
    assert 'href="/for-you"' in client.get("/account").text
    bib = "\n".join(f"@article{{g{i}, title = {{Paper {i}}}, eprint = {{{world_id('graphs', i, arxiv=True)}}}, "
                    f"archivePrefix = {{arXiv}}}}" for i in range(6))
    r = client.post("/library/import", data={"csrf_token": ann}, files={"file": ("mine.bib", bib, "text/plain")})
    assert r.status_code == 200 and "6</strong> papers added" in r.text
    client.post("/for-you/exploration", data={"csrf_token": ann, "rate": "off"})

    week = client.get("/for-you", params={"window": "week"})
    entries = page_entries(week.text)
    assert len(entries) >= 10 and "Tell us what you read" not in week.text
    assert all(reasons for _, reasons in entries)  # every entry says why
    graphs = {world_id("graphs", i, True, arxiv=True) for i in range(6)}
    assert {pid for pid, _ in entries[:6]} == graphs
    assert any(r.startswith("like “") for r in entries[0][1])
    assert week.text.count('action="/thumb/') == 2 * len(entries)  # the usual buttons on each entry
    ids = [pid for pid, _ in entries]
    assert api_ids(client, window="week", limit=50) == ids

    # "Not interested" on the top paper: gone on reload, and its topic's other papers move down
    top = ids[0]
    r = client.post(f"/thumb/{top}", data={"csrf_token": ann, "value": "down", "next": "/for-you?window=week"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/for-you?window=week"
    after = [pid for pid, _ in page_entries(client.get("/for-you", params={"window": "week"}).text)]
    assert top not in after and after != ids[1:]
    assert sum(after.index(p) for p in graphs - {top}) > sum(ids.index(p) - 1 for p in graphs - {top})

    # the private feed: same ranking as the page's newest day, with the reasons; the token never logged
    made = client.post("/for-you/feed", data={"csrf_token": ann, "action": "create"})
    url = re.search(r'value="(http[^"]*/feeds/for-you\.atom\?token=[^"]+)"', made.text)
    assert url is not None
    feed_path = url.group(1).split("/", 3)[3]
    with TestClient(client.app) as stranger:
        feed = stranger.get("/" + feed_path)
        assert feed.status_code == 200 and "no-store" in feed.headers["cache-control"]
        root = ET.fromstring(feed.content)
        entries_xml = root.findall(f"{ATOM}entry")
        day_ids = api_ids(client, window="day", limit=50)
        links = [e.find(f"{ATOM}link[@rel='alternate']") for e in entries_xml]
        assert [link.get("href", "").rsplit("/paper/", 1)[1] for link in links if link is not None] == day_ids
        reasons = [item["reasons"] for item in client.get("/api/v1/me/recommendations",
                                                          params={"window": "day", "limit": 50}).json()["results"]]
        assert [(e.findtext(f"{ATOM}summary") or "").split(" — ")[0] for e in entries_xml] == \
            ["; ".join(r) for r in reasons]
        token = feed_path.split("token=", 1)[1]
        record = logging.LogRecord("uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d',
                                   ("127.0.0.1", "GET", "/" + feed_path, "1.1", 200), None)
        RedactSecrets().filter(record)
        assert token not in record.getMessage()
        client.post("/for-you/feed", data={"csrf_token": ann, "action": "revoke"})
        assert stranger.get("/" + feed_path).status_code == 404

    # the CLI
    settings = mail_rt.settings
    out = CliRunner().invoke(cli, ["--db", settings.resolved_database_url(), "--data-dir", str(settings.data_dir),
                                   "recommend", "ann@example.org", "--window", "week", "--limit", "50", "--json"])
    assert out.exit_code == 0, out.output
    assert [item["id"] for item in json.loads(out.output)["results"]] == after
    text = CliRunner().invoke(cli, ["--db", settings.resolved_database_url(), "--data-dir", str(settings.data_dir),
                                    "recommend", "ann", "--window", "week", "--limit", "3"])
    assert text.exit_code == 0 and f"  1. {after[0]}" in text.output and "       like “" in text.output

    # the digest's For-you section: the ranking of the digest's days (Saturday to Monday)
    user = mail_rt.store.accounts.get_user_by_handle("ann")
    assert user is not None
    mail_rt.store.subscriptions.add_subscriber("ann@example.org", "daily", [], "confirmed", "web", "n", user.id)
    _, email, _ = preview(mail_rt, "ann@example.org", NEW_DAY)
    assert email is not None and "FOR YOU" in email.text
    section = re.split(r"\n(?:NEW|TRENDING|ON YOUR TOPICS)\n", email.text.split("FOR YOU", 1)[1])[0]
    digest_ids = re.findall(r"/paper/(\S+)", section)
    n = mail_rt.settings.digest_foryou_papers
    assert len(digest_ids) == n and digest_ids == api_ids(client, since="2026-07-04", limit=n)
    assert section.count("Why: For you: ") == len(digest_ids)


def test_ten_ratings_are_enough_and_a_reset_takes_them_back(client: TestClient, ann: str) -> None:
    for i in range(10):  # "More like this" on ten older speech papers, as a first-run page would post them
        client.post(f"/thumb/{world_id('speech', i, arxiv=True)}", data={"csrf_token": ann, "value": "up"})
    client.post("/for-you/exploration", data={"csrf_token": ann, "rate": "off"})
    week = client.get("/for-you", params={"window": "week", "category": "cs.SP"})
    entries = page_entries(week.text)
    assert "still rough" not in week.text and "Tell us what you read" not in week.text
    assert {pid for pid, _ in entries} == {world_id("speech", i, True, arxiv=True) for i in range(6)}
    assert all(any(r.startswith("like “") for r in reasons) for _, reasons in entries)
    assert client.get("/for-you", params={"window": "year"}).status_code == 422
    reset = client.post("/for-you/reset", data={"csrf_token": ann, "thumbs": "1"})
    assert reset.status_code == 200 and "10 ratings taken back" in reset.text and "Tell us what you read" in reset.text
    with TestClient(client.app) as stranger:
        assert stranger.get("/api/v1/me/recommendations").status_code == 401
        assert stranger.get("/for-you", follow_redirects=False).status_code == 303
        assert stranger.get("/feeds/for-you.atom", params={"token": "guess"}).status_code == 404

"""Mutes on the listings: a member's muted authors and keywords hide papers from their trending, daily,
category and search pages ("N hidden by your mutes · show"), and nobody else's: anonymous pages keep
their shared ETags and cached bytes, another member sees everything. The filter is a pure function."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from paperwire.community.preferences import filter_muted
from paperwire.models import Paper, PaperSignal, UserSignals
from paperwire.runtime import Runtime
from paperwire.web import create_app
from tests.helpers.community import PAPERS, csrf_of, sign_in, sign_up
from tests.helpers.smtp import Handler


def test_the_filter_hides_muted_authors_and_whole_keywords_in_order() -> None:
    keywords = {"video": "video", "energy based": "energy-based"}
    signals = UserSignals(1, muted_authors={"ada lovelace": "Ada Lovelace"}, muted_keywords=keywords,
                          positives=[PaperSignal("x", "save", datetime(2026, 1, 1))])
    papers = [Paper("1", "Graph Networks", "On graphs.", ["Lovelace, Ada"], ["cs.LG"]),
              Paper("2", "Videos and Their Captions", "Nothing muted: videos is another word.", ["B"], ["cs.CV"]),
              Paper("3", "Diffusion", "Fast VIDEO diffusion.", ["C"], ["cs.CV"]),
              Paper("4", "Energy–Based Models", "Accents, dashes and case fold.", ["Zoë"], ["cs.LG"]),
              Paper("5", "Nothing to see", "Plain.", ["Ada Lovelace-Byron"], ["cs.LG"])]
    kept, hidden = filter_muted(papers, signals)
    assert [p.id for p in kept] == ["2", "5"]
    assert [(p.id, why) for p, why in hidden] == [("1", "author: Ada Lovelace"), ("3", "keyword: video"),
                                                   ("4", "keyword: energy-based")]
    assert filter_muted(papers, UserSignals(1)) == (papers, [])  # no mutes: everything, untouched


@pytest.fixture
def client(mail_rt: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(mail_rt.settings, mail_rt.store)) as c:
        yield c


def _ids(html: str) -> set[str]:
    return set(re.findall(r'href="/paper/(2\d{3}\.\d{5})"', html))


def test_a_members_mutes_hide_papers_from_their_listings_only(client: TestClient, mail_rt: Runtime,
                                                                smtp: tuple[Handler, int]) -> None:
    sign_up(client, smtp[0])
    sign_in(client)
    csrf = csrf_of(client.get("/account/signals").text)
    for kind, name in (("author", "Lovelace, Ada"), ("keyword", "video")):
        r = client.post("/mute", data={"csrf_token": csrf, "kind": kind, "name": name}, follow_redirects=False)
        assert r.status_code == 303

    day = client.get("/daily/2026-06-30")
    assert day.headers["cache-control"] == "private, no-store" and "etag" not in day.headers
    assert _ids(day.text) == {"2606.00005"} and "2 hidden by your mutes" in day.text
    shown = client.get("/daily/2026-06-30?muted=show")
    assert _ids(shown.text) == {"2606.00005", "2606.00006", "2606.00007"}
    assert "Showing 2 papers your mutes hide" in shown.text and 'href="/daily/2026-06-30">hide them' in shown.text
    assert "1 hidden by your mutes" in client.get("/c/cs.CV").text  # the video paper
    assert "2606.00007" not in _ids(client.get("/c/cs.CV").text)
    found = client.get("/search", params={"q": "energy-based models"})
    assert "2606.00002" in _ids(found.text) and not _ids(found.text) & {"2606.00001", "2606.00006", "2605.00001"}
    assert "hidden by your mutes" in found.text
    home = client.get("/")  # trending (newest first here: no ranking computed)
    assert "2606.00006" not in _ids(home.text) and "hidden by your mutes" in home.text

    with TestClient(client.app) as anonymous:
        first = anonymous.get("/daily/2026-06-30")
        assert _ids(first.text) == {"2606.00005", "2606.00006", "2606.00007"} and "mutes" not in first.text
        again = anonymous.get("/daily/2026-06-30", headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304  # shared validators as before
    with TestClient(client.app) as bob:
        sign_up(bob, smtp[0], "bob@example.org", "bob")
        sign_in(bob, "bob@example.org")
        assert _ids(bob.get("/daily/2026-06-30").text) == {"2606.00005", "2606.00006", "2606.00007"}
    assert len({p.id for p in PAPERS}) == len(PAPERS)

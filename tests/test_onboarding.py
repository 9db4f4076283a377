"""Cold start in one minute, on both backends: a new member signs up, finds five papers they like with the
first-run page's search and "I like this", rates the candidates their fresh model ranks (a 👎 changes the
list), and their "For you" ranking has those papers' topic first with reasons. "These are my papers" finds
their name in its spellings and files their papers; the name matching is a pure function."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from paperwire.community.onboarding import name_matches
from paperwire.models import Paper, User
from paperwire.recommend import service
from paperwire.runtime import Runtime
from paperwire.store import Store
from paperwire.web import create_app
from tests.helpers.community import csrf_of, mail_settings, sign_in, sign_up
from tests.helpers.recommend import stored_world
from tests.helpers.smtp import Handler


@pytest.mark.parametrize(("query", "name", "same"), [
    ("Zoë van der Berg", "Zoe van der Berg", True),        # accents
    ("zoe VAN DER berg", "Zoë van der Berg", True),        # case
    ("van der Berg, Zoë", "Zoë van der Berg", True),       # Family, Given
    ("Z. van der Berg", "Zoë van der Berg", True),         # an initial
    ("Zoë van der Berg", "Z van der Berg", True),          # the other way round
    ("Zoë Berg", "Zoë van der Berg", True),                # fewer given names, in order
    ("John Smith", "John A. Smith", True),                 # a middle initial
    ("J.-P. Sartre", "Jean-Paul Sartre", True),            # hyphenated given names
    ("Berg", "Jane Berg", True),                           # a family name alone
    ("Jane Berg", "Zoë van der Berg", False),              # another first name
    ("Zoë van der Berg", "Zoë van der Bergen", False),     # another family name
    ("John Q. Smith", "John A. Smith", False),             # another middle initial
    ("Zoë Berg", "Berg", False),                           # no given name to check
    ("", "Ada Lovelace", False),
])
def test_author_names_match_as_people_write_them(query: str, name: str, same: bool) -> None:
    assert name_matches(query, name) is same


OWN = [Paper("2607.00001", "Graph neural network message passing for molecules", "Molecular property prediction.",
             ["Zoë van der Berg", "Ada Lovelace"], ["cs.LG"], announced=date(2026, 7, 1)),
       Paper("2607.00002", "Node classification on citation graphs", "Graph neural network node classification.",
             ["Zoe van der Berg"], ["cs.LG"], announced=date(2026, 7, 2)),
       Paper("2607.00003", "Message passing revisited", "A graph neural network study.", ["Z. van der Berg"],
             ["cs.LG"], announced=date(2026, 7, 3)),
       Paper("2607.00004", "Speech recognition in meetings",
             "Automatic speech recognition of spoken language audio.", ["Jane Berg"], ["cs.SD"],
             announced=date(2026, 7, 3))]


@pytest.fixture
def rt(db_url: str, tmp_path: Path, store: Store, smtp: tuple[Handler, int]) -> Runtime:
    stored_world(store)
    store.papers.upsert_papers(OWN)
    runtime = Runtime(mail_settings(db_url, tmp_path, smtp[1]), store)
    runtime.indexes.sync()
    return runtime


@pytest.fixture
def client(rt: Runtime, smtp: tuple[Handler, int]) -> Iterator[TestClient]:
    with TestClient(create_app(rt.settings, rt.store)) as c:
        sign_up(c, smtp[0])
        sign_in(c)
        yield c


def _ann(rt: Runtime) -> User:
    user = rt.store.accounts.get_user_by_handle("ann")
    assert user is not None
    return user


def _candidates(html: str) -> list[str]:
    step2 = html[html.index('id="step-2"'):]
    return list(dict.fromkeys(re.findall(r'action="/for-you/start/rate/([^"]+)"', step2)))


def test_a_new_member_chooses_five_papers_rates_candidates_and_gets_a_ranking(client: TestClient,
                                                                             rt: Runtime) -> None:
    empty = client.get("/for-you")
    assert '<a href="/for-you/start">Rate a few papers to start</a>' in empty.text  # the For-you page sends them here
    first = client.get("/for-you/start")
    assert first.status_code == 200 and first.headers["cache-control"] == "private, no-store"
    assert "0 of 5 chosen" in first.text and "Choose 5 more papers first" in first.text
    assert '<label for="start-q">' in first.text and '<input id="start-q"' in first.text  # labelled fields
    assert '<label for="start-name">' in first.text and first.text.count('id="start-q"') == 1
    headings = re.findall(r'<h([12]) id="([^"]+)"', first.text)
    assert [h for _, h in headings] == ["step-1", "mine-h", "step-2"]  # in reading (and focus) order

    found = client.get("/for-you/start", params={"q": "graph neural network message passing"})
    liked = [pid for pid in re.findall(r'action="/for-you/start/like/([^"]+)"', found.text)
             if re.fullmatch(r"graphs-\d+", pid)][:5]
    assert len(liked) == 5
    csrf = csrf_of(found.text)
    for n, pid in enumerate(liked, 1):
        r = client.post(f"/for-you/start/like/{pid}", data={"csrf_token": csrf, "q": "graph neural network"},
                        follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/for-you/start?q=graph+neural+network#step-1"
        if n == 3:
            assert "3 of 5 chosen" in client.get(r.headers["location"]).text
    assert rt.store.preferences.thumbs(_ann(rt).id, liked) == {pid: "up" for pid in liked}

    r = client.post("/for-you/exploration", data={"csrf_token": csrf, "rate": "off"}, follow_redirects=False)
    assert r.status_code == 303 and service.exploration_for(rt.store, rt.settings, _ann(rt).id) == 0.0
    ready = client.get("/for-you/start")
    assert "5 of 5 chosen" in ready.text and "See your For you page" in ready.text
    shown = _candidates(ready.text)
    assert len(shown) == 20  # of the newest month's 22 papers, none already chosen
    graph_topic = {f"new-graphs-{100 + i}" for i in range(6)} | {"2607.00001", "2607.00002", "2607.00003"}
    assert set(shown[:9]) == graph_topic  # the chosen topic first
    assert "Why: like “" in ready.text

    top = shown[0]
    r = client.post(f"/for-you/start/rate/{top}", data={"csrf_token": csrf, "value": "down"}, follow_redirects=False)
    assert r.headers["location"] == "/for-you/start#step-2"
    after = _candidates(client.get("/for-you/start").text)
    assert top not in after and len(after) == 20
    rest = [p for p in shown if p != top]  # the 👎 retrained the model: papers like it moved down
    assert sum(after.index(p) for p in graph_topic - {top}) > sum(rest.index(p) for p in graph_topic - {top})
    up = next(p for p in after if p.startswith("new-graphs-"))
    client.post(f"/for-you/start/rate/{up}", data={"csrf_token": csrf, "value": "up"})
    assert "So far: 6 👍 · 1 👎." in client.get("/for-you/start").text

    page = client.get("/for-you", params={"window": "week"}).text  # the For-you page: ranked, each says why
    ids = re.findall(r'<h2 class="paper-title math"><a href="/paper/([^"]+)">', page)
    assert len(ids) == 20 and ids[0] in graph_topic and not set(ids) & {*liked, top, up}  # rated ones not again
    assert page.count('<ul class="fy-why small" aria-label="Why it is recommended"><li>') == len(ids)
    assert "Your ranking is still rough" not in page
    api = client.get("/api/v1/me/recommendations", params={"window": "week"}).json()
    assert [r["paper"]["id"] for r in api["results"]] == ids and all(r["reasons"] for r in api["results"])


def test_these_are_my_papers_by_author_name(client: TestClient, rt: Runtime) -> None:
    page = client.get("/for-you/start", params={"name": "van der Berg, Zoe"})
    choices = re.findall(r'<li><a href="/search\?q=[^"]+">([^<]+)</a> · (\d+) papers?', page.text)
    assert choices == [("Zoë van der Berg", "2"), ("Z. van der Berg", "1")]  # not Jane Berg
    r = client.post("/for-you/start/mine", data={"csrf_token": csrf_of(page.text), "name": "Zoë van der Berg"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/for-you/start?claimed=2#mine-h"
    assert "Added 2 papers to your folder “My papers”" in client.get(r.headers["location"]).text
    ann = _ann(rt)
    mine = rt.store.library.folder(ann.id, "my-papers")
    assert mine is not None and mine.papers == 2
    assert rt.store.preferences.user_signals(ann.id).followed_authors == {"zoe van der berg": "Zoë van der Berg"}
    assert "2 of 5 chosen" in client.get("/for-you/start").text  # your own papers count
    short = client.get("/for-you/start", params={"name": "Zo"})
    assert short.status_code == 422 and "at least 3 letters" in short.text

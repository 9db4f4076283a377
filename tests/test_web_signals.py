"""Papers' signals (upvotes, code, stars) read from the store, and caches that never hide a change.

Both backends. The store holds real Hugging Face daily lists, code links
and star snapshots (tests/helpers/world.py) plus community upvotes written
through the store; pages and APIs must show them, and their validators
must change with an upvote, a recompute, a star check or an HF fetch.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from paperwire.config import Settings
from paperwire.models import RepoCheck
from paperwire.store import Store
from paperwire.trending import recompute
from paperwire.web import create_app
from paperwire.web.paper_signals import paper_signals
from tests.helpers.community import mail_settings, post_form, sign_in, sign_up
from tests.helpers.smtp import Handler
from tests.helpers.world import NOW, SETTINGS, save_daily


def test_signals_come_from_hf_the_community_and_the_papers_own_repository(web_store: Store) -> None:
    ann = web_store.accounts.create_user("ann@example.org", "ann", "hash")
    bob = web_store.accounts.create_user("bob@example.org", "bob", "hash")
    eve = web_store.accounts.create_user("eve@example.org", "eve", "hash")
    for user in (ann, bob, eve):
        web_store.community.set_upvote(user.id, "2607.28624", True)
    web_store.community.set_upvote(ann.id, "2608.00001", True)
    web_store.accounts.update_user(eve.id, disabled=True)  # a disabled account's upvote does not count
    ids = ["2607.28624", "2607.28227", "2608.00001", "2607.27380", "2699.99999"]
    data = web_store.signals.signal_data(ids)
    assert data.hf_upvotes["2607.28624"] == 145 and data.community == {"2607.28624": 2, "2608.00001": 1}
    assert sorted(data.links["2607.28624"]) == [("huggingface/transformers", "abstract"),
                                                ("yaoyao-jpg/phizero", "hf")]
    assert data.repo_papers["huggingface/transformers"] == 2 and data.repos["yaoyao-jpg/phizero"].stars == 910
    signals = paper_signals(web_store, ids)
    top = signals["2607.28624"]
    assert (top.hf_upvotes, top.community_upvotes, top.upvotes) == (145, 2, 147)
    # its own repository (named by HF), spelled as GitHub spells it, not the library its abstract mentions
    assert (top.github_repo, top.github_stars) == ("https://github.com/yaoyao-jpg/PhiZero", 910)
    assert signals["2607.28227"].github_repo == "https://github.com/huggingface/transformers"
    assert signals["2607.28227"].github_stars == 100_300
    video = signals["2607.27380"]  # linked repository never checked by GitHub's API: no star count yet
    assert video.github_repo is not None and video.github_repo.lower() == "https://github.com/micky-li-hd/videococo"
    assert (signals["2608.00001"].upvotes, signals["2608.00001"].github_repo) == (1, None)
    assert signals["2699.99999"].upvotes == 0 and not signals["2699.99999"].has_code
    assert paper_signals(web_store, []) == {}


def test_the_data_version_changes_with_each_kind_of_data(web_store: Store) -> None:
    seen = [web_store.data_version()]
    assert web_store.data_version() == seen[0]  # reading changes nothing

    def changed() -> None:
        now = web_store.data_version()
        assert now.token not in [v.token for v in seen]
        seen.append(now)

    recompute(web_store, SETTINGS, NOW)
    changed()
    assert seen[-1].modified is not None
    user = web_store.accounts.create_user("ann@example.org", "ann", "hash")
    web_store.community.set_upvote(user.id, "2607.28624", True)
    changed()
    web_store.clock.now = NOW + timedelta(hours=1)  # type: ignore[attr-defined]
    web_store.signals.save_repo_check(RepoCheck("yaoyao-jpg/PhiZero", NOW + timedelta(hours=1), "ok", stars=990,
                                                full_name="yaoyao-jpg/PhiZero"))
    changed()
    assert seen[-1].modified == NOW + timedelta(hours=1)
    # one star run stamps every repository with the same instant: each check still changes the token
    web_store.signals.save_repo_check(RepoCheck("MemTensor/Metis", NOW + timedelta(hours=1), "ok", stars=31,
                                                full_name="MemTensor/Metis"))
    changed()
    web_store.signals.save_star_history("memtensor/metis", {NOW.date(): 1}, "done")
    changed()
    web_store.clock.now = NOW + timedelta(hours=2)  # type: ignore[attr-defined]
    save_daily(web_store, "2026-07-31", bump={"2607.28624": 5})  # a later HF fetch
    changed()
    recompute(web_store, SETTINGS, NOW + timedelta(hours=3))
    changed()


@pytest.fixture
def client(web_settings: Settings, web_store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(web_settings, web_store)) as c:
        yield c


def test_etags_change_after_an_upvote_and_after_a_recompute(client: TestClient, web_store: Store) -> None:
    recompute(web_store, SETTINGS, NOW)
    paths = ["/paper/2607.28624", "/trending/week", "/api/v1/trending?period=week", "/api/v1/papers/2607.28624",
             "/api/daily_papers?sort=trending"]
    before = {p: client.get(p) for p in paths}
    for path, r in before.items():  # current: 304 without a body
        again = client.get(path, headers={"If-None-Match": r.headers["etag"]})
        assert again.status_code == 304 and again.content == b""
    user = web_store.accounts.create_user("ann@example.org", "ann", "hash")
    web_store.community.set_upvote(user.id, "2607.28624", True)
    after_upvote = {}
    for path, r in before.items():  # a 304 never hides the new upvote
        fresh = client.get(path, headers={"If-None-Match": r.headers["etag"]})
        assert fresh.status_code == 200 and fresh.headers["etag"] != r.headers["etag"]
        after_upvote[path] = fresh
    assert client.get("/api/v1/papers/2607.28624").json()["upvotes"] == 146
    assert client.get("/api/v1/papers/2607.28624").json()["community_upvotes"] == 1
    recompute(web_store, SETTINGS, NOW + timedelta(hours=1))
    for path, r in after_upvote.items():
        fresh = client.get(path, headers={"If-None-Match": r.headers["etag"]})
        assert fresh.status_code == 200 and fresh.headers["etag"] != r.headers["etag"]
    week = client.get("/api/v1/trending?period=week").json()
    assert week["computed_at"] == (NOW + timedelta(hours=1)).isoformat()
    # If-Modified-Since alone: the recompute's write is newer than the stars
    stamp = client.get("/paper/2607.28624").headers["last-modified"]
    assert client.get("/paper/2607.28624", headers={"If-Modified-Since": stamp}).status_code == 304


def test_signed_in_pages_are_private_and_show_the_members_own_marks(
        web_store: Store, db_url: str, tmp_path: Path, smtp: tuple[Handler, int]) -> None:
    handler, port = smtp
    settings = mail_settings(db_url, tmp_path, port)
    recompute(web_store, SETTINGS, NOW)
    app = create_app(settings, web_store)
    with TestClient(app) as member, TestClient(app) as anonymous:
        public = anonymous.get("/paper/2607.28624")
        assert public.headers["cache-control"] == "public, no-cache" and "etag" in public.headers
        sign_up(member, handler)
        sign_in(member)
        page = member.get("/paper/2607.28624", headers={"If-None-Match": public.headers["etag"]})
        assert page.status_code == 200  # never the anonymous page's 304, nor its cached body
        assert page.headers["cache-control"] == "private, no-store" and "etag" not in page.headers
        assert 'action="/upvote/2607.28624"' in page.text and 'aria-pressed="false"' in page.text
        assert 'name="csrf_token"' in page.text and "Sign in to upvote" not in page.text
        for path in ("/", "/trending/week", "/api/v1/trending"):  # everything a member gets is private
            r = member.get(path)
            assert r.headers["cache-control"] == "private, no-store" and "etag" not in r.headers
        r = post_form(member, "/paper/2607.28624", "/upvote/2607.28624", {"on": "1", "next": "/paper/2607.28624"})
        assert r.status_code == 200  # type: ignore[attr-defined]
        page = member.get("/paper/2607.28624")
        assert '<button type="submit" aria-pressed="true" title="Take back your upvote">' in page.text
        assert "<dd>146 <span class=\"muted\">(145 on Hugging Face, 1 here)</span></dd>" in page.text
        seen = anonymous.get("/paper/2607.28624", headers={"If-None-Match": public.headers["etag"]})
        assert seen.status_code == 200 and "▲ 1" in seen.text and seen.headers["cache-control"] == "public, no-cache"
        scripted = anonymous.get("/api/v1/papers/2607.28624", headers={"Authorization": "Bearer pw_nonsense"})
        assert scripted.status_code == 200 and scripted.headers["cache-control"] == "private, no-store"

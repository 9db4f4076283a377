"""Importing papers this site does not hold, on both backends: the import queues their arXiv ids (the fetch
queue), says how many will come, the library lists them as pending, and the worker's ``fetch-requested``
job fetches them from arXiv (its real recorded answers) and files them into the folders the file named;
ids arXiv does not have stay listed as such until dismissed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from paperwire.community import library
from paperwire.community.library import complete_library_imports
from paperwire.models import Paper, User
from paperwire.runtime import Runtime
from paperwire.store import ImportItem, Store
from paperwire.web import create_app
from paperwire.worker import Worker
from tests.helpers.community import PAPERS, csrf_of, mail_settings, sign_in, sign_up
from tests.helpers.paths import FIXTURES_SHARED
from tests.helpers.replay import ReplayServer, load_arxivpy
from tests.helpers.smtp import Handler

pytestmark = pytest.mark.needs_data
BIBTEX = """@misc{stored, title = {Energy-Based Models for Protein Design}, eprint = {2606.00001},
  archivePrefix = {arXiv}, groups = {Reading}}
@article{fetched, title = {Whatever the file says}, eprint = {1707.08567}, archivePrefix = {arXiv},
  groups = {Reading, Theory}, annote = {cite in chapter 2}}
@misc{fetched2, title = {Another}, url = {https://arxiv.org/abs/1605.08386v1}, groups = {Reading}}
@misc{nowhere, title = {Not on arXiv}, eprint = {2501.99999}, archivePrefix = {arXiv}}
"""


@pytest.fixture
def arxiv() -> Iterator[ReplayServer]:
    """arXiv's query API as recorded (any page size), plus its real empty answer for 2501.99999 (an id it
    does not have)."""
    with ReplayServer() as server:
        for path in sorted((FIXTURES_SHARED / "arxiv-api").glob("arxivpy_id_*.json")):
            route, recorded = load_arxivpy(path)
            # one id a request (max_results=1): the recordings are of one id each
            server.add(route, recorded, ignore=["max_results"])
            if "id_list=0000.0000" in route:
                server.add(route.replace("0000.0000", "2501.99999"), recorded, ignore=["max_results"])
        yield server


@pytest.fixture
def rt(db_url: str, tmp_path: Path, store: Store, smtp: tuple[Handler, int], arxiv: ReplayServer) -> Runtime:
    store.papers.upsert_papers(PAPERS)
    runtime = Runtime(mail_settings(db_url, tmp_path, smtp[1], arxiv_api_url=arxiv.url + "/api/query",
                                    arxiv_min_interval_seconds=0, arxiv_api_batch=1), store)
    runtime.indexes.sync()
    return runtime


def _ann(rt: Runtime) -> User:
    user = rt.store.accounts.get_user_by_handle("ann")
    assert user is not None
    return user


def test_an_import_of_unknown_ids_is_filed_once_the_worker_has_fetched_them(
        rt: Runtime, arxiv: ReplayServer, smtp: tuple[Handler, int]) -> None:
    with TestClient(create_app(rt.settings, rt.store)) as client:
        sign_up(client, smtp[0])
        sign_in(client)
        csrf = csrf_of(client.get("/library/import").text)
        r = client.post("/library/import", data={"csrf_token": csrf},
                        files={"file": ("library.bib", BIBTEX.encode(), "text/plain")})
        assert r.status_code == 200 and "<strong>1</strong> paper added" in r.text
        assert "<strong>3</strong> papers will be added when fetched" in r.text
        assert not arxiv.requests("/api/query")  # the member never waits on arXiv
        ann = _ann(rt)
        assert {e.paper_id for e in rt.store.library.entries(ann.id)} == {"2606.00001"}
        page = client.get("/library")
        assert "Imported, not here yet (3)" in page.text and "arXiv:1707.08567" in page.text
        assert 'arXiv:1707.08567</a> · for Reading, Theory · <span class="cm-state">pending</span>' in page.text

        runs = Worker(rt, only=["fetch-requested"], owner="w1").run_once(force=True)
        assert runs[0].status == "ok" and "imported papers filed: 2" in (runs[0].summary or "")
        assert len(arxiv.requests("/api/query")) == 3  # one id a request (the recordings are of single ids)

        folders = {f.slug: f.papers for f in rt.store.library.folders(ann.id)}
        assert folders == {"reading": 3, "theory": 1}
        fetched = rt.store.library.saved(ann.id, "1707.08567")
        assert fetched is not None and fetched.note == "cite in chapter 2" and set(fetched.folders) == {"reading",
                                                                                                       "theory"}
        assert "1605.08386" in {e.paper_id for e in rt.store.library.entries(ann.id)}
        assert rt.store.papers.get_paper("1707.08567") is not None  # stored for everyone now
        page = client.get("/library")
        assert "Imported, not here yet (1)" in page.text and "arXiv has no such paper" in page.text
        assert complete_library_imports(rt.store).saved == 0  # handled once

        r = client.post("/library/pending/2501.99999", data={"csrf_token": csrf_of(page.text)},
                        follow_redirects=False)
        assert r.status_code == 303 and rt.store.library.pending(ann.id) == []
        assert "Imported, not here yet" not in client.get("/library").text


def test_pending_papers_keep_every_folder_and_note_until_settled(store: Store) -> None:
    store.papers.upsert_papers(PAPERS)
    user = store.accounts.create_user("bob@example.org", "bob", "x")
    store.library.add_pending(user.id, [ImportItem("1707.08567", "first", ["A"])])
    store.library.add_pending(user.id, [ImportItem("1707.08567", "second", ["B", "A"])])
    [pending] = store.library.pending(user.id)
    assert (pending.paper_id, pending.note, pending.folders, pending.state) == \
        ("1707.08567", "first\n\nsecond", ["A", "B"], "pending")
    assert store.library.settle_pending(user.id, "1707.08567") is False  # not stored yet: still pending
    assert store.library.pending_count(user.id) == 1
    store.papers.upsert_papers([Paper("1707.08567", "Arrived", "Now stored.", ["X"], ["cs.LG"])])
    assert store.library.settle_pending(user.id, "1707.08567") is True
    assert store.library.pending_count(user.id) == 0
    saved = store.library.saved(user.id, "1707.08567")
    assert saved is not None and saved.note == "first\n\nsecond" and saved.folders == ["a", "b"]


def test_one_member_cannot_fill_the_fetch_queue(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(library, "MAX_PENDING", 3)  # 2,000 in production
    made = rt.store.accounts.create_user("cy@example.org", "cy", "x")
    rt.store.accounts.update_user(made.id, verified=True)
    cy = rt.store.accounts.get_user(made.id)
    assert cy is not None
    first = library.import_library(rt, cy, b"2501.00001\n2501.00002\n")
    assert [pid for _, pid in first.queued] == ["2501.00001", "2501.00002"] and first.missing == []
    second = library.import_library(rt, cy, b"2501.00002\n2501.00003\n2501.00004\n")
    # 2501.00002 was waiting already (it takes no new place); one place left, for 2501.00003
    assert [pid for _, pid in second.queued] == ["2501.00002", "2501.00003"] and \
        [pid for _, pid in second.missing] == ["2501.00004"]
    assert rt.store.library.pending_count(cy.id) == 3
    assert set(rt.store.fetches.get_many([f"2501.0000{i}" for i in range(1, 5)])) == \
        {"2501.00001", "2501.00002", "2501.00003"}

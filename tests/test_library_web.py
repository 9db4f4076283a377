"""A member's signals and library through the site and the API, on both backends: buttons on listings and
paper pages (plain forms with CSRF), the "Your signals" page, folders and notes, public folders and their
feed, imports with their report, bad files, export → import into a fresh account in every format, "these
are my papers", and /api/v1/me with API tokens."""

from __future__ import annotations

import re
from collections.abc import Iterator
from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from paperwire.models import Paper
from paperwire.runtime import Runtime
from paperwire.store import user_signals
from paperwire.web import create_app
from tests.helpers.community import csrf_of, sign_in, sign_up, signed_in_member
from tests.helpers.paths import FIXTURES
from tests.helpers.smtp import Handler

A, B, C = "2606.00001", "2606.00002", "2606.00003"
FILES = FIXTURES / "citations"
NOTE = "Read §3 & the {appendix}\n  50% sure: $x_1$ \\cite{a} ~ ^ #1"


@pytest.fixture
def client(mail_rt: Runtime) -> Iterator[TestClient]:
    mail_rt.store.papers.upsert_papers([Paper("2606.00009", "A Journal Version of Something", "Abstract.",
                                              ["Grace Hopper"], ["cs.LG"], doi="10.1145/3292500.3330701")])
    mail_rt.indexes.sync()
    with TestClient(create_app(mail_rt.settings, mail_rt.store)) as c:
        yield c


@pytest.fixture
def ann(client: TestClient, smtp: tuple[Handler, int]) -> str:
    """Ann, signed up, verified and signed in; returns a CSRF token of her session."""
    return signed_in_member(client, smtp[0])


def _uid(rt: Runtime, handle: str = "ann") -> int:
    user = rt.store.accounts.get_user_by_handle(handle)
    assert user is not None
    return user.id


def _post(c: TestClient, csrf: str, path: str, **data: object) -> object:
    return c.post(path, data={"csrf_token": csrf, **data}, follow_redirects=False)  # type: ignore[arg-type]


def test_listings_show_a_members_buttons_and_stay_shared_for_everyone_else(client: TestClient, ann: str) -> None:
    with TestClient(client.app) as anonymous:
        public = anonymous.get("/daily/2026-06-29")
        assert public.status_code == 200 and "More like this" not in public.text and "etag" in public.headers
    mine = client.get("/daily/2026-06-29")
    assert mine.headers["cache-control"] == "private, no-store" and "etag" not in mine.headers
    assert mine.text.count('action="/thumb/') == 2 * 4  # two buttons per paper of the day
    assert f'action="/save/{A}"' in mine.text and csrf_of(mine.text) == ann
    found = client.get("/search", params={"q": "energy"})
    assert f'action="/thumb/{A}"' in found.text
    category = client.get("/c/cs.LG")
    assert "Follow cs.LG" in category.text


def test_thumbs_follows_and_mutes_are_reversible_and_listed(client: TestClient, ann: str, mail_rt: Runtime) -> None:
    assert _post(client, "", f"/thumb/{A}", value="up").status_code == 403  # type: ignore[attr-defined]
    r = _post(client, ann, f"/thumb/{A}", value="up", next="/daily/2026-06-29")
    assert r.status_code == 303 and r.headers["location"] == "/daily/2026-06-29"  # type: ignore[attr-defined]
    _post(client, ann, f"/thumb/{B}", value="down")
    page = client.get(f"/paper/{A}")
    assert re.search(r'aria-pressed="true"[^>]*>More like this', page.text)
    _post(client, ann, "/follow", kind="author", name="Lovelace, Ada", next=f"/paper/{A}")
    _post(client, ann, "/follow", kind="category", name="cs.CL")
    _post(client, ann, "/mute", kind="author", name="Edsger Dijkstra")
    _post(client, ann, "/mute", kind="keyword", name="Video diffusion")
    signals = client.get("/account/signals")
    assert signals.status_code == 200 and signals.headers["cache-control"] == "private, no-store"
    text = signals.text
    for expected in ("Energy-Based Models for Protein Design", "Scaling Energy-Based Models", "Lovelace, Ada",
                     "cs.CL", "Edsger Dijkstra", "Video diffusion"):
        assert expected in text
    assert 'href="/account/signals"' in client.get("/account").text
    model = user_signals(mail_rt.store, _uid(mail_rt))
    assert [s.paper_id for s in model.negatives] == [B] and model.positive_ids() == [A]
    assert model.followed_authors == {"ada lovelace": "Lovelace, Ada"}
    assert model.muted_keywords == {"video diffusion": "Video diffusion"}
    # taking each back
    _post(client, ann, f"/thumb/{B}", value="none")
    _post(client, ann, "/account/signals/forget", stance="follow", kind="author", key="ada lovelace")
    _post(client, ann, "/mute", kind="keyword", name="video   DIFFUSION", on="0")
    model = user_signals(mail_rt.store, _uid(mail_rt))
    assert model.negatives == [] and model.followed_authors == {} and model.muted_keywords == {}
    bad = _post(client, ann, "/follow", kind="keyword", name="anything")
    assert bad.status_code == 422 and "You can follow authors or categories" in bad.text  # type: ignore[attr-defined]


def test_folders_notes_and_a_public_folder_with_its_feed(client: TestClient, ann: str, mail_rt: Runtime) -> None:
    r = _post(client, ann, "/library/folders", name="Energy models, 2026")
    assert r.status_code == 303 and r.headers["location"] == "/library?folder=energy-models-2026"  # type: ignore[attr-defined]
    for pid in (A, "2606.00006"):
        _post(client, ann, f"/library/file/{pid}", folder="energy-models-2026", next="/library")
    _post(client, ann, f"/save/{C}")
    _post(client, ann, f"/library/note/{A}", note=NOTE)
    library = client.get("/library", params={"folder": "energy-models-2026"})
    assert "Energy models 2026" in library.text and "Gaussian Splatting" not in library.text
    assert "Read §3 &amp; the {appendix}" in library.text  # the note, escaped
    paper = client.get(f"/paper/{A}")
    assert "Energy models 2026" in paper.text and 'id="lib-note"' in paper.text
    with TestClient(client.app) as anonymous:
        assert anonymous.get("/u/ann/energy-models-2026").status_code == 404  # private until made public
        _post(client, ann, "/library/folders/energy-models-2026", action="public")
        shown = anonymous.get("/u/ann/energy-models-2026")
        assert shown.status_code == 200 and "Energy-Based Models for Protein Design" in shown.text
        assert "appendix" not in shown.text  # notes stay private
        assert 'href="/u/ann/energy-models-2026"' in anonymous.get("/u/ann").text
        feed = anonymous.get("/feeds/u/ann/energy-models-2026.atom")
        assert feed.headers["content-type"].startswith("application/atom+xml")
        entries = ET.fromstring(feed.content).findall("{http://www.w3.org/2005/Atom}entry")
        assert sorted(e.findtext("{http://www.w3.org/2005/Atom}id") or "" for e in entries) == [
            f"https://arxiv.org/abs/{A}", "https://arxiv.org/abs/2606.00006"]
        assert anonymous.get("/u/ann/saved").status_code == 404  # the default folder is private
    # a folder's papers survive its deletion; the default cannot be deleted
    assert _post(client, ann, "/library/folders/saved", action="delete").status_code == 409  # type: ignore[attr-defined]
    _post(client, ann, "/library/folders/energy-models-2026", action="delete")
    uid = _uid(mail_rt)
    assert {f.slug: f.papers for f in mail_rt.store.library.folders(uid)} == {"saved": 3}
    assert mail_rt.store.library.saved(uid, A).note == NOTE.rstrip()  # type: ignore[union-attr]


def test_an_import_reports_found_missing_and_unrecognised_entries_by_line(client: TestClient, ann: str,
                                                                           mail_rt: Runtime) -> None:
    data = (FILES / "zotero-better-bibtex.bib").read_bytes()
    r = client.post("/library/import", data={"csrf_token": ann}, files={"file": ("library.bib", data, "text/plain")})
    assert r.status_code == 200 and "6</strong> papers added" in r.text
    assert "line 61: <a href=\"https://arxiv.org/abs/2501.00001\">" in r.text  # not on this site
    assert "line 38: &#39;The Art of Computer Programming&#39;: no arXiv id, and no paper here has this title" in r.text
    assert "line 45: @article entry" in r.text  # the broken entry
    saved = {e.paper_id for e in mail_rt.store.library.entries(_uid(mail_rt))}
    assert saved == {A, B, C, "2606.00005", "2606.00006", "2606.00009"}  # by id, URL, note, title and DOI
    again = client.post("/library/import", data={"csrf_token": ann, "folder": "From Zotero"},
                        files={"file": ("library.bib", data, "text/plain")})
    assert "6 already in your library" in again.text
    assert {f.slug: f.papers for f in mail_rt.store.library.folders(_uid(mail_rt))} == {"saved": 6, "from-zotero": 6}


def test_a_file_cannot_make_hundreds_of_folders(client: TestClient, ann: str, mail_rt: Runtime) -> None:
    entries = "".join(f"@misc{{k{i}, eprint = {{{A}}}, groups = {{F{i}}}}}\n" for i in range(201))
    r = client.post("/library/import", data={"csrf_token": ann},
                    files={"file": ("many.bib", entries.encode(), "text/plain")})
    assert r.status_code == 409 and "at most 200" in r.text
    assert mail_rt.store.library.folders(_uid(mail_rt)) == []  # nothing imported


@pytest.mark.parametrize(("name", "content", "status", "message"), [
    ("library.bib", b"\x00\x01binary", 422, "This is not a text file"),
    ("library.bib", b"   \n", 422, "The file is empty"),
    ("library.json", b'[{"title": "x"},\n {"title": }]', 422, "not valid JSON at line 2"),
    ("library.bib", b"@article{x, title = {never closed", 422, "line 1"),
    ("library.bib", b"@" * 1_000_001, 413, "limit"),
])
def test_bad_files_get_a_clear_error_never_a_500(client: TestClient, ann: str, name: str, content: bytes,
                                                 status: int, message: str) -> None:
    r = client.post("/library/import", data={"csrf_token": ann}, files={"file": (name, content, "text/plain")})
    assert r.status_code == status and message in r.text


def test_a_file_over_the_limit_is_refused_before_it_is_read(client: TestClient, ann: str) -> None:
    body = b"x" * 2_000_000
    r = client.post("/library/import", content=body, headers={
        "content-type": "multipart/form-data; boundary=xyz", "content-length": str(len(body))})
    assert r.status_code == 413 and "1 MB" in r.text


@pytest.mark.parametrize("fmt", ["bibtex", "ris", "csl-json"])
def test_export_then_import_into_a_fresh_account_gives_the_same_library(
        client: TestClient, ann: str, smtp: tuple[Handler, int], mail_rt: Runtime, fmt: str) -> None:
    _post(client, ann, "/library/folders", name="Zoë's reading, 2026")
    _post(client, ann, "/library/folders", name="Thesis")
    for pid in (A, B):
        _post(client, ann, f"/library/file/{pid}", folder="zoe-s-reading-2026")
    _post(client, ann, f"/library/file/{B}", folder="thesis")
    _post(client, ann, f"/save/{C}")
    _post(client, ann, f"/save/{'2606.00004'}")  # a hostile title
    _post(client, ann, f"/library/note/{A}", note=NOTE)
    _post(client, ann, f"/library/note/{'2606.00004'}", note="<script>alert(1)</script>")
    exported = client.get("/library/export", params={"format": fmt})
    assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
    with TestClient(client.app) as bob:
        sign_up(bob, smtp[0], email="bob@example.org", handle="bob")
        sign_in(bob, email="bob@example.org")
        token = csrf_of(bob.get("/account").text)
        r = bob.post("/library/import", data={"csrf_token": token},
                     files={"file": (f"ann.{fmt}", exported.content, "text/plain")})
        assert r.status_code == 200 and "4</strong> papers added" in r.text and "not recognised" not in r.text

    def library(handle: str) -> dict[str, tuple[str, list[str]]]:
        store, uid = mail_rt.store, _uid(mail_rt, handle)
        names = {f.slug: f.name for f in store.library.folders(uid)}
        return {e.paper_id: (e.note, sorted(names[s] for s in e.folders)) for e in store.library.entries(uid)}

    assert library("bob") == library("ann") and library("ann")[A] == (NOTE.rstrip(), ["Zoë's reading 2026"])
    _post(client, ann, "/library/folders", name="日本語")  # a slug in another script still downloads
    _post(client, ann, f"/library/file/{A}", folder="日本語")
    one = client.get("/library/export", params={"format": fmt, "folder": "日本語"})
    assert one.status_code == 200 and one.headers["content-disposition"].startswith('attachment; filename="ann-')


def test_these_are_my_papers(client: TestClient, ann: str, mail_rt: Runtime) -> None:
    found = client.get("/library/mine", params={"name": "lovelace, ADA"})
    ids = re.findall(r'name="ids" value="([^"]+)"', found.text)
    assert sorted(ids) == ["2605.00001", A, "2606.00006"]  # Ada's papers only, whatever the spelling
    r = client.post("/library/mine", data={"csrf_token": ann, "ids": [A, "2605.00001"], "name": "Ada"})
    assert r.status_code == 200 and "Added 2 papers" in r.text
    uid = _uid(mail_rt)
    assert {f.slug: f.papers for f in mail_rt.store.library.folders(uid)} == {"my-papers": 2}
    assert user_signals(mail_rt.store, uid).folders[A] == ["my-papers"]
    assert client.get("/library/mine", params={"name": "A."}).status_code == 422


def test_the_api_under_me_with_tokens(client: TestClient, ann: str, mail_rt: Runtime) -> None:
    page = client.post("/account/tokens", data={"csrf_token": ann, "name": "reader", "scopes": ["read"]})
    reader = re.search(r'class="cm-token">(pw_[A-Za-z0-9_-]+)<', page.text).group(1)  # type: ignore[union-attr]
    page = client.post("/account/tokens", data={"csrf_token": ann, "name": "writer", "scopes": ["read", "write"]})
    writer = re.search(r'class="cm-token">(pw_[A-Za-z0-9_-]+)<', page.text).group(1)  # type: ignore[union-attr]
    read, write = {"Authorization": f"Bearer {reader}"}, {"Authorization": f"Bearer {writer}"}
    with TestClient(client.app) as script:
        assert script.put(f"/api/v1/me/thumbs/{A}", json={"thumb": "up"}, headers=read).status_code == 403
        assert script.put(f"/api/v1/me/thumbs/{A}", json={"thumb": "up"}, headers=write).json() == \
            {"paper": A, "thumb": "up"}
        assert script.put(f"/api/v1/me/thumbs/{B}", json={"thumb": "sideways"}, headers=write).status_code == 422
        assert script.post("/api/v1/me/follows", json={"kind": "author", "name": "Zoë van der Berg"},
                           headers=write).json()["key"] == "zoe van der berg"
        assert script.post("/api/v1/me/mutes", json={"kind": "keyword", "name": "video"}, headers=write
                           ).status_code == 201
        odd = script.post("/api/v1/me/follows", json={"kind": "author", "name": "Eve\x00 X"}, headers=write)
        assert odd.status_code == 201 and odd.json()["name"] == "Eve X"  # PostgreSQL would refuse the NUL
        assert script.post("/api/v1/me/folders", json={"name": "\x00\x01"}, headers=write).status_code == 422
        script.delete("/api/v1/me/follows/author/eve x", headers=write)
        assert script.put(f"/api/v1/me/library/{A}", json={"folders": ["a\x00"]}, headers=write).status_code == 404
        assert script.post("/api/v1/me/library/mine", json={"ids": ["a\x00"]}, headers=write).json() == {"added": []}
        folder = script.post("/api/v1/me/folders", json={"name": "Reading", "public": True}, headers=write).json()
        assert folder["slug"] == "reading" and folder["public"]
        r = script.put(f"/api/v1/me/library/{B}", json={"folders": ["reading"], "note": "good"}, headers=write)
        assert r.json() == {"paper": B, "saved": True, "note": "good", "folders": ["reading"]}
        assert script.put(f"/api/v1/me/upvotes/{C}", headers=write).json()["upvotes"] == 1
        imported = script.post("/api/v1/me/library/import", params={"folder": "Reading"},
                               content=(FILES / "ids.txt").read_bytes(), headers=write).json()
        assert imported["format"] == "arxiv-ids" and imported["unrecognised"] == [
            {"line": 8, "problem": "not an arXiv id or link: 'not an id at all'"}]
        assert {"line": 9, "paper": "2501.99999"} in imported["queued"]  # asked of arXiv (the fetch queue)
        assert [x["paper"] for x in imported["already"]] == [B]
        signals = script.get("/api/v1/me/signals", headers=read).json()
        assert {(p["paper"], p["kind"]) for p in signals["positives"]} >= {(A, "thumbs_up"), (B, "save"),
                                                                           (C, "upvote")}
        assert signals["follows"]["authors"] == {"zoe van der berg": "Zoë van der Berg"}
        assert signals["mutes"]["keywords"] == {"video": "video"}
        assert signals["version"] == mail_rt.store.preferences.signals_version(_uid(mail_rt))
        listing = script.get("/api/v1/me/library", params={"folder": "reading"}, headers=read).json()
        assert listing["total"] == 5 and {p["id"] for p in listing["papers"]} == {A, B, C, "2606.00005", "2606.00006"}
        ris = script.get("/api/v1/me/library/export", params={"format": "ris", "folder": "reading"}, headers=read)
        assert ris.headers["content-type"].startswith("application/x-research-info-systems")
        assert ris.text.count("ER  -") == 5 and "N1  - good" in ris.text
        assert script.delete("/api/v1/me/follows/author/zoe van der berg", headers=write).json()["removed"]
        assert script.delete(f"/api/v1/me/folders/reading/papers/{B}", headers=write).json()["saved"] is False
        too_big = script.post("/api/v1/me/library/import", content=b"2606.00001\n" * 100_000, headers=write)
        assert too_big.status_code == 413 and too_big.json()["error"]["code"] == "content_too_large"
        assert script.get("/api/v1/me/signals").status_code == 401
    # a session needs the CSRF header on JSON writes
    assert client.put(f"/api/v1/me/thumbs/{C}", json={"thumb": "down"}).status_code == 403
    csrf = client.get("/api/v1/me").json()["csrf_token"]
    assert client.put(f"/api/v1/me/thumbs/{C}", json={"thumb": "down"}, headers={"X-CSRF-Token": csrf}
                      ).status_code == 200

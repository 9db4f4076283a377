"""Control characters in what every source sends: never stored, never fatal to a batch.

A record whose id holds a control character (C0 but tab, LF, CR; and DEL) is
rejected like any other bad record; text fields lose them. Before this, one
U+0000 made PostgreSQL refuse the whole batch ("0 of 3 papers stored, a
traceback"). Every case runs on SQLite and PostgreSQL, through the same
command or harvest a person runs, against a real HTTP server for the live
sources. JSON carries any control character (``\\u0000``); XML 1.0 cannot
carry C0 at all, so the XML sources are tried with DEL and with ``&#0;``.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from paperwire.cli import cli
from paperwire.config import Settings
from paperwire.ingest.bulk import import_files
from paperwire.ingest.harvest import run_arxiv, run_hf, run_ids, run_listing, run_pwc, run_stars
from paperwire.models import CodeLink, Paper, SourceBatch
from paperwire.store import Store, open_store
from tests.helpers import oai_pages
from tests.helpers.clock import FakeTime
from tests.helpers.net import make_client
from tests.helpers.paths import FIXTURES_SHARED
from tests.helpers.replay import Recorded, ReplayServer, load_arxivpy

CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
GOOD = {"id": "2501.00001", "title": "A good paper", "abstract": "Words.\nMore words.", "authors": ["Ada Lovelace"],
        "categories": ["cs.LG"], "announced": "2025-01-02"}


def _clean(paper: Paper | None) -> bool:
    """True when no text of the stored paper holds a control character."""
    assert paper is not None
    texts = [paper.id, paper.title, paper.abstract, *paper.authors, *paper.categories, *paper.classes,
             paper.comment or "", paper.journal_ref or "", paper.doi or "", paper.license or "", paper.report_no or ""]
    return not any(CONTROL.search(t) for t in texts)


def _write(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))  # json.dumps writes \u0000 escapes
    return path


def test_import_a_file_with_nul_in_a_title_and_in_an_id(settings: Settings, tmp_path: Path) -> None:
    path = _write(tmp_path / "papers.jsonl", [
        GOOD,
        {**GOOD, "id": "2501.00002", "title": "Nul\u0000 in the title", "comment": "see\u0000 github.com/a/b"},
        {**GOOD, "id": "2501.00003\u0000", "title": "Nul in the id"},
    ])
    result = CliRunner().invoke(cli, ["--db", settings.resolved_database_url(), "--data-dir", str(settings.data_dir),
                                      "import", str(path)], catch_exceptions=False)
    assert result.exit_code == 1  # as for any rejected record
    assert result.stdout.startswith("imported 2, updated 0, rejected 1 in ")
    assert f"{path}:3: 'id' contains control characters: '2501.00003\\x00'" in result.stderr
    store = open_store(settings.resolved_database_url())
    try:
        cleaned = store.papers.get_paper("2501.00002")
        assert cleaned is not None and cleaned.title == "Nul in the title" and _clean(cleaned)
        assert cleaned.comment == "see github.com/a/b" and store.papers.code_links("2501.00002")
        assert store.papers.get_paper("2501.00003") is None and store.stats().papers == 2
    finally:
        store.close()


@pytest.mark.parametrize("raw_id", ["\u00002501.00004", "2501.00004\u001f", "\u001c2501.00004", "2501.\u007f00004"])
def test_an_id_with_a_control_character_anywhere_is_rejected(store: Store, tmp_path: Path, raw_id: str) -> None:
    # str.strip() takes \x1c-\x1f for whitespace: the check comes first, so these do not pass as 2501.00004
    errors: list[str] = []
    report = import_files(store, [_write(tmp_path / "p.jsonl", [{**GOOD, "id": raw_id}])], on_error=errors.append)
    assert (report.inserted, report.rejected) == (0, 1) and "contains control characters" in errors[0]


@pytest.mark.needs_data
def test_kaggle_records_lose_control_characters_in_every_text_field(store: Store, tmp_path: Path) -> None:
    dirty = {"id": "0704.0001", "title": "Ti\u0000tle\u0007", "abstract": "Para one.\n\u0000Para\u007f two.",
             "authors": "A. One and B. Two", "authors_parsed": [["On\u0000e", "A.", ""], ["Two", "B.\u001b", ""]],
             "comments": "12 pages\u0000", "journal-ref": "J.\u0000 Phys.", "doi": "10.1/x\u0000",
             "report-no": "R\u00001", "categories": "cs.LG\u0000 math.ST 68T05\u0000",
             "license": "http://creativecommons.org/licenses/by/4.0/",
             "versions": [{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}], "update_date": "2008-11-13"}
    errors: list[str] = []
    report = import_files(store, [_write(tmp_path / "k.json", [dirty, {**dirty, "id": "0704.0002\u0000"}])],
                          on_error=errors.append)
    assert (report.inserted, report.rejected) == (1, 1) and ":2: 'id' contains control characters" in errors[0]
    paper = store.papers.get_paper("0704.0001")
    assert paper is not None and _clean(paper)
    assert (paper.title, paper.authors, paper.categories, paper.classes) == (
        "Title", ["A. One", "B. Two"], ["cs.LG", "math.ST"], ["68T05"])
    assert paper.abstract == "Para one. Para two." and paper.comment == "12 pages"


# -- the XML sources: DEL passes XML, C0 does not ---------------------------------------------------

def _oai_harvest(store: Store, replay: ReplayServer, fake_time: FakeTime, data: bytes) -> Any:
    replay.add("/oai2?verb=ListRecords&metadataPrefix=arXiv&set=cs&from=2025-03-01",
               Recorded(200, [("Content-Type", "text/xml")], data))
    with make_client(fake_time) as client:
        return run_arxiv(store, Settings(arxiv_oai_url=replay.url + "/oai2"), start=date(2025, 3, 1), client=client)


@pytest.mark.needs_data
def test_oai_page_with_del_in_a_title_and_an_id(store: Store, replay: ReplayServer, fake_time: FakeTime) -> None:
    (ids, data), = oai_pages.pages(1, 3)
    data = data.replace(f"{ids[1]}<".encode(), f"{ids[1]}\x7f<".encode())  # header identifier and <id>
    data = data.replace(b"<title>", b"<title>\x7f", 1)
    data = data.replace(b"<license>", b"<msc-class>68T05\x7f</msc-class><license>", 1)
    report = _oai_harvest(store, replay, fake_time, data)
    assert report.rejected == 1 and report.papers.inserted == 2 and not report.errors
    assert store.papers.get_paper(ids[1]) is None
    first = store.papers.get_paper(ids[0])
    assert _clean(first) and first is not None and first.classes == ["68T05"]
    assert _clean(store.papers.get_paper(ids[2]))


@pytest.mark.needs_data
def test_oai_page_with_a_nul_character_reference_fails_whole(store: Store, replay: ReplayServer,
                                                              fake_time: FakeTime) -> None:
    (_, data), = oai_pages.pages(1, 3)
    report = _oai_harvest(store, replay, fake_time, data.replace(b"<title>", b"<title>&#0;", 1))
    assert not report.ok and "not well-formed XML" in report.errors[0] and store.stats().papers == 0


@pytest.mark.needs_data
def test_announcement_feed_with_del(store: Store, replay: ReplayServer, fake_time: FakeTime) -> None:
    feed = (FIXTURES_SHARED / "arxiv-rss" / "DERIVED_cs.AI_2025-08-20_repaired_86entries.xml").read_bytes()
    feed = feed.replace(b"<title>", b"<title>\x7f", 3)
    feed = feed.replace(b"oai:arXiv.org:2508.13167", b"oai:arXiv.org:2508.13167\x7f")
    feed = feed.replace(b"<dc:creator>", b"<dc:creator>\x7f", 2)
    replay.add("/atom/cs.AI", Recorded(200, [("Content-Type", "application/atom+xml")], feed))
    with make_client(fake_time) as client:
        report = run_listing(store, Settings(arxiv_rss_url=replay.url + "/atom", listing_categories="cs.AI"),
                             client=client)
    assert report.ok and report.rejected == 1 and report.papers.inserted == 85
    assert store.papers.get_paper("2508.13167") is None
    assert all(_clean(p) for p in store.papers.get_papers([p.id for p in store.papers.iter_papers()]).values())


@pytest.mark.needs_data
def test_query_api_answer_with_del(store: Store, replay: ReplayServer, fake_time: FakeTime) -> None:
    route, recorded = load_arxivpy(FIXTURES_SHARED / "arxiv-api" / "arxivpy_id_1707.08567_s0_m100_6a1afebfc6a3.json")
    body = recorded.body.replace(b"<title>", b"<title>\x7f").replace(b"<name>", b"<name>\x7f")
    replay.add(route, Recorded(recorded.status, recorded.headers, body.replace(b"<summary>", b"<summary>\x7f")))
    with make_client(fake_time) as client:
        report = run_ids(store, Settings(arxiv_api_url=replay.url + "/api/query"), ["1707.08567"], client=client)
    assert report.ok and _clean(store.papers.get_paper("1707.08567"))


# -- the JSON sources ---------------------------------------------------------------------------------

@pytest.mark.needs_data
def test_hf_daily_list_with_nul_everywhere(store: Store, replay: ReplayServer, fake_time: FakeTime) -> None:
    items = json.loads((FIXTURES_SHARED / "hf-papers" / "daily_papers_date=2026-07-15.json").read_text())
    first, second = items[0]["paper"], items[1]["paper"]
    first.update(title="Nul\u0000 title", summary="Sum\u0000mary", ai_summary="AI\u0000 summary",
                 ai_keywords=["key\u0000word", "\u0000"], projectPage="https://example.org/\u0000x",
                 githubRepo="https://github.com/a/b\u0000", authors=[{"name": "Ada\u0000 Lovelace"}])
    second["id"] = second["id"] + "\u0000"
    replay.add("/api/daily_papers?date=2026-07-15", Recorded(200, [], json.dumps(items).encode()))
    with make_client(fake_time) as client:
        report = run_hf(store, Settings(hf_url=replay.url, hf_fill_from_arxiv=False), date(2026, 7, 15),
                        date(2026, 7, 15), client=client)
    assert report.ok and report.rejected == 1 and report.hf_entries == 1
    (entry,) = store.signals.hf_daily(date(2026, 7, 15))
    assert (entry.title, entry.ai_summary, entry.ai_keywords) == ("Nul title", "AI summary", ["keyword"])
    assert entry.project_page is None and entry.github_repo is None  # a URL with a control character is no URL
    paper = store.papers.get_paper(first["id"])
    assert paper is not None and _clean(paper) and paper.authors == ["Ada Lovelace"]


@pytest.mark.needs_data
def test_github_answer_with_nul_in_full_name(store: Store, replay: ReplayServer, fake_time: FakeTime) -> None:
    store.papers.save_batch(SourceBatch(links=[CodeLink("2501.00001", "a/b", "https://github.com/a/b", "pwc"),
                                               CodeLink("2501.00002", "c/d", "https://github.com/c/d", "pwc")]))
    replay.add("/repos/a/b", Recorded(200, [], b'{"full_name": "a/b\\u0000", "stargazers_count": 3}'))
    replay.add("/repos/c/d", Recorded(200, [], b'{"full_name": "c/d", "stargazers_count": 4}'))
    with make_client(fake_time) as client:
        report = run_stars(store, Settings(github_api_url=replay.url, stargazer_backfill_max_stars=0), client=client,
                           now=datetime(2026, 8, 1, tzinfo=UTC))
    assert report.errors == ["a/b: repository answer has no usable 'full_name' ('a/b\\x00')"]
    good, bad = store.signals.get_repository("c/d"), store.signals.get_repository("a/b")
    assert good is not None and good.stars == 4
    assert bad is not None and bad.stars is None and bad.full_name == "a/b"


def test_papers_with_code_record_with_nul(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "links.json"
    path.write_text(json.dumps([
        {"paper_arxiv_id": "2501.00001\u0000", "repo_url": "https://github.com/a/b"},
        {"paper_arxiv_id": "2501.00002", "repo_url": "https://github.com/c/d\u0000e"},
    ]))
    report = run_pwc(store, path)
    assert report.ok and report.skipped == 1
    assert [(ln.paper_id, ln.repo, ln.url) for ln in store.papers.code_links()] == [
        ("2501.00002", "c/d", "https://github.com/c/d")]

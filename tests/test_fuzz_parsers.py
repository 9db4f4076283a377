"""Fuzzing every parser: whatever a source sends, it raises only its documented error, and what it
returns is something the store takes.

Structured examples start from the recorded inputs (the shared sample and the
fixtures of every source) and mutate a few fields (tests/helpers/fuzz.py);
raw examples mutate a recorded document's bytes, or are arbitrary bytes. Each
property runs ``EXAMPLES`` examples here and ``LONG_EXAMPLES`` in the ``slow``
variant. The bugs these found are pinned by the regression tests at the end.
"""

from __future__ import annotations

import gzip
import io
import json
import tempfile
from collections.abc import Callable
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperwire.config import Settings
from paperwire.ingest.arxiv_api import ArxivApiError, parse_feed
from paperwire.ingest.arxiv_oai import OaiError, parse_list_records
from paperwire.ingest.arxiv_rss import ListingError, parse_listing
from paperwire.ingest.bulk import import_files
from paperwire.ingest.github import GitHubError, RateInfo, next_link, parse_repository, parse_stargazers
from paperwire.ingest.harvest import run_hf, run_listing, run_pwc
from paperwire.ingest.hf import HFError, parse_daily
from paperwire.ingest.http import parse_retry_after
from paperwire.ingest.paper_files import parse_record, read_file
from paperwire.ingest.pwc import PwcError, iter_json_array, link_of
from paperwire.ingest.records import RecordError
from paperwire.ingest.xml import XmlError
from paperwire.models import is_arxiv_id
from paperwire.store import Store
from tests.helpers import oai_pages
from tests.helpers.clock import FakeTime
from tests.helpers.fuzz import (
    INT32,
    check_hf_entry,
    check_instant,
    check_paper,
    json_values,
    mutated_bytes,
    mutated_record,
    mutated_string,
    mutated_xml,
    raises_only,
    texts,
)
from tests.helpers.net import make_client
from tests.helpers.paths import FIXTURES, FIXTURES_SHARED, KAGGLE
from tests.helpers.replay import Recorded, ReplayServer

pytestmark = pytest.mark.needs_data  # every structured strategy starts from the shared fixtures

EXAMPLES = 150
LONG_EXAMPLES = 2000
OAI = "{http://www.openarchives.org/OAI/2.0/}"
ATOM = "{http://www.w3.org/2005/Atom}"
JSONL_KEYS = ["id", "title", "abstract", "authors", "categories", "comment", "announced", "journal_ref", "doi",
              "license", "report_no", "version", "submitted", "updated", "withdrawn"]
KAGGLE_KEYS = ["id", "title", "abstract", "authors", "authors_parsed", "categories", "comments", "journal-ref", "doi",
               "license", "report-no", "versions", "update_date"]
HF_KEYS = ["id", "title", "summary", "authors", "upvotes", "githubRepo", "githubStars", "projectPage", "ai_summary",
           "ai_keywords", "submittedOnDailyAt", "publishedAt"]


# -- the recorded inputs -------------------------------------------------------------------------

@cache
def sample_records() -> list[dict[str, Any]]:
    return list(oai_pages.sample_records(40))


@cache
def kaggle_records() -> list[dict[str, Any]]:
    return [json.loads(line) for line in KAGGLE.read_text().splitlines()[:60]]


@cache
def oai_documents() -> list[bytes]:
    oai = FIXTURES_SHARED / "arxiv-oai"
    files = [oai / "hepcrawl_arxiv-physics-hep-ex.xml", oai / "hepcrawl_arxiv-single.xml",
             oai / "atomiklabs_test_arxiv_data_oai_dc_ListRecords.xml", FIXTURES / "oai-arxivraw-versions.xml",
             FIXTURES / "oai-error-badResumptionToken.xml"]
    return [f.read_bytes() for f in files] + [oai_pages.pages(1, 3)[0][1]]


@cache
def rss_document() -> bytes:
    return (FIXTURES_SHARED / "arxiv-rss" / "DERIVED_cs.AI_2025-08-20_repaired_86entries.xml").read_bytes()


@cache
def api_documents() -> list[bytes]:
    bodies = FIXTURES_SHARED / "arxiv-api" / "derived_xml_bodies"
    return [(bodies / name).read_bytes() for name in (
        "arxivpy_id_astro-ph_0601001_s0_m100_3150dca9dc76.xml",
        "arxivpy_id_0808.05394_1707.08567_s0_m100_42e5aa0ec3af.xml",
        "arxivpy_q_testing_s0_m10_bc5a6c384fe9.xml", "arxivpy_id_abc_s0_m100_b79c8dcf6bc3.xml")]


@cache
def hf_items() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for day in ("2025-03-04", "2026-07-31"):
        items += json.loads((FIXTURES_SHARED / "hf-papers" / f"daily_papers_date={day}.json").read_text())[:10]
    return items


@cache
def github_bodies() -> dict[str, bytes]:
    bodies = FIXTURES_SHARED / "github-api" / "derived_bodies"
    return {"repo": (bodies / "pygithub_Repository.setUp__0_repos_PyGithub_PyGithub.json").read_bytes(),
            "stars": (bodies / "pygithub_Repository.testGetStargazersWithDates__2_repos_danvk_comparea_stargazers.json"
                      ).read_bytes()}


# -- strategies ------------------------------------------------------------------------------------

def _deferred(make: Callable[[], st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    return st.deferred(make)  # the fixtures are read when a test draws, not at collection


def jsonl_objects() -> st.SearchStrategy[Any]:
    return _deferred(lambda: st.one_of(mutated_record(sample_records(), JSONL_KEYS),
                                       mutated_record(kaggle_records(), KAGGLE_KEYS), json_values()))


def jsonl_files() -> st.SearchStrategy[bytes]:
    def lines() -> st.SearchStrategy[bytes]:
        text = "".join(json.dumps(r) + "\n" for r in sample_records()[:3] + kaggle_records()[:2]).encode()
        return st.one_of(mutated_bytes(text), mutated_bytes(gzip.compress(text)), st.binary(max_size=300))
    return _deferred(lines)


def xml_documents(documents: Callable[[], list[bytes]], within: str) -> st.SearchStrategy[bytes]:
    return _deferred(lambda: st.sampled_from(documents()).flatmap(
        lambda doc: st.one_of(mutated_xml(doc, within), mutated_xml(doc, within), mutated_bytes(doc),
                              st.binary(max_size=200))))


def hf_answers() -> st.SearchStrategy[bytes]:
    @st.composite
    def answer(draw: st.DrawFn) -> bytes:
        items = [json.loads(json.dumps(i)) for i in draw(st.lists(st.sampled_from(hf_items()), min_size=1,
                                                                  max_size=4))]
        for _ in range(draw(st.integers(1, 3))):
            item = draw(st.sampled_from(items))
            if isinstance(item.get("paper"), dict) and draw(st.integers(0, 3)):
                item["paper"] = draw(mutated_record([item["paper"]], HF_KEYS))
            else:
                item.update(draw(mutated_record([item], ["paper", "numComments", "publishedAt", "title"])))
        return json.dumps(items).encode()

    return _deferred(lambda: st.one_of(answer(), answer(), st.sampled_from(hf_items()).flatmap(
        lambda i: mutated_bytes(json.dumps([i]).encode())), json_values().map(lambda v: json.dumps(v).encode())))


def github_answers(kind: str) -> st.SearchStrategy[bytes]:
    keys = {"repo": ["full_name", "stargazers_count", "created_at"], "stars": ["starred_at"]}[kind]

    @st.composite
    def answer(draw: st.DrawFn) -> bytes:
        value = json.loads(github_bodies()[kind])
        if isinstance(value, list):
            value = value[:3]
            value[draw(st.integers(0, len(value) - 1))] = draw(mutated_record(value, keys))  # the items are objects
        else:
            value = draw(mutated_record([value], keys))
        return json.dumps(value).encode()

    return _deferred(lambda: st.one_of(answer(), answer(), mutated_bytes(github_bodies()[kind][:2000]),
                                       json_values().map(lambda v: json.dumps(v).encode())))


def pwc_texts() -> st.SearchStrategy[str]:
    records = json.loads((FIXTURES / "pwc-links.json").read_text())
    keys = ["paper_arxiv_id", "paper_url_abs", "repo_url"]
    return st.one_of(
        st.lists(mutated_record(records, keys), max_size=4).map(json.dumps),
        mutated_string(json.dumps(records)),
        st.builds(lambda depth: "[{\"a\": " + "[" * depth + "]" * depth + "}]", st.integers(1, 100_000)),
        texts(),
    )


# -- the properties ----------------------------------------------------------------------------

def jsonl_record(obj: Any) -> None:
    paper = raises_only(lambda: parse_record(obj), RecordError)
    if paper is not None:
        check_paper(paper)


def jsonl_file(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "papers.jsonl"
        path.write_bytes(data)
        errors: list[str] = []
        for paper in read_file(path, errors.append):
            check_paper(paper)
        assert all(e.startswith(f"{path}:") for e in errors)


def oai_page(data: bytes) -> None:
    page = raises_only(lambda: parse_list_records(data), XmlError, OaiError)
    if page is not None:
        for record in page.records:
            assert is_arxiv_id(record.arxiv_id)
            if record.paper is not None:
                check_paper(record.paper)
        assert page.complete_size is None or page.complete_size <= 10**18


def rss_feed(data: bytes) -> None:
    listing = raises_only(lambda: parse_listing(data), XmlError, ListingError)
    if listing is not None:
        for entry in listing.entries:
            check_paper(entry.paper)


def api_feed(data: bytes) -> None:
    page = raises_only(lambda: parse_feed(data), XmlError, ArxivApiError)
    if page is not None:
        for paper in page.papers:
            check_paper(paper)


def hf_answer(data: bytes) -> None:
    daily = raises_only(lambda: parse_daily(data, date(2026, 7, 15)), HFError)
    if daily is not None:
        for entry in daily.entries:
            check_hf_entry(entry)
        for paper in daily.papers.values():
            check_paper(paper)


def github_repository(data: bytes) -> None:
    parsed = raises_only(lambda: parse_repository(data), GitHubError)
    if parsed is not None:
        full_name, stars, created = parsed
        assert full_name.count("/") == 1 and 0 <= stars <= INT32
        check_instant(created)


def github_stargazers(data: bytes) -> None:
    for when in raises_only(lambda: parse_stargazers(data), GitHubError) or []:
        check_instant(when)


def github_headers(values: tuple[str, str, str, str]) -> None:
    remaining, limit, reset, link = values
    # as httpx hands them over from the wire: bytes, decoded on access
    headers = httpx.Headers({"x-ratelimit-remaining": remaining.encode(),
                             "x-ratelimit-limit": limit.encode(), "x-ratelimit-reset": reset.encode()})
    RateInfo.from_headers(headers)
    next_link(link)
    parse_retry_after(remaining)  # every source's client reads Retry-After the same way


def pwc_file(text: str) -> None:
    for obj in raises_only(lambda: list(iter_json_array(io.StringIO(text), chunk=64)), PwcError) or []:
        link = link_of(obj)
        assert link is None or (is_arxiv_id(link.paper_id) and link.url.startswith("https://github.com/"))


def header_values() -> st.SearchStrategy[str]:
    # what a server can send in a header value: no line breaks or NUL; httpx decodes it as UTF-8 or latin-1
    return st.one_of(st.integers(-(2**70), 2**70).map(str), st.text(st.characters(
        exclude_characters="\r\n\x00", exclude_categories=["Cs"]), max_size=12),
        st.sampled_from(["²", "١", "99999999999999999"]))


PROPERTIES: dict[str, tuple[Callable[[], st.SearchStrategy[Any]], Callable[[Any], None]]] = {
    "paperwire-jsonl-and-kaggle-records": (jsonl_objects, jsonl_record),
    "bulk-files-raw-bytes": (jsonl_files, jsonl_file),
    "arxiv-oai-pmh": (lambda: xml_documents(oai_documents, f"{OAI}record"), oai_page),
    "arxiv-announcement-feed": (lambda: xml_documents(lambda: [rss_document()], f"{ATOM}entry"), rss_feed),
    "arxiv-query-api": (lambda: xml_documents(api_documents, f"{ATOM}entry"), api_feed),
    "hf-daily-papers": (hf_answers, hf_answer),
    "github-repository": (lambda: github_answers("repo"), github_repository),
    "github-stargazers": (lambda: github_answers("stars"), github_stargazers),
    "http-and-github-headers": (lambda: st.tuples(header_values(), header_values(), header_values(), texts()),
                                github_headers),
    "papers-with-code": (pwc_texts, pwc_file),
}


def _fuzz(name: str, examples: int) -> None:
    strategy, prop = PROPERTIES[name]
    ran = 0

    def counted(example: Any) -> None:
        nonlocal ran
        ran += 1
        prop(example)

    settings(max_examples=examples, deadline=None)(given(strategy())(counted))()
    print(f"fuzz {name}: {ran} examples")  # shown with -s: how much each run tried
    assert ran >= examples // 2  # the strategy did not dry up


@pytest.mark.parametrize("name", PROPERTIES)
def test_a_parser_raises_only_its_own_error_and_returns_what_the_store_takes(name: str) -> None:
    _fuzz(name, EXAMPLES)


@pytest.mark.slow
@pytest.mark.parametrize("name", PROPERTIES)
def test_a_parser_raises_only_its_own_error_longer_run(name: str) -> None:
    _fuzz(name, LONG_EXAMPLES)


# -- what the fuzzing found: each bug, pinned where a person or a server meets it ------------------

def test_papers_with_code_file_nested_too_deeply_is_a_clear_error(store: Store, tmp_path: Path) -> None:
    # found: RecursionError out of json's decoder, a traceback instead of "file: reason"
    path = tmp_path / "links.json"
    path.write_text('[{"paper_arxiv_id": "2501.00001", "repo_url": "https://github.com/a/b"}, {"x": '
                    + "[" * 100_000 + "]" * 100_000 + "}]")
    report = run_pwc(store, path)
    assert not report.ok and report.errors == [f"{path}: element 2: nested too deeply"]


@pytest.mark.parametrize("parse", [parse_list_records, parse_listing, parse_feed])
def test_an_xml_declaration_with_an_unknown_encoding_is_an_xml_error(parse: Callable[[bytes], Any]) -> None:
    # found: LookupError out of expat, which no harvest caught
    with pytest.raises(XmlError, match="unknown encoding"):
        parse(b'<?xml version="1.0" encoding="TF-8"?><feed/>')


def test_a_feed_with_an_unknown_encoding_fails_the_feed_not_the_run(store: Store, replay: ReplayServer,
                                                                    fake_time: FakeTime) -> None:
    replay.add("/atom/cs.AI", Recorded(200, [], rss_document().replace(b"UTF-8", b"TF-8", 1)))
    replay.add("/atom/cs.CL", Recorded(200, [], rss_document()))
    with make_client(fake_time) as client:
        report = run_listing(store, Settings(arxiv_rss_url=replay.url + "/atom"), ["cs.AI", "cs.CL"], client=client)
    assert len(report.errors) == 1 and "cs.AI: arXiv announcement feed cannot be read" in report.errors[0]
    assert report.papers.inserted == 86


@pytest.mark.parametrize(("remaining", "reset"), [("²", "1700000000"), ("10", "99999999999999999"), ("١٠", "²")])
def test_rate_limit_headers_that_are_not_plain_numbers_are_ignored(remaining: str, reset: str) -> None:
    # found: '²'.isdigit() is True but int('²') raises; a reset far in the future overflowed fromtimestamp
    info = RateInfo.from_headers(httpx.Headers({"x-ratelimit-remaining": remaining.encode(),
                                                "x-ratelimit-reset": reset.encode()}))
    assert info is None or (info.remaining == 10 and info.reset is None)
    assert parse_retry_after("²") is None and parse_retry_after(" 120 ") == 120.0


def test_instants_the_store_cannot_write_reject_the_record(store: Store, tmp_path: Path) -> None:
    # found: year 1 east of Greenwich (or 9999 west) parsed, then overflowed converting to UTC in the
    # store, failing the whole batch; and a Kaggle version in the last days of 9999 overflowed the estimate
    good = {"id": "2501.00001", "title": "Fine", "submitted": "2025-01-01T10:00:00+14:00"}
    path = tmp_path / "p.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [
        good, {**good, "id": "2501.00002", "submitted": "0001-01-01T00:00:00+14:00"},
        {**good, "id": "2501.00003", "updated": "9999-12-31T23:59:59-12:00"},
        {"id": "0704.0001", "title": "Late",
         "versions": [{"version": "v1", "created": "Fri, 31 Dec 9999 23:00:00 GMT"}]},
    ]) + "\n")
    errors: list[str] = []
    report = import_files(store, [path], on_error=errors.append)
    assert (report.inserted, report.rejected) == (2, 2)
    assert [e.split(": ", 1)[1] for e in errors] == ["'submitted' out of range: 0001-01-01T00:00:00+14:00",
                                                      "'updated' out of range: 9999-12-31T23:59:59-12:00"]
    late = store.papers.get_paper("0704.0001")
    assert late is not None and late.announced is None
    with pytest.raises(GitHubError, match="bad time"):
        parse_repository(b'{"full_name": "a/b", "stargazers_count": 1, "created_at": "0001-01-01T00:00:00+14:00"}')
    with pytest.raises(GitHubError, match="bad time"):
        parse_stargazers(b'[{"starred_at": "9999-12-31T23:59:59-12:00"}]')


def test_hf_items_with_unusable_authors_or_counts_are_rejected_alone(store: Store, replay: ReplayServer,
                                                                      fake_time: FakeTime) -> None:
    # found: "authors": true raised TypeError and ended the whole harvest; upvotes of 2**31 passed
    # the parser, then PostgreSQL's INTEGER column refused the day's transaction
    items = json.loads((FIXTURES_SHARED / "hf-papers" / "daily_papers_date=2026-07-15.json").read_text())
    day_one = [json.loads(json.dumps(items[0])), json.loads(json.dumps(items[1]))]
    day_one[0]["paper"]["authors"] = True
    day_two = [json.loads(json.dumps(items[0])), json.loads(json.dumps(items[1]))]
    day_two[1]["paper"]["upvotes"] = 2**31
    replay.add("/api/daily_papers?date=2026-07-15", Recorded(200, [], json.dumps(day_one).encode()))
    replay.add("/api/daily_papers?date=2026-07-16", Recorded(200, [], json.dumps(day_two).encode()))
    with make_client(fake_time) as client:
        report = run_hf(store, Settings(hf_url=replay.url, hf_fill_from_arxiv=False), date(2026, 7, 15),
                        date(2026, 7, 16), client=client)
    assert report.ok and report.rejected == 2 and report.hf_entries == 2
    assert [e.paper_id for e in store.signals.hf_daily(date(2026, 7, 15))] == [items[1]["paper"]["id"]]
    assert [e.paper_id for e in store.signals.hf_daily(date(2026, 7, 16))] == [items[0]["paper"]["id"]]
    with pytest.raises(GitHubError, match="stargazers_count"):
        parse_repository(b'{"full_name": "a/b", "stargazers_count": 2147483648}')


def test_a_version_suffix_too_big_for_the_store_rejects_the_entry() -> None:
    # found by review while writing check_paper (the fuzzing did not reach it): a feed id ending in
    # v99999999999 became a version PostgreSQL's INTEGER column refuses, failing the whole feed
    feed = rss_document().replace(b"oai:arXiv.org:2508.13167v1", b"oai:arXiv.org:2508.13167v99999999999", 1)
    listing = parse_listing(feed)
    assert len(listing.entries) == 85 and "version out of range" in listing.rejected[0]
    with pytest.raises(RecordError, match="version out of range"):
        parse_record({"id": "2501.00001v1000", "title": "t"})


@pytest.mark.parametrize("label", ["v\u00b2", "v99999999999"])
def test_an_arxivraw_version_label_that_is_no_small_number_rejects_its_record(label: str) -> None:
    # found by review alongside the version suffix: isdigit() let 'v²' through to int(), which raised
    # ValueError out of the page parser (the whole page failed), and any length became the version
    page = (FIXTURES / "oai-arxivraw-versions.xml").read_bytes().replace(
        b'<version version="v2"><date>Tue, 24 Jul 2007', f'<version version="{label}"><date>Tue, 24 Jul 2007'.encode())
    result = parse_list_records(page)
    assert [r.arxiv_id for r in result.records] == ["2503.11677", "2503.12009"]
    assert result.rejected == [f"oai:arXiv.org:0704.0001: bad version {label[:10]!r}"]

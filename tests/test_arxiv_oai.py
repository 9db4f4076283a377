"""arXiv OAI-PMH: the pure page parser on recorded pages, and harvests against the replay server."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from paperwire.config import Settings
from paperwire.ingest.arxiv_oai import OaiError, parse_list_records, state_key
from paperwire.ingest.bulk import import_files
from paperwire.ingest.harvest import run_arxiv
from paperwire.ingest.report import HarvestReport
from paperwire.store import Store
from tests.helpers import oai_pages
from tests.helpers.clock import FakeTime
from tests.helpers.db import planner_rows
from tests.helpers.net import make_client
from tests.helpers.paths import FIXTURES, FIXTURES_SHARED, SAMPLE
from tests.helpers.replay import Recorded, ReplayServer, file_response, load_nock

OAI = FIXTURES_SHARED / "arxiv-oai"
XML = "text/xml"


def page(path: Path) -> Recorded:
    return file_response(path, XML)


def body(data: bytes) -> Recorded:
    return Recorded(200, [("Content-Type", XML)], data)


def harvest(store: Store, replay: ReplayServer, fake_time: FakeTime, **kw: object) -> HarvestReport:
    settings = Settings(arxiv_oai_url=replay.url + "/oai2", arxiv_oai_format=str(kw.pop("fmt", "arXiv")),
                        harvest_categories=str(kw.pop("categories", "")))
    with make_client(fake_time, min_interval=3.0) as client:
        return run_arxiv(store, settings, client=client, **kw)  # type: ignore[arg-type]


def state(store: Store, set_: str = "cs", prefix: str = "arXiv") -> dict[str, str | None]:
    return json.loads(store.get_state(state_key(set_, prefix)) or "{}")


# -- parsing -------------------------------------------------------------------------------------

@pytest.mark.needs_data
def test_parse_real_arxiv_format_page() -> None:
    result = parse_list_records((OAI / "hepcrawl_arxiv-physics-hep-ex.xml").read_bytes())
    assert result.token is None and result.rejected == []
    assert [r.arxiv_id for r in result.records] == ["1706.05371", "1706.09418", "1707.00874"]
    p = result.records[1].paper
    assert p is not None
    assert p.title == "R-Parity Violation at the LHC"
    assert p.authors[:2] == ["Daniel Dercks", "Herbi Dreiner"]
    assert p.categories == ["hep-ph", "hep-ex"]
    assert (p.journal_ref, p.doi, p.report_no) == ("Eur. Phys. J. C (2017) 77:856", "10.1140/epjc/s10052-017-5414-4",
                                                   "BONN-TH-2017-03")
    assert p.submitted == datetime(2017, 6, 28, tzinfo=UTC) and p.updated == datetime(2017, 11, 26, tzinfo=UTC)
    assert p.version == 0  # the arXiv format has no version number once a paper was replaced
    assert result.records[1].datestamp == date(2017, 12, 14)
    single = parse_list_records((OAI / "derived_bodies" / (
        "paperhive_nock_oaipmh-listrecords---should-list-identifiers-from-arxiv__1_status200.xml")).read_bytes())
    first = single.records[0].paper
    assert first is not None and first.version == 1 and first.id == "1412.8544"  # no <updated>: one version
    assert single.records[1].arxiv_id == "hep-th/9504118"


@pytest.mark.needs_data
def test_parse_real_oai_dc_page_with_resumption_token() -> None:
    result = parse_list_records((OAI / "atomiklabs_test_arxiv_data_oai_dc_ListRecords.xml").read_bytes())
    assert result.token == "6960524|1001" and result.complete_size == 1162 and result.cursor == 0
    assert len(result.records) == 5
    p = result.records[0].paper
    assert p is not None and p.id == "1303.2033"
    assert p.categories == ["cs.DS", "cs.IT", "math.NA"] and p.authors == ["Vilnis Liepins"]
    last = result.records[-1].paper
    assert last is not None and last.comment == "Accepted to the Findings of EACL 2024" and last.version == 1


def test_parse_hand_made_arxivraw_versions_withdrawal_and_deletion() -> None:
    result = parse_list_records((FIXTURES / "oai-arxivraw-versions.xml").read_bytes())
    assert result.token is None  # an empty resumptionToken element ends the list
    first, second, deleted = result.records
    assert first.paper is not None and first.paper.version == 2
    assert [v.version for v in first.paper.versions] == [1, 2]
    assert first.paper.authors == ["C. Bal\\'azs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"]
    assert second.paper is not None and second.paper.withdrawn and second.paper.version == 2
    assert deleted.deleted and deleted.arxiv_id == "2503.12009" and deleted.paper is None


@pytest.mark.parametrize(("name", "code"), [("oai-error-badResumptionToken.xml", "badResumptionToken"),
                                            ("oai-error-noRecordsMatch.xml", "noRecordsMatch")])
def test_error_envelopes(name: str, code: str) -> None:
    with pytest.raises(OaiError) as info:
        parse_list_records((FIXTURES / name).read_bytes())
    assert info.value.code == code


@pytest.mark.needs_data
def test_a_bad_record_is_rejected_alone() -> None:
    ids, data = oai_pages.pages(1, 3)[0]
    result = parse_list_records(data.replace(f"<id>{ids[1]}</id>".encode(), b"<id>bogus</id>"))
    assert [r.arxiv_id for r in result.records] == [ids[0], ids[2]]
    assert result.rejected == [f"oai:arXiv.org:{ids[1]}: invalid arXiv id 'bogus'"]


# -- harvesting ----------------------------------------------------------------------------------

@pytest.mark.needs_data
def test_harvest_honours_the_real_503_and_stores_the_page(store: Store, replay: ReplayServer,
                                                         fake_time: FakeTime) -> None:
    calls = list(load_nock(OAI / "paperhive_nock_oaipmh-listrecords---should-list-identifiers-from-arxiv.json"))
    replay.add(calls[0][0], *(c[1] for c in calls))
    report = harvest(store, replay, fake_time, sets=[""], start=date(2015, 1, 1), until=date(2015, 1, 3))
    assert report.ok, report.errors
    assert 10.0 in fake_time.sleeps  # Retry-After: 10
    assert store.papers.get_paper("hep-th/9504118") is not None and store.papers.get_paper("1412.8544") is not None
    assert state(store, "")["harvested_to"] == "2015-01-03"
    ua = replay.requests()[0].headers["user-agent"]
    assert ua.startswith("Paperwire/")


@pytest.mark.needs_data
def test_harvest_follows_the_real_resumption_token(store: Store, replay: ReplayServer, fake_time: FakeTime) -> None:
    replay.add("/oai2?verb=ListRecords&metadataPrefix=oai_dc&set=cs&from=2024-01-25",
               page(OAI / "atomiklabs_test_arxiv_data_oai_dc_ListRecords.xml"))
    ids, last = oai_pages.pages(1, 3, fmt="oai_dc", offset=40, stamp="2024-01-26")[0]  # DERIVED final page
    replay.add("/oai2?verb=ListRecords&resumptionToken=6960524|1001", body(last))
    report = harvest(store, replay, fake_time, fmt="oai_dc", sets=["cs"], start=date(2024, 1, 25))
    assert report.ok and report.pages == 2 and report.papers.inserted == 8
    assert [dict(r.query) for r in replay.requests()][1] == {"verb": "ListRecords", "resumptionToken": "6960524|1001"}
    assert fake_time.sleeps == [3.0]  # one request per 3 s
    assert store.papers.get_paper(ids[0]) is not None
    assert state(store, "cs", "oai_dc") == {"harvested_to": "2024-01-26", "last_datestamp": None, "prefix": "oai_dc",
                                            "set": "cs", "start": "2024-01-25", "token": None, "until": None}


def _chain(replay: ReplayServer, n: int, per: int, start: str = "2025-03-01") -> list[list[str]]:
    chain = oai_pages.pages(n, per)
    replay.add(f"/oai2?verb=ListRecords&metadataPrefix=arXiv&set=cs&from={start}", body(chain[0][1]))
    for i, (_, data) in enumerate(chain[1:], start=1):
        replay.add(f"/oai2?verb=ListRecords&resumptionToken={oai_pages.token(i, per)}", body(data))
    return [ids for ids, _ in chain]


@pytest.mark.needs_data
def test_several_pages_stop_resume_then_incremental(store: Store, replay: ReplayServer, fake_time: FakeTime) -> None:
    ids = _chain(replay, 4, 5)
    first = harvest(store, replay, fake_time, start=date(2025, 3, 1), max_pages=2)
    assert first.ok and first.pages == 2 and first.papers.inserted == 10
    assert state(store)["token"] == oai_pages.token(2, 5)
    second = harvest(store, replay, fake_time)  # no --from: resumes the interrupted harvest
    assert second.ok and second.pages == 2 and second.papers.inserted == 10
    assert replay.requests()[2].param("resumptionToken") == oai_pages.token(2, 5)
    assert store.stats().papers == 20 and all(store.papers.get_paper(i) for page_ids in ids for i in page_ids)
    done = state(store)
    assert done["token"] is None and done["harvested_to"] == max(
        p["announced"] for p in oai_pages.sample_records(20))
    # the next run is incremental: it starts at the last datestamp harvested; nothing new there
    replay.add(f"/oai2?verb=ListRecords&metadataPrefix=arXiv&set=cs&from={done['harvested_to']}",
               page(FIXTURES / "oai-error-noRecordsMatch.xml"))
    third = harvest(store, replay, fake_time)
    assert third.ok and third.pages == 0 and "no new records" in third.line()


@pytest.mark.needs_data
def test_a_harvest_that_writes_many_papers_gives_the_planner_statistics(store: Store, replay: ReplayServer,
                                                                        fake_time: FakeTime) -> None:
    _chain(replay, 3, 20)  # a first sync is a bulk load: 60 papers into empty tables (over 50 + 10 %)
    assert harvest(store, replay, fake_time, start=date(2025, 3, 1)).papers.inserted == 60
    assert planner_rows(store, "papers") in (None, 60.0)


@pytest.mark.needs_data
def test_expired_token_restarts_from_the_saved_from_without_duplicates(store: Store, replay: ReplayServer,
                                                                       fake_time: FakeTime) -> None:
    chain = oai_pages.pages(2, 5)
    replay.add("/oai2?verb=ListRecords&metadataPrefix=arXiv&set=cs&from=2025-03-01", body(chain[0][1]))
    replay.add(f"/oai2?verb=ListRecords&resumptionToken={oai_pages.token(1, 5)}",
               page(FIXTURES / "oai-error-badResumptionToken.xml"), body(chain[1][1]))
    report = harvest(store, replay, fake_time, start=date(2025, 3, 1))
    assert report.ok, report.errors
    assert [r.param("resumptionToken") for r in replay.requests()] == [None, "derived|5", None, "derived|5"]
    assert (report.papers.inserted, report.papers.unchanged) == (10, 5) and store.stats().papers == 10


@pytest.mark.needs_data
def test_malformed_page_commits_nothing_and_the_rerun_resumes_there(store: Store, replay: ReplayServer,
                                                                   fake_time: FakeTime) -> None:
    chain = oai_pages.pages(3, 4)
    replay.add("/oai2?verb=ListRecords&metadataPrefix=arXiv&set=cs&from=2025-03-01", body(chain[0][1]))
    # HAND-MADE failure: page 2 first arrives cut off (well-formed until byte 700), then whole
    replay.add(f"/oai2?verb=ListRecords&resumptionToken={oai_pages.token(1, 4)}", body(chain[1][1][:700]),
               body(chain[1][1]))
    replay.add(f"/oai2?verb=ListRecords&resumptionToken={oai_pages.token(2, 4)}", body(chain[2][1]))
    first = harvest(store, replay, fake_time, start=date(2025, 3, 1))
    assert not first.ok and "not well-formed XML" in first.errors[0] and "nothing from this page" in first.errors[0]
    assert first.pages == 1 and store.stats().papers == 4 and state(store)["token"] == oai_pages.token(1, 4)
    second = harvest(store, replay, fake_time)
    assert second.ok and second.papers.inserted == 8 and store.stats().papers == 12


def test_billion_laughs_page_is_refused_and_nothing_is_saved(store: Store, replay: ReplayServer,
                                                             fake_time: FakeTime) -> None:
    replay.add("/oai2?verb=ListRecords&metadataPrefix=arXiv&set=cs&from=2025-03-01",
               page(FIXTURES / "billion-laughs.xml"))
    report = harvest(store, replay, fake_time, start=date(2025, 3, 1))
    assert not report.ok and "unsafe XML" in report.errors[0]
    assert store.stats().papers == 0 and store.get_state(state_key("cs", "arXiv")) is None


@pytest.mark.needs_data
def test_versions_update_in_place_and_withdrawn_papers_are_marked(store: Store, replay: ReplayServer,
                                                                  fake_time: FakeTime, tmp_path: Path) -> None:
    sample = tmp_path / "two.jsonl"
    sample.write_text("\n".join(json.dumps(p) for p in oai_pages.sample_records(2)) + "\n")
    import_files(store, [sample])
    before = store.papers.get_paper("2503.11677")
    assert before is not None and before.version == 0 and not before.withdrawn
    replay.add("/oai2?verb=ListRecords&metadataPrefix=arXivRaw&set=cs&from=2025-03-19",
               page(FIXTURES / "oai-arxivraw-versions.xml"))
    report = harvest(store, replay, fake_time, fmt="arXivRaw", start=date(2025, 3, 19))
    assert report.ok and report.withdrawn == 2
    after = store.papers.get_paper("2503.11677")
    assert after is not None and after.version == 2 and after.withdrawn
    assert after.announced == before.announced  # the exact day from the bulk file is kept
    gone = store.papers.get_paper("2503.12009")
    assert gone is not None and gone.withdrawn and gone.title  # marked, not deleted
    new = store.papers.get_paper("0704.0001")
    assert new is not None and [v.version for v in new.versions] == [1, 2]
    assert new.announced == date(2007, 4, 4)  # estimated: submitted on Monday after the 18:00 UTC cut-off
    assert store.stats().papers == 3


@pytest.mark.needs_data
def test_category_filter_from_settings(store: Store, replay: ReplayServer, fake_time: FakeTime) -> None:
    _chain(replay, 1, 10)
    report = harvest(store, replay, fake_time, start=date(2025, 3, 1), categories="cs.LG")
    kept = [p for p in oai_pages.sample_records(10) if "cs.LG" in p["categories"]]
    assert report.ok and report.papers.inserted == len(kept) and report.skipped == 10 - len(kept)
    assert SAMPLE.is_file()

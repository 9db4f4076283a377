"""Never a partial commit: imports and harvests of good and bad records, with the store failing mid-batch.

test_fuzz_parsers.py shows a parser never crashes on what a source sends. Here the whole path runs into
a real store (SQLite and PostgreSQL): Hypothesis makes files and pages that mix real records with
spoiled ones (control characters and U+0000, wrong types, missing and huge fields, cut-off JSON, a line
over the limit, a truncated XML page), and the store's write fails in the middle of a chosen batch
(an exception, or a Ctrl-C) after writing that batch's rows. Then, every time:

- each batch is in the store whole or not at all, and the batches before the failure are all there;
- each bad record is reported, as ``file:line: reason`` by an import (a count by a harvest), and no
  good record is lost: running the same input again stores exactly the good records;
- running it once more changes nothing (no duplicates, every paper "unchanged").

What is good is decided by the parser alone, record by record (the oracle): the property is about what
the import path does with its verdicts, not about the verdicts.
"""

from __future__ import annotations

import itertools
import json
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperwire.config import Settings
from paperwire.ingest.arxiv_oai import parse_list_records, state_key
from paperwire.ingest.bulk import ImportReport, import_files
from paperwire.ingest.harvest import run_arxiv, run_hf
from paperwire.ingest.hf import parse_daily
from paperwire.ingest.paper_files import MAX_LINE_BYTES, parse_record
from paperwire.ingest.records import RecordError
from paperwire.ingest.report import HarvestReport
from paperwire.models import Paper
from paperwire.store import Store
from tests.helpers import oai_pages
from tests.helpers.batches import (
    CHECKS,
    CUT,
    FAIL_AT,
    HARVEST_EXAMPLES,
    HUGE,
    Injected,
    failing_store_write,
    fresh_id,
    gzipped,
    hf_days,
    jsonl_files,
    until_failure,
)
from tests.helpers.clock import FakeTime
from tests.helpers.net import make_client
from tests.helpers.replay import Recorded, ReplayServer

pytestmark = pytest.mark.needs_data  # the records are the shared sample's and the Kaggle snapshot's

IMPORT_EXAMPLES = 50  # per store and file kind; each example runs three imports into a real database
_files = itertools.count(1)


# -- JSON lines and Kaggle: one file, batches of ``batch_size`` good records ------------------------------

def verdicts(lines: list[bytes]) -> tuple[list[Paper], list[int]]:
    """The parser's verdict on each line alone: the good papers in order, and the bad lines' numbers."""
    good: list[Paper] = []
    bad: list[int] = []
    for number, line in enumerate(lines, start=1):
        try:
            if len(line) > MAX_LINE_BYTES:
                raise RecordError("line too long")
            good.append(parse_record(orjson.loads(line)))
        except (orjson.JSONDecodeError, RecordError):
            bad.append(number)
    return good, bad


def reported_lines(path: Path, errors: list[str]) -> list[int]:
    """The line numbers of ``file:line: reason`` messages, each checked to name the file and a reason."""
    pattern = re.compile(re.escape(str(path)) + r":(\d+): (\S.*)", re.DOTALL)
    numbers = []
    for message in errors:
        match = pattern.fullmatch(message)
        assert match, f"not a file:line: reason message: {message[:200]!r}"
        numbers.append(int(match.group(1)))
    return numbers


def stored(store: Store, papers: list[Paper]) -> set[str]:
    return set(store.papers.get_papers([p.id for p in papers])) if papers else set()


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
@settings(max_examples=IMPORT_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=CHECKS)
@given(lines=jsonl_files(), batch_size=st.integers(1, 4), fail_at=FAIL_AT,
       interrupt=st.booleans())
def test_an_import_commits_whole_batches_reports_each_bad_line_and_reruns_without_duplicates(
        store: Store, tmp_path: Path, compress: bool, lines: list[bytes], batch_size: int, fail_at: int | None,
        interrupt: bool) -> None:
    good, bad = verdicts(lines)
    assert len({p.id for p in good}) == len(good)  # fresh ids: no two good records are the same paper
    batches = [good[i:i + batch_size] for i in range(0, len(good), batch_size)]
    path = tmp_path / f"papers-{next(_files)}.jsonl{'.gz' if compress else ''}"
    data = b"".join(lines)
    path.write_bytes(gzipped(data) if compress else data)
    papers_before = store.stats().papers

    errors: list[str] = []
    with failing_store_write(store, fail_at, interrupt):
        try:
            import_files(store, [path], batch_size=batch_size, on_error=errors.append)
            failed = False
        except (Injected, KeyboardInterrupt):
            failed = True
    assert failed == (fail_at is not None and fail_at <= len(batches))
    committed = [p for batch in batches[: fail_at - 1 if failed and fail_at else len(batches)] for p in batch]
    lost = [p for p in good if p not in committed]
    # whole batches: every paper of the batches before the failure, none of the failed batch or after
    assert stored(store, good) == {p.id for p in committed}
    assert all(not store.papers.code_links(paper_id=p.id) for p in lost)  # its code links went with it
    for paper in committed:
        saved = store.papers.get_paper(paper.id)
        assert saved is not None and (saved.title, saved.abstract, saved.authors) == (
            paper.title, paper.abstract, paper.authors)
    assert reported_lines(path, errors) == bad[: len(errors)]  # reported as read, up to the failure

    again = import_files(store, [path], batch_size=batch_size)
    assert reported_lines(path, again.errors) == bad and again.rejected == len(bad)  # every bad line, once
    assert (again.inserted, again.updated, again.unchanged) == (len(lost), 0, len(committed))
    assert stored(store, good) == {p.id for p in good}  # no good record lost

    third = import_files(store, [path], batch_size=batch_size)
    assert (third.inserted, third.updated, third.unchanged, third.rejected) == (0, 0, len(good), len(bad))
    assert store.stats().papers == papers_before + len(good)  # no duplicates


def test_a_failed_batch_of_a_big_import_is_absent_on_postgresql_bulk_path_too(store: Store, tmp_path: Path) -> None:
    """Batches of 60 take PostgreSQL's COPY path (50 rows or more): a failure there rolls back the whole
    batch too, and the rerun completes it."""
    records = list(oai_pages.sample_records(150))
    path = tmp_path / "big.jsonl"
    path.write_bytes(b"".join(orjson.dumps({**r, "id": fresh_id()}) + b"\n" for r in records))
    good, _ = verdicts(path.read_bytes().splitlines(keepends=True))
    with failing_store_write(store, 2), pytest.raises(Injected):
        import_files(store, [path], batch_size=60)
    assert stored(store, good) == {p.id for p in good[:60]}
    report: ImportReport = import_files(store, [path], batch_size=60)
    assert (report.inserted, report.unchanged, report.rejected) == (90, 60, 0)
    assert stored(store, good) == {p.id for p in good}


# -- OAI-PMH: pages chained by resumption tokens, each page one batch with its cursor ---------------------

START = date(2025, 3, 1)
OAI_SPOILS: list[tuple[str, Any]] = [
    ("id", "not-an-id"), ("title", ""), ("title", "DEL\x7fin the title"), ("categories", []),
    ("announced", "yesterday"), ("authors", []), ("abstract", "word " * (HUGE // 5)), ("title", "\u0085\u2028 odd"),
]


@st.composite
def oai_chains(draw: st.DrawFn) -> list[list[dict[str, Any]]]:
    """2 to 4 pages of 1 to 3 records each: real records under fresh ids, some spoiled."""
    sample = oai_pages.sample_records(30)
    pages = []
    for _ in range(draw(st.integers(2, 4))):
        page = []
        for _ in range(draw(st.integers(1, 3))):
            record = {**draw(st.sampled_from(sample)), "id": fresh_id()}
            spoil = draw(st.one_of(st.none(), st.none(), st.sampled_from(OAI_SPOILS)))
            if spoil is not None:
                record[spoil[0]] = spoil[1]
            page.append(record)
        pages.append(page)
    return pages


def oai_harvest(store: Store, replay: ReplayServer, fake_time: FakeTime, set_: str) -> HarvestReport:
    with make_client(fake_time, min_interval=3.0) as client:
        return run_arxiv(store, Settings(arxiv_oai_url=replay.url + "/oai2"), sets=[set_], start=START, client=client)


@settings(max_examples=HARVEST_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=CHECKS)
@given(chain=oai_chains(), cut=CUT, fail_at=FAIL_AT,
       interrupt=st.booleans())
def test_a_harvest_commits_whole_pages_with_their_cursor_and_resumes_without_duplicates(
        store: Store, replay: ReplayServer, fake_time: FakeTime, chain: list[list[dict[str, Any]]], cut: int | None,
        fail_at: int | None, interrupt: bool) -> None:
    set_ = f"fuzz{next(_files)}"
    total = sum(len(page) for page in chain)
    tokens = [f"{set_}|{i}" for i in range(len(chain))]
    bodies, cursor = [], 0
    for i, page in enumerate(chain):
        bodies.append(oai_pages.render_page(page, cursor, total, tokens[i + 1] if i + 1 < len(chain) else ""))
        cursor += len(page)
    verdict = [parse_list_records(body) for body in bodies]  # the parser's verdict, page by page
    kept = [[r.paper.id for r in v.records if r.paper is not None] for v in verdict]
    rejected = sum(len(v.rejected) for v in verdict)
    everything = {pid for ids in kept for pid in ids}
    for i, body in enumerate(bodies):
        responses = [Recorded(200, [("Content-Type", "text/xml")], body)]
        if i == cut:  # this page first arrives cut off, then whole
            responses.insert(0, Recorded(200, [("Content-Type", "text/xml")], body[: len(body) // 2]))
        replay.add(f"/oai2?verb=ListRecords&metadataPrefix=arXiv&set={set_}&from={START}" if i == 0
                   else f"/oai2?verb=ListRecords&resumptionToken={tokens[i]}", *responses)
    papers_before = store.stats().papers

    def whole_pages() -> int:
        """How many pages the saved cursor says are done; asserts the store holds exactly those pages."""
        saved = store.get_state(state_key(set_, "arXiv"))
        cursor = orjson.loads(saved) if saved else {}
        # a token names the next page; without one, no page is done yet or the list is complete
        done = (tokens.index(cursor["token"]) if cursor.get("token")
                else len(chain) if cursor.get("harvested_to") else 0)
        have = set(store.papers.get_papers(sorted(everything))) if everything else set()
        assert have == {pid for ids in kept[:done] for pid in ids}, f"pages in part: {sorted(have)} of {kept}"
        return done

    # the first run stops at the cut page (refused before it is written) or at the failing write
    cut_at = cut if cut is not None and cut < len(chain) else len(chain)
    fail_page = fail_at - 1 if fail_at is not None and fail_at <= len(chain) else len(chain)
    report: HarvestReport | None = None
    for attempt in range(4):
        with failing_store_write(store, fail_at if attempt == 0 else None, interrupt):
            report = until_failure(lambda: oai_harvest(store, replay, fake_time, set_))
        done = whole_pages()
        if attempt == 0:
            assert done == min(cut_at, fail_page)
            assert (report is None) == (fail_page < cut_at)
            if report is not None and cut_at < fail_page:
                assert "nothing from this page was saved" in report.errors[0], report.errors
        if report is not None and report.ok:
            break
    assert done == len(chain) and report is not None and report.ok, report

    again = oai_harvest(store, replay, fake_time, set_)  # the same list once more, from the same date
    assert again.ok and again.rejected == rejected, again.errors
    assert (again.papers.inserted, again.papers.updated, again.papers.unchanged) == (0, 0, len(everything))
    assert store.stats().papers == papers_before + len(everything)  # no duplicates


# -- Hugging Face daily lists: each day one batch (its entries, the papers it adds, its code links) -----

_days = itertools.count()


@settings(max_examples=HARVEST_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=CHECKS)
@given(days=hf_days(), cut=CUT, fail_at=FAIL_AT,
       interrupt=st.booleans())
def test_a_daily_list_is_stored_whole_or_not_at_all_and_a_rerun_adds_no_duplicates(
        store: Store, replay: ReplayServer, fake_time: FakeTime, days: list[list[dict[str, Any]]], cut: int | None,
        fail_at: int | None, interrupt: bool) -> None:
    first = date(2030, 1, 1) + timedelta(days=5 * next(_days))  # days no other example harvests
    dates = [first + timedelta(days=i) for i in range(len(days))]
    bodies = [json.dumps(items).encode() for items in days]
    verdict = [parse_daily(body, day) for body, day in zip(bodies, dates, strict=True)]  # the parser's verdict
    for i, (body, day) in enumerate(zip(bodies, dates, strict=True)):
        responses = [Recorded(200, [("Content-Type", "application/json")], body)]
        if i == cut:  # this day first arrives cut off: that day fails alone, the others go on
            responses.insert(0, Recorded(200, [("Content-Type", "application/json")], body[: len(body) // 2]))
        replay.add(f"/api/daily_papers?date={day.isoformat()}", *responses)
    papers_before = store.stats().papers

    def run() -> HarvestReport:
        with make_client(fake_time) as client:
            return run_hf(store, Settings(hf_url=replay.url, hf_fill_from_arxiv=False), dates[0], dates[-1],
                          client=client)

    def whole_days() -> list[bool]:
        """Which days are stored; asserts each is whole (entries and papers) or absent."""
        stored = []
        for day, daily in zip(dates, verdict, strict=True):
            entries = {e.paper_id for e in store.signals.hf_daily(day)}
            papers = set(store.papers.get_papers(list(daily.papers)))
            whole = {e.paper_id for e in daily.entries}
            assert (entries, papers) in ((whole, set(daily.papers)), (set(), set())), f"{day} is in part"
            stored.append(bool(whole) and entries == whole)
        return stored

    # a cut day is skipped before any write; the store's failure comes at the fail_at-th day written
    written = [i for i in range(len(days)) if i != cut]
    failing_day = written[fail_at - 1] if fail_at is not None and fail_at <= len(written) else None
    with failing_store_write(store, fail_at, interrupt):
        report: HarvestReport | None = until_failure(run)
    assert (report is None) == (failing_day is not None)
    done = whole_days()
    for i, daily in enumerate(verdict):
        expected = daily.entries != [] and i != cut and (failing_day is None or i < failing_day)
        assert done[i] == expected, (i, cut, failing_day)

    again = run()
    if cut is not None and failing_day is not None and failing_day < cut < len(days):
        # the first run stopped before the cut day, so its cut-off answer comes now: that day alone fails
        assert again.errors and all("not valid JSON" in e for e in again.errors), again.errors
        again = run()
    assert again.ok and again.rejected == sum(len(d.rejected) for d in verdict), again.errors
    assert whole_days() == [bool(d.entries) for d in verdict]  # every day whole, no good entry lost
    third = run()
    assert third.ok and (third.papers.inserted, third.papers.updated) == (0, 0)
    assert all(len(store.signals.hf_daily(day)) == len(d.entries) for day, d in zip(dates, verdict, strict=True))
    assert store.stats().papers == papers_before + len({pid for d in verdict for pid in d.papers})  # no duplicates

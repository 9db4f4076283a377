"""Bulk import: formats, idempotency, versions, bad records, interruption."""

from __future__ import annotations

import gzip
import json
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperwire.ingest.bulk import ImportReport, import_files, import_papers
from paperwire.ingest.kaggle import estimate_announced, parse_kaggle
from paperwire.ingest.paper_files import MAX_LINE_BYTES, read_file
from paperwire.models import Paper
from paperwire.store import Store
from tests.helpers.db import planner_rows
from tests.helpers.paths import KAGGLE, SAMPLE

GOOD = {"id": "2501.00001", "title": "A good paper", "abstract": "Words.", "authors": ["Ada Lovelace"],
        "categories": ["cs.LG"], "comment": None, "announced": "2025-01-02"}


def write_lines(path: Path, lines: list[str | bytes]) -> Path:
    with open(path, "wb") as fh:
        for line in lines:
            fh.write(line if isinstance(line, bytes) else line.encode())
            fh.write(b"\n")
    return path


@pytest.mark.needs_data
def test_sample_imports_once_and_reimport_changes_nothing(store: Store) -> None:
    first = import_files(store, [SAMPLE])
    assert (first.inserted, first.updated, first.rejected) == (2020, 0, 0)
    second = import_files(store, [SAMPLE])
    assert (second.inserted, second.updated, second.unchanged, second.rejected) == (0, 0, 2020, 0)
    assert store.stats().papers == 2020


@pytest.mark.needs_data
def test_a_bulk_import_gives_the_planner_statistics_and_a_small_change_does_not_redo_it(store: Store) -> None:
    # Planned on tables it has never analysed, PostgreSQL took 240-300 ms for the home and listing pages
    # at 2.7M freshly imported papers (12-20 ms after ANALYZE); autovacuum may be off or not yet round.
    postgres = store.db.dialect == "postgresql"
    assert planner_rows(store, "paper_authors") in (None, -1.0)
    import_files(store, [SAMPLE])
    assert planner_rows(store, "papers") == (2020.0 if postgres else None)
    authors = planner_rows(store, "paper_authors")
    assert authors is None or authors > 2020
    # autovacuum's rule, applied at once: 50 rows + a tenth of the table as last analysed
    assert store.papers.refresh_statistics(251) == []
    assert bool(store.papers.refresh_statistics(252)) is postgres
    assert "paper_categories" in store.papers.refresh_statistics(10_000) or not postgres


@pytest.mark.needs_data
def test_sample_fields_land_intact(store: Store) -> None:
    import_files(store, [SAMPLE])
    with gzip.open(SAMPLE, "rt") as fh:
        raw = json.loads(fh.readline())
    paper = store.papers.get_paper(raw["id"])
    assert paper is not None
    assert paper.title == raw["title"]
    assert paper.authors == raw["authors"]
    assert paper.categories == raw["categories"]
    assert paper.announced is not None and paper.announced.isoformat() == raw["announced"]
    assert "\n" not in paper.abstract and paper.abstract.startswith("Objective. Patients implanted")


def test_acm_and_msc_codes_are_kept_apart_from_categories(store: Store, tmp_path: Path) -> None:
    record = {**GOOD, "categories": ["cs.CV", "cs.AI", "68T45", "I.2.10; J.0"]}
    report = import_files(store, [write_lines(tmp_path / "c.jsonl", [json.dumps(record)])])
    assert report.rejected == 0
    paper = store.papers.get_paper("2501.00001")
    assert paper is not None
    assert paper.categories == ["cs.CV", "cs.AI"]
    assert paper.classes == ["68T45", "I.2.10", "J.0"]


@pytest.mark.needs_data
def test_kaggle_snapshot(store: Store) -> None:
    report = import_files(store, [KAGGLE])
    assert (report.inserted, report.rejected) == (200, 0)
    paper = store.papers.get_paper("0704.0001")
    assert paper is not None
    assert paper.title.startswith("Calculation of prompt diphoton production cross sections at Tevatron and LHC")
    assert paper.authors == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"]
    assert paper.categories == ["hep-ph"]
    assert paper.version == 2 and [v.version for v in paper.versions] == [1, 2]
    assert paper.journal_ref == "Phys.Rev.D76:013009,2007"
    assert paper.doi == "10.1103/PhysRevD.76.013009"
    assert paper.submitted is not None and paper.submitted.isoformat() == "2007-04-02T19:18:42+00:00"
    two = store.papers.get_paper("0704.0002")
    assert two is not None and two.categories == ["math.CO", "cs.CG"]


def test_estimated_announcement_skips_weekends_and_the_cutoff() -> None:
    from datetime import datetime

    friday_morning = datetime(2025, 3, 14, 10, tzinfo=UTC)
    friday_evening = datetime(2025, 3, 14, 20, tzinfo=UTC)
    assert estimate_announced(friday_morning).isoformat() == "2025-03-17"
    assert estimate_announced(friday_evening).isoformat() == "2025-03-18"


def test_newer_version_replaces_older_and_older_never_replaces_newer(store: Store, tmp_path: Path) -> None:
    v1 = {**GOOD, "id": "2501.00001v1", "title": "First title"}
    v2 = {**GOOD, "id": "2501.00001v2", "title": "Second title"}
    import_files(store, [write_lines(tmp_path / "v1.jsonl", [json.dumps(v1)])])
    report = import_files(store, [write_lines(tmp_path / "v2.jsonl", [json.dumps(v2)])])
    assert report.updated == 1
    report = import_files(store, [write_lines(tmp_path / "v1b.jsonl", [json.dumps(v1)])])
    assert (report.updated, report.unchanged) == (0, 1)
    paper = store.papers.get_paper("2501.00001")
    assert paper is not None and (paper.title, paper.version) == ("Second title", 2)
    assert store.stats().papers == 1


def test_duplicates_within_one_file_keep_the_newest(store: Store, tmp_path: Path) -> None:
    lines = [json.dumps({**GOOD, "id": "2501.00001v2", "title": "New"}),
             json.dumps({**GOOD, "id": "2501.00001v1", "title": "Old"})]
    report = import_files(store, [write_lines(tmp_path / "d.jsonl", lines)])
    assert report.inserted == 1
    paper = store.papers.get_paper("2501.00001")
    assert paper is not None and paper.title == "New"


BAD_RECORDS: list[tuple[str, Any, str]] = [
    ("invalid json", '{"id": "2501.00002", "title": ', "invalid JSON"),
    ("not an object", "[1, 2, 3]", "expected a JSON object"),
    ("missing id", {k: v for k, v in GOOD.items() if k != "id"}, "missing 'id'"),
    ("missing title", {k: v for k, v in GOOD.items() if k != "title"}, "missing 'title'"),
    ("empty title", {**GOOD, "title": "   "}, "'title' is empty"),
    ("bad id", {**GOOD, "id": "../../etc/passwd"}, "invalid arXiv id"),
    ("id not a string", {**GOOD, "id": 2501.00001}, "'id' must be a string"),
    ("authors not a list", {**GOOD, "authors": "Ada Lovelace"}, "'authors' must be a list of strings"),
    ("author not a string", {**GOOD, "authors": ["Ada", 7]}, "'authors' must be a list of strings"),
    ("categories wrong type", {**GOOD, "categories": {"cs": 1}}, "'categories' must be a list of strings"),
    ("bad date", {**GOOD, "announced": "yesterday"}, "'announced' is not a YYYY-MM-DD date"),
    ("huge title", {**GOOD, "title": "x" * 5000}, "'title' is too long"),
    ("huge abstract", {**GOOD, "abstract": "y" * 50_000}, "'abstract' is too long"),
    ("too many authors", {**GOOD, "authors": ["A"] * 6000}, "'authors' has too many entries"),
    ("title not a string", {**GOOD, "title": ["x"]}, "'title' must be a string"),
    ("deeply nested", "[" * 5000 + "]" * 5000, "invalid JSON"),
    ("not utf-8", b'{"id": "2501.00002", "title": "\xff\xfe"}', "invalid JSON"),
]


@pytest.mark.parametrize(("kind", "record", "reason"), BAD_RECORDS, ids=[b[0] for b in BAD_RECORDS])
def test_each_bad_record_is_reported_and_the_good_ones_land(
    store: Store, tmp_path: Path, kind: str, record: Any, reason: str
) -> None:
    bad = record if isinstance(record, (str, bytes)) else json.dumps(record)
    good2 = {**GOOD, "id": "2501.00003", "title": "Another good paper"}
    path = write_lines(tmp_path / "mixed.jsonl", [json.dumps(GOOD), bad, json.dumps(good2)])
    errors: list[str] = []
    report = import_files(store, [path], on_error=errors.append)
    assert (report.inserted, report.rejected) == (2, 1), kind
    assert len(errors) == 1 and errors[0].startswith(f"{path}:2: ") and reason in errors[0], errors
    assert store.papers.get_paper("2501.00003") is not None


def test_line_over_the_size_limit_is_skipped_without_reading_it_whole(store: Store, tmp_path: Path) -> None:
    huge = b'{"id": "2501.00009", "title": "' + b"z" * (MAX_LINE_BYTES + 10) + b'"}'
    path = write_lines(tmp_path / "huge.jsonl", [huge, json.dumps(GOOD).encode()])
    errors: list[str] = []
    report = import_files(store, [path], on_error=errors.append)
    assert (report.inserted, report.rejected) == (1, 1)
    assert errors[0].startswith(f"{path}:1: line too long")


def test_blank_lines_are_ignored(store: Store, tmp_path: Path) -> None:
    report = import_files(store, [write_lines(tmp_path / "b.jsonl", ["", json.dumps(GOOD), "   "])])
    assert (report.inserted, report.rejected) == (1, 0)


def test_gzip_is_detected_by_content_not_name(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "papers.data"
    with gzip.open(path, "wt") as fh:
        fh.write(json.dumps(GOOD) + "\n")
    assert import_files(store, [path]).inserted == 1


@pytest.mark.needs_data
def test_truncated_gzip_keeps_what_was_read_and_reports(store: Store, tmp_path: Path) -> None:
    data = SAMPLE.read_bytes()
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    errors: list[str] = []
    report = import_files(store, [path], on_error=errors.append)
    assert 0 < report.inserted < 2020
    assert report.rejected == 1 and "unreadable data" in errors[-1]
    assert store.stats().papers == report.inserted


def test_missing_file_fails_the_import(store: Store, tmp_path: Path) -> None:
    report = import_files(store, [tmp_path / "nope.jsonl"])
    assert not report.ok and report.failed_files == 1


@pytest.mark.needs_data
def test_interrupted_import_leaves_whole_batches_and_rerun_completes(store: Store) -> None:
    papers = list(read_file(SAMPLE, lambda m: None))

    def interrupted() -> Any:
        for i, paper in enumerate(papers):
            if i == 1234:
                raise KeyboardInterrupt
            yield paper

    report = ImportReport()
    with pytest.raises(KeyboardInterrupt):
        import_papers(store, interrupted(), report, batch_size=500)
    assert store.stats().papers == 1000  # two whole batches, nothing of the third
    again = import_files(store, [SAMPLE], batch_size=500)
    assert (again.inserted, again.unchanged) == (1020, 1000)
    assert store.stats().papers == 2020


def test_kaggle_record_parser_rejects_bad_versions() -> None:
    from paperwire.ingest.records import RecordError

    with pytest.raises(RecordError, match="bad version"):
        parse_kaggle({"id": "0704.0001", "title": "t", "versions": [{"version": "x1", "created": "?"}]})


def test_withdrawn_papers_are_marked() -> None:
    paper = parse_kaggle({"id": "0704.0001", "title": "t", "comments": "This paper has been withdrawn by the author"})
    assert isinstance(paper, Paper) and paper.withdrawn


def _reference_names(value: list[str]) -> list[str] | None:
    """name_list() as first written: every entry through clean_space(); None for "rejected"."""
    from paperwire.ingest.records import MAX_NAME, clean_space

    names = [clean_space(v) for v in value]
    return None if any(len(n) > MAX_NAME for n in names) else [n for n in names if n]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=12), st.text(alphabet=" \n\t\r\x00\x1f\xa0\u2003ab", max_size=6),
                          st.just("x" * 1001)), max_size=6))
def test_the_fast_author_path_cleans_exactly_like_clean_space(value: list[str]) -> None:
    from paperwire.ingest.records import RecordError, name_list

    try:
        got: list[str] | None = name_list(value)
    except RecordError:
        got = None
    assert got == _reference_names(value)

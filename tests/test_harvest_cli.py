"""The ``paperwire harvest`` commands end to end, against the replay server; and a harvester killed mid-run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from paperwire.cli import cli
from paperwire.config import Settings
from paperwire.models import CodeLink, SourceBatch
from paperwire.store import open_store
from tests.helpers import oai_pages
from tests.helpers.paths import FIXTURES, FIXTURES_SHARED, ROOT
from tests.helpers.replay import Recorded, ReplayServer, file_response, load_pygithub

QUICK = {  # no real waiting in tests: pacing and backoff off, few retries
    "PAPERWIRE_ARXIV_MIN_INTERVAL_SECONDS": "0", "PAPERWIRE_HF_MIN_INTERVAL_SECONDS": "0",
    "PAPERWIRE_GITHUB_MIN_INTERVAL_SECONDS": "0", "PAPERWIRE_HTTP_BACKOFF_SECONDS": "0",
    "PAPERWIRE_HTTP_RETRIES": "1", "PAPERWIRE_CONTACT_EMAIL": "tests@example.org",
}


def run(settings: Settings, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", settings.resolved_database_url(), "--data-dir", str(settings.data_dir),
                                      "harvest", *args], env=QUICK, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.needs_data
def test_hf_then_stars_import_upvotes_and_github_stars(settings: Settings, replay: ReplayServer) -> None:
    replay.add("/api/daily_papers?date=2026-07-31",
               file_response(FIXTURES_SHARED / "hf-papers" / "daily_papers_date=2026-07-31.json", "application/json"))
    code, out, _ = run(settings, "hf", "--from", "2026-07-31", "--to", "2026-07-31", "--base-url", replay.url,
                       "--no-fill")
    assert code == 0 and out.startswith("hf: 1 page, 34 new papers") and "34 HF daily entries" in out
    replay.rewrite["https://api.github.com"] = ""
    for name in ("setUp", "testGetStargazersWithDates"):
        for route, recorded in load_pygithub(FIXTURES_SHARED / "github-api" / f"pygithub_Repository.{name}.txt"):
            replay.add(route, recorded, ignore=["per_page"])
    store = open_store(settings.resolved_database_url())
    try:
        store.papers.save_batch(SourceBatch(links=[
            CodeLink("2607.28624", "pygithub/pygithub", "https://github.com/PyGithub/PyGithub", "pwc"),
            CodeLink("2607.28624", "danvk/comparea", "https://github.com/danvk/comparea", "pwc")]))
        code, out, err = run(settings, "stars", "--base-url", replay.url)
        # the 23 repositories HF linked are not in the recordings: answered 404, recorded as missing
        assert code == 0, err
        assert out.startswith("stars: 25 repositories checked, 2 star snapshots, 1 star histories backfilled")
        assert store.signals.get_repository("pygithub/pygithub").stars == 7122  # type: ignore[union-attr]
        assert store.signals.hf_entries("2607.28624")[0].upvotes == 145
    finally:
        store.close()
    code, out, _ = run(settings, "stars", "--base-url", replay.url)
    assert code == 0 and out.startswith("stars: nothing due; 0 requests")  # nothing is due yet


@pytest.mark.needs_data
def test_listing_failure_exits_1_with_a_clear_message(settings: Settings, replay: ReplayServer,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    replay.add("/atom/cs.AI", file_response(
        FIXTURES_SHARED / "arxiv-rss" / "zotero-arxiv-daily_cs.AI_2025-08-20_truncated_real.xml", "application/xml"))
    code, out, _ = run(settings, "listing", "--category", "cs.AI", "--base-url", replay.url + "/atom")
    assert code == 1 and "FAILED: cs.AI: arXiv announcement feed is not well-formed XML" in out
    logged = f"harvest listing: {out.split('FAILED: ')[1].strip()}"
    assert ("paperwire.ingest.harvest", 40, logged) in caplog.record_tuples


def test_pwc_ids_and_unreachable_source(settings: Settings, replay: ReplayServer) -> None:
    code, out, _ = run(settings, "pwc", str(FIXTURES / "pwc-links.json"))
    assert code == 0 and out.startswith("pwc: 1 page, 2 skipped, 3 new code links")
    code, out, _ = run(settings, "ids", "abc", "--base-url", replay.url + "/api/query")
    assert code == 1 and "FAILED" in out
    code, out, _ = run(settings, "arxiv", "--set", "cs", "--from", "2025-03-01", "--base-url", "http://127.0.0.1:9/oai2")
    assert code == 1 and "ConnectError" in out


@pytest.mark.needs_data
@pytest.mark.slow
def test_killed_harvest_resumes_without_gaps_or_duplicates(db_url: str, tmp_path: Path,
                                                           replay: ReplayServer) -> None:
    pages = oai_pages.pages(5, 6)  # DERIVED chain of 5 pages
    replay.add("/oai2?verb=ListRecords&metadataPrefix=arXiv&set=cs&from=2025-03-01", Recorded(200, [], pages[0][1]))
    routes = [replay.add(f"/oai2?verb=ListRecords&resumptionToken={oai_pages.token(i, 6)}",
                         Recorded(200, [], data)) for i, (_, data) in enumerate(pages[1:], start=1)]
    routes[1].delay = 120.0  # page 3 hangs: the harvester is killed while waiting for it
    command = [sys.executable, "-m", "paperwire", "--db", db_url, "--data-dir", str(tmp_path / "data"),
               "harvest", "arxiv", "--set", "cs", "--from", "2025-03-01", "--base-url", replay.url + "/oai2"]
    env = {**os.environ, **QUICK, "PAPERWIRE_ARXIV_MIN_INTERVAL_SECONDS": "0.2",
           "PAPERWIRE_HTTP_TIMEOUT_SECONDS": "300"}
    first = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        asked = replay.wait_for(lambda seen: any(s.param("resumptionToken") == "derived|12" for s in seen), 60)
        assert asked, "the harvester never asked for page 3"
        store = open_store(db_url)
        try:
            assert store.stats().papers == 12  # pages 1 and 2 are committed with their cursor
            assert '"token": "derived|12"' in (store.get_state("harvest.arxiv_oai.arXiv.cs") or "")
        finally:
            store.close()
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    assert first.returncode == -signal.SIGKILL
    routes[1].delay = 0.0
    # rerun plainly (default set, no --from): it must pick up the saved cursor by itself
    rerun = [*command[:-6], "--base-url", replay.url + "/oai2"]
    second = subprocess.run(rerun, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith("arxiv: 3 pages, 18 new papers, 0 updated, 0 unchanged")
    tokens = [s.param("resumptionToken") for s in replay.requests()]
    # pages 1-2 were asked once; page 3 twice (in flight at the kill, then again); the rest once
    assert tokens == [None, "derived|6", "derived|12", "derived|12", "derived|18", "derived|24"]
    store = open_store(db_url)
    try:
        expected = [pid for ids, _ in pages for pid in ids]
        assert store.stats().papers == len(expected) == 30
        assert sorted(p.id for p in store.papers.iter_papers()) == sorted(expected)
        assert '"token": null' in (store.get_state("harvest.arxiv_oai.arXiv.cs") or "")
    finally:
        store.close()


def test_ingestion_doc_explains_every_ingestion_setting() -> None:
    prefixes = ("contact_email", "http_", "arxiv_", "harvest_", "listing_", "hf_", "github_", "stars_", "stargazer_")
    ingestion = [n for n in Settings.model_fields if n.startswith(prefixes)]
    assert len(ingestion) >= 25
    text = (ROOT / "docs" / "ingestion.md").read_text()
    missing = [n for n in ingestion if f"PAPERWIRE_{n.upper()}" not in text]
    assert not missing, f"docs/ingestion.md does not explain {missing}"

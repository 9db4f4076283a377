"""Links a page renders from harvested data are http(s) only: dropped at parse time, and again in templates.

The review found that a licence of ``javascript:alert(1)`` in an imported
record became ``<a href="javascript:...">`` on the paper page: one click ran
the attacker's script in the site's origin. The parsers now keep only
absolute http(s) URLs in the fields a page links (licence, HF project page
and repository); the templates and the JSON API pass every stored link
through the same check, for rows written before the parsers did or another
way.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from paperwire.config import Settings
from paperwire.ingest.arxiv_oai import parse_list_records
from paperwire.ingest.arxiv_rss import parse_listing
from paperwire.ingest.bulk import import_files
from paperwire.ingest.hf import parse_daily
from paperwire.models import Paper
from paperwire.runtime import Runtime
from paperwire.store import Store
from paperwire.web import create_app
from paperwire.web.templating import make_templates
from tests.helpers import oai_pages
from tests.helpers.paths import FIXTURES_SHARED, ROOT

HOSTILE = [
    "javascript:alert(document.cookie)",
    "JaVaScRiPt:alert(1)",
    "  javascript:alert(1)",
    "java\tscript:alert(1)",  # browsers drop tabs and line breaks inside URLs
    "java\nscript:alert(1)",
    "\x01javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/licence",  # scheme-relative: whatever the page's scheme is, another host
    "/relative/licence",
    "http:/no-host",
    "https://exa mple.org/",
    "https://[::1/",  # not even a URL: urlsplit raises
]
KEPT = ["http://creativecommons.org/licenses/by/4.0/", "https://arxiv.org/licenses/nonexclusive-distrib/1.0/",
        "HTTPS://Example.org/x?a=1#f"]
GOOD = {"id": "2501.00001", "title": "A paper", "abstract": "Words.", "authors": ["Ada Lovelace"],
        "categories": ["cs.LG"], "announced": "2025-01-02"}


def _import(store: Store, tmp_path: Path, records: list[dict[str, Any]]) -> None:
    path = tmp_path / "papers.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    report = import_files(store, [path])
    assert report.ok, report.errors


def test_bulk_formats_keep_only_http_licences(store: Store, tmp_path: Path) -> None:
    values = HOSTILE + KEPT
    records = [{**GOOD, "id": f"2501.{i:05d}", "license": v} for i, v in enumerate(values)]
    kaggle = [{"id": f"0704.{i:04d}", "title": "K", "license": v, "update_date": "2008-11-13"}
              for i, v in enumerate(values, start=1)]
    _import(store, tmp_path, records + kaggle)
    jsonl = [store.papers.get_paper(r["id"]) for r in records]
    kag = [store.papers.get_paper(str(r["id"])) for r in kaggle]
    for papers in (jsonl, kag):
        assert [p.license if p else "missing" for p in papers] == [None] * len(HOSTILE) + KEPT


@pytest.mark.needs_data
def test_oai_and_feed_licences_keep_only_http() -> None:
    (_, data), = oai_pages.pages(1, 2)
    data = data.replace(b"http://arxiv.org/licenses/nonexclusive-distrib/1.0/", b"javascript:alert(1)", 1)
    first, second = (r.paper for r in parse_list_records(data).records)
    assert first is not None and first.license is None
    assert second is not None and second.license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"
    feed = (FIXTURES_SHARED / "arxiv-rss" / "DERIVED_cs.AI_2025-08-20_repaired_86entries.xml").read_bytes()
    feed = feed.replace(b"<dc:rights>http://", b"<dc:rights>javascript://", 1)
    entries = parse_listing(feed).entries
    assert entries[0].paper.license is None and entries[1].paper.license is not None


@pytest.mark.needs_data
def test_hf_project_page_and_repository_keep_only_http() -> None:
    items = json.loads((FIXTURES_SHARED / "hf-papers" / "daily_papers_date=2026-07-15.json").read_text())
    items[0]["paper"].update(projectPage="javascript:alert(1)", githubRepo="JAVASCRIPT:alert(1)//github.com/a/b")
    items[1]["paper"].update(projectPage="https://example.org/project", githubRepo="https://github.com/a/b")
    daily = parse_daily(json.dumps(items).encode(), date(2026, 7, 15))
    first, second = daily.entries
    assert (first.project_page, first.github_repo) == (None, None)
    assert (second.project_page, second.github_repo) == ("https://example.org/project", "https://github.com/a/b")
    assert [link.paper_id for link in daily.links] == [second.paper_id]


def test_a_stored_hostile_licence_is_not_linked_on_the_page_nor_in_the_api(runtime: Runtime) -> None:
    # written straight to the store, as rows imported before the parsers checked would be
    runtime.store.papers.upsert_papers([
        Paper("2501.00001", "Hostile", "a", ["A"], ["cs.LG"], license="javascript:alert(document.cookie)",
              announced=date(2025, 1, 2)),
        Paper("2501.00002", "Tabbed", "a", ["A"], ["cs.LG"], license="java\tscript:alert(1)",
              announced=date(2025, 1, 2)),
        Paper("2501.00003", "Fine", "a", ["A"], ["cs.LG"], license="http://creativecommons.org/licenses/by/4.0/",
              announced=date(2025, 1, 2)),
    ])
    with TestClient(create_app(runtime.settings, runtime.store)) as client:
        for pid in ("2501.00001", "2501.00002"):
            page = client.get(f"/paper/{pid}")
            assert page.status_code == 200 and "script:" not in page.text and "Licence" not in page.text
            assert client.get(f"/api/v1/papers/{pid}").json()["license"] is None
        fine = client.get("/paper/2501.00003").text
        assert '<dt>Licence</dt><dd><a href="http://creativecommons.org/licenses/by/4.0/">' in fine
        assert client.get("/api/v1/papers/2501.00003").json()["license"] == "http://creativecommons.org/licenses/by/4.0/"


@pytest.mark.parametrize("value", [*HOSTILE, None, 42])
def test_the_template_filter_renders_nothing_for_other_schemes(value: object) -> None:
    env = make_templates(ROOT / "paperwire" / "web" / "templates", Settings(), katex=False).env
    template = env.from_string('{% set u = value|http_url %}{% if u %}<a href="{{ u }}">code</a>{% endif %}')
    assert template.render(value=value) == ""


@pytest.mark.parametrize("value", KEPT)
def test_the_template_filter_keeps_http_links(value: str) -> None:
    env = make_templates(ROOT / "paperwire" / "web" / "templates", Settings(), katex=False).env
    assert env.from_string("{{ value|http_url }}").render(value=value) == value.replace("&", "&amp;")

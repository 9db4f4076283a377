"""The Hugging Face–compatible papers API, driven by the real ``huggingface_hub`` client over HTTP.

A real uvicorn server on 127.0.0.1 serves the sample (both backends); ``HfApi(endpoint=…)`` calls
it exactly as it calls huggingface.co. The response shape is also checked against HF's recorded
``/api/daily_papers`` responses in shared/data/fixtures/hf-papers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi.testclient import TestClient
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError

from paperwire.config import Settings
from paperwire.runtime import Runtime
from paperwire.store import Store
from paperwire.trending import recompute
from paperwire.web import create_app
from tests.helpers.live import live_server
from tests.helpers.paths import SHARED
from tests.helpers.world import NOW, SETTINGS

HF_FIXTURES = SHARED / "fixtures" / "hf-papers"
HF_TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture(scope="module")
def hf(sample_runtime: Runtime, monkeypatch_module: pytest.MonkeyPatch) -> Iterator[HfApi]:
    monkeypatch_module.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch_module.delenv("HF_TOKEN", raising=False)
    with live_server(create_app(sample_runtime.settings, sample_runtime.store)) as url:
        yield HfApi(endpoint=url, token=False)


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.fixture(scope="module")
def client(sample_runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(sample_runtime.settings, sample_runtime.store)) as c:
        yield c


def test_list_daily_papers_by_date(hf: HfApi) -> None:
    papers = list(hf.list_daily_papers(date="2025-03-18"))
    ids = [p.id for p in papers]
    assert "2503.11677" in ids and len(ids) == len(set(ids)) == 9
    paper = papers[ids.index("2503.11677")]
    assert paper.title == "Simulation of prosthetic vision with PRIMA system and enhancement of face representation"
    assert paper.summary and paper.summary.startswith("Objective. Patients implanted")
    assert paper.authors is not None and [a.name for a in paper.authors][-1] == "Daniel Palanker"
    assert paper.published_at == datetime(2025, 3, 18, tzinfo=UTC)
    assert paper.submitted_at == datetime(2025, 3, 18, tzinfo=UTC)
    assert not paper.upvotes and paper.comments == 0  # nothing collected yet: 0 (the client reads 0 as None)
    assert paper.github_repo is None and paper.github_stars is None


def test_list_daily_papers_defaults_to_the_newest_day(hf: HfApi, client: TestClient) -> None:
    ours = client.get("/api/v1/daily").json()
    assert [p.id for p in hf.list_daily_papers()] == [p["id"] for p in ours["papers"]]


def test_list_daily_papers_by_week_and_month(hf: HfApi, client: TestClient) -> None:
    week = list(hf.list_daily_papers(week="2026-W20", limit=100))
    expected = client.get("/api/v1/weekly", params={"week": "2026-W20", "limit": 100}).json()
    assert [p.id for p in week] == [p["id"] for p in expected["papers"]] and len(week) > 10
    assert all(p.submitted_at and "2026-05-11" <= p.submitted_at.date().isoformat() <= "2026-05-17" for p in week)
    month = list(hf.list_daily_papers(month="2026-05", limit=100))
    assert len(month) == 100 and all(p.submitted_at and p.submitted_at.month == 5 for p in month)


def test_list_daily_papers_sort_and_pages(hf: HfApi) -> None:
    first = [p.id for p in hf.list_daily_papers(month="2026-05", sort="publishedAt", limit=10, p=0)]
    second = [p.id for p in hf.list_daily_papers(month="2026-05", sort="publishedAt", limit=10, p=1)]
    assert len(first) == len(second) == 10 and not set(first) & set(second)
    trending = [p.id for p in hf.list_daily_papers(month="2026-05", sort="trending", limit=10)]
    assert trending == first  # never computed here: trending falls back to newest first
    assert list(hf.list_daily_papers(submitter="someone")) == []  # no member is called that


def test_list_daily_papers_rejects_bad_periods(hf: HfApi) -> None:
    for kwargs in ({"week": "2026-20"}, {"month": "May"}, {"date": "2026-02-30"},
                   {"date": "2026-05-01", "week": "2026-W20"}):
        with pytest.raises(HfHubHTTPError) as err:
            list(hf.list_daily_papers(**kwargs))  # type: ignore[arg-type]
        assert err.value.response is not None and err.value.response.status_code == 422


def test_paper_info(hf: HfApi) -> None:
    info = hf.paper_info("2503.11677")
    assert info.id == "2503.11677" and info.title and info.title.startswith("Simulation of prosthetic vision")
    assert info.authors and info.authors[0].name == "Jungyeon Park"
    assert info.published_at == datetime(2025, 3, 18, tzinfo=UTC) and info.github_repo is None
    with pytest.raises(HfHubHTTPError) as err:
        hf.paper_info("2101.99999")
    assert err.value.response is not None and err.value.response.status_code == 404
    assert "Paper not found" in str(err.value)


def test_list_papers_searches(hf: HfApi) -> None:
    found = list(hf.list_papers(query="gaussian splatting", limit=5))
    assert len(found) == 5
    assert all("gaussian" in ((p.title or "") + (p.summary or "")).lower() for p in found)
    assert len(list(hf.list_papers(query="zzqxv flurbnitz"))) == 0
    recent = list(hf.list_papers(limit=3))  # no query: the newest papers, as HF lists recent ones
    assert len(recent) == 3 and all(p.published_at for p in recent)


def _recorded_items() -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    for path in sorted(HF_FIXTURES.glob("daily_papers_date=*.json")):
        items += json.loads(path.read_text())
    assert items, f"no recorded HF responses in {HF_FIXTURES}"
    return items


def test_shape_matches_hugging_faces_recorded_responses(client: TestClient) -> None:
    recorded = _recorded_items()
    item_keys = set().union(*(item.keys() for item in recorded))
    paper_keys = set().union(*(item["paper"].keys() for item in recorded))  # type: ignore[attr-defined]
    author_keys = {k for item in recorded for a in item["paper"]["authors"] for k in a}  # type: ignore[index]
    ours = client.get("/api/daily_papers", params={"date": "2025-03-18"}).json()
    assert ours
    for item in ours:
        assert set(item) <= item_keys, set(item) - item_keys  # we invent no fields
        assert set(item["paper"]) <= paper_keys, set(item["paper"]) - paper_keys
        assert all(set(a) <= author_keys for a in item["paper"]["authors"])
        for value in (item["publishedAt"], item["paper"]["publishedAt"], item["paper"]["submittedOnDailyAt"]):
            assert HF_TIME_RE.match(value)
        assert isinstance(item["paper"]["upvotes"], int) and isinstance(item["numComments"], int)
    for item in recorded:  # and the recorded ones use the same formats we do
        assert HF_TIME_RE.match(str(item["publishedAt"]))
    single = client.get("/api/papers/2503.11677").json()
    assert set(single) <= paper_keys and single["id"] == "2503.11677"


def test_hf_errors_are_hf_shaped(client: TestClient) -> None:
    assert client.get("/api/papers/2101.99999").json() == {"error": "Paper not found"}
    body = client.get("/api/daily_papers", params={"limit": 0}).json()
    assert isinstance(body["error"], str) and "limit" in body["error"]


@pytest.fixture
def hf_world(web_settings: Settings, web_store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[HfApi]:
    """The real client against a live server of the trending world (tests/helpers/world.py), rankings computed."""
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    recompute(web_store, SETTINGS, NOW)
    with live_server(create_app(web_settings, web_store)) as url:
        yield HfApi(endpoint=url, token=False)


def test_trending_sort_and_signals_through_the_client(hf_world: HfApi, web_store: Store) -> None:
    ann = web_store.accounts.create_user("ann@example.org", "ann", "hash")
    web_store.community.set_upvote(ann.id, "2607.28624", True)
    trending = list(hf_world.list_daily_papers(sort="trending", limit=10))
    assert [p.id for p in trending] == [e.paper_id for e in web_store.trending.trending_page("day", limit=10).entries]
    top = next(p for p in trending if p.id == "2607.28624")
    assert top.upvotes == 146  # 145 on Hugging Face + 1 here
    # as on huggingface.co, listings carry githubRepo/githubStars inside "paper" (the client reads them from
    # paper_info only): check the raw answer too
    raw = httpx.get(f"{hf_world.endpoint}/api/daily_papers", params={"sort": "trending", "limit": 3}).json()
    assert raw[0]["paper"]["id"] == trending[0].id
    assert {"githubRepo": "https://github.com/yaoyao-jpg/PhiZero", "githubStars": 910, "upvotes": 146}.items() <= \
        next(i["paper"] for i in raw if i["paper"]["id"] == "2607.28624").items()
    info = hf_world.paper_info("2607.28624")
    assert info.github_repo == "https://github.com/yaoyao-jpg/PhiZero" and info.github_stars == 910
    second = list(hf_world.list_daily_papers(sort="trending", limit=5, p=1))
    assert [p.id for p in second] == [e.paper_id for e in web_store.trending.trending_page("day", 5, 5).entries]
    info = hf_world.paper_info("2607.28227")
    assert info.upvotes == 109 and info.github_repo == "https://github.com/huggingface/transformers"
    assert info.github_stars == 100_300
    web_store.community.add_submission("2607.28625", ann.id, "https://arxiv.org/abs/2607.28625")
    assert [p.id for p in hf_world.list_daily_papers(submitter="ann")] == ["2607.28625"]
    assert list(hf_world.list_daily_papers(submitter="ann", date="2020-01-01")) == []

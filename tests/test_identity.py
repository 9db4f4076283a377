"""Identity first: a pasted arXiv id, link, DOI or the exact title finds that paper first, in every mode,
on both stores, through the engine, the CLI, the API and the search page (which goes straight to it)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from paperwire.cli import cli
from paperwire.models import Paper, arxiv_id_in, doi_in, title_key
from paperwire.runtime import Runtime
from paperwire.search.engine import SearchError, SearchRequest, put_first, search
from paperwire.web import create_app

PID = "2606.31946"
TITLE = ("World Narrative Model for Highly Controllable Video Generation: A Paradigm Shift from Pixel Sampling "
         "to Physical World Orchestration")
REFERENCES = [PID, f"arXiv:{PID}", f"arxiv: {PID}v3", f"https://arxiv.org/abs/{PID}v2", f"https://arxiv.org/pdf/{PID}",
              f"http://arxiv.org/pdf/{PID}v1.pdf", f"arxiv.org/html/{PID}v2", f"https://huggingface.co/papers/{PID}",
              f"https://www.alphaxiv.org/abs/{PID}", f"https://doi.org/10.48550/arXiv.{PID}", f"  {PID}  "]


@pytest.mark.parametrize("text", REFERENCES)
def test_every_form_of_an_arxiv_reference_names_the_bare_id(text: str) -> None:
    assert arxiv_id_in(text) == PID


@pytest.mark.parametrize("text", ["hep-th/9901001", "hep-th/9901001v2", "https://arxiv.org/abs/math.GT/0309136v1",
                                  "arXiv:hep-th/9901001"])
def test_old_style_ids_keep_their_archive(text: str) -> None:
    assert arxiv_id_in(text) in ("hep-th/9901001", "math.GT/0309136")


@pytest.mark.parametrize("text", ["gaussian splatting", "2606.3194", "2613.31946", "https://example.org/abs/2606.31946",
                                  "arxiv.org/abs/2606.31946 diffusion", ""])
def test_words_and_near_misses_name_no_arxiv_id(text: str) -> None:
    assert arxiv_id_in(text) is None


def test_dois_are_read_in_their_usual_forms() -> None:
    assert doi_in("10.1145/3366423.3380211") == "10.1145/3366423.3380211"
    assert doi_in("https://doi.org/10.1145/3366423.3380211") == "10.1145/3366423.3380211"
    assert doi_in("doi:10.1000/XYZ.") == "10.1000/xyz"
    assert doi_in("graph neural networks") is None


@given(st.text(max_size=80))
def test_title_key_is_idempotent_and_ignores_case_and_punctuation(title: str) -> None:
    key = title_key(title)
    assert title_key(key) == key
    assert title_key(title.upper() + " !?") == title_key(title.lower())


def test_put_first_moves_the_paper_to_the_top_and_off_later_pages() -> None:
    page = [("a", 3.0), ("b", 2.0), ("c", 1.0)]
    assert put_first(page, 10, "c", 0, 3) == ([("c", 3.0), ("a", 3.0), ("b", 2.0)], 10)
    assert put_first(page, 10, "z", 0, 3) == ([("z", 3.0), ("a", 3.0), ("b", 2.0)], 11)
    assert put_first(page, 10, "b", 3, 3) == ([("a", 3.0), ("c", 1.0)], 10)


def first(rt: Runtime, query: str, mode: str) -> tuple[str | None, str | None]:
    res = search(rt.store, rt.indexes, SearchRequest(query, limit=5, mode=mode), rt.search_policy)
    return (res.hits[0].paper_id if res.hits else None), res.identified


@pytest.mark.parametrize("mode", ["hybrid", "keyword", "semantic"])
@pytest.mark.parametrize("query", [PID, f"arXiv:{PID}", f"https://arxiv.org/abs/{PID}v2", TITLE,
                                   TITLE.lower().replace(":", "") + ".", f"https://huggingface.co/papers/{PID}"])
def test_the_named_paper_comes_first_in_every_mode(sample_runtime: Runtime, query: str, mode: str) -> None:
    assert first(sample_runtime, query, mode) == (PID, PID)


def test_a_title_prefix_is_not_an_exact_title(sample_runtime: Runtime) -> None:
    res = search(sample_runtime.store, sample_runtime.indexes, SearchRequest("World Narrative Model for Highly"),
                 sample_runtime.search_policy)
    assert res.identified is None


def test_an_id_the_library_lacks_is_reported(sample_runtime: Runtime) -> None:
    res = search(sample_runtime.store, sample_runtime.indexes, SearchRequest("arXiv:2101.00001"),
                 sample_runtime.search_policy)
    assert res.identified is None and res.unknown_id == "2101.00001"


def test_a_doi_finds_its_paper_whatever_its_case(runtime: Runtime) -> None:
    runtime.store.papers.upsert_papers([
        Paper("2501.00001", "Widgets at scale", "About widgets.", ["A. Author"], ["cs.DB"], doi="10.1145/ABC.123",
              announced=date(2025, 1, 2)),
        Paper("2501.00002", "Gadgets", "About gadgets and 10.1145 numbers.", ["B. Author"], ["cs.DB"],
              announced=date(2025, 1, 3))])
    runtime.indexes.sync()
    for query in ("10.1145/abc.123", "https://doi.org/10.1145/ABC.123", "doi:10.1145/Abc.123"):
        assert first(runtime, query, "keyword") == ("2501.00001", "2501.00001")


def test_semantic_mode_finds_a_named_paper_before_anything_is_embedded(runtime: Runtime) -> None:
    runtime.store.papers.upsert_papers([
        Paper("2501.00001", "Widgets at scale", "About widgets.", ["A. Author"], ["cs.DB"],
              announced=date(2025, 1, 2))])
    runtime.indexes.sync()
    for query in ("2501.00001", "https://arxiv.org/abs/2501.00001v2", "Widgets at Scale"):
        assert first(runtime, query, "semantic") == ("2501.00001", "2501.00001")
    with pytest.raises(SearchError, match="needs embeddings"):  # words alone still need the embeddings
        first(runtime, "widgets", "semantic")


def test_the_search_page_goes_straight_to_a_pasted_link(sample_runtime: Runtime) -> None:
    client = TestClient(create_app(sample_runtime.settings, sample_runtime.store))
    for query in (PID, f"https://arxiv.org/abs/{PID}v2", f"arXiv:{PID}"):
        answer = client.get("/search", params={"q": query}, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == f"/paper/{PID}"
    titled = client.get("/search", params={"q": TITLE})  # a title is a search whose first result is the paper
    assert titled.status_code == 200 and titled.text.index(f"/paper/{PID}") < titled.text.index('class="pager')
    missing = client.get("/search", params={"q": "2101.00001"})
    assert missing.status_code == 200 and "arXiv:2101.00001 is not in this library yet" in missing.text
    api = client.get("/api/v1/search", params={"q": f"https://arxiv.org/abs/{PID}v2", "mode": "keyword"}).json()
    assert api["identified"] == PID and api["results"][0]["id"] == PID


def test_the_cli_finds_an_id_or_link_first(sample_runtime: Runtime) -> None:
    url = sample_runtime.settings.resolved_database_url()
    for query in (PID, f"https://arxiv.org/abs/{PID}v2", TITLE):
        done = CliRunner().invoke(cli, ["--db", url, "--data-dir", str(sample_runtime.settings.data_dir), "search",
                                        query, "--json", "--mode", "keyword"])
        assert done.exit_code == 0, done.output
        assert json.loads(done.output)[0]["id"] == PID

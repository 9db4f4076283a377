"""The keyword index's fields and weights: one stemmed text field, a title boost, the adjacent-words
phrase boost, and the schema version that rebuilds an old index."""

from __future__ import annotations

import random
from datetime import date

import pytest

from paperwire.models import IndexEntry, Paper
from paperwire.runtime import Runtime
from paperwire.search.analysis import analyze
from paperwire.search.indexes import KEYWORD_VERSION
from paperwire.search.keyword import KeywordIndex, KeywordWeights, QueryBudget, distinctive_terms
from paperwire.search.query import parse_query


def index_of(weights: KeywordWeights, *papers: tuple[str, str, str], shards: int = 1) -> KeywordIndex:
    index = KeywordIndex(None, weights=weights, shards=shards)
    index.write([IndexEntry(i, key, title, abstract) for i, (key, title, abstract) in enumerate(papers)],
                replace=False)
    return index


def keys(index: KeywordIndex, query: str) -> list[str]:
    return [key for key, _ in index.search(parse_query(query))[0]]


def test_the_english_analyzer_stems_and_the_names_one_does_not() -> None:
    assert analyze("Modelling segmentations") == analyze("modeling segmentation") == ["model", "segment"]
    assert analyze("Modelling the segmentations", "names") == ["modelling", "the", "segmentations"]


def test_an_inflected_query_word_finds_the_paper() -> None:
    index = index_of(KeywordWeights(), ("a", "Segmenting cells", "We segment cells in microscopy."),
                     ("b", "Counting birds", "Birds are counted."))
    assert keys(index, "cell segmentation") == ["a"]


def test_a_title_word_counts_more_than_the_same_word_in_an_abstract() -> None:
    # the texts differ in length: equal lengths tie without the title boost, and a tie's order depends on
    # which writer thread indexed which paper (this test was flaky so)
    papers = (("abstract", "Other things", "A study of graphs and things."),
              ("title", "Graphs", "A study of other things and more things."))
    assert keys(index_of(KeywordWeights(), *papers), "graphs")[0] == "title"
    assert keys(index_of(KeywordWeights(title=0.0), *papers), "graphs")[0] == "abstract"  # shorter text wins


def test_the_phrase_boost_prefers_adjacent_words() -> None:
    papers = (("apart", "Graph methods", "Neural methods for a graph of roads, and more words here."),
              ("adjacent", "Graph methods", "Methods for a neural graph of roads, and more words here."))
    assert keys(index_of(KeywordWeights(phrase=1.0), *papers), "neural graph")[0] == "adjacent"


def test_a_quoted_phrase_and_an_exclusion_read_title_and_abstract() -> None:
    index = index_of(KeywordWeights(), ("t", "Sparse attention", "Nothing else."),
                     ("x", "Dense layers", "We prune sparse attention heads."), ("z", "Other", "Unrelated."))
    assert sorted(keys(index, '"sparse attention"')) == ["t", "x"]
    assert keys(index, "attention -prune") == ["t"]


def test_an_index_of_the_old_schema_is_left_and_a_new_one_built_from_the_store(runtime: Runtime) -> None:
    """Changing the analyzer or fields changes KEYWORD_VERSION: the index lives in a new directory that
    starts empty and catches up from the store, on either backend."""
    runtime.store.papers.upsert_papers([Paper("2501.00001", "Marginalisation models", "Generative models.", ["A"],
                                              ["cs.LG"], announced=date(2025, 1, 2))])
    old = runtime.indexes.dir / f"keyword-v{KEYWORD_VERSION - 1}"
    old.mkdir(parents=True, exist_ok=True)
    assert runtime.indexes.sync() == 1
    assert (runtime.indexes.dir / f"keyword-v{KEYWORD_VERSION}").is_dir()
    assert [k for k, _ in runtime.indexes.keyword.search(parse_query("marginalisation model"))[0]] == ["2501.00001"]


def test_distinctive_terms_drop_the_commonest_until_the_postings_fit() -> None:
    freq = {"model": 900, "graph": 40, "sparse": 5, "attention": 300, "rare": 5, "data": 700}.__getitem__
    query = ["model", "sparse", "graph", "model", "attention", "data", "rare"]
    # 1,950 postings in all: dropping "model" (900) leaves 1,050, then "data" 350
    assert distinctive_terms(query, freq, QueryBudget(1000, min_terms=2)) == ["sparse", "graph", "attention", "rare"]
    assert distinctive_terms(query, freq, QueryBudget(100, min_terms=2)) == ["sparse", "graph", "rare"]
    assert distinctive_terms(query, freq, QueryBudget(20, min_terms=2)) == ["sparse", "rare"]
    assert distinctive_terms(query, freq, QueryBudget(20, min_terms=3)) == ["sparse", "graph", "rare"]
    assert distinctive_terms(query, freq, QueryBudget(2000, min_terms=2)) is None  # it fits: one pass
    assert distinctive_terms(query, freq, QueryBudget(0, min_terms=2)) is None  # 0: no budget
    assert distinctive_terms(["model", "data"], freq, QueryBudget(10, min_terms=2)) is None  # too few to drop
    tie = {"a": 10, "b": 10, "c": 1}.__getitem__
    assert distinctive_terms(["a", "b", "c"], tie, QueryBudget(12, min_terms=1)) == ["a", "c"]  # the later goes


def _budget_papers() -> list[tuple[str, str, str]]:
    papers = [(f"common{i}", f"Models {i}", "Models of data and learning." + " data" * (i % 3)) for i in range(30)]
    papers += [("rare", "Tessellation", "Tessellation of surfaces."),
               ("both", "Models and learning", "Models, learning and data, with tessellation once."),
               ("mesh", "Mesh learning", "Learning meshes from data.")]
    return papers


@pytest.mark.parametrize("shards", [1, 3])
def test_an_over_budget_query_gets_the_scores_of_a_full_search_for_its_candidates(shards: int) -> None:
    papers = _budget_papers()
    query = parse_query("models learning data tessellation meshes")
    full = index_of(KeywordWeights(), *papers, shards=shards)
    assert full.budget.max_postings > 1000  # the default: nothing this small is over budget
    one_pass, total = full.search(query, limit=50)
    assert total == len(papers)
    roomy = index_of(KeywordWeights(), *papers, shards=shards)
    # the first pass drops "data" and "learning" and ranks on "models", "tessellation" and "meshes":
    # every paper holds one of them, so every paper is a candidate
    roomy.budget = QueryBudget(max_postings=5, candidates=100, min_terms=3)
    two_pass, lower = roomy.search(query, limit=50)
    # the scores of a full search (a candidate's is its first-pass score plus its score on the dropped
    # terms: the same to float rounding), so the same ranking (equal scores may come in another order)
    assert dict(two_pass) == pytest.approx(dict(one_pass), rel=1e-6)
    assert [score for _, score in two_pass] == pytest.approx([score for _, score in one_pass], rel=1e-6)
    assert lower == len(papers)  # "models" (in every paper but two) and the rare words' matches


def test_an_over_budget_query_finds_the_paper_its_rare_words_name() -> None:
    papers = _budget_papers()
    index = index_of(KeywordWeights(), *papers)
    index.budget = QueryBudget(max_postings=5, candidates=2, min_terms=1)
    query = parse_query("models learning data tessellation")
    hits, total = index.search(query, limit=2)
    # the first pass ranks on "tessellation" alone (2 papers); both are then scored on every word
    assert sorted(key for key, _ in hits) == ["both", "rare"]
    full = dict(index_of(KeywordWeights(), *papers).search(query, limit=50)[0])
    assert dict(hits) == pytest.approx({key: full[key] for key, _ in hits}, rel=1e-6)
    assert total >= 31  # at least the papers that hold "models"
    assert not index.search_page(query, limit=2).total_exact  # and said to be a lower bound
    assert [key for key, _ in index.search(query, limit=1)[0]] == [key for key, _ in hits[:1]]


@pytest.mark.parametrize("shards", [1, 3])
def test_a_page_the_distinctive_words_cannot_fill_goes_on_in_full_search_order(shards: int) -> None:
    papers = _budget_papers()
    index = index_of(KeywordWeights(), *papers, shards=shards)
    query = parse_query("models learning data tessellation")
    for limit, offset, candidates in ((10, 0, 20), (5, 10, 20), (2, 2, 2)):
        # "tessellation" is in 2 papers only: it fills no page of 10 or from the 11th paper on; the third
        # page (papers 3-4) lies beyond the 2 candidates. Those pages show the 2 candidates (here also a
        # full search's first two) and then the other matches in full-search order, counted exactly
        index.budget = QueryBudget(max_postings=0)  # the reference: one pass (the same index, so equal
        expected = index.search(query, limit=limit, offset=offset)  # scores come in the same order)
        index.budget = QueryBudget(max_postings=5, candidates=candidates, min_terms=1)
        hits, total = index.search(query, limit=limit, offset=offset)
        assert ([key for key, _ in hits], total) == ([key for key, _ in expected[0]], expected[1])
        assert [score for _, score in hits] == pytest.approx([score for _, score in expected[0]], rel=1e-6)
        assert expected[0] and index.search_page(query, limit=limit, offset=offset).total_exact


def test_filters_apply_in_both_passes() -> None:
    papers = _budget_papers()
    index = index_of(KeywordWeights(), *papers)
    index.budget = QueryBudget(max_postings=5, candidates=2, min_terms=1)
    hits, total = index.search(parse_query("models learning data tessellation -surfaces"), limit=1)
    assert [key for key, _ in hits] == ["both"]
    assert total == 1  # with a filter the count is the first pass's: a word's frequency ignores the filter


def test_papers_the_semantic_side_found_get_their_full_score_in_the_second_pass() -> None:
    papers = _budget_papers()
    index = index_of(KeywordWeights(), *papers)
    # the first pass ranks on "models" and "tessellation" and keeps 3: "rare", "both" and a "common" paper
    index.budget = QueryBudget(max_postings=5, candidates=3, min_terms=2)
    query = parse_query("models learning data tessellation")
    assert "mesh" not in dict(index.search(query, limit=3)[0])  # neither word: not a candidate
    hits = dict(index.search(query, limit=3, also=["mesh", "unknown"])[0])
    assert set(hits) == {"both", "rare", "mesh"}  # "mesh" outscores the common papers on the whole query
    index.budget = QueryBudget(max_postings=0)
    full = dict(index.search(query, limit=50)[0])
    assert list(hits) == ["rare", "both", "mesh"] and hits == pytest.approx({key: full[key] for key in hits}, rel=1e-6)


@pytest.mark.parametrize("shards", [1, 3])
def test_a_first_pass_run_beforehand_gives_the_same_page(shards: int) -> None:
    papers = _budget_papers()
    index = index_of(KeywordWeights(), *papers, shards=shards)
    index.budget = QueryBudget(max_postings=5, candidates=3, min_terms=2)
    query = parse_query("models learning data tessellation")
    first = index.first_pass(query, limit=3)
    assert first is not None and first.keys[:2] == ["rare", "both"] and "mesh" not in first.keys
    also = ["mesh", "unknown"]
    assert index.search_page(query, limit=3, also=also, first=first) == index.search_page(query, limit=3, also=also)
    assert index.search_page(query, limit=3, also=also).two_pass
    assert index.first_pass(query, limit=4) is None  # beyond the 3 candidates: one full pass
    assert index.first_pass(query, limit=3, sort="newest") is None
    index.budget = QueryBudget(max_postings=0)
    assert index.first_pass(query, limit=3) is None


def test_a_first_pass_given_beforehand_refuses_another_restriction_or_order() -> None:
    index = index_of(KeywordWeights(), *_budget_papers())
    index.budget = QueryBudget(max_postings=5, candidates=3, min_terms=2)
    query = parse_query("models learning data tessellation")
    first = index.first_pass(query, limit=3)
    assert first is not None
    with pytest.raises(ValueError, match="first pass"):
        index.search_page(query, limit=3, sort="newest", first=first)
    with pytest.raises(ValueError, match="first pass"):
        index.search_page(query, limit=3, only=["rare"], first=first)


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 10])
@pytest.mark.parametrize(("candidates", "min_terms", "query_text", "kept_matches"), [
    (4, 2, "models learning data tessellation", 4),  # "models" and "tessellation" match 32: 4 candidates
    (20, 1, "models learning data tessellation meshes", 3),  # "tessellation" and "meshes" match 3 papers
])
@pytest.mark.parametrize("shards", [1, 3])
def test_paging_past_the_candidates_shows_every_match_once(limit: int, candidates: int, min_terms: int,
                                                           query_text: str, kept_matches: int, shards: int) -> None:
    """Pages within the candidates are the two-pass pages; the pages after them (past the candidates, or
    past what the distinctive words match) go on with the other matches in full-search order, so paging
    through shows every match once, whatever the page size."""
    papers = _budget_papers()
    index = index_of(KeywordWeights(), *papers, shards=shards)
    index.budget = QueryBudget(max_postings=5, candidates=candidates, min_terms=min_terms)
    query = parse_query(query_text)
    first = index.first_pass(query, limit=1)
    assert first is not None and len(first.keys) == kept_matches
    two_pass = [key for key, _ in index.search_page(query, kept_matches, 0, first=first).hits]
    shown: list[str] = []
    totals = []
    for offset in range(0, len(papers) + limit, limit):
        page = index.search_page(query, limit=limit, offset=offset)
        shown += [key for key, _ in page.hits]
        totals.append((page.total, page.total_exact))
        assert len(page.hits) == min(limit, max(0, len(papers) - offset))
    assert shown[:kept_matches] == two_pass and len(shown) == len(set(shown)) == len(papers)
    # past the candidates the count is exact (a full search counted the rest)
    assert all(total == len(papers) for total, exact in totals if exact)
    assert totals[-1] == (len(papers), True)


@pytest.mark.parametrize("shards", [1, 3])
def test_paging_on_after_weak_candidates_neither_repeats_nor_skips(shards: int) -> None:
    """The distinctive word ("tessellation") names 2 papers that a full search ranks below 30 others: the
    two-pass pages show those 2 first; the next pages must go on with the other matches, not restart a
    full search (which showed the 2 again further down and never showed the full search's first two)."""
    papers = [(f"strong{i:02d}", "Models learning data", "Models, learning and data: models learning data.")
              for i in range(30)]
    papers += [(f"other{i:02d}", "Another topic", "Nothing of the query here at all.") for i in range(30)]
    papers += [("rare", "Unrelated title", "A long abstract about many other things, with one tessellation "
                "among a great many words of padding, padding and more padding to make it long."),
               ("both", "Models and tessellation", "Tessellation of surfaces, and nothing more.")]
    index = index_of(KeywordWeights(), *papers, shards=shards)
    query = parse_query("models learning data tessellation")
    full = [key for key, _ in index.search(query, limit=100)[0]]
    assert full.index("rare") > 2  # a full search ranks the distinctive word's papers lower
    index.budget = QueryBudget(max_postings=5, candidates=20, min_terms=1)
    shown = [key for offset in range(0, 40) for key, _ in index.search(query, limit=1, offset=offset)[0]]
    assert set(shown[:2]) == {"rare", "both"}
    assert len(shown) == len(set(shown)) == 32  # every match once
    assert shown[2:] == [key for key in full if key not in ("rare", "both")]


def _random_papers(seed: int) -> list[IndexEntry]:
    """80 papers of words drawn with a skew (a few common, many rare), some authors named like words."""
    rng = random.Random(seed)
    vocabulary = ["model", "data", "learning", "graph", "neural", "network", "sparse", "attention", "kernel",
                  "tensor", "manifold", "bandit", "lattice", "quantum", "robot", "protein", "wavelet", "spline"]
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]
    names = ["Ada Graph", "Kernel Smith", "Lee Wavelet", "Mia Data", "Tom Robot", "Ann Jones"]
    return [IndexEntry(i, f"p{i}", " ".join(rng.choices(vocabulary, weights, k=rng.randint(2, 5))),
                       " ".join(rng.choices(vocabulary, weights, k=rng.randint(5, 40))),
                       authors=rng.sample(names, rng.randint(0, 2)), categories=[rng.choice(["cs.LG", "cs.RO"])])
            for i in range(80)]


@pytest.mark.parametrize("weights", [KeywordWeights(), KeywordWeights(phrase=0.5)])
@pytest.mark.parametrize("shards", [1, 3])
@pytest.mark.parametrize("text", [
    "model data learning graph kernel wavelet",
    "model model data graph graph wavelet spline",  # repeated words count twice in both passes
    "data kernel robot wavelet learning network cat:cs.RO",  # author words; a filter
    "graph neural network attention sparse tensor -quantum",  # an exclusion
])
def test_the_second_pass_scores_every_candidate_as_a_full_search_does(weights: KeywordWeights, shards: int,
                                                                      text: str) -> None:
    """A candidate's score is its first-pass score plus its score on the dropped terms' clauses (and the
    semantic side's papers are scored on the whole query); with the phrase clauses on, which
    do not add up per term, everything is scored again. Either way: a full search's scores and order."""
    index = KeywordIndex(None, weights=weights, shards=shards)
    index.write(_random_papers(7), replace=False)
    query = parse_query(text)
    full = index.search_page(query, limit=100)
    index.budget = QueryBudget(max_postings=60, candidates=12, min_terms=2)
    first = index.first_pass(query, limit=10)
    assert first is not None and set(first.kept) < set(analyze(" ".join(query.words)))
    # the semantic side's papers: the best the first pass missed, weak matches and an unknown paper
    missed = [key for key, _ in full.hits if key not in first.keys]
    also = missed[:3] + missed[-3:] + ["p999"]
    page = index.search_page(query, limit=10, also=also, first=first)
    expected = dict(full.hits)
    ranked = [score for key, score in full.hits if key in {*first.keys, *also}]
    assert page.two_pass and [score for _, score in page.hits] == pytest.approx(ranked[:10], rel=1e-6)
    # each paper with its own full score (equal scores may come in another order)
    assert dict(page.hits) == pytest.approx({key: expected[key] for key, _ in page.hits}, rel=1e-6)
    assert set(missed[:3]) & {key for key, _ in page.hits}  # what the first pass missed is ranked too
    assert page.total >= len(set(first.keys) | (set(also) & set(expected)))

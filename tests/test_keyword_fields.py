"""The keyword index's fields and weights: one stemmed text field, a title boost, the unstemmed exact
field, the adjacent-words phrase boost, and the schema version that rebuilds an old index."""

from __future__ import annotations

from datetime import date

from paperwire.models import IndexEntry, Paper
from paperwire.runtime import Runtime
from paperwire.search.analysis import analyze
from paperwire.search.indexes import KEYWORD_VERSION
from paperwire.search.keyword import KeywordIndex, KeywordWeights, rarest_terms
from paperwire.search.query import parse_query


def index_of(weights: KeywordWeights, *papers: tuple[str, str, str]) -> KeywordIndex:
    index = KeywordIndex(None, weights=weights)
    index.write([IndexEntry(i, key, title, abstract) for i, (key, title, abstract) in enumerate(papers)],
                replace=False)
    return index


def keys(index: KeywordIndex, query: str) -> list[str]:
    return [key for key, _ in index.search(parse_query(query))[0]]


def test_the_english_analyzer_stems_and_the_exact_one_does_not() -> None:
    assert analyze("Modelling segmentations") == analyze("modeling segmentation") == ["model", "segment"]
    assert analyze("Modelling the segmentations", "exact") == ["modelling", "the", "segmentations"]


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


def test_the_exact_boost_prefers_the_word_as_typed() -> None:
    papers = (("stem", "Learned codes", "Codes that were learned."), ("exact", "Learning codes", "Codes learning."))
    assert set(keys(index_of(KeywordWeights(), *papers), "learning codes")) == {"stem", "exact"}
    assert keys(index_of(KeywordWeights(exact=1.0), *papers), "learning codes")[0] == "exact"


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


def test_rarest_terms_keeps_the_k_least_frequent_in_query_order() -> None:
    freq = {"model": 900, "graph": 40, "sparse": 5, "attention": 300, "rare": 5}.__getitem__
    assert rarest_terms(["model", "sparse", "graph", "model", "attention"], freq, 2) == ["sparse", "graph"]
    assert rarest_terms(["rare", "model", "sparse"], freq, 1) == ["rare"]  # a tie goes to the earlier word
    assert rarest_terms(["model", "graph", "model"], freq, 0) == ["model", "graph"]  # 0: every word
    assert rarest_terms(["model", "graph"], freq, 5) == ["model", "graph"]


def test_a_capped_query_ranks_on_its_rarest_words_only() -> None:
    papers = [(f"common{i}", "Models", "Models of data and learning.") for i in range(6)]
    papers += [("rare", "Tessellation", "Tessellation of surfaces."),
               ("both", "Models and learning", "Models, learning and data, with tessellation once.")]
    query = "models learning data tessellation"
    assert len(keys(index_of(KeywordWeights(), *papers), query)) == 8  # every word is searched
    capped = keys(index_of(KeywordWeights(max_terms=1), *papers), query)
    assert set(capped) == {"rare", "both"}  # only "tessellation" is
    assert set(keys(index_of(KeywordWeights(max_terms=4), *papers), query)) == {p[0] for p in papers}

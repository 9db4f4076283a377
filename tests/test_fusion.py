"""Fusion functions: hand-computed cases and properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperwire.search.fusion import convex, get_fusion, rrf


def test_rrf_hand_computed() -> None:
    fused = dict(rrf([[("a", 9.0), ("b", 5.0)], [("b", 0.9), ("c", 0.8)]], k=60))
    assert fused["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert fused["a"] == pytest.approx(1 / 61) and fused["c"] == pytest.approx(1 / 62)
    assert next(k for k, _ in rrf([[("a", 9.0), ("b", 5.0)], [("b", 0.9), ("c", 0.8)]])) == "b"


def test_rrf_weights() -> None:
    fused = rrf([[("a", 1.0)], [("b", 1.0)]], weights=[1.0, 2.0])
    assert [k for k, _ in fused] == ["b", "a"]


def test_convex_minmax_hand_computed() -> None:
    keyword = [("a", 10.0), ("b", 6.0), ("c", 2.0)]
    dense = [("c", 0.9), ("a", 0.5)]
    fused = dict(convex([keyword, dense], weights=[0.4, 0.6]))
    assert fused["a"] == pytest.approx(0.4 * 1.0 + 0.6 * 0.0)
    assert fused["b"] == pytest.approx(0.4 * 0.5 + 0.6 * 0.0)  # missing from dense: its floor
    assert fused["c"] == pytest.approx(0.4 * 0.0 + 0.6 * 1.0)


def test_convex_handles_empty_and_constant_lists() -> None:
    assert convex([[], [("a", 1.0), ("b", 1.0)]]) == [("a", 1.0), ("b", 1.0)]
    assert convex([[], []]) == []


@pytest.mark.parametrize("norm", ["minmax", "zscore", "dbsf"])
def test_normalisations_keep_a_single_list_in_order(norm: str) -> None:
    ranked = [("a", 3.0), ("b", 2.0), ("c", -1.0)]
    assert [k for k, _ in convex([ranked], norm=norm)] == ["a", "b", "c"]


def test_unknown_names_are_rejected() -> None:
    with pytest.raises(ValueError, match="unknown fusion"):
        get_fusion("bogus")
    with pytest.raises(ValueError, match="unknown normalisation"):
        convex([[("a", 1.0)]], norm="bogus")


lists = st.lists(st.tuples(st.sampled_from("abcdefghij"), st.floats(-100, 100)), max_size=10,
                 unique_by=lambda t: t[0])


@given(lists, lists)
def test_fusions_return_each_document_once_sorted(one: list[tuple[str, float]], two: list[tuple[str, float]]) -> None:
    for fused in (rrf([one, two]), convex([one, two]), convex([one, two], norm="zscore")):
        keys = [k for k, _ in fused]
        assert len(keys) == len(set(keys)) == len({k for k, _ in one} | {k for k, _ in two})
        scores = [s for _, s in fused]
        assert scores == sorted(scores, reverse=True)


@given(lists)
def test_a_document_first_in_both_lists_wins(one: list[tuple[str, float]]) -> None:
    ranked = sorted(one, key=lambda t: -t[1])
    if ranked and (len(ranked) < 2 or ranked[0][1] > ranked[1][1]):
        for fused in (rrf([ranked, ranked]), convex([ranked, ranked])):
            assert fused[0][0] == ranked[0][0]


def test_by_trending_puts_ranked_papers_first_in_rank_order() -> None:
    from paperwire.search.engine import by_trending

    assert by_trending(["a", "b", "c", "d"], {"c": 1, "a": 7}) == ["c", "a", "b", "d"]
    assert by_trending(["a", "b"], {}) == ["a", "b"]
    assert by_trending([], {"a": 1}) == []


def test_by_length_uses_the_short_weight_for_a_few_words_and_the_long_one_for_sentences() -> None:
    from paperwire.search.fusion import by_length

    assert by_length(1, 0.2, 0.6) == by_length(5, 0.2, 0.6) == 0.2
    assert by_length(15, 0.2, 0.6) == by_length(40, 0.2, 0.6) == 0.6
    assert by_length(10, 0.2, 0.6) == pytest.approx(0.4)  # half way from 5 to 15 words


@given(st.integers(0, 60), st.floats(0, 1), st.floats(0, 1))
def test_by_length_stays_between_its_two_weights_and_moves_one_way(words: int, short: float, long: float) -> None:
    from paperwire.search.fusion import by_length

    weight = by_length(words, short, long)
    assert min(short, long) - 1e-12 <= weight <= max(short, long) + 1e-12
    after = by_length(words + 1, short, long)
    assert (after - weight) * (long - short) >= -1e-12  # never back towards the short weight


def test_fusion_config_weights_a_query_by_its_length() -> None:
    from paperwire.search.hybrid import FusionConfig

    adaptive = FusionConfig(weights=(0.5, 0.5), short_semantic_weight=0.2)
    assert adaptive.weights_for(3) == pytest.approx([0.8, 0.2])
    assert adaptive.weights_for(20) == pytest.approx([0.5, 0.5])
    assert adaptive.weights_for(None) == pytest.approx([0.5, 0.5])
    assert FusionConfig(weights=(0.6, 0.4)).weights_for(3) == pytest.approx([0.6, 0.4])  # not adaptive
    keyword, dense = [("a", 10.0), ("b", 9.0)], [("b", 0.9), ("a", 0.1)]
    assert adaptive.fuse(keyword, dense, 3)[0][0] == "a"  # a few words: the keyword side leads
    assert FusionConfig(weights=(0.3, 0.7), short_semantic_weight=0.2).fuse(keyword, dense, 30)[0][0] == "b"

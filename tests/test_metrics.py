"""Metrics against hand-computed values."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperwire.search.metrics import mean_metrics, mrr_at_k, ndcg_at_k, recall_at_k


def test_ndcg_perfect_and_worst() -> None:
    qrels = {"a": 3, "b": 2, "c": 0}
    assert ndcg_at_k(["a", "b", "c"], qrels, 10) == 1.0
    assert ndcg_at_k(["x", "y"], qrels, 10) == 0.0


def test_ndcg_hand_computed() -> None:
    # ranking b, a with grades 2, 3: DCG = 2/1 + 3/log2(3); ideal = 3 + 2/log2(3)
    got = ndcg_at_k(["b", "a"], {"a": 3, "b": 2}, 10)
    assert got == pytest.approx((2 + 3 / math.log2(3)) / (3 + 2 / math.log2(3)))


def test_cutoffs() -> None:
    qrels = {"a": 1}
    assert ndcg_at_k(["x", "a"], qrels, 1) == 0.0
    assert recall_at_k(["x", "a"], qrels, 1) == 0.0 and recall_at_k(["x", "a"], qrels, 2) == 1.0
    assert mrr_at_k(["x", "y", "a"], qrels, 10) == pytest.approx(1 / 3) and mrr_at_k(["x", "y", "a"], qrels, 2) == 0


def test_mean_counts_unanswered_queries_as_zero() -> None:
    m = mean_metrics({"q1": ["a"]}, {"q1": {"a": 1}, "q2": {"b": 1}, "q3": {"c": 0}})
    assert m["queries"] == 2 and m["ndcg@10"] == 0.5 and m["mrr@10"] == 0.5


@given(st.lists(st.sampled_from("abcdefgh"), unique=True),
       st.dictionaries(st.sampled_from("abcdefgh"), st.integers(0, 3)))
def test_metrics_are_bounded(ranked: list[str], qrels: dict[str, int]) -> None:
    for f in (ndcg_at_k, recall_at_k, mrr_at_k):
        assert 0.0 <= f(ranked, qrels, 5) <= 1.0 + 1e-12

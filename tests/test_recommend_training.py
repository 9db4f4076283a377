"""Training: which signals count, recency weights, row truncation, incremental retraining."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
import scipy.sparse as sp

from paperwire.recommend.training import Signal, TrainConfig, recency_weight, split_signals, train, truncate_rows
from tests.helpers.recommend import background, library_texts, saves

TODAY = date(2026, 3, 1)


def test_thumbs_down_after_a_save_makes_the_paper_a_negative() -> None:
    signals = [Signal("a", "save", date(2026, 1, 1)), Signal("a", "thumbs_down", date(2026, 2, 1)),
               Signal("b", "upvote", date(2026, 1, 1))]
    positives, negatives = split_signals(signals, TODAY, TrainConfig())
    assert positives == [("b", 1.0)] and negatives == ["a"]


def test_a_save_after_a_thumbs_down_wins_back() -> None:
    signals = [Signal("a", "thumbs_down", date(2026, 1, 1)), Signal("a", "thumbs_up", date(2026, 2, 1))]
    assert split_signals(signals, TODAY, TrainConfig()) == ([("a", 1.0)], [])


def test_unknown_signal_kind_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown signal"):
        Signal("a", "like", TODAY)


def test_recency_weight_halves_each_half_life_and_is_off_at_zero() -> None:
    assert recency_weight(90, 90) == pytest.approx(0.5)
    assert recency_weight(180, 90) == pytest.approx(0.25)
    assert recency_weight(1000, 0) == 1.0


def test_recency_orders_positives_newest_first_when_on() -> None:
    signals = [Signal("old", "save", date(2025, 3, 1)), Signal("new", "save", date(2026, 2, 1))]
    positives, _ = split_signals(signals, TODAY, TrainConfig(half_life_days=180))
    assert [p for p, _ in positives] == ["new", "old"]
    assert positives[1][1] == pytest.approx(0.5 ** (365 / 180))


def test_caps_keep_the_heaviest_positives_and_latest_negatives() -> None:
    signals = [Signal(f"p{i}", "save", date(2026, 1, 1 + i)) for i in range(5)]
    signals += [Signal(f"n{i}", "thumbs_down", date(2026, 1, 1 + i)) for i in range(5)]
    positives, negatives = split_signals(signals, TODAY, TrainConfig(max_positives=2, max_negatives=2))
    assert [p for p, _ in positives] == ["p4", "p3"] and negatives == ["n4", "n3"]


def test_truncate_rows_keeps_the_heaviest_terms_at_unit_length() -> None:
    rows = sp.csr_matrix(np.array([[0.1, 0.5, 0.0, 0.8], [0.3, 0.0, 0.0, 0.0]], dtype=np.float32))
    cut = truncate_rows(rows, 2).toarray()[:, :4]
    assert np.count_nonzero(cut[0]) == 2 and cut[0, 0] == 0
    assert np.linalg.norm(cut[0]) == pytest.approx(1.0) and cut[1, 0] == pytest.approx(1.0)


def test_incremental_retraining_equals_training_from_scratch() -> None:
    bg, texts = background(), library_texts()
    first = train(bg, saves("graphs-1", "graphs-2"), texts, TODAY)
    more = [*saves("graphs-1", "graphs-2"), Signal("speech-1", "save", date(2026, 2, 1))]
    calls: list[str] = []

    class Counting(dict[str, str]):
        def get(self, key: str, default: str | None = None) -> str:  # type: ignore[override]
            calls.append(key)
            return texts[key]

    again = train(bg, more, Counting(texts), TODAY, previous=first)
    assert calls == ["speech-1"]  # only the new paper was read and vectorised
    fresh = train(bg, more, texts, TODAY)
    assert again.positive_ids == fresh.positive_ids
    assert abs(again.positives - fresh.positives).max() < 1e-6


def test_rows_of_another_background_are_not_reused() -> None:
    bg, texts = background(), library_texts()
    first = train(bg, saves("graphs-1"), texts, TODAY)
    stale = type(first)("0" * 16, first.trained_on, first.positive_ids, first.positive_weights,
                        first.positives * 0, first.negative_ids, first.negatives)
    again = train(bg, saves("graphs-1"), texts, TODAY, previous=stale)
    assert abs(again.positives - first.positives).max() < 1e-6

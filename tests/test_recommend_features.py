"""The background model: idf, tf-idf rows, hubness, its stored form."""

from __future__ import annotations

import numpy as np
import pytest

from paperwire.recommend.features import Background, counts_matrix, fit_background, idf_weights
from paperwire.recommend.text import bucket
from tests.helpers.recommend import background


def test_idf_drops_rare_and_common_terms() -> None:
    idf = idf_weights(np.array([0, 1, 3, 5, 10]), n_docs=10, min_df=3, max_df=0.5)
    assert idf[0] == 0 and idf[1] == 0  # fewer than min_df papers
    assert idf[4] == 0  # in more than half of them
    assert idf[2] > idf[3] > 0  # rarer is heavier


def test_rows_are_unit_length_and_ignore_unknown_words() -> None:
    bg = background()
    rows = bg.rows(["graph neural network", "zzzunknown qqqword"])
    assert np.sqrt(rows[0].multiply(rows[0]).sum()) == pytest.approx(1.0, abs=1e-5)
    assert rows[1].nnz == 0
    assert rows[0, bucket("graph neural")] > 0


def test_a_generic_paper_is_more_of_a_hub_than_a_specific_one() -> None:
    texts = [f"we propose a method for learning and show results on task {i}" for i in range(40)]
    texts += ["quantum error correction surface code decoder"] * 3
    bg = fit_background(counts_matrix(texts), min_df=1, max_df=1.0, reference_size=43, hub_k=5)
    hub = bg.hubness(bg.rows(["a new method for learning with results", "surface code decoder for qubits"]))
    assert hub[0] > hub[1]


def test_background_round_trips_through_bytes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bg = background()
    bg.save(tmp_path / "bg.npz")
    again = Background.load(tmp_path / "bg.npz")
    assert again.fingerprint == Background.from_bytes(bg.to_bytes()).fingerprint
    assert (again.n_docs, again.min_df, again.max_df, again.hub_k) == (bg.n_docs, 1, 1.0, 3)
    a, b = bg.rows(["graph neural network"]), again.rows(["graph neural network"])
    assert abs(a - b).max() < 1e-3  # idf is stored as float16


def test_another_format_is_refused() -> None:
    blob = bytearray(background().to_bytes())
    with pytest.raises(Exception):  # noqa: B017 - numpy raises its own error for a damaged archive
        Background.from_bytes(bytes(blob[:100]))

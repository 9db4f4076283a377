"""The stored per-user model: round trip, size, versions, damage."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from paperwire.recommend.model import MAX_MODEL_BYTES, ModelFormatError, UserModel
from paperwire.recommend.text import paper_text
from paperwire.recommend.training import Signal, train
from tests.helpers.recommend import background, library_texts, saves


def _model() -> UserModel:
    texts = library_texts()
    signals = [*saves("graphs-1", "graphs-2", "speech-3"), Signal("robots-4", "thumbs_down", date(2026, 1, 2))]
    return train(background(), signals, texts, date(2026, 1, 5))


def test_round_trip_keeps_ids_weights_and_rows() -> None:
    model = _model()
    again = UserModel.from_bytes(model.to_bytes())
    assert again.positive_ids == model.positive_ids and again.negative_ids == ("robots-4",)
    assert again.background == model.background and again.trained_on == "2026-01-05"
    assert np.allclose(again.positive_weights, model.positive_weights)
    # values are kept to 8 bits of each row's largest
    assert abs(again.positives - model.positives).max() <= model.positives.max() / 255
    assert (again.negatives != 0).nnz == (model.negatives != 0).nnz


def test_a_big_library_stays_under_16_kb() -> None:
    # A reader with 300 saved papers of long abstracts: the lightest are dropped, the model still fits.
    texts = {f"p{i}": paper_text(f"Paper {i}", " ".join(f"word{i}x{j} term{j}" for j in range(200)))
             for i in range(300)}
    bg = background()
    bg = type(bg)(np.ones_like(bg.idf), bg.reference, bg.n_docs)  # every bucket counts: the largest rows
    model = train(bg, [Signal(p, "save", date(2026, 1, 1)) for p in texts], texts, date(2026, 1, 1))
    blob = model.to_bytes()
    assert len(blob) <= MAX_MODEL_BYTES
    assert 10 < len(model.positive_ids) < 300


@pytest.mark.parametrize("damage", [
    lambda b: b[:10],                      # cut inside the header
    lambda b: b[:-3],                      # cut inside the last row
    lambda b: b"XXXX" + b[4:],             # not a model
    lambda b: b[:4] + bytes([9]) + b[5:],  # a format this code does not know
    lambda b: b + b"\0\0",                 # trailing bytes
])
def test_damaged_or_foreign_bytes_are_refused(damage) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ModelFormatError):
        UserModel.from_bytes(damage(_model().to_bytes()))


def test_a_new_reader_has_an_empty_model() -> None:
    model = train(background(), [], {}, date(2026, 1, 1))
    assert model.empty
    assert UserModel.from_bytes(model.to_bytes()).empty

"""Explanations: the library papers, follows and terms behind a recommendation."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from paperwire.recommend.explain import explain, shares
from paperwire.recommend.scoring import Preferences, rank
from paperwire.recommend.training import train
from tests.helpers.recommend import background, candidates, library_texts, saves


def test_shares_sum_to_one_and_favour_the_closest_paper() -> None:
    part = shares(np.array([0.9, 0.1, 0.5]), np.ones(3), 6.0)
    assert part.sum() == pytest.approx(1.0) and part.argmax() == 0


def test_a_recommendation_names_its_library_papers_terms_and_follows() -> None:
    bg = background()
    cands = candidates(bg)
    model = train(bg, saves("graphs-1", "speech-1", "robots-1"), library_texts(), date(2026, 3, 1))
    prefs = Preferences(followed_authors=frozenset({"Author graphs 0"}), followed_categories=frozenset({"cs.GR"}))
    top = rank(model, cands, prefs, limit=1)[0]
    why = explain(model, cands, top.index, prefs)
    assert top.paper_id == "new-graphs-100"
    assert why.like[0] == "graphs-1"
    assert why.authors == ("Author graphs 0",) and why.categories == ("cs.GR",)
    assert why.terms and all(any(w in {"graph", "neural", "network", "message", "passing", "molecular", "property",
                                        "prediction", "node", "classification"} for w in t.split()) for t in why.terms)
    lines = why.sentences({"graphs-1": "Graph Paper"})
    assert lines[0] == "by an author you follow: Author graphs 0"
    assert "like “Graph Paper”" in lines[2] and lines[3].startswith("matching terms: ")


def test_an_explored_paper_says_so_and_a_new_reader_gets_no_library_reasons() -> None:
    bg = background()
    cands = candidates(bg)
    why = explain(train(bg, [], {}, date(2026, 3, 1)), cands, 0, explored=True)
    assert why.like == () and why.terms == ()
    assert why.sentences() == ["outside your usual topics, to explore"]

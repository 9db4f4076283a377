"""Ranking for a reader: scorers by name, thumbs-down, follows, mutes, exploration."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from paperwire.recommend.explore import mix
from paperwire.recommend.scoring import Preferences, RankConfig, get_scorer, rank, softmax
from paperwire.recommend.training import Signal, train
from tests.helpers.recommend import background, candidates, library_texts, saves

TODAY = date(2026, 3, 1)


def _topic(paper_id: str) -> str:
    return paper_id.split("-")[1]


def test_scorers_by_name() -> None:
    sims = np.array([[0.9, 0.1], [0.1, 0.5]])
    weights = np.ones(2)
    assert list(get_scorer("max")(sims, weights, 6.0)) == [0.9, 0.5]
    assert get_scorer("mean")(sims, weights, 6.0) == pytest.approx([0.5, 0.3])
    with pytest.raises(ValueError, match="unknown scorer 'svm'; choose one of softmax, mean, max"):
        get_scorer("svm")


def test_softmax_lies_between_the_max_and_the_max_plus_log_n_over_beta() -> None:
    sims = np.array([[0.9, 0.2], [0.8, 0.2]])
    got = softmax(sims, np.ones(2), 6.0)
    assert (got >= sims.max(axis=0)).all()
    assert (got <= sims.max(axis=0) + np.log(2) / 6 + 1e-9).all()
    # two good matches beat one equally good match
    assert softmax(np.array([[0.9], [0.9]]), np.ones(2), 6.0)[0] > softmax(np.array([[0.9], [0.0]]), np.ones(2), 6.0)[0]


def test_a_reader_of_graph_papers_gets_graph_papers_first() -> None:
    bg = background()
    model = train(bg, saves("graphs-1", "graphs-2", "graphs-3"), library_texts(), TODAY)
    ranked = rank(model, candidates(bg), limit=4)
    assert [_topic(r.paper_id) for r in ranked] == ["graphs"] * 4


def test_a_thumbs_down_visibly_changes_the_next_ranking() -> None:
    # A reader with graph and speech papers; they thumb down one new speech paper shown to them.
    bg, texts = background(), library_texts()
    cands = candidates(bg)
    texts.update({pid: text for pid, text in zip(cands.ids, cands.texts, strict=True)})
    signals = saves("graphs-1", "graphs-2", "speech-1", "speech-2")
    before = rank(train(bg, signals, texts, TODAY), cands, limit=8)
    speech_before = [r.paper_id for r in before if _topic(r.paper_id) == "speech"]
    assert speech_before[:1] and before.index(next(r for r in before if r.paper_id == speech_before[0])) < 4
    disliked = speech_before[0]
    after = rank(train(bg, [*signals, Signal(disliked, "thumbs_down", TODAY)], texts, TODAY), cands, limit=8)
    assert disliked not in [r.paper_id for r in after]
    assert [_topic(r.paper_id) for r in after[:4]] == ["graphs"] * 4  # the other speech papers fell too


def test_mutes_are_hard_filters_and_follows_boost() -> None:
    bg = background()
    cands = candidates(bg)
    model = train(bg, saves("graphs-1", "graphs-2"), library_texts(), TODAY)
    prefs = Preferences(muted_categories=frozenset({"cs.GR"}), followed_authors=frozenset({"Author robots 2"}),
                        muted_authors=frozenset({"Author speech 0"}))
    ranked = rank(model, cands, prefs, limit=len(cands.ids))
    ids = [r.paper_id for r in ranked]
    assert not [p for p in ids if _topic(p) == "graphs"]
    assert "new-speech-100" not in ids
    assert ids[0] == "new-robots-102" and ranked[0].boost == pytest.approx(RankConfig().author_boost)


def test_papers_in_the_model_are_not_recommended_again() -> None:
    bg, texts = background(), library_texts()
    cands = candidates(bg)
    texts.update({pid: text for pid, text in zip(cands.ids, cands.texts, strict=True)})
    model = train(bg, saves("graphs-1", "new-graphs-100"), texts, TODAY)
    assert "new-graphs-100" not in [r.paper_id for r in rank(model, cands)]


def test_a_new_reader_still_gets_a_ranking() -> None:
    bg = background()
    ranked = rank(train(bg, [], {}, TODAY), candidates(bg), limit=5)
    assert len(ranked) == 5


def test_exploration_puts_outside_papers_in_every_nth_slot() -> None:
    mixed = mix(list(range(10)), list(range(100, 150)), rate=0.2, seed=3)
    assert len(mixed) == 10
    assert [slot for slot, (_, explored) in enumerate(mixed) if explored] == [4, 9]
    assert all(item >= 100 for item, explored in mixed if explored)
    assert [item for item, explored in mixed if not explored] == list(range(8))
    assert mixed == mix(list(range(10)), list(range(100, 150)), rate=0.2, seed=3)  # seeded: stable
    assert mix([1, 2], [3], rate=0.0) == [(1, False), (2, False)]
    with pytest.raises(ValueError, match="outside"):
        mix([1], [2], rate=0.9)


def test_exploration_in_a_ranking_marks_its_papers() -> None:
    bg = background()
    model = train(bg, saves("graphs-1", "graphs-2"), library_texts(), TODAY)
    ranked = rank(model, candidates(bg), config=RankConfig(exploration=0.25), limit=4)
    explored = [r for r in ranked if r.explored]
    assert len(explored) == 1 and _topic(explored[0].paper_id) != "graphs"


def test_settings_choose_exploration_and_recency() -> None:
    from paperwire.config import Settings
    from paperwire.recommend.training import TrainConfig

    settings = Settings(recommend_exploration=0.2, recommend_half_life_days=90)
    assert RankConfig.from_settings(settings, seed=5) == RankConfig(exploration=0.2, seed=5)
    assert TrainConfig.from_settings(settings).half_life_days == 90

"""The "For you" service over a real store (SQLite and PostgreSQL): background, models retrained when
signals change, windows, follows, mutes, exploration, reset, the worker's retraining and feed tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest

from paperwire.config import Settings
from paperwire.models.library import author_key, keyword_key
from paperwire.recommend import service
from paperwire.recommend.model import UserModel
from paperwire.store import Store
from tests.helpers.recommend import NEW_DAY, stored_world


def reader(store: Store, name: str = "reader") -> int:
    return store.accounts.create_user(f"{name}@example.org", name, "x").id


def test_a_library_on_one_topic_ranks_that_topics_new_papers_first_with_reasons(store: Store,
                                                                                  settings: Settings) -> None:
    new = stored_world(store)
    uid = reader(store)
    for i in range(5):
        store.library.set_saved(uid, f"graphs-{i}", True)
    service.set_exploration(store, uid, 0.0)
    week = service.recommend(store, settings, uid, window="week", limit=6)
    assert week.enough and week.candidates == 18 and week.end == NEW_DAY and week.start == NEW_DAY - timedelta(days=6)
    assert {item.paper.id for item in week.items} == set(new["graphs"])
    for item in week.items:
        assert item.reasons and any(r.startswith("like “") for r in item.reasons)
        assert any(r.startswith("matching terms:") for r in item.reasons)
        assert set(item.like) <= {f"graphs-{i}" for i in range(5)}
    day = service.recommend(store, settings, uid, window="day", limit=50)
    assert day.start == day.end == NEW_DAY
    assert {i.paper.announced for i in day.items} == {NEW_DAY} and len(day.items) == 9
    cat = service.recommend(store, settings, uid, window="week", category="cs.SP", limit=50)
    assert {i.paper.categories[0] for i in cat.items} == {"cs.SP"} and len(cat.items) == 6
    assert [i.paper.id for i in service.recommend(store, settings, uid, "week", limit=3, offset=3).items] == \
        [i.paper.id for i in week.items[3:6]]


def test_a_thumbs_down_changes_the_next_ranking_and_a_reset_takes_it_back(store: Store, settings: Settings) -> None:
    new = stored_world(store)
    uid = reader(store)
    for i in range(4):
        store.library.set_saved(uid, f"graphs-{i}", True)
        store.library.set_saved(uid, f"speech-{i}", True)
    service.set_exploration(store, uid, 0.0)
    before = [i.paper.id for i in service.recommend(store, settings, uid, "week", limit=50).items]
    top = before[0]
    store.preferences.set_thumb(uid, top, "down")
    after = [i.paper.id for i in service.recommend(store, settings, uid, "week", limit=50).items]
    assert top not in after and len(after) == len(before) - 1
    # its topic's other papers moved down, the other topic's up
    topic = "graphs" if top in new["graphs"] else "speech"
    same = [p for p in new[topic] if p != top]
    assert sum(after.index(p) for p in same) > sum(before.index(p) for p in same)
    stored = store.recommendations.get_model(uid)
    assert stored is not None and top in UserModel.from_bytes(stored.model).negative_ids
    assert service.reset(store, uid, thumbs=True) == 1
    assert store.recommendations.get_model(uid) is None
    again = [i.paper.id for i in service.recommend(store, settings, uid, "week", limit=50).items]
    assert again == before


def test_follows_boost_and_mutes_filter(store: Store, settings: Settings) -> None:
    new = stored_world(store)
    uid = reader(store)
    for i in range(5):
        store.library.set_saved(uid, f"graphs-{i}", True)
    service.set_exploration(store, uid, 0.0)
    store.preferences.set_preference(uid, "author", author_key("Author robots 3"), "Author Robots 3", "follow")
    store.preferences.set_preference(uid, "author", author_key("Author graphs 0"), "Author graphs 0", "mute")
    store.preferences.set_preference(uid, "keyword", keyword_key("property prediction"), "property prediction",
                                     "mute")
    items = service.recommend(store, settings, uid, "week", limit=18).items
    ids = [i.paper.id for i in items]
    assert new["graphs"][0] not in ids
    assert not any("property prediction" in (i.paper.title + i.paper.abstract).lower() for i in items)
    followed = next(i for i in items if i.paper.id == new["robots"][3])
    assert any(r == "by an author you follow: Author Robots 3" for r in followed.reasons)
    assert ids.index(new["robots"][3]) < min(ids.index(p) for p in new["robots"] if p != new["robots"][3])


def test_exploration_is_the_readers_choice(store: Store, settings: Settings) -> None:
    stored_world(store, new_per_topic=10)
    uid = reader(store)
    for i in range(5):
        store.library.set_saved(uid, f"graphs-{i}", True)
    assert service.exploration_for(store, settings, uid) == settings.recommend_exploration
    service.set_exploration(store, uid, 0.2)
    items = service.recommend(store, settings, uid, "week", limit=10).items
    explored = [i for i in items if i.explored]
    assert len(explored) == 2 and all("outside your usual topics, to explore" in i.reasons for i in explored)
    service.set_exploration(store, uid, 0.0)
    assert not any(i.explored for i in service.recommend(store, settings, uid, "week", limit=10).items)


def test_few_signals_say_so_and_nothing_is_ranked_without_any(store: Store, settings: Settings) -> None:
    stored_world(store)
    uid = reader(store)
    empty = service.recommend(store, settings, uid, "week")
    assert not empty.enough and empty.items == [] and empty.candidates == 18
    store.preferences.set_thumb(uid, "speech-1", "up")
    one = service.recommend(store, settings, uid, "week", limit=5)
    assert not one.enough and one.signals == 1 and one.items and all(i.reasons for i in one.items)


def test_the_worker_retrains_only_readers_whose_signals_changed(store: Store, settings: Settings) -> None:
    stored_world(store)
    ann, bob = reader(store, "ann"), reader(store, "bob")
    store.library.set_saved(ann, "graphs-1", True)
    store.library.set_saved(bob, "robots-1", True)
    first = service.retrain_stale(store, settings)
    assert first.refitted and first.retrained == 2
    assert service.retrain_stale(store, settings).retrained == 0
    store.preferences.set_thumb(bob, "robots-2", "up")
    second = service.retrain_stale(store, settings)
    assert (second.refitted, second.retrained) == (False, 1)
    stored = store.recommendations.get_model(bob)
    assert stored is not None and set(UserModel.from_bytes(stored.model).positive_ids) == {"robots-1", "robots-2"}
    assert stored.signals_at == str(store.preferences.signals_version(bob))


def test_the_background_is_refitted_when_the_collection_grows(store: Store, settings: Settings) -> None:
    stored_world(store, per_topic=4, new_per_topic=2)
    background, fitted = service.refresh_background(store, settings)
    assert fitted and not service.refresh_background(store, settings)[1]
    stored_world(store)  # many more papers
    grown, refitted = service.refresh_background(store, settings)
    assert refitted and grown.n_docs > background.n_docs


def test_a_feed_token_is_stored_hashed_rotated_and_revoked(store: Store) -> None:
    uid = reader(store)
    token = service.create_feed_token(store, uid)
    assert service.user_for_feed_token(store, token) == uid
    with store.db.read() as tx:
        kept = tx.execute("SELECT feed_token_hash FROM foryou_settings WHERE user_id = ?", (uid,)).scalar()
    assert kept == service.token_hash(token) and token not in kept
    rotated = service.create_feed_token(store, uid)
    assert service.user_for_feed_token(store, token) is None and service.user_for_feed_token(store, rotated) == uid
    service.revoke_feed_token(store, uid)
    assert service.user_for_feed_token(store, rotated) is None and service.user_for_feed_token(store, "") is None
    assert store.recommendations.settings(uid).feed_created_at is None


def test_many_readers_read_at_once_are_the_readers_read_one_by_one(store: Store, settings: Settings) -> None:
    """A digest run reads its readers' signals, models and choices in batches: each must be exactly what
    reading that reader alone gives, every kind of signal included."""
    stored_world(store)
    ann, bob, cid, dee = (reader(store, n) for n in ("ann", "bob", "cid", "dee"))
    store.library.set_saved(ann, "graphs-1", True)
    store.library.set_saved(ann, "graphs-2", True)
    folder = store.library.create_folder(ann, "Reading group")
    store.library.set_in_folder(ann, "graphs-2", folder.id, True)
    store.community.set_upvote(ann, "speech-3", True)
    store.preferences.set_thumb(ann, "robots-1", "up")
    store.preferences.set_thumb(ann, "robots-2", "down")
    store.preferences.set_preference(ann, "author", author_key("Author Robots 3"), "Author Robots 3", "follow")
    store.preferences.set_preference(ann, "category", "cs.SP", "cs.SP", "follow")
    store.preferences.set_preference(ann, "keyword", keyword_key("graph"), "graph", "mute")
    store.preferences.set_preference(ann, "author", author_key("Author graphs 0"), "Author graphs 0", "mute")
    store.library.set_saved(bob, "speech-1", True)
    store.preferences.set_thumb(cid, "graphs-3", "down")  # dee did nothing at all
    service.set_exploration(store, bob, 0.25)
    service.retrain_stale(store, settings)
    many = store.preferences.signals_of([dee, bob, ann, cid, ann])
    assert set(many) == {ann, bob, cid, dee}
    for uid in (ann, bob, cid, dee):
        assert many[uid] == store.preferences.user_signals(uid)
    assert many[ann].folders["graphs-2"] and many[ann].muted_keywords and many[ann].followed_categories
    assert many[dee].version == 0 and not many[dee].positives
    models = store.recommendations.get_models([ann, bob, cid, dee])
    assert set(models) == {ann, bob, cid} and models[ann] == store.recommendations.get_model(ann)
    choices = store.recommendations.settings_of([ann, bob, cid, dee])
    assert set(choices) == {bob} and choices[bob].exploration == 0.25


def test_ranking_many_readers_at_once_ranks_each_as_alone_and_a_broken_one_fails_alone(
        store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    stored_world(store, new_per_topic=8)
    readers = [reader(store, f"r{n}") for n in range(7)]
    topics = ("graphs", "speech", "robots")
    for n, uid in enumerate(readers[:6]):
        for i in range(n % 3 + 1):
            store.library.set_saved(uid, f"{topics[n % 3]}-{i}", True)
        if n == 4:
            store.preferences.set_preference(uid, "author", author_key("Author Robots 3"), "Author Robots 3",
                                             "follow")
            store.preferences.set_thumb(uid, "speech-5", "down")
    service.set_exploration(store, readers[1], 0.3)  # readers[6] gave nothing: absent
    background = service.ensure_background(store, settings)
    start, end = service.window_range(store, "week")
    pool = service.pool_for(store, background, start, end)
    service.retrain_stale(store, settings)  # as the worker leaves them: every reader ranked by a stored model
    alone = {uid: service.rank_for(store, settings, uid, pool, background, limit=8) for uid in readers}
    together = service.rank_many(store, settings, readers, pool, background, limit=8, batch=4)
    assert set(together) == set(readers[:6]) and alone[readers[6]] == []
    for uid in readers[:6]:
        assert [(i.paper.id, i.reasons, i.explored) for i in together[uid]] == \
            [(i.paper.id, i.reasons, i.explored) for i in alone[uid]]
    assert any(i.explored for i in together[readers[1]])

    real = service.user_model

    def broken_for_one(store: Store, settings: Settings, background: object, signals: object, *rest: object
                       ) -> object:
        if getattr(signals, "user_id", None) == readers[2]:
            raise ValueError("a corrupt model")
        return real(store, settings, background, signals, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(service, "user_model", broken_for_one)
    failures: list[tuple[int, str]] = []
    survived = service.rank_many(store, settings, readers, pool, background, limit=8,
                                 on_error=lambda uid, exc: failures.append((uid, str(exc))))
    assert failures == [(readers[2], "a corrupt model")]
    assert set(survived) == set(readers[:6]) - {readers[2]}
    with pytest.raises(ValueError, match="a corrupt model"):
        service.rank_many(store, settings, readers, pool, background, limit=8)

"""Stored recommendation models (SQLite and PostgreSQL): saved, replaced, read back, gone with the account."""

from __future__ import annotations

from datetime import date

from paperwire.recommend.features import Background
from paperwire.recommend.model import FORMAT, UserModel
from paperwire.recommend.training import train
from paperwire.store import Store
from tests.helpers.recommend import background, library_texts, saves


def test_a_readers_model_round_trips_and_is_replaced(store: Store) -> None:
    user = store.accounts.create_user("reader@example.org", "reader", "x")
    bg = background()
    first = train(bg, saves("graphs-1"), library_texts(), date(2026, 3, 1))
    assert store.recommendations.get_model(user.id) is None
    store.recommendations.save_model(user.id, first.to_bytes(), FORMAT, "2026-03-01T10:00:00Z")
    second = train(bg, saves("graphs-1", "speech-2"), library_texts(), date(2026, 3, 2), previous=first)
    store.recommendations.save_model(user.id, second.to_bytes(), FORMAT, "2026-03-02T10:00:00Z")
    stored = store.recommendations.get_model(user.id)
    assert stored is not None and stored.signals_at == "2026-03-02T10:00:00Z" and stored.format == FORMAT
    assert UserModel.from_bytes(stored.model).positive_ids == second.positive_ids
    assert store.recommendations.delete_model(user.id)
    assert not store.recommendations.delete_model(user.id)


def test_a_model_goes_with_its_account(store: Store) -> None:
    user = store.accounts.create_user("gone@example.org", "gone", "x")
    store.recommendations.save_model(user.id, b"model", FORMAT, "2026-03-01T10:00:00Z")
    with store.db.write() as tx:  # what deleting an account does to its rows
        tx.execute("DELETE FROM users WHERE id = ?", (user.id,))
    assert store.recommendations.get_model(user.id) is None


def test_the_background_is_stored_once_per_instance(store: Store) -> None:
    assert store.recommendations.get_background() is None
    bg = background()
    store.recommendations.save_background(bg.to_bytes())
    store.recommendations.save_background(bg.to_bytes())
    blob = store.recommendations.get_background()
    assert blob is not None
    assert Background.from_bytes(blob).fingerprint == Background.from_bytes(bg.to_bytes()).fingerprint

"""A member's library and signals in the store, on both backends: folders (default, several per paper,
deletion keeps papers), notes, imports, thumbs, follows and mutes, ``user_signals`` and its version,
and the migration that gives libraries saved before it a default folder."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from paperwire.models import Paper, UserSignals, author_key
from paperwire.models.library import clean_note, folder_slug
from paperwire.store import AlreadyExists, ImportItem, Store, open_store, user_signals
from paperwire.store.migrations import MIGRATIONS
from tests.helpers.clock import Clock
from tests.helpers.community import PAPERS

A, B, C = "2606.00001", "2606.00002", "2606.00003"


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 6, 29, 8, 0, tzinfo=UTC))


@pytest.fixture
def lstore(db_url: str, clock: Clock) -> Iterator[Store]:
    s = open_store(db_url, clock=clock)
    s.migrate()
    s.papers.upsert_papers(PAPERS)
    yield s
    s.close()


@pytest.fixture
def ann(lstore: Store) -> int:
    return lstore.accounts.create_user("ann@example.org", "ann", "h").id


def _slugs(store: Store, user_id: int) -> dict[str, int]:
    return {f.slug: f.papers for f in store.library.folders(user_id)}


# -- pure pieces --------------------------------------------------------------------------------------------------
def test_names_keywords_and_slugs_have_one_normal_form() -> None:
    assert author_key("van der Berg, Zoë") == author_key("Zoe Van-der-Berg") == "zoe van der berg"
    assert author_key("LeCun, Yann") == "yann lecun" and author_key("...") == ""
    assert folder_slug("Reading list (2026)") == "reading-list-2026" and folder_slug("日本語") == "日本語"
    assert clean_note("  first\r\nsecond   \n\n") == "first\nsecond" and clean_note("a\x00b") == "ab"
    signals = UserSignals(1, muted_authors={"ada lovelace": "Ada Lovelace"}, muted_keywords={"video": "video"})
    assert signals.muted_reason(["Lovelace, Ada"], "Anything") == "author: Ada Lovelace"
    assert signals.muted_reason(["Grace Hopper"], "Diffusion for Video") == "keyword: video"
    assert signals.muted_reason(["Grace Hopper"], "Videogames") is None  # whole words only


# -- folders --------------------------------------------------------------------------------------------------
def test_save_goes_to_the_default_folder_and_unsave_leaves_every_folder(lstore: Store, ann: int) -> None:
    assert lstore.library.set_saved(ann, A, True)
    assert not lstore.library.set_saved(ann, A, True)  # saved once
    assert _slugs(lstore, ann) == {"saved": 1} and lstore.library.folders(ann)[0].is_default
    reading = lstore.library.create_folder(ann, "Reading list")
    assert lstore.library.set_in_folder(ann, A, reading.id, True)
    assert lstore.library.saved(ann, A).folders == ["saved", "reading-list"]  # type: ignore[union-attr]
    assert lstore.library.set_saved(ann, A, False)
    assert _slugs(lstore, ann) == {"saved": 0, "reading-list": 0} and lstore.library.saved(ann, A) is None


def test_a_paper_leaves_the_library_with_its_last_folder(lstore: Store, ann: int) -> None:
    reading = lstore.library.create_folder(ann, "Reading list")
    assert lstore.library.set_in_folder(ann, B, reading.id, True)  # filing a paper saves it
    assert lstore.library.count(ann) == 1 and _slugs(lstore, ann) == {"reading-list": 1}
    assert lstore.library.set_in_folder(ann, B, reading.id, False)
    assert lstore.library.count(ann) == 0 and lstore.library.saved(ann, B) is None


def test_deleting_a_folder_moves_its_only_papers_to_the_default(lstore: Store, ann: int) -> None:
    lstore.library.set_saved(ann, A, True)
    project = lstore.library.create_folder(ann, "Project")
    for pid in (A, B):
        lstore.library.set_in_folder(ann, pid, project.id, True)
    default = lstore.library.folder(ann, "saved")
    assert default is not None and not lstore.library.delete_folder(ann, default.id)  # never the default
    bob = lstore.accounts.create_user("bob@example.org", "bob", "h").id
    assert not lstore.library.delete_folder(bob, project.id)  # nor someone else's
    assert not lstore.library.set_in_folder(bob, C, project.id, True)
    assert lstore.library.delete_folder(ann, project.id)
    assert _slugs(lstore, ann) == {"saved": 2} and lstore.library.count(ann) == 2


def test_folder_names_are_unique_per_member(lstore: Store, ann: int) -> None:
    lstore.library.create_folder(ann, "To read")
    with pytest.raises(AlreadyExists):
        lstore.library.create_folder(ann, "to READ!")
    bob = lstore.accounts.create_user("bob@example.org", "bob", "h").id
    assert lstore.library.create_folder(bob, "To read").slug == "to-read"
    other = lstore.library.create_folder(ann, "Other")
    with pytest.raises(AlreadyExists):
        lstore.library.update_folder(ann, other.id, name="To Read")
    public = lstore.library.update_folder(ann, other.id, name="Shared", public=True, default=True)
    assert public is not None and (public.slug, public.public, public.is_default) == ("shared", True, True)
    assert [f.slug for f in lstore.library.folders(ann) if f.is_default] == ["shared"]  # only one default
    lstore.library.set_saved(ann, A, True)
    assert lstore.library.saved(ann, A).folders == ["shared"]  # type: ignore[union-attr]


def test_notes_belong_to_saved_papers(lstore: Store, ann: int) -> None:
    assert not lstore.library.set_note(ann, A, "not saved")
    lstore.library.set_saved(ann, A, True)
    assert lstore.library.set_note(ann, A, "Read §3\nthen the appendix")
    assert lstore.library.entries(ann)[0].note == "Read §3\nthen the appendix"


def test_imports_fill_folders_and_never_overwrite_a_note(lstore: Store, ann: int) -> None:
    lstore.library.set_saved(ann, A, True)
    lstore.library.set_note(ann, A, "mine")
    new, already = lstore.library.import_items(ann, [
        ImportItem(A, "from Zotero", ["Thesis"]), ImportItem(B, "", ["Thesis", "Later"]), ImportItem(C)])
    assert new == [B, C] and already == [A]
    assert _slugs(lstore, ann) == {"saved": 2, "later": 1, "thesis": 2}
    assert lstore.library.saved(ann, A).note == "mine\n\nfrom Zotero"  # type: ignore[union-attr]
    lstore.library.import_items(ann, [ImportItem(A, "from Zotero", ["Thesis"])])  # the same file again
    assert lstore.library.saved(ann, A).note == "mine\n\nfrom Zotero"  # type: ignore[union-attr]


def test_papers_are_found_by_doi_in_any_case(lstore: Store) -> None:
    lstore.papers.upsert_papers([Paper("2606.00009", "With a DOI", doi="10.1145/ABC.1")])
    assert lstore.library.papers_by_doi(["10.1145/abc.1", "10.9/none"]) == {"10.1145/abc.1": "2606.00009"}


# -- thumbs, follows, mutes and everything at once -----------------------------------------------------------
def test_thumbs_are_up_or_down_and_reversible(lstore: Store, ann: int) -> None:
    assert lstore.preferences.set_thumb(ann, A, "up")
    assert not lstore.preferences.set_thumb(ann, A, "up")
    assert lstore.preferences.set_thumb(ann, A, "down")  # replaces the up
    assert lstore.preferences.thumbs(ann, [A, B]) == {A: "down"}
    assert lstore.preferences.set_thumb(ann, A, None) and lstore.preferences.thumbs(ann, [A]) == {}


def test_a_mute_replaces_a_follow_of_the_same_author(lstore: Store, ann: int) -> None:
    key = author_key("Ada Lovelace")
    assert lstore.preferences.set_preference(ann, "author", key, "Ada Lovelace", "follow")
    assert not lstore.preferences.set_preference(ann, "author", key, "Lovelace, Ada", "follow")
    assert lstore.preferences.set_preference(ann, "author", key, "Ada Lovelace", "mute")
    assert [(p.stance, p.key) for p in lstore.preferences.preferences(ann)] == [("mute", key)]
    assert lstore.preferences.set_preference(ann, "author", key, "", None)
    assert lstore.preferences.preferences(ann) == []


def test_user_signals_has_everything_a_model_learns_from(lstore: Store, ann: int, clock: Clock) -> None:
    assert user_signals(lstore, ann) == UserSignals(ann)  # a new member: nothing, version 0
    lstore.library.set_saved(ann, A, True)
    clock.now += timedelta(minutes=1)
    lstore.community.set_upvote(ann, B, True)
    clock.now += timedelta(minutes=1)
    lstore.preferences.set_thumb(ann, C, "up")
    lstore.preferences.set_thumb(ann, "2606.00007", "down")
    lstore.preferences.set_preference(ann, "author", "grace hopper", "Grace Hopper", "follow")
    lstore.preferences.set_preference(ann, "category", "cs.CL", "cs.CL", "follow")
    lstore.preferences.set_preference(ann, "author", "eve", "Eve", "mute")
    lstore.preferences.set_preference(ann, "keyword", "video", "Video", "mute")
    bob = lstore.accounts.create_user("bob@example.org", "bob", "h").id
    lstore.preferences.set_thumb(bob, A, "down")  # someone else's signals are not ann's
    signals = user_signals(lstore, ann)
    start = datetime(2026, 6, 29, 8, 0, tzinfo=UTC)
    assert [(s.paper_id, s.kind, s.at) for s in signals.positives] == [
        (C, "thumbs_up", start + timedelta(minutes=2)), (B, "upvote", start + timedelta(minutes=1)),
        (A, "save", start)]
    assert [(s.paper_id, s.kind) for s in signals.negatives] == [("2606.00007", "thumbs_down")]
    assert signals.followed_authors == {"grace hopper": "Grace Hopper"}
    assert signals.followed_categories == {"cs.CL": "cs.CL"}
    assert signals.muted_authors == {"eve": "Eve"} and signals.muted_keywords == {"video": "Video"}
    assert signals.folders == {A: ["saved"]} and signals.positive_ids() == [C, B, A]
    assert signals.version == 8 and lstore.preferences.signals_version(ann) == 8
    lstore.preferences.set_thumb(ann, C, "up")  # no change, no new version
    lstore.community.set_upvote(ann, B, True)
    assert lstore.preferences.signals_version(ann) == 8
    lstore.preferences.set_thumb(ann, C, None)
    assert lstore.preferences.signals_version(ann) == 9 and user_signals(lstore, ann).version == 9


def test_the_migration_gives_libraries_saved_before_it_a_default_folder(db_url: str) -> None:
    mine = next(i for i, m in enumerate(MIGRATIONS) if m.name == "0010_library_folders_signals")
    store = open_store(db_url)
    try:
        with store.db.write() as tx:  # the database as it was before this migration
            tx.execute("CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
            # 0014 and 0017 too: today's upsert_papers (below) writes each paper's authors and category counts
            later = ("0014_authors", "0017_category_counts")
            for migration in [*MIGRATIONS[:mine], *(m for m in MIGRATIONS if m.name in later)]:
                for statement in migration.render(store.db.dialect):
                    tx.execute(statement)
                tx.execute("INSERT INTO migrations (name, applied_at) VALUES (?, '2026-01-01')", (migration.name,))
        store.papers.upsert_papers(PAPERS[:2])
        ann = store.accounts.create_user("ann@example.org", "ann", "h").id
        store.accounts.create_user("bob@example.org", "bob", "h")
        with store.db.write() as tx:
            for pid in (A, B):
                tx.execute("INSERT INTO library (user_id, paper_id, saved_at) VALUES (?, ?, ?)",
                           (ann, pid, "2026-06-01T00:00:00+00:00"))
        assert "0010_library_folders_signals" in store.migrate()
        assert _slugs(store, ann) == {"saved": 2} and [e.note for e in store.library.entries(ann)] == ["", ""]
        store.library.set_in_folder(ann, A, store.library.folders(ann)[0].id, False)
        assert store.library.count(ann) == 1  # the rule holds for old saves too
    finally:
        store.close()

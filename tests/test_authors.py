"""Authors by normalised name: the matching rule (pure), and the store's author rows on both databases:
kept on import, read fast for a page, corrected by an admin's merges and splits that later imports keep."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperwire.community.authors import AuthorError, Moved, author_page, merge_authors, split_author, unmerge_author
from paperwire.models import Paper, author_key, author_slug, fold, slug_author_key
from paperwire.store import Store
from paperwire.store.authors import backfill_paper_authors


def paper(pid: str, authors: list[str], day: date, cats: tuple[str, ...] = ("cs.LG",), version: int = 1) -> Paper:
    return Paper(pid, f"Paper {pid}", "About something.", authors, list(cats), announced=day, version=version)


# -- the matching rule -------------------------------------------------------------------------------------
@pytest.mark.parametrize("a, b", [
    ("Zoë van der Berg", "ZOE VAN DER BERG"),
    ("Zoë van der Berg", "van der Berg, Zoe"),
    ("Jean-Pierre Serre", "Jean Pierre Serre"),
    ("José  Martínez", "Jose Martinez"),
    ("O'Neil, Cathy", "Cathy O Neil"),
])
def test_spellings_of_one_name_share_a_page(a: str, b: str) -> None:
    assert author_key(a) == author_key(b) and author_slug(a) == author_slug(b)


@pytest.mark.parametrize("a, b", [
    ("J. Smith", "Jane Smith"),  # an initial matches too many people to join on its own
    ("Wei Wang", "Wei Wong"),
    ("Smith, John, Jr.", "John Smith"),  # two commas: left as written, not turned round
])
def test_different_names_stay_apart(a: str, b: str) -> None:
    assert author_key(a) != author_key(b)


def slow_fold(text: str) -> str:
    bare = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w]+", " ", bare.casefold()).replace("_", " ").split())


@given(st.text(max_size=60) | st.text(st.characters(max_codepoint=127), max_size=60))
def test_the_ascii_shortcut_folds_as_decomposing_does(text: str) -> None:
    """fold skips Unicode decomposition for ASCII text (author keys were a fifth of an import's time)."""
    assert fold(text) == slow_fold(text)


def test_slugs_are_readable() -> None:
    assert author_slug("van der Berg, Zoë") == "zoe-van-der-berg"
    assert author_slug("李 明") == "李-明"
    assert author_slug("...") == ""


@given(st.text(max_size=60))
def test_a_slug_leads_back_to_its_key(name: str) -> None:
    slug = author_slug(name)
    assert slug_author_key(slug) == author_key(name)
    assert " " not in slug and "/" not in slug and "?" not in slug


@given(st.text(max_size=60))
def test_the_key_is_stable(name: str) -> None:
    assert author_key(author_key(name)) == author_key(name)


# -- the store, both databases ----------------------------------------------------------------------------
def _fill(store: Store) -> None:
    store.papers.upsert_papers([
        paper("2601.00001", ["Zoë van der Berg", "J. Smith"], date(2026, 1, 5), ("cs.CL", "cs.LG")),
        paper("2501.00002", ["van der Berg, Zoe", "Jane Smith", "J. Smith"], date(2025, 1, 2)),
        paper("2412.00003", ["ZOE VAN DER BERG", "Ada Lovelace"], date(2024, 12, 1), ("cs.CL",)),
        paper("2401.00004", ["Ada Lovelace"], date(2024, 1, 1)),
    ])


def test_papers_of_an_author_newest_first_with_counts(store: Store) -> None:
    _fill(store)
    total, ids = store.authors.paper_ids("zoe van der berg")
    assert total == 3 and ids == ["2601.00001", "2501.00002", "2412.00003"]
    assert store.authors.paper_ids("zoe van der berg", limit=1, offset=1) == (3, ["2501.00002"])
    profile = store.authors.profile("zoe van der berg")
    assert profile is not None
    assert profile.years == [("2026", 1), ("2025", 1), ("2024", 1)]
    assert profile.categories == [("cs.CL", 2), ("cs.LG", 1)]  # primary categories
    assert profile.coauthors[0] == ("j smith", "J. Smith", 2)
    assert {k for k, _, _ in profile.coauthors} == {"j smith", "jane smith", "ada lovelace"}
    assert {n for n, _ in profile.spellings} == {"ZOE VAN DER BERG", "van der Berg, Zoe", "Zoë van der Berg"}
    assert profile.name == "Zoë van der Berg"  # of equally used spellings, the one written as a name is shown
    assert store.authors.profile("nobody here") is None


def test_a_new_version_replaces_its_authors(store: Store) -> None:
    _fill(store)
    store.papers.upsert_papers([paper("2601.00001", ["Grace Hopper"], date(2026, 1, 5), version=2)])
    assert store.authors.paper_ids("zoe van der berg")[0] == 2
    assert store.authors.paper_ids("grace hopper") == (1, ["2601.00001"])
    # an older version arriving later changes nothing
    store.papers.upsert_papers([paper("2601.00001", ["Someone Else"], date(2026, 1, 5), version=1)])
    assert store.authors.paper_ids("someone else")[0] == 0


def test_merge_joins_two_names_and_later_imports_keep_it(store: Store) -> None:
    _fill(store)
    seq = store.papers.max_seq()
    assert merge_authors(store, "J. Smith", "Jane Smith") == 2
    assert store.papers.max_seq() == seq + 2  # cached pages and ETags follow the papers' change counter
    # the paper listing both spellings counts once
    assert store.authors.paper_ids("jane smith") == (2, ["2601.00001", "2501.00002"])
    assert store.authors.paper_ids("j smith")[0] == 0
    moved = author_page(store, "j-smith")
    assert isinstance(moved, Moved) and moved.slug == "jane-smith"
    store.papers.upsert_papers([paper("2602.00005", ["J Smith"], date(2026, 2, 1))])
    assert store.authors.paper_ids("jane smith")[0] == 3
    assert unmerge_author(store, "J. Smith") == 3
    assert store.authors.paper_ids("jane smith")[0] == 1
    assert store.authors.paper_ids("j smith")[0] == 3
    with pytest.raises(AuthorError):
        merge_authors(store, "Jane Smith", "jane  SMITH")
    with pytest.raises(AuthorError):
        merge_authors(store, "...", "Jane Smith")


def test_split_gives_a_namesake_a_page_and_imports_keep_it(store: Store) -> None:
    _fill(store)
    assert split_author(store, "Zoe van der Berg", ["2412.00003"], "Zoe van der Berg (Delft)") == 1
    assert store.authors.paper_ids("zoe van der berg")[0] == 2
    assert store.authors.paper_ids("zoe van der berg delft") == (1, ["2412.00003"])
    page = author_page(store, "zoe-van-der-berg-delft")
    assert page is not None and not isinstance(page, Moved) and page.name == "Zoe van der Berg (Delft)"
    original = store.authors.profile("zoe van der berg")
    assert original is not None and original.split_to == [("zoe van der berg delft", "Zoe van der Berg (Delft)")]
    store.papers.upsert_papers([paper("2412.00003", ["Zoe van der Berg", "Ada Lovelace"], date(2024, 12, 1),
                                      version=2)])
    assert store.authors.paper_ids("zoe van der berg delft")[0] == 1
    # and back
    assert split_author(store, "Zoe van der Berg (Delft)", ["2412.00003"], "Zoe van der Berg") == 1
    assert store.authors.paper_ids("zoe van der berg")[0] == 3


def test_migration_fills_the_authors_of_papers_stored_before(store: Store) -> None:
    _fill(store)
    with store.db.write() as tx:
        tx.execute("DELETE FROM paper_authors")
        backfill_paper_authors(tx)
    assert store.authors.paper_ids("zoe van der berg")[0] == 3
    assert store.authors.paper_ids("ada lovelace") == (2, ["2412.00003", "2401.00004"])


def test_author_page_follows_spelling_to_one_url(store: Store) -> None:
    _fill(store)
    assert author_page(store, "nobody-at-all") is None
    assert author_page(store, "---") is None
    moved = author_page(store, "Van-Der-Berg,-Zoë")
    assert isinstance(moved, Moved) and moved.slug == "zoe-van-der-berg"
    page = author_page(store, "zoe-van-der-berg", limit=2)
    assert page is not None and not isinstance(page, Moved)
    assert page.total == 3 and [p.id for p in page.papers] == ["2601.00001", "2501.00002"]
    assert page.name == "Zoë van der Berg"

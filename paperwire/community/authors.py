"""Author pages and the admins' corrections of who is who.

An author is a normalised name (``models.author_key``: case and accents folded, punctuation dropped,
``Family, Given`` turned round), so "Zoë van der Berg", "ZOE VAN DER BERG" and "van der Berg, Zoe" are one
page, ``/author/zoe-van-der-berg``. Initials are *not* expanded: "Z. van der Berg" is another page,
because an initial matches too many people to join them without being told. What the normal form gets
wrong an admin corrects (``paperwire admin authors``): ``merge`` joins two names, ``split`` moves one
namesake's papers to a page of their own. Both hold for later imports (``store.authors``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from paperwire.models import Paper, author_key, author_slug, slug_author_key
from paperwire.store import Store
from paperwire.store.authors import AuthorProfile
from paperwire.trending import TrendingList, ranking

TRENDING_WINDOW = "month"
TRENDING_SHOWN = 5


class AuthorError(ValueError):
    """A correction that cannot be made (an empty name, a merge into itself)."""


@dataclass(slots=True)
class AuthorPage:
    """One page of an author's papers, newest first, with what the page shows beside them."""

    key: str
    slug: str
    profile: AuthorProfile
    papers: list[Paper]
    total: int
    trending: TrendingList

    @property
    def name(self) -> str:
        """What the page calls them: the name an admin gave a split-off namesake, else the most used
        spelling that is theirs (not one merged in from another name)."""
        if self.profile.split_label:
            return self.profile.split_label
        own = [name for name, _ in self.profile.spellings if author_key(name) == self.key]
        return own[0] if own else self.profile.name


@dataclass(slots=True)
class Moved:
    """The slug asked for was merged into another author: the page lives at ``slug`` now."""

    slug: str


def author_page(store: Store, slug: str, limit: int = 25, offset: int = 0) -> AuthorPage | Moved | None:
    """The author a slug (or a name) stands for, a page of their papers and their trending ones; ``Moved``
    when the name was merged into another or the slug is not the canonical spelling; None when nobody of
    that name wrote a paper here."""
    key = slug_author_key(slug)
    if not key:
        return None
    canonical = store.authors.canonical(key)
    if canonical != key or author_slug(key) != slug:
        return Moved(author_slug(canonical))
    profile = store.authors.profile(key)
    if profile is None:
        return None
    total, ids = store.authors.paper_ids(key, limit, offset)
    found = store.papers.get_papers(ids)
    trend = ranking(store, TRENDING_WINDOW, TRENDING_SHOWN, author_key=key)
    return AuthorPage(key, author_slug(key), profile, [found[i] for i in ids if i in found], total, trend)


def author_papers(store: Store, slug: str, limit: int) -> tuple[str, list[Paper]] | None:
    """An author's name and newest ``limit`` papers (their feed), following merges; None if unknown."""
    key = store.authors.canonical(slug_author_key(slug))
    profile = store.authors.profile(key) if key else None
    if profile is None:
        return None
    _, ids = store.authors.paper_ids(key, limit)
    found = store.papers.get_papers(ids)
    page = AuthorPage(key, author_slug(key), profile, [], profile.total, TrendingList(TRENDING_WINDOW, [], 0, None))
    return page.name, [found[i] for i in ids if i in found]


def _key(name: str) -> str:
    key = author_key(name)
    if not key:
        raise AuthorError(f"{name!r} has no letters or digits: it names nobody.")
    return key


def merge_authors(store: Store, name: str, into: str) -> int:
    """Show ``name``'s papers on ``into``'s page from now on (two spellings of one person); returns the
    papers rewritten."""
    try:
        return store.authors.merge(_key(name), _key(into))
    except ValueError as exc:
        raise AuthorError(str(exc)) from None


def unmerge_author(store: Store, name: str) -> int:
    """Undo ``merge_authors`` for ``name``; returns the papers rewritten (0 if it was not merged)."""
    return store.authors.unmerge(_key(name))


def split_author(store: Store, name: str, paper_ids: Sequence[str], as_name: str) -> int:
    """On ``paper_ids``, list the author called ``name`` as ``as_name`` (a namesake, say "Wei Wang
    (Tsinghua)"), who gets their own page. Splitting them back (``split_author(store, "Wei Wang
    (Tsinghua)", ids, "Wei Wang")``) undoes it. Returns the papers rewritten."""
    return store.authors.split(store.authors.canonical(_key(name)), list(paper_ids), _key(as_name), as_name)

"""The authors area: who wrote what, by normalised name, for author pages.

``paper_authors`` holds one row per paper and author position: the name as written and its key (the
normal form of ``models.author_key``: case, accents and punctuation folded, ``Family, Given`` turned
round). It is written in the same transaction as the paper (``Papers._write_papers`` calls
``write_paper_authors``), so it never lags the papers, and migration ``0014_authors`` fills it for the
papers stored before. An author page then reads a few indexed rows, never the papers table's JSON.

Admins correct the matching with two small tables that every later import honours:

- ``author_aliases``: a merge. Rows with the key ``alias`` are stored under ``author_key`` (two
  spellings the normal form cannot join, such as a name with and without a middle initial).
- ``author_splits``: a split. On paper ``paper_id`` the author whose key is ``from_key`` is stored as
  ``to_key`` (a namesake: two people with one name).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson

from paperwire.models import Paper, author_key
from paperwire.store.core import Database, Tx, chunks, iso, placeholders

AUTHOR_COLUMNS = ("paper_id", "position", "author_key", "name", "announced")
_BACKFILL_BATCH = 2000
# among equally used spellings, the page is titled with one written as people write names: not
# "Family, Given" and not in capitals
_READABLE_FIRST = "CASE WHEN name LIKE '%,%' OR name = UPPER(name) THEN 1 ELSE 0 END"


@dataclass(slots=True)
class AuthorCorrections:
    """The admins' merges (``aliases``: key -> key) and splits (``(paper_id, key)`` -> key)."""

    aliases: dict[str, str] = field(default_factory=dict)
    splits: dict[tuple[str, str], str] = field(default_factory=dict)

    def key_of(self, paper_id: str, name: str) -> str:
        """The key a name is stored under on a paper, after the corrections."""
        key = author_key(name)
        key = self.splits.get((paper_id, key), key)
        return self.aliases.get(key, key)


@dataclass(slots=True)
class AuthorProfile:
    """What an author page shows besides the papers: counts and co-authors (keys with a name)."""

    key: str
    name: str
    total: int
    spellings: list[tuple[str, int]]
    years: list[tuple[str, int]]
    categories: list[tuple[str, int]]
    coauthors: list[tuple[str, str, int]]
    split_to: list[tuple[str, str]] = field(default_factory=list)
    split_label: str | None = None
    """The name an admin gave this author when splitting them off a namesake's papers."""


def author_rows(paper: Paper, corrections: AuthorCorrections) -> list[tuple[Any, ...]]:
    """One row of ``AUTHOR_COLUMNS`` per author of ``paper`` with a non-empty key (a name that is all
    punctuation names nobody); a name listed twice on a paper counts once."""
    rows: list[tuple[Any, ...]] = []
    seen: set[str] = set()
    for position, name in enumerate(paper.authors):
        key = corrections.key_of(paper.id, name)
        if key and key not in seen:
            seen.add(key)
            rows.append((paper.id, position, key, name[:300], iso(paper.announced) or ""))
    return rows


def read_corrections(tx: Tx, paper_ids: Sequence[str] | None = None) -> AuthorCorrections:
    """The merges, and the splits of ``paper_ids`` (all of them when None)."""
    found = AuthorCorrections(aliases=dict(tx.execute("SELECT alias, author_key FROM author_aliases").all()))
    if paper_ids is None:
        rows = tx.execute("SELECT paper_id, from_key, to_key FROM author_splits").all()
    else:
        rows = []
        for chunk in chunks(list(paper_ids)):
            rows += tx.execute(f"SELECT paper_id, from_key, to_key FROM author_splits WHERE paper_id IN "
                               f"({placeholders(len(chunk))})", chunk).all()
    found.splits = {(r[0], r[1]): r[2] for r in rows}
    return found


def write_paper_authors(tx: Tx, papers: Sequence[Paper], replace: Sequence[str]) -> None:
    """Store the authors of ``papers`` (in the papers' write transaction); ``replace`` names the ids that
    had rows before."""
    for chunk in chunks(list(replace)):
        tx.execute(f"DELETE FROM paper_authors WHERE paper_id IN ({placeholders(len(chunk))})", chunk)
    corrections = read_corrections(tx, [p.id for p in papers])
    rows = [row for p in papers for row in author_rows(p, corrections)]
    if rows:
        tx.executemany(f"INSERT INTO paper_authors ({', '.join(AUTHOR_COLUMNS)}) VALUES "
                       f"({placeholders(len(AUTHOR_COLUMNS))})", rows)


def backfill_paper_authors(tx: Tx) -> None:
    """Fill ``paper_authors`` for the papers already stored (migration ``0014_authors``): names are
    normalised in Python (accents cannot be folded in SQL alike on both databases)."""
    corrections = AuthorCorrections()
    last = ""
    while True:
        batch = tx.execute("SELECT id, authors, announced FROM papers WHERE id > ? ORDER BY id LIMIT ?",
                           (last, _BACKFILL_BATCH)).all()
        if not batch:
            return
        rows: list[tuple[Any, ...]] = []
        for pid, authors, announced in batch:
            paper = Paper(id=pid, title="", authors=orjson.loads(authors))
            rows += [(*r[:4], announced or "") for r in author_rows(paper, corrections)]
        if rows:
            tx.executemany(f"INSERT INTO paper_authors ({', '.join(AUTHOR_COLUMNS)}) VALUES "
                           f"({placeholders(len(AUTHOR_COLUMNS))})", rows)
        last = batch[-1][0]


class Authors:
    """Author pages' reads (papers by key, counts, co-authors) and the admins' merges and splits."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def canonical(self, key: str) -> str:
        """The key a merged-away key now lives under (itself when it was not merged)."""
        with self.db.read() as tx:
            found = tx.execute("SELECT author_key FROM author_aliases WHERE alias = ?", (key,)).scalar()
        return str(found) if found else key

    def paper_ids(self, key: str, limit: int = 25, offset: int = 0) -> tuple[int, list[str]]:
        """How many papers ``key`` wrote, and a page of their ids, newest announced first."""
        with self.db.read() as tx:
            total = int(tx.execute("SELECT COUNT(*) FROM paper_authors WHERE author_key = ?", (key,)).scalar())
            ids = [r[0] for r in tx.execute(
                "SELECT paper_id FROM paper_authors WHERE author_key = ? ORDER BY announced DESC, paper_id DESC "
                "LIMIT ? OFFSET ?", (key, limit, offset)).all()]
        return total, ids

    def profile(self, key: str, coauthors: int = 12, spellings: int = 5) -> AuthorProfile | None:
        """Counts per year and primary category, the spellings seen and the most frequent co-authors."""
        with self.db.read() as tx:
            names = [(str(r[0]), int(r[1])) for r in tx.execute(
                "SELECT name, COUNT(*) FROM paper_authors WHERE author_key = ? GROUP BY name "
                f"ORDER BY COUNT(*) DESC, {_READABLE_FIRST}, LENGTH(name) DESC, name LIMIT ?",
                (key, spellings)).all()]
            if not names:
                return None
            total = int(tx.execute("SELECT COUNT(*) FROM paper_authors WHERE author_key = ?", (key,)).scalar())
            years = [(str(r[0]) or "undated", int(r[1])) for r in tx.execute(
                "SELECT SUBSTR(announced, 1, 4) AS y, COUNT(*) FROM paper_authors WHERE author_key = ? "
                "GROUP BY y ORDER BY y DESC", (key,)).all()]
            cats = [(str(r[0]), int(r[1])) for r in tx.execute(
                "SELECT c.category, COUNT(*) FROM paper_authors a JOIN paper_categories c "
                "ON c.paper_id = a.paper_id AND c.position = 0 WHERE a.author_key = ? "
                "GROUP BY c.category ORDER BY COUNT(*) DESC, c.category", (key,)).all()]
            co = [(str(r[0]), str(r[1]), int(r[2])) for r in tx.execute(
                "SELECT b.author_key, MIN(b.name), COUNT(*) FROM paper_authors a JOIN paper_authors b "
                "ON b.paper_id = a.paper_id AND b.author_key <> a.author_key WHERE a.author_key = ? "
                "GROUP BY b.author_key ORDER BY COUNT(*) DESC, b.author_key LIMIT ?", (key, coauthors)).all()]
            split = [(str(r[0]), str(r[1])) for r in tx.execute(
                "SELECT DISTINCT to_key, label FROM author_splits WHERE from_key = ? ORDER BY to_key",
                (key,)).all()]
            label = tx.execute("SELECT label FROM author_splits WHERE to_key = ? ORDER BY created_at DESC LIMIT 1",
                               (key,)).scalar()
        return AuthorProfile(key, names[0][0], total, names, years, cats, co, split, label)

    def corrections(self) -> AuthorCorrections:
        """Every merge and split."""
        with self.db.read() as tx:
            return read_corrections(tx)

    # -- an admin's corrections ---------------------------------------------------------------
    # Each changes the corrections, then writes the affected papers' rows again from the papers table,
    # exactly as an import would: a paper naming both spellings of a merged author lists them once,
    # and undoing a merge brings back what it joined.
    def merge(self, alias: str, into: str) -> int:
        """Store ``alias``'s papers under ``into`` from now on (also what later imports write); returns
        the papers rewritten. Whatever was merged into ``alias`` follows it."""
        if alias == into or not alias or not into:
            raise ValueError("merge two different, non-empty author keys")
        with self.db.write() as tx:
            self.db.lock(tx, "papers")
            target = tx.execute("SELECT author_key FROM author_aliases WHERE alias = ?", (into,)).scalar() or into
            if target == alias:
                raise ValueError(f"{into!r} is already merged into {alias!r}")
            self.db.insert_rows(tx, "author_aliases", ("alias", "author_key", "created_at"),
                                [(alias, target, self.db.now())],
                                "ON CONFLICT (alias) DO UPDATE SET author_key = excluded.author_key")
            tx.execute("UPDATE author_aliases SET author_key = ? WHERE author_key = ?", (target, alias))
            return _rewrite(tx, _papers_of(tx, alias), self.db.now())

    def unmerge(self, alias: str) -> int:
        """Undo ``merge``: the papers of ``alias``'s spellings list it under its own key again."""
        with self.db.write() as tx:
            self.db.lock(tx, "papers")
            target = tx.execute("SELECT author_key FROM author_aliases WHERE alias = ?", (alias,)).scalar()
            if target is None:
                return 0
            tx.execute("DELETE FROM author_aliases WHERE alias = ?", (alias,))
            return _rewrite(tx, _papers_of(tx, str(target)), self.db.now())

    def split(self, key: str, paper_ids: Sequence[str], to_key: str, label: str) -> int:
        """On each of ``paper_ids``, store the author listed under ``key`` as ``to_key`` (a namesake's own
        page); splitting back to the name's own key removes the override. Returns the papers rewritten."""
        if not key or not to_key:
            raise ValueError("give non-empty author keys")
        with self.db.write() as tx:
            self.db.lock(tx, "papers")
            now, touched = self.db.now(), []
            for pid in paper_ids:
                names = [r[0] for r in tx.execute(
                    "SELECT name FROM paper_authors WHERE paper_id = ? AND author_key = ?", (pid, key)).all()]
                for own in {author_key(name) for name in names}:
                    tx.execute("DELETE FROM author_splits WHERE paper_id = ? AND from_key = ?", (pid, own))
                    if to_key != own:
                        self.db.insert_rows(tx, "author_splits",
                                            ("paper_id", "from_key", "to_key", "label", "created_at"),
                                            [(pid, own, to_key, label, now)])
                if names:
                    touched.append(pid)
            return _rewrite(tx, touched, now)


def _papers_of(tx: Tx, key: str) -> list[str]:
    return [r[0] for r in tx.execute("SELECT DISTINCT paper_id FROM paper_authors WHERE author_key = ?",
                                     (key,)).all()]


def _rewrite(tx: Tx, paper_ids: Sequence[str], now: str) -> int:
    """Write the author rows of ``paper_ids`` again from the papers table and give those papers a new
    change number (papers lock held), so cached pages and ETags (``web.http``) see the change; returns
    how many papers."""

    papers: list[Paper] = []
    for chunk in chunks(list(paper_ids)):
        for pid, authors, announced in tx.execute(
                f"SELECT id, authors, announced FROM papers WHERE id IN ({placeholders(len(chunk))})", chunk).all():
            papers.append(Paper(id=pid, title="", authors=orjson.loads(authors),
                                announced=date.fromisoformat(announced) if announced else None))
    write_paper_authors(tx, papers, [p.id for p in papers])
    base = tx.execute("SELECT COALESCE(MAX(seq), 0) FROM papers").scalar()
    tx.executemany("UPDATE papers SET seq = ?, modified_at = ? WHERE id = ?",
                   [(base + i + 1, now, p.id) for i, p in enumerate(sorted(papers, key=lambda p: p.id))])
    return len(papers)

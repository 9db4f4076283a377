"""The library area: saved papers, their notes, and the folders that hold them.

The rule the writes keep: a saved paper is in at least one folder. "Save" puts a paper in the
member's default folder (made on first use); adding a paper to any folder saves it; taking it out of
its last folder unsaves it; deleting a folder moves the papers only it held to the default folder, so
deleting a folder never loses a saved paper. Every write raises the member's signal counter
(``signal_versions``) and the community counter (public folders and libraries are cached pages).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from paperwire.models import Folder, PendingPaper, SavedPaper
from paperwire.models.library import DEFAULT_FOLDER, folder_slug
from paperwire.store.community import bump_community_version
from paperwire.store.core import AlreadyExists, Database, Tx, bump_user_signals, chunks, parse_instant, placeholders

_FOLDER_COLUMNS = "f.id, f.user_id, f.name, f.slug, f.created_at, f.public, f.is_default"
EVERYTHING = 1_000_000  # LIMIT of "all" (SQLite and PostgreSQL spell "no limit" differently)


def _row_folder(r: Sequence[Any], papers: int = 0) -> Folder:
    return Folder(id=int(r[0]), user_id=int(r[1]), name=r[2], slug=r[3], created_at=parse_instant(r[4]) or datetime.min,
                  public=bool(r[5]), is_default=bool(r[6]), papers=papers)


@dataclass(slots=True)
class ImportItem:
    """One paper to put in a library by ``Library.import_items``: its note and folder names."""

    paper_id: str
    note: str = ""
    folders: list[str] = field(default_factory=list)


class Library:
    """Saved papers, notes and folders."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- writes ------------------------------------------------------------------------------------
    def _changed(self, tx: Tx, user_id: int) -> None:
        now = self.db.now()
        bump_user_signals(tx, user_id, now)
        bump_community_version(tx, now)

    def _default_folder(self, tx: Tx, user_id: int) -> int:
        found = tx.execute("SELECT id FROM folders WHERE user_id = ? AND is_default = 1", (user_id,)).scalar()
        if found is not None:
            return int(found)
        slug = folder_slug(DEFAULT_FOLDER)
        taken = tx.execute("SELECT id FROM folders WHERE user_id = ? AND slug = ?", (user_id, slug)).scalar()
        if taken is not None:  # a folder called "Saved" exists: it becomes the default
            tx.execute("UPDATE folders SET is_default = 1 WHERE id = ?", (taken,))
            return int(taken)
        tx.execute("INSERT INTO folders (user_id, name, slug, is_default, public, created_at) "
                   "VALUES (?, ?, ?, 1, 0, ?)", (user_id, DEFAULT_FOLDER, slug, self.db.now()))
        return int(tx.execute("SELECT id FROM folders WHERE user_id = ? AND is_default = 1", (user_id,)).scalar())

    def _save(self, tx: Tx, user_id: int, paper_id: str, folder_id: int) -> bool:
        now = self.db.now()
        tx.execute("INSERT INTO library (user_id, paper_id, saved_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                   (user_id, paper_id, now))
        new = tx.rowcount == 1
        tx.execute("INSERT INTO folder_papers (folder_id, user_id, paper_id, added_at) VALUES (?, ?, ?, ?) "
                   "ON CONFLICT DO NOTHING", (folder_id, user_id, paper_id, now))
        return new or tx.rowcount == 1

    def _own_folder(self, tx: Tx, user_id: int, folder_id: int) -> bool:
        return tx.execute("SELECT 1 FROM folders WHERE id = ? AND user_id = ?", (folder_id, user_id)).one() is not None

    def set_saved(self, user_id: int, paper_id: str, on: bool) -> bool:
        """Save a paper (into the default folder) or remove it from the library and every folder; True
        when something changed."""
        with self.db.write() as tx:
            if on:
                changed = self._save(tx, user_id, paper_id, self._default_folder(tx, user_id))
            else:
                tx.execute("DELETE FROM folder_papers WHERE user_id = ? AND paper_id = ?", (user_id, paper_id))
                tx.execute("DELETE FROM library WHERE user_id = ? AND paper_id = ?", (user_id, paper_id))
                changed = tx.rowcount == 1
            if changed:
                self._changed(tx, user_id)
            return changed

    def set_in_folder(self, user_id: int, paper_id: str, folder_id: int, on: bool) -> bool:
        """Put a paper in one of the member's folders (saving it) or take it out (out of its last folder
        it leaves the library); True when something changed, False also for another member's folder."""
        with self.db.write() as tx:
            if not self._own_folder(tx, user_id, folder_id):
                return False
            if on:
                changed = self._save(tx, user_id, paper_id, folder_id)
            else:
                tx.execute("DELETE FROM folder_papers WHERE folder_id = ? AND paper_id = ?", (folder_id, paper_id))
                changed = tx.rowcount == 1
                left = tx.execute("SELECT COUNT(*) FROM folder_papers WHERE user_id = ? AND paper_id = ?",
                                  (user_id, paper_id)).scalar()
                if changed and int(left) == 0:
                    tx.execute("DELETE FROM library WHERE user_id = ? AND paper_id = ?", (user_id, paper_id))
            if changed:
                self._changed(tx, user_id)
            return changed

    def set_note(self, user_id: int, paper_id: str, note: str) -> bool:
        """Replace the note of a saved paper (``''`` clears it); False when the paper is not saved."""
        with self.db.write() as tx:
            tx.execute("UPDATE library SET note = ? WHERE user_id = ? AND paper_id = ?", (note, user_id, paper_id))
            changed = tx.rowcount == 1
            if changed:
                self._changed(tx, user_id)
            return changed

    def create_folder(self, user_id: int, name: str, public: bool = False) -> Folder:
        """A new folder; ``AlreadyExists('folder')`` when the member has one with the same slug."""
        slug = folder_slug(name)
        with self.db.write() as tx:
            if tx.execute("SELECT 1 FROM folders WHERE user_id = ? AND slug = ?", (user_id, slug)).one():
                raise AlreadyExists("folder")
            tx.execute("INSERT INTO folders (user_id, name, slug, is_default, public, created_at) "
                       "VALUES (?, ?, ?, 0, ?, ?)", (user_id, name, slug, int(public), self.db.now()))
            row = tx.execute(f"SELECT {_FOLDER_COLUMNS} FROM folders f WHERE user_id = ? AND slug = ?",
                             (user_id, slug)).one()
            self._changed(tx, user_id)
        assert row is not None
        return _row_folder(row)

    def update_folder(self, user_id: int, folder_id: int, name: str | None = None, public: bool | None = None,
                      default: bool | None = None) -> Folder | None:
        """Rename a folder, make it public or private, or make it the default; None when it is not the
        member's. A new name whose slug another folder has raises ``AlreadyExists('folder')``."""
        with self.db.write() as tx:
            if not self._own_folder(tx, user_id, folder_id):
                return None
            if name is not None:
                slug = folder_slug(name)
                if tx.execute("SELECT 1 FROM folders WHERE user_id = ? AND slug = ? AND id <> ?",
                              (user_id, slug, folder_id)).one():
                    raise AlreadyExists("folder")
                tx.execute("UPDATE folders SET name = ?, slug = ? WHERE id = ?", (name, slug, folder_id))
            if public is not None:
                tx.execute("UPDATE folders SET public = ? WHERE id = ?", (int(public), folder_id))
            if default:
                tx.execute("UPDATE folders SET is_default = 0 WHERE user_id = ? AND is_default = 1", (user_id,))
                tx.execute("UPDATE folders SET is_default = 1 WHERE id = ?", (folder_id,))
            row = tx.execute(f"SELECT {_FOLDER_COLUMNS} FROM folders f WHERE f.id = ?", (folder_id,)).one()
            self._changed(tx, user_id)
        return _row_folder(row) if row else None

    def delete_folder(self, user_id: int, folder_id: int) -> bool:
        """Delete a folder that is not the default; the papers only it held move to the default folder."""
        with self.db.write() as tx:
            row = tx.execute("SELECT is_default FROM folders WHERE id = ? AND user_id = ?", (folder_id, user_id)).one()
            if row is None or row[0]:
                return False
            default = self._default_folder(tx, user_id)
            tx.execute("INSERT INTO folder_papers (folder_id, user_id, paper_id, added_at) "
                       "SELECT CAST(? AS BIGINT), fp.user_id, fp.paper_id, fp.added_at FROM folder_papers fp "
                       "WHERE fp.folder_id = ? "
                       "AND NOT EXISTS (SELECT 1 FROM folder_papers o WHERE o.user_id = fp.user_id "
                       "AND o.paper_id = fp.paper_id AND o.folder_id <> fp.folder_id)", (default, folder_id))
            tx.execute("DELETE FROM folders WHERE id = ?", (folder_id,))
            self._changed(tx, user_id)
            return True

    def import_items(self, user_id: int, items: Sequence[ImportItem]) -> tuple[list[str], list[str]]:
        """Put many papers in the library in one transaction: each in its named folders (made when
        missing) or, with none, the default folder; a note is kept, or added below a different note the
        member already wrote. Returns the ids newly saved and those already saved."""
        with self.db.write() as tx:
            return self._import(tx, user_id, items)

    def _import(self, tx: Tx, user_id: int, items: Sequence[ImportItem]) -> tuple[list[str], list[str]]:
        new: list[str] = []
        already: list[str] = []
        folders = {r[1]: int(r[0]) for r in tx.execute("SELECT id, slug FROM folders WHERE user_id = ?",
                                                         (user_id,)).all()}
        for item in items:
            targets = []
            for name in item.folders:
                slug = folder_slug(name)
                if slug not in folders:
                    tx.execute("INSERT INTO folders (user_id, name, slug, is_default, public, created_at) "
                               "VALUES (?, ?, ?, 0, 0, ?)", (user_id, name, slug, self.db.now()))
                    folders[slug] = int(tx.execute("SELECT id FROM folders WHERE user_id = ? AND slug = ?",
                                                   (user_id, slug)).scalar())
                targets.append(folders[slug])
            saved = tx.execute("SELECT note FROM library WHERE user_id = ? AND paper_id = ?",
                               (user_id, item.paper_id)).one()
            for folder_id in targets or [self._default_folder(tx, user_id)]:
                self._save(tx, user_id, item.paper_id, folder_id)
            (already if saved else new).append(item.paper_id)
            old = saved[0] if saved else ""
            if item.note and item.note != old and item.note not in old:
                note = f"{old}\n\n{item.note}" if old else item.note
                tx.execute("UPDATE library SET note = ? WHERE user_id = ? AND paper_id = ?",
                           (note, user_id, item.paper_id))
        if items:
            self._changed(tx, user_id)
        return new, already

    # -- papers imported before they were stored ----------------------------------------------------------
    def add_pending(self, user_id: int, items: Sequence[ImportItem]) -> None:
        """Keep imported papers the store does not hold (each with its note and folder names) until they are
        fetched; an id already pending gains the new folders and note."""
        now = self.db.now()
        with self.db.write() as tx:
            for item in items:
                row = tx.execute("SELECT note, folders FROM library_pending WHERE user_id = ? AND paper_id = ?",
                                 (user_id, item.paper_id)).one()
                if row is None:
                    tx.execute("INSERT INTO library_pending (user_id, paper_id, note, folders, requested_at) "
                               "VALUES (?, ?, ?, ?, ?)",
                               (user_id, item.paper_id, item.note, orjson.dumps(item.folders).decode(), now))
                    continue
                folders = list(dict.fromkeys([*orjson.loads(row[1]), *item.folders]))
                note = row[0] if not item.note or item.note in row[0] else \
                    (f"{row[0]}\n\n{item.note}" if row[0] else item.note)
                tx.execute("UPDATE library_pending SET note = ?, folders = ?, requested_at = ? "
                           "WHERE user_id = ? AND paper_id = ?",
                           (note, orjson.dumps(folders).decode(), now, user_id, item.paper_id))

    def pending(self, user_id: int, limit: int = 100) -> list[PendingPaper]:
        """The member's imported papers still to come (or that could not be fetched), newest first, with the
        state of their fetch (``pending`` when the queue has no row for it)."""
        with self.db.read() as tx:
            rows = tx.execute(
                "SELECT p.paper_id, p.note, p.folders, p.requested_at, COALESCE(f.state, 'pending') "
                "FROM library_pending p LEFT JOIN fetches f ON f.paper_id = p.paper_id WHERE p.user_id = ? "
                "ORDER BY p.requested_at DESC, p.paper_id LIMIT ?", (user_id, limit)).all()
        return [PendingPaper(r[0], r[1], orjson.loads(r[2]), parse_instant(r[3]) or datetime.min, r[4]) for r in rows]

    def pending_count(self, user_id: int) -> int:
        """How many imported papers the member waits for."""
        with self.db.read() as tx:
            return int(tx.execute("SELECT COUNT(*) FROM library_pending WHERE user_id = ?", (user_id,)).scalar())

    def settle_pending(self, user_id: int, paper_id: str) -> bool:
        """Put a pending paper in the library now that it is stored, into the folders its import named (one
        transaction: never both pending and saved, never lost); True when it was saved."""
        with self.db.write() as tx:
            row = tx.execute("SELECT note, folders FROM library_pending WHERE user_id = ? AND paper_id = ?",
                             (user_id, paper_id)).one()
            if row is None or tx.execute("SELECT 1 FROM papers WHERE id = ?", (paper_id,)).one() is None:
                return False
            self._import(tx, user_id, [ImportItem(paper_id, row[0], orjson.loads(row[1]))])
            tx.execute("DELETE FROM library_pending WHERE user_id = ? AND paper_id = ?", (user_id, paper_id))
            return True

    def drop_pending(self, user_id: int, paper_id: str) -> bool:
        """Forget a pending paper (the member dismissed one arXiv does not have); True when there was one."""
        with self.db.write() as tx:
            tx.execute("DELETE FROM library_pending WHERE user_id = ? AND paper_id = ?", (user_id, paper_id))
            return tx.rowcount == 1

    # -- reads -------------------------------------------------------------------------------------------
    def folders(self, user_id: int) -> list[Folder]:
        """The member's folders with their paper counts: the default first, then by name."""
        with self.db.read() as tx:
            rows = tx.execute(f"SELECT {_FOLDER_COLUMNS}, (SELECT COUNT(*) FROM folder_papers fp "
                              "WHERE fp.folder_id = f.id) FROM folders f WHERE f.user_id = ? "
                              "ORDER BY f.is_default DESC, LOWER(f.name), f.id", (user_id,)).all()
        return [_row_folder(r, int(r[7])) for r in rows]

    def folder(self, user_id: int, slug: str) -> Folder | None:
        """One of the member's folders by slug, with its paper count."""
        with self.db.read() as tx:
            row = tx.execute(f"SELECT {_FOLDER_COLUMNS}, (SELECT COUNT(*) FROM folder_papers fp "
                             "WHERE fp.folder_id = f.id) FROM folders f WHERE f.user_id = ? AND f.slug = ?",
                             (user_id, slug)).one()
        return _row_folder(row, int(row[7])) if row else None

    def entries(self, user_id: int, folder_id: int | None = None, limit: int = EVERYTHING,
                offset: int = 0) -> list[SavedPaper]:
        """Saved papers (of one folder, or all), newest first, with notes and folder slugs."""
        join, params = "", [user_id]
        if folder_id is not None:
            join, params = " JOIN folder_papers fp ON fp.user_id = l.user_id AND fp.paper_id = l.paper_id " \
                           "AND fp.folder_id = ?", [folder_id, user_id]
        with self.db.read() as tx:
            rows = tx.execute(f"SELECT l.paper_id, l.saved_at, l.note FROM library l{join} WHERE l.user_id = ? "
                              "ORDER BY l.saved_at DESC, l.paper_id LIMIT ? OFFSET ?",
                              (*params, limit, offset)).all()
            slugs = self._slugs(tx, user_id, [r[0] for r in rows])
        return [SavedPaper(r[0], parse_instant(r[1]) or datetime.min, r[2] or "", slugs.get(r[0], [])) for r in rows]

    def saved(self, user_id: int, paper_id: str) -> SavedPaper | None:
        """One saved paper with its note and folders; None when the member has not saved it."""
        with self.db.read() as tx:
            row = tx.execute("SELECT paper_id, saved_at, note FROM library WHERE user_id = ? AND paper_id = ?",
                             (user_id, paper_id)).one()
            slugs = self._slugs(tx, user_id, [paper_id]) if row else {}
        return SavedPaper(row[0], parse_instant(row[1]) or datetime.min, row[2] or "", slugs.get(paper_id, [])) \
            if row else None

    def _slugs(self, tx: Tx, user_id: int, paper_ids: Sequence[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for chunk in chunks(list(dict.fromkeys(paper_ids))):
            rows = tx.execute("SELECT fp.paper_id, f.slug FROM folder_papers fp JOIN folders f ON f.id = fp.folder_id "
                              f"WHERE fp.user_id = ? AND fp.paper_id IN ({placeholders(len(chunk))}) "
                              "ORDER BY f.is_default DESC, LOWER(f.name), f.id", (user_id, *chunk)).all()
            for pid, slug in rows:
                found.setdefault(pid, []).append(slug)
        return found

    def folder_marks(self, user_id: int, paper_ids: Sequence[str]) -> dict[str, list[str]]:
        """For each saved paper among ``paper_ids``, the slugs of its folders (unsaved papers are absent)."""
        with self.db.read() as tx:
            return self._slugs(tx, user_id, paper_ids)

    def papers_by_doi(self, dois: Sequence[str]) -> dict[str, str]:
        """Stored papers by DOI (compared case-folded, as DOIs are): folded DOI -> paper id. For imports."""
        found: dict[str, str] = {}
        wanted = list(dict.fromkeys(d.lower() for d in dois if d))
        with self.db.read() as tx:
            for chunk in chunks(wanted):
                rows = tx.execute(f"SELECT LOWER(doi), id FROM papers WHERE doi IS NOT NULL AND LOWER(doi) IN "
                                  f"({placeholders(len(chunk))}) ORDER BY id", chunk).all()
                for doi, pid in rows:
                    found.setdefault(doi, pid)
        return found

    def count(self, user_id: int, folder_id: int | None = None) -> int:
        """How many papers the member saved (in one folder, or all)."""
        with self.db.read() as tx:
            if folder_id is None:
                return int(tx.execute("SELECT COUNT(*) FROM library WHERE user_id = ?", (user_id,)).scalar())
            return int(tx.execute("SELECT COUNT(*) FROM folder_papers WHERE folder_id = ? AND user_id = ?",
                                  (folder_id, user_id)).scalar())

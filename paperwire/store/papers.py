"""Papers in SQL: one statement text for both backends."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

import orjson

from paperwire.models import IndexEntry, Paper, StoreStats, UpsertResult, Version
from paperwire.store.core import SQLBase, Tx, chunks, iso, parse_instant, placeholders

PAPER_COLUMNS = (
    "id", "version", "versions", "title", "abstract", "authors", "categories", "classes",
    "primary_category", "comment", "journal_ref", "doi", "license", "report_no", "announced", "submitted", "updated",
    "withdrawn", "source", "content_hash", "seq", "created_at", "modified_at",
)
N_READ = 19  # the columns that make a Paper
SELECT_PAPER = "SELECT " + ", ".join(PAPER_COLUMNS[:N_READ]) + " FROM papers"
_UPDATABLE = [c for c in PAPER_COLUMNS if c not in ("id", "created_at")]
_UPSERT_CONFLICT = (
    "ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _UPDATABLE)
    + " WHERE papers.version <= excluded.version"
)
_CATEGORY_COLUMNS = ("paper_id", "category", "position", "announced")


def _dumps(value: object) -> str:
    return orjson.dumps(value).decode()


def paper_row(paper: Paper, seq: int, now: str) -> tuple[Any, ...]:
    """A paper as a row of ``PAPER_COLUMNS``."""
    versions = [{"version": v.version, "created": iso(v.created)} for v in paper.versions]
    return (
        paper.id, paper.version, _dumps(versions), paper.title, paper.abstract,
        _dumps(paper.authors), _dumps(paper.categories), _dumps(paper.classes),
        paper.primary_category, paper.comment,
        paper.journal_ref, paper.doi, paper.license, paper.report_no, iso(paper.announced),
        iso(paper.submitted), iso(paper.updated), int(paper.withdrawn), paper.source,
        paper.content_hash(), seq, now, now,
    )


def row_paper(row: Sequence[Any]) -> Paper:
    """A row of the first ``N_READ`` of ``PAPER_COLUMNS`` as a paper."""
    versions = [Version(v["version"], parse_instant(v["created"])) for v in orjson.loads(row[2])]
    return Paper(
        id=row[0], version=row[1], versions=versions, title=row[3], abstract=row[4],
        authors=orjson.loads(row[5]), categories=orjson.loads(row[6]), classes=orjson.loads(row[7]),
        comment=row[9], journal_ref=row[10], doi=row[11], license=row[12], report_no=row[13],
        announced=date.fromisoformat(row[14]) if row[14] else None,
        submitted=parse_instant(row[15]), updated=parse_instant(row[16]),
        withdrawn=bool(row[17]), source=row[18],
    )


class PapersSQL(SQLBase):
    """Papers: upserts, lookups, listings, stats and the change counter."""

    # -- papers --------------------------------------------------------------------
    def upsert_papers(self, papers: Sequence[Paper]) -> UpsertResult:
        if not papers:
            return UpsertResult()
        with self.write() as tx:
            self._lock(tx, "papers")
            result, _ = self._upsert_in(tx, papers)
        return result

    def _upsert_in(self, tx: Tx, papers: Sequence[Paper]) -> tuple[UpsertResult, set[str]]:
        """Upsert inside a transaction holding the papers lock; also returns the ids written."""
        result = UpsertResult()
        latest: dict[str, Paper] = {}
        for paper in papers:  # within a batch, the newest version of an id wins
            if paper.id not in latest or paper.version >= latest[paper.id].version:
                latest[paper.id] = paper
        result.unchanged += len(papers) - len(latest)
        if not latest:
            return result, set()
        stored = self._versions_and_hashes(tx, list(latest))
        to_write: list[Paper] = []
        for paper in latest.values():
            old = stored.get(paper.id)
            if old is None:
                result.inserted += 1
            elif old[0] > paper.version or old[1] == paper.content_hash():
                result.unchanged += 1
                continue
            else:
                result.updated += 1
            to_write.append(paper)
        if to_write:
            self._write_papers(tx, to_write, updated=[p.id for p in to_write if p.id in stored])
        return result, {p.id for p in to_write}

    def _bump_seq(self, tx: Tx, ids: Sequence[str]) -> None:
        """Give stored papers a new change number so every search index re-reads them (papers lock held)."""
        base = tx.execute("SELECT COALESCE(MAX(seq), 0) FROM papers").scalar()
        now = self._now()
        tx.executemany("UPDATE papers SET seq = ?, modified_at = ? WHERE id = ?",
                       [(base + i + 1, now, pid) for i, pid in enumerate(sorted(ids))])

    def _versions_and_hashes(self, tx: Tx, ids: list[str]) -> dict[str, tuple[int, str]]:
        found: dict[str, tuple[int, str]] = {}
        for chunk in chunks(ids):
            sql = f"SELECT id, version, content_hash FROM papers WHERE id IN ({placeholders(len(chunk))})"
            for pid, version, digest in tx.execute(sql, chunk).all():
                found[pid] = (version, digest)
        return found

    def _write_papers(self, tx: Tx, papers: list[Paper], updated: list[str]) -> None:
        base = tx.execute("SELECT COALESCE(MAX(seq), 0) FROM papers").scalar()
        now = self._now()
        rows = [paper_row(p, base + i + 1, now) for i, p in enumerate(papers)]
        self._insert_rows(tx, "papers", PAPER_COLUMNS, rows, _UPSERT_CONFLICT)
        for chunk in chunks(updated):
            tx.execute(f"DELETE FROM paper_categories WHERE paper_id IN ({placeholders(len(chunk))})", chunk)
        self._insert_rows(tx, "paper_categories", _CATEGORY_COLUMNS, [
            (p.id, cat, pos, iso(p.announced)) for p in papers for pos, cat in enumerate(dict.fromkeys(p.categories))
        ])

    def get_paper(self, paper_id: str) -> Paper | None:
        with self.read() as tx:
            row = tx.execute(f"{SELECT_PAPER} WHERE id = ?", (paper_id,)).one()
        return row_paper(row) if row else None

    def get_papers(self, paper_ids: Sequence[str]) -> dict[str, Paper]:
        ids = list(dict.fromkeys(paper_ids))
        found: dict[str, Paper] = {}
        with self.read() as tx:
            for chunk in chunks(ids):
                for row in tx.execute(f"{SELECT_PAPER} WHERE id IN ({placeholders(len(chunk))})", chunk).all():
                    found[row[0]] = row_paper(row)
        return found

    def _listing_where(self, start: date | None, end: date | None, category: str | None) -> tuple[str, str, list[Any]]:
        if category:
            source, col = "paper_categories c JOIN papers p ON p.id = c.paper_id", "c.announced"
            clauses, params = ["c.category = ?"], [category]
        else:
            source, col, clauses, params = "papers p", "p.announced", ["p.announced IS NOT NULL"], []
        if start:
            clauses.append(f"{col} >= ?")
            params.append(start.isoformat())
        if end:
            clauses.append(f"{col} <= ?")
            params.append(end.isoformat())
        return source, " AND ".join(clauses), params

    def list_papers(
        self,
        start: date | None = None,
        end: date | None = None,
        category: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Paper]:
        source, where, params = self._listing_where(start, end, category)
        cols = ", ".join(f"p.{c}" for c in PAPER_COLUMNS[:N_READ])
        sql = f"SELECT {cols} FROM {source} WHERE {where} ORDER BY p.announced DESC, p.id DESC LIMIT ? OFFSET ?"
        with self.read() as tx:
            return [row_paper(r) for r in tx.execute(sql, [*params, limit, offset]).all()]

    def count_papers(self, start: date | None = None, end: date | None = None, category: str | None = None) -> int:
        source, where, params = self._listing_where(start, end, category)
        with self.read() as tx:
            return int(tx.execute(f"SELECT COUNT(*) FROM {source} WHERE {where}", params).scalar())

    def announced_days(self, around: date) -> tuple[date | None, date | None]:
        day = around.isoformat()
        with self.read() as tx:
            prev = tx.execute("SELECT MAX(announced) FROM papers WHERE announced < ?", (day,)).scalar()
            nxt = tx.execute("SELECT MIN(announced) FROM papers WHERE announced > ?", (day,)).scalar()
        return (date.fromisoformat(prev) if prev else None, date.fromisoformat(nxt) if nxt else None)

    def latest_day(self) -> date | None:
        with self.read() as tx:
            value = tx.execute("SELECT MAX(announced) FROM papers").scalar()
        return date.fromisoformat(value) if value else None

    def stats(self) -> StoreStats:
        with self.read() as tx:
            total = int(tx.execute("SELECT COUNT(*) FROM papers").scalar())
            cats = tx.execute(
                "SELECT primary_category, COUNT(*) FROM papers GROUP BY primary_category ORDER BY COUNT(*) DESC"
            ).all()
            months = tx.execute(
                "SELECT SUBSTR(announced, 1, 7), COUNT(*) FROM papers WHERE announced IS NOT NULL "
                "GROUP BY SUBSTR(announced, 1, 7) ORDER BY 1"
            ).all()
            first, last = tx.execute("SELECT MIN(announced), MAX(announced) FROM papers").one() or (None, None)
            embedded = int(tx.execute("SELECT COUNT(DISTINCT paper_id) FROM embeddings").scalar())
        return StoreStats(
            papers=total,
            by_category={c or "(none)": int(n) for c, n in cats},
            by_month={m: int(n) for m, n in months},
            first_announced=date.fromisoformat(first) if first else None,
            last_announced=date.fromisoformat(last) if last else None,
            embeddings=embedded,
        )

    def max_seq(self) -> int:
        with self.read() as tx:
            return int(tx.execute("SELECT COALESCE(MAX(seq), 0) FROM papers").scalar())

    # has_code: any code link (store/sources.py); a new link raises the paper's seq, so indexes re-read it
    _ENTRY_SQL = (
        "SELECT p.seq, p.id, p.title, p.abstract, p.authors, p.categories, p.announced, "
        "CASE WHEN EXISTS (SELECT 1 FROM code_links l WHERE l.paper_id = p.id) THEN 1 ELSE 0 END "
        "FROM papers p"
    )

    @staticmethod
    def _entry(r: Sequence[Any]) -> IndexEntry:
        return IndexEntry(int(r[0]), r[1], r[2], r[3], orjson.loads(r[4]), orjson.loads(r[5]),
                          date.fromisoformat(r[6]) if r[6] else None, bool(r[7]))

    def changed_since(self, seq: int, limit: int) -> list[IndexEntry]:
        # has_code is read here rather than stored: adding a link raises the paper's seq instead.
        with self.read() as tx:
            rows = tx.execute(f"{self._ENTRY_SQL} WHERE p.seq > ? ORDER BY p.seq LIMIT ?", (seq, limit)).all()
        return [self._entry(r) for r in rows]

    def index_entries(self, paper_ids: Sequence[str]) -> dict[str, IndexEntry]:
        ids = list(dict.fromkeys(paper_ids))
        found: dict[str, IndexEntry] = {}
        with self.read() as tx:
            for chunk in chunks(ids):
                for r in tx.execute(f"{self._ENTRY_SQL} WHERE p.id IN ({placeholders(len(chunk))})", chunk).all():
                    found[r[1]] = self._entry(r)
        return found

    def list_in_category(
        self,
        category: str,
        start: date | None = None,
        end: date | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Paper]:
        source, where, params = self._listing_where(start, end, category)
        cols = ", ".join(f"p.{c}" for c in PAPER_COLUMNS[:N_READ])
        # c.announced and c.paper_id equal p.announced and p.id, and follow paper_categories_listing
        sql = f"SELECT {cols} FROM {source} WHERE {where} ORDER BY c.announced DESC, c.paper_id DESC LIMIT ? OFFSET ?"
        with self.read() as tx:
            return [row_paper(r) for r in tx.execute(sql, [*params, limit, offset]).all()]

    def category_counts(self, start: date | None = None, end: date | None = None) -> dict[str, int]:
        if start or end:  # a window: walk the papers' date index, not every category row
            clauses, params = ["p.announced IS NOT NULL"], []
            if start:
                clauses.append("p.announced >= ?")
                params.append(start.isoformat())
            if end:
                clauses.append("p.announced <= ?")
                params.append(end.isoformat())
            sql = ("SELECT c.category, COUNT(*) FROM papers p JOIN paper_categories c ON c.paper_id = p.id "
                   f"WHERE {' AND '.join(clauses)} GROUP BY c.category ORDER BY 2 DESC, 1")
        else:
            sql, params = "SELECT category, COUNT(*) FROM paper_categories GROUP BY category ORDER BY 2 DESC, 1", []
        with self.read() as tx:
            return {c: int(n) for c, n in tx.execute(sql, params).all()}

    def last_change(self) -> tuple[int, datetime | None]:
        with self.read() as tx:  # the unique index on seq makes this one index probe
            row = tx.execute("SELECT seq, modified_at FROM papers ORDER BY seq DESC LIMIT 1").one()
        return (int(row[0]), parse_instant(row[1])) if row else (0, None)

    def iter_papers(self, batch: int = 2000) -> Iterator[Paper]:
        last = ""
        while True:
            with self.read() as tx:
                rows = tx.execute(f"{SELECT_PAPER} WHERE id > ? ORDER BY id LIMIT ?", (last, batch)).all()
            if not rows:
                return
            yield from (row_paper(r) for r in rows)
            last = rows[-1][0]

"""The papers area: papers, their code links, harvested pages (``save_batch``), listings, the change counter.

``save_batch`` is the write path of every harvester: a page's papers, the
code links found in them, HF entries and the harvest's resume state go in
one transaction, so a crash or a bad page leaves either all of it or none.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

import orjson

from paperwire.models import BatchResult, CodeLink, IndexEntry, Paper, SourceBatch, UpsertResult, Version
from paperwire.store.authors import write_paper_authors
from paperwire.store.core import UPSERT_STATE, Database, Tx, chunks, iso, parse_instant, placeholders
from paperwire.store.rows import write_hf_entries

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
# What an import writes: the tables whose statistics it refreshes (``Papers.refresh_statistics``).
_IMPORT_TABLES = ("papers", "paper_categories", "paper_authors", "code_links", "repositories", "category_counts")


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


class Papers:
    """Papers: upserts, harvested pages, code links, lookups, listings and the change counter."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- papers --------------------------------------------------------------------
    def upsert_papers(self, papers: Sequence[Paper]) -> UpsertResult:
        """Insert new papers and update changed ones in one transaction.

        A stored paper is replaced only when the incoming one is not older
        (its ``version`` is greater or equal) and differs in content.
        """
        if not papers:
            return UpsertResult()
        with self.db.write() as tx:
            self.db.lock(tx, "papers")
            result, _ = self._upsert_in(tx, papers)
        return result

    def refresh_statistics(self, changed: int) -> list[str]:
        """After an import that wrote ``changed`` papers: refresh the query planner's statistics of the
        tables it wrote when that is over a tenth of them (PostgreSQL; ``Database.refresh_statistics``).
        Returns the tables refreshed."""
        return self.db.refresh_statistics(_IMPORT_TABLES, changed)

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
        now = self.db.now()
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
        now = self.db.now()
        rows = [paper_row(p, base + i + 1, now) for i, p in enumerate(papers)]
        self.db.insert_rows(tx, "papers", PAPER_COLUMNS, rows, _UPSERT_CONFLICT)
        counts: Counter[str] = Counter()
        for chunk in chunks(updated):
            marks = placeholders(len(chunk))
            for cat, n in tx.execute(f"SELECT category, COUNT(*) FROM paper_categories WHERE paper_id IN ({marks}) "
                                     "GROUP BY category", chunk).all():
                counts[cat] -= int(n)
            tx.execute(f"DELETE FROM paper_categories WHERE paper_id IN ({marks})", chunk)
        category_rows = [(p.id, cat, pos, iso(p.announced))
                         for p in papers for pos, cat in enumerate(dict.fromkeys(p.categories))]
        self.db.insert_rows(tx, "paper_categories", _CATEGORY_COLUMNS, category_rows)
        counts.update(row[1] for row in category_rows)
        changes = sorted((cat, n) for cat, n in counts.items() if n)  # sorted: writers lock rows in one order
        if changes:
            tx.executemany("INSERT INTO category_counts (category, papers) VALUES (?, ?) ON CONFLICT (category) "
                           "DO UPDATE SET papers = category_counts.papers + excluded.papers", changes)
        write_paper_authors(tx, papers, updated)

    def get_paper(self, paper_id: str) -> Paper | None:
        """One paper by bare arXiv id, or None."""
        with self.db.read() as tx:
            row = tx.execute(f"{SELECT_PAPER} WHERE id = ?", (paper_id,)).one()
        return row_paper(row) if row else None

    def find_by_doi(self, doi: str) -> Paper | None:
        """The paper with this DOI (compared case-insensitively, as DOIs are), or None."""
        with self.db.read() as tx:
            row = tx.execute(f"{SELECT_PAPER} WHERE lower(doi) = ? ORDER BY id LIMIT 1", (doi.lower(),)).one()
        return row_paper(row) if row else None

    def get_papers(self, paper_ids: Sequence[str]) -> dict[str, Paper]:
        """Papers by id; unknown ids are absent from the result."""
        ids = list(dict.fromkeys(paper_ids))
        found: dict[str, Paper] = {}
        with self.db.read() as tx:
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
        """Papers announced in ``[start, end]`` (inclusive), newest first, then by id."""
        source, where, params = self._listing_where(start, end, category)
        cols = ", ".join(f"p.{c}" for c in PAPER_COLUMNS[:N_READ])
        sql = f"SELECT {cols} FROM {source} WHERE {where} ORDER BY p.announced DESC, p.id DESC LIMIT ? OFFSET ?"
        with self.db.read() as tx:
            return [row_paper(r) for r in tx.execute(sql, [*params, limit, offset]).all()]

    def count_papers(self, start: date | None = None, end: date | None = None, category: str | None = None) -> int:
        """How many papers ``list_papers`` would page through."""
        with self.db.read() as tx:
            if category and not start and not end:  # a whole category: its kept count
                return int(tx.execute("SELECT COALESCE(MAX(papers), 0) FROM category_counts WHERE category = ?",
                                      (category,)).scalar())
            source, where, params = self._listing_where(start, end, category)
            return int(tx.execute(f"SELECT COUNT(*) FROM {source} WHERE {where}", params).scalar())

    def announced_days(self, around: date) -> tuple[date | None, date | None]:
        """The nearest announcement days strictly before and after ``around``."""
        day = around.isoformat()
        with self.db.read() as tx:
            prev = tx.execute("SELECT MAX(announced) FROM papers WHERE announced < ?", (day,)).scalar()
            nxt = tx.execute("SELECT MIN(announced) FROM papers WHERE announced > ?", (day,)).scalar()
        return (date.fromisoformat(prev) if prev else None, date.fromisoformat(nxt) if nxt else None)

    def latest_day(self) -> date | None:
        """The newest announcement day with papers."""
        with self.db.read() as tx:
            value = tx.execute("SELECT MAX(announced) FROM papers").scalar()
        return date.fromisoformat(value) if value else None

    def max_seq(self) -> int:
        """The change counter: every insert or update of a paper raises it."""
        with self.db.read() as tx:
            return int(tx.execute("SELECT COALESCE(MAX(seq), 0) FROM papers").scalar())

    # has_code: any code link (save_batch adds them); a new link raises the paper's seq, so indexes re-read it
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
        """What the search indexes need of papers changed after ``seq``, in change order.

        ``has_code`` is true when the paper has at least one code link.
        """
        # has_code is read here rather than stored: adding a link raises the paper's seq instead.
        with self.db.read() as tx:
            rows = tx.execute(f"{self._ENTRY_SQL} WHERE p.seq > ? ORDER BY p.seq LIMIT ?", (seq, limit)).all()
        return [self._entry(r) for r in rows]

    def index_entries(self, paper_ids: Sequence[str]) -> dict[str, IndexEntry]:
        """The index view (as ``changed_since`` gives it) of the given papers."""
        ids = list(dict.fromkeys(paper_ids))
        found: dict[str, IndexEntry] = {}
        with self.db.read() as tx:
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
        """The same page as ``list_papers(start, end, category, …)``, read in the order of the
        category index (no sort of the whole category: fast for big categories and deep pages)."""
        source, where, params = self._listing_where(start, end, category)
        cols = ", ".join(f"p.{c}" for c in PAPER_COLUMNS[:N_READ])
        # c.announced and c.paper_id equal p.announced and p.id, and follow paper_categories_listing
        sql = f"SELECT {cols} FROM {source} WHERE {where} ORDER BY c.announced DESC, c.paper_id DESC LIMIT ? OFFSET ?"
        with self.db.read() as tx:
            return [row_paper(r) for r in tx.execute(sql, [*params, limit, offset]).all()]

    def category_counts(self, start: date | None = None, end: date | None = None) -> dict[str, int]:
        """Papers per category (cross-lists included) announced in ``[start, end]``, most first."""
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
        else:  # kept by the write path (counting every category row took seconds at 2.7M papers)
            sql, params = "SELECT category, papers FROM category_counts WHERE papers > 0 ORDER BY 2 DESC, 1", []
        with self.db.read() as tx:
            return {c: int(n) for c, n in tx.execute(sql, params).all()}

    def last_change(self) -> tuple[int, datetime | None]:
        """The change counter and when the change that raised it was written (None when empty).

        One cheap read that validates cached pages: a new import raises both.
        """
        with self.db.read() as tx:  # the unique index on seq makes this one index probe
            row = tx.execute("SELECT seq, modified_at FROM papers ORDER BY seq DESC LIMIT 1").one()
        return (int(row[0]), parse_instant(row[1])) if row else (0, None)

    def iter_papers(self, batch: int = 2000) -> Iterator[Paper]:
        """Every paper, ordered by id (for copies and checksums)."""
        last = ""
        while True:
            with self.db.read() as tx:
                rows = tx.execute(f"{SELECT_PAPER} WHERE id > ? ORDER BY id LIMIT ?", (last, batch)).all()
            if not rows:
                return
            yield from (row_paper(r) for r in rows)
            last = rows[-1][0]

    # -- harvested pages and code links ----------------------------------------------
    def save_batch(self, batch: SourceBatch) -> BatchResult:
        """Upsert the batch's papers, add its code links and HF entries, save its state: one transaction.

        Papers follow ``upsert_papers``' rules. Links and HF entries may name
        papers not (yet) stored. A stored paper that gets its first code link
        has its ``seq`` raised, so every host's search index re-reads it and
        learns ``has:code``. Each HF entry also adds an upvote snapshot.
        """
        result = BatchResult()
        with self.db.write() as tx:
            self.db.lock(tx, "papers")  # links raise papers' seq: the same lock as paper writers
            written: set[str] = set()
            if batch.papers:
                result.papers, written = self._upsert_in(tx, batch.papers)
            result.new_links = self._add_links(tx, batch.links, written)
            result.hf_entries = write_hf_entries(tx, batch.hf_entries, self.db.now())
            now = self.db.now()
            tx.executemany(UPSERT_STATE, [(k, v, now) for k, v in batch.state.items()])
        return result

    def _add_links(self, tx: Tx, links: Sequence[CodeLink], written: set[str]) -> int:
        unique = {(ln.paper_id, ln.repo.lower(), ln.source): ln for ln in links}
        if not unique:
            return 0
        paper_ids = sorted({key[0] for key in unique})
        known: set[tuple[str, str, str]] = set()
        for chunk in chunks(paper_ids):
            rows = tx.execute(
                f"SELECT paper_id, repo, source FROM code_links WHERE paper_id IN ({placeholders(len(chunk))})", chunk
            ).all()
            known.update((r[0], r[1], r[2]) for r in rows)
        had_code = {key[0] for key in known}
        new = [key for key in unique if key not in known]
        if not new:
            return 0
        now = self.db.now()
        tx.executemany(
            "INSERT INTO code_links (paper_id, repo, url, source, first_seen) VALUES (?, ?, ?, ?, ?)",
            [(pid, repo, unique[(pid, repo, src)].url, src, iso(unique[(pid, repo, src)].first_seen) or now)
             for pid, repo, src in new],
        )
        tx.executemany(
            "INSERT INTO repositories (repo, full_name, first_seen) VALUES (?, ?, ?) ON CONFLICT (repo) DO NOTHING",
            sorted({(repo, _spelling(unique[(pid, repo, src)]), now) for pid, repo, src in new}),
        )
        # Papers written in this transaction already have a fresh seq; the others that just
        # gained their first link need one, or search indexes would keep has_code false.
        gained = sorted({pid for pid, _, _ in new} - had_code - written)
        if gained:
            self._bump_seq(tx, gained)
        return len(new)

    def code_links(self, paper_id: str | None = None, repo: str | None = None) -> list[CodeLink]:
        """Code links of one paper and/or one repository (``owner/name``, any case), oldest first."""
        clauses, params = [], []
        if paper_id is not None:
            clauses.append("paper_id = ?")
            params.append(paper_id)
        if repo is not None:
            clauses.append("repo = ?")
            params.append(repo.lower())
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self.db.read() as tx:
            rows = tx.execute(
                f"SELECT paper_id, repo, url, source, first_seen FROM code_links {where} "
                "ORDER BY first_seen, paper_id, repo, source", params).all()
        return [CodeLink(r[0], r[1], r[2], r[3], parse_instant(r[4])) for r in rows]

    def code_link_counts(self, repos: Sequence[str]) -> dict[str, int]:
        """How many papers link each repository (``owner/name``, any case; unlinked ones are absent)."""
        keys = sorted({r.lower() for r in repos})
        counts: dict[str, int] = {}
        with self.db.read() as tx:
            for chunk in chunks(keys):
                counts.update((r, int(n)) for r, n in tx.execute(
                    "SELECT repo, COUNT(DISTINCT paper_id) FROM code_links "
                    f"WHERE repo IN ({placeholders(len(chunk))}) GROUP BY repo", chunk).all())
        return counts


def _spelling(link: CodeLink) -> str:
    """``Owner/Name`` as the link's URL spells it (the key itself is lower case)."""
    path = link.url.split("github.com/", 1)[-1].strip("/").split("/")
    name = "/".join(path[:2])
    return name if name.lower() == link.repo.lower() else link.repo

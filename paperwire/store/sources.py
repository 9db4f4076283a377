"""Live sources in SQL: atomic harvest batches, code links, Hugging Face daily entries.

``save_batch`` is the write path of every harvester: a page's papers, the
code links found in them, HF entries and the harvest's resume state go in
one transaction, so a crash or a bad page leaves either all of it or none.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import orjson

from paperwire.models import BatchResult, CodeLink, HFDailyEntry, SourceBatch
from paperwire.store.core import SIGNALS_VERSION_KEY, Tx, bump_counter, chunks, iso, parse_instant, placeholders
from paperwire.store.papers import PapersSQL

_HF_COLUMNS = (
    "paper_id", "daily_date", "upvotes", "title", "num_comments", "github_repo", "github_stars", "project_page",
    "ai_summary", "ai_keywords", "submitted_on_daily", "published_at", "first_seen", "last_seen",
)
_UPSERT_HF = (
    f"INSERT INTO hf_daily ({', '.join(_HF_COLUMNS)}) VALUES ({placeholders(len(_HF_COLUMNS))}) "
    "ON CONFLICT (paper_id, daily_date) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _HF_COLUMNS if c not in ("paper_id", "daily_date", "first_seen"))
)


def _hf_row(entry: HFDailyEntry, now: str) -> tuple[Any, ...]:
    return (
        entry.paper_id, entry.daily_date.isoformat(), entry.upvotes, entry.title, entry.num_comments,
        entry.github_repo, entry.github_stars, entry.project_page, entry.ai_summary,
        orjson.dumps(entry.ai_keywords).decode(), iso(entry.submitted_on_daily), iso(entry.published_at), now, now,
    )


def _row_hf(row: Sequence[Any]) -> HFDailyEntry:
    return HFDailyEntry(
        paper_id=row[0], daily_date=date.fromisoformat(row[1]), upvotes=int(row[2]), title=row[3],
        num_comments=row[4], github_repo=row[5], github_stars=row[6], project_page=row[7], ai_summary=row[8],
        ai_keywords=orjson.loads(row[9]), submitted_on_daily=parse_instant(row[10]),
        published_at=parse_instant(row[11]), first_seen=parse_instant(row[12]), last_seen=parse_instant(row[13]),
    )


class SourcesSQL(PapersSQL):
    """Harvest batches, code links and HF daily entries."""

    def save_batch(self, batch: SourceBatch) -> BatchResult:
        result = BatchResult()
        with self.write() as tx:
            self._lock(tx, "papers")  # links raise papers' seq: the same lock as paper writers
            written: set[str] = set()
            if batch.papers:
                result.papers, written = self._upsert_in(tx, batch.papers)
            result.new_links = self._add_links(tx, batch.links, written)
            result.hf_entries = self._save_hf(tx, batch.hf_entries)
            now = self._now()
            tx.executemany(
                "INSERT INTO state (key, value, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                [(k, v, now) for k, v in batch.state.items()],
            )
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
        now = self._now()
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

    def _save_hf(self, tx: Tx, entries: Sequence[HFDailyEntry]) -> int:
        if not entries:
            return 0
        now = self._now()
        tx.executemany(_UPSERT_HF, [_hf_row(e, now) for e in entries])
        latest = {e.paper_id: e.upvotes for e in entries}
        tx.executemany(
            "INSERT INTO hf_upvotes (paper_id, taken_at, upvotes) VALUES (?, ?, ?) "
            "ON CONFLICT (paper_id, taken_at) DO UPDATE SET upvotes = excluded.upvotes",
            [(pid, now, votes) for pid, votes in sorted(latest.items())],
        )
        bump_counter(tx, SIGNALS_VERSION_KEY, now)
        return len(entries)

    def code_links(self, paper_id: str | None = None, repo: str | None = None) -> list[CodeLink]:
        clauses, params = [], []
        if paper_id is not None:
            clauses.append("paper_id = ?")
            params.append(paper_id)
        if repo is not None:
            clauses.append("repo = ?")
            params.append(repo.lower())
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self.read() as tx:
            rows = tx.execute(
                f"SELECT paper_id, repo, url, source, first_seen FROM code_links {where} "
                "ORDER BY first_seen, paper_id, repo, source", params).all()
        return [CodeLink(r[0], r[1], r[2], r[3], parse_instant(r[4])) for r in rows]

    def hf_daily(self, day: date) -> list[HFDailyEntry]:
        with self.read() as tx:
            rows = tx.execute(
                f"SELECT {', '.join(_HF_COLUMNS)} FROM hf_daily WHERE daily_date = ? "
                "ORDER BY upvotes DESC, paper_id", (day.isoformat(),)).all()
        return [_row_hf(r) for r in rows]

    def hf_entries(self, paper_id: str) -> list[HFDailyEntry]:
        with self.read() as tx:
            rows = tx.execute(
                f"SELECT {', '.join(_HF_COLUMNS)} FROM hf_daily WHERE paper_id = ? ORDER BY daily_date",
                (paper_id,)).all()
        return [_row_hf(r) for r in rows]

    def hf_upvote_snapshots(self, paper_id: str) -> list[tuple[datetime, int]]:
        with self.read() as tx:
            rows = tx.execute(
                "SELECT taken_at, upvotes FROM hf_upvotes WHERE paper_id = ? ORDER BY taken_at", (paper_id,)).all()
        return [(datetime.fromisoformat(r[0]), int(r[1])) for r in rows]


def _spelling(link: CodeLink) -> str:
    """``Owner/Name`` as the link's URL spells it (the key itself is lower case)."""
    path = link.url.split("github.com/", 1)[-1].strip("/").split("/")
    name = "/".join(path[:2])
    return name if name.lower() == link.repo.lower() else link.repo

"""Columns and row ↔ model conversions for repositories, trending entries and Hugging Face daily entries.

Public, so that whichever area reads or writes these tables uses them without reaching into another
module's privates: the papers area writes HF entries with the harvested page they came with
(``write_hf_entries``, inside ``save_batch``'s transaction), the signals area reads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import orjson

from paperwire.models import HFDailyEntry, Repository, TrendingEntry
from paperwire.store.core import SIGNALS_VERSION_KEY, Tx, bump_counter, iso, parse_instant, placeholders

REPO_COLUMNS = "repo, full_name, stars, etag, checked_at, changed_at, status, created_at, backfill, first_seen"


def row_repo(row: Sequence[Any]) -> Repository:
    """A row of ``REPO_COLUMNS`` as a Repository."""
    return Repository(
        repo=row[0], full_name=row[1], stars=row[2], etag=row[3], checked_at=parse_instant(row[4]),
        changed_at=parse_instant(row[5]), status=row[6], created_at=parse_instant(row[7]), backfill=row[8],
        first_seen=parse_instant(row[9]),
    )


ENTRY_COLUMNS = ("period", "paper_id", "rank", "score", "reasons", "signals", "computed_at")


def row_entry(row: Sequence[Any]) -> TrendingEntry:
    """A row of ``ENTRY_COLUMNS`` as a TrendingEntry."""
    return TrendingEntry(window=row[0], paper_id=row[1], rank=int(row[2]), score=float(row[3]),
                         reasons=orjson.loads(row[4]), signals=orjson.loads(row[5]),
                         computed_at=parse_instant(row[6]))


HF_COLUMNS = (
    "paper_id", "daily_date", "upvotes", "title", "num_comments", "github_repo", "github_stars", "project_page",
    "ai_summary", "ai_keywords", "submitted_on_daily", "published_at", "first_seen", "last_seen",
)
UPSERT_HF = (
    f"INSERT INTO hf_daily ({', '.join(HF_COLUMNS)}) VALUES ({placeholders(len(HF_COLUMNS))}) "
    "ON CONFLICT (paper_id, daily_date) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in HF_COLUMNS if c not in ("paper_id", "daily_date", "first_seen"))
)


def hf_row(entry: HFDailyEntry, now: str) -> tuple[Any, ...]:
    """An HF daily entry as a row of ``HF_COLUMNS`` (first and last seen ``now``)."""
    return (
        entry.paper_id, entry.daily_date.isoformat(), entry.upvotes, entry.title, entry.num_comments,
        entry.github_repo, entry.github_stars, entry.project_page, entry.ai_summary,
        orjson.dumps(entry.ai_keywords).decode(), iso(entry.submitted_on_daily), iso(entry.published_at), now, now,
    )


def row_hf(row: Sequence[Any]) -> HFDailyEntry:
    """A row of ``HF_COLUMNS`` as an HF daily entry."""
    return HFDailyEntry(
        paper_id=row[0], daily_date=date.fromisoformat(row[1]), upvotes=int(row[2]), title=row[3],
        num_comments=row[4], github_repo=row[5], github_stars=row[6], project_page=row[7], ai_summary=row[8],
        ai_keywords=orjson.loads(row[9]), submitted_on_daily=parse_instant(row[10]),
        published_at=parse_instant(row[11]), first_seen=parse_instant(row[12]), last_seen=parse_instant(row[13]),
    )


def write_hf_entries(tx: Tx, entries: Sequence[HFDailyEntry], now: str) -> int:
    """Upsert daily entries and add an upvote snapshot per paper (its last entry's count) at ``now``, in the
    caller's transaction; raises the signals counter. Returns how many entries were written."""
    if not entries:
        return 0
    tx.executemany(UPSERT_HF, [hf_row(e, now) for e in entries])
    latest = {e.paper_id: e.upvotes for e in entries}
    tx.executemany(
        "INSERT INTO hf_upvotes (paper_id, taken_at, upvotes) VALUES (?, ?, ?) "
        "ON CONFLICT (paper_id, taken_at) DO UPDATE SET upvotes = excluded.upvotes",
        [(pid, now, votes) for pid, votes in sorted(latest.items())],
    )
    bump_counter(tx, SIGNALS_VERSION_KEY, now)
    return len(entries)

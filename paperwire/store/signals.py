"""What pages read besides papers, in SQL: many papers' signals at once, the version of that data, and a
window's trending ranking filtered by category.

Pages, feeds and APIs show up to a few hundred papers at a time; their
upvotes, code links and stars are read in a handful of bulk queries per
page (chunked ``IN`` lists), never one query per paper. ``data_version``
is read on every conditional GET, so it reads a few rows of ``state``
(change counters that writers raise in their own transactions).
"""

from __future__ import annotations

from collections.abc import Sequence

from paperwire.models import TRENDING_WINDOWS, DataVersion, SignalData, TrendingPage
from paperwire.store.community import VERSION_KEY
from paperwire.store.core import SIGNALS_VERSION_KEY, SQLBase, chunks, parse_instant, placeholders
from paperwire.store.stars import _REPO_COLUMNS, _row_repo
from paperwire.store.trending import _ENTRY_COLUMNS, _row_entry, computed_key

_VERSION_KEYS = (VERSION_KEY, SIGNALS_VERSION_KEY, *(computed_key(w) for w in TRENDING_WINDOWS))


class SignalsSQL(SQLBase):
    """Bulk signal reads, the derived data's version, category-filtered rankings."""

    def signal_data(self, paper_ids: Sequence[str]) -> SignalData:
        ids = sorted(set(paper_ids))
        out = SignalData()
        with self.read() as tx:
            for chunk in chunks(ids):
                marks = placeholders(len(chunk))
                out.hf_upvotes.update((r[0], int(r[1])) for r in tx.execute(
                    f"SELECT paper_id, MAX(upvotes) FROM hf_daily WHERE paper_id IN ({marks}) GROUP BY paper_id",
                    chunk).all())
                out.community.update((r[0], int(r[1])) for r in tx.execute(
                    "SELECT v.paper_id, COUNT(*) FROM upvotes v JOIN users u ON u.id = v.user_id "
                    f"WHERE v.paper_id IN ({marks}) AND u.disabled_at IS NULL GROUP BY v.paper_id", chunk).all())
                for pid, repo, source in tx.execute(
                        f"SELECT paper_id, repo, source FROM code_links WHERE paper_id IN ({marks}) "
                        "ORDER BY paper_id, repo, source", chunk).all():
                    out.links.setdefault(pid, []).append((repo, source))
            repos = sorted({repo for links in out.links.values() for repo, _ in links})
            for chunk in chunks(repos):
                marks = placeholders(len(chunk))
                out.repo_papers.update((r[0], int(r[1])) for r in tx.execute(
                    f"SELECT repo, COUNT(DISTINCT paper_id) FROM code_links WHERE repo IN ({marks}) GROUP BY repo",
                    chunk).all())
                out.repos.update((r[0], _row_repo(r)) for r in tx.execute(
                    f"SELECT {_REPO_COLUMNS} FROM repositories WHERE repo IN ({marks})", chunk).all())
        return out

    def data_version(self) -> DataVersion:
        with self.read() as tx:
            state = tx.execute(f"SELECT key, value, updated_at FROM state WHERE key IN "
                               f"({placeholders(len(_VERSION_KEYS))}) ORDER BY key", _VERSION_KEYS).all()
        parts = [f"{k}={v}" for k, v, _ in state]
        instants = [t for t in (parse_instant(u) for _, _, u in state) if t]
        return DataVersion("|".join(parts), max(instants, default=None))

    def trending_page_in(self, window: str, category: str, limit: int = 20, offset: int = 0) -> TrendingPage:
        join = ("FROM trending t JOIN paper_categories c ON c.paper_id = t.paper_id AND c.category = ? "
                "WHERE t.period = ?")
        columns = ", ".join(f"t.{c}" for c in _ENTRY_COLUMNS)
        with self.read() as tx:
            rows = tx.execute(f"SELECT {columns} {join} ORDER BY t.rank LIMIT ? OFFSET ?",
                              (category, window, limit, offset)).all()
            total = int(tx.execute(f"SELECT COUNT(*) {join}", (category, window)).scalar())
            at = tx.execute("SELECT value FROM state WHERE key = ?", (computed_key(window),)).scalar()
        return TrendingPage(window, [_row_entry(r) for r in rows], total, parse_instant(at), offset, limit)

    def trending_category_counts(self, window: str) -> dict[str, int]:
        with self.read() as tx:
            rows = tx.execute("SELECT c.category, COUNT(*) FROM trending t JOIN paper_categories c "
                              "ON c.paper_id = t.paper_id WHERE t.period = ? GROUP BY c.category "
                              "ORDER BY COUNT(*) DESC, c.category", (window,)).all()
        return {r[0]: int(r[1]) for r in rows}

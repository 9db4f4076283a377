"""The trending area: the inputs of one window, read in a few bulk queries, and the stored rankings.

Reading the inputs never walks the whole papers table: candidates come
from the time indexes (star snapshots and history of the window, HF
upvote snapshots and daily lists of the window, papers announced in it)
and the papers the caller names (the community's of the window),
so the cost follows the activity of the window, not the size of the store.
A window's ranking is replaced whole in one transaction, so a reader sees
either the previous complete ranking or the new one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time

import orjson

from paperwire.models import HFActivity, RepoStars, TrendingEntry, TrendingInputs, TrendingPage
from paperwire.store.core import UPSERT_STATE, Database, Tx, chunks, iso, parse_instant, placeholders
from paperwire.store.rows import ENTRY_COLUMNS, row_entry

_SELECT_ENTRY = f"SELECT {', '.join(ENTRY_COLUMNS)} FROM trending"


def computed_key(window: str) -> str:
    """The state key holding when ``window``'s ranking was last computed (also set when it is empty)."""
    return f"trending.{window}.computed_at"


def _series_with_baseline(tx: Tx, table: str, key: str, value: str, start: str, end: str,
                          ) -> dict[str, list[tuple[datetime, int]]]:
    """Points inside ``(start, end]`` of every key with one, each preceded by its last point at or before
    ``start`` (when it has one): exactly what growth inside the window needs."""
    series: dict[str, list[tuple[datetime, int]]] = {}
    baselines = tx.execute(
        f"SELECT s.{key}, s.taken_at, s.{value} FROM {table} s JOIN ("
        f"SELECT {key} AS k, MAX(taken_at) AS t FROM {table} WHERE taken_at <= ? AND {key} IN "
        f"(SELECT {key} FROM {table} WHERE taken_at > ? AND taken_at <= ?) GROUP BY {key}"
        f") b ON b.k = s.{key} AND b.t = s.taken_at", (start, start, end)).all()
    for k, at, n in baselines:
        series[k] = [(datetime.fromisoformat(at), int(n))]
    for k, at, n in tx.execute(f"SELECT {key}, taken_at, {value} FROM {table} WHERE taken_at > ? AND taken_at <= ? "
                               f"ORDER BY {key}, taken_at", (start, end)).all():
        series.setdefault(k, []).append((datetime.fromisoformat(at), int(n)))
    return series


class Trending:
    """Inputs of the trending computation and the stored rankings."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def trending_inputs(self, start: datetime, end: datetime, also: Sequence[str] = ()) -> TrendingInputs:
        """What the trending score of the window ``(start, end]`` reads, in a few bulk queries.

        Candidates (never withdrawn ones): stored papers linked to a repository with star snapshots or
        backfilled history in the window, papers with Hugging Face upvote
        snapshots in it or on a daily list of its days, papers announced
        in its days, and the stored papers of ``also`` (those with community
        activity in the window). Cost follows the window's activity, not the store's size.
        """
        s, e = iso(start) or "", iso(end) or ""
        first_day, last_day = start.date().isoformat(), end.date().isoformat()
        out = TrendingInputs(start, end)
        with self.db.read() as tx:
            stars = _series_with_baseline(tx, "star_snapshots", "repo", "stars", s, e)
            history: dict[str, list[tuple[date, int]]] = {}
            for repo, day, n in tx.execute("SELECT repo, day, stars FROM star_history WHERE day >= ? AND day <= ? "
                                           "ORDER BY repo, day", (first_day, last_day)).all():
                history.setdefault(repo, []).append((date.fromisoformat(day), int(n)))
            active = sorted(set(stars) | set(history))
            linked = self._links_of_papers_linking(tx, active)
            out.links = linked
            for chunk in chunks(sorted({repo for _, repo, _ in linked})):
                out.repo_papers.update((r, int(n)) for r, n in tx.execute(
                    "SELECT repo, COUNT(DISTINCT paper_id) FROM code_links "
                    f"WHERE repo IN ({placeholders(len(chunk))}) GROUP BY repo", chunk).all())
            for chunk in chunks(active):
                for repo, full_name, count, created in tx.execute(
                        "SELECT repo, full_name, stars, created_at FROM repositories "
                        f"WHERE repo IN ({placeholders(len(chunk))})", chunk).all():
                    out.repos[repo] = RepoStars(repo, full_name, count, parse_instant(created),
                                                stars.get(repo, []), history.get(repo, []))
            upvotes = _series_with_baseline(tx, "hf_upvotes", "paper_id", "upvotes", s, e)
            featured = {r[0] for r in tx.execute("SELECT DISTINCT paper_id FROM hf_daily "
                                                 "WHERE daily_date >= ? AND daily_date <= ?",
                                                 (first_day, last_day)).all()}
            for pid, announced, submitted in tx.execute(
                    "SELECT id, announced, submitted FROM papers WHERE announced >= ? AND announced <= ? "
                    "AND withdrawn = 0",
                    (first_day, last_day)).all():
                out.papers[pid] = (date.fromisoformat(announced), parse_instant(submitted))
            wanted = sorted(({pid for pid, _, _ in linked} | set(upvotes) | featured | set(also)) - set(out.papers))
            for chunk in chunks(wanted):
                for pid, announced, submitted in tx.execute(
                        "SELECT id, announced, submitted FROM papers "
                        f"WHERE id IN ({placeholders(len(chunk))}) AND withdrawn = 0",
                        chunk).all():
                    out.papers[pid] = (date.fromisoformat(announced) if announced else None, parse_instant(submitted))
            out.links = [link for link in linked if link[0] in out.papers]
            for chunk in chunks(sorted(out.papers)):
                for pid, most, first_day_on, first_at in tx.execute(
                        "SELECT paper_id, MAX(upvotes), MIN(daily_date), MIN(submitted_on_daily) FROM hf_daily "
                        f"WHERE paper_id IN ({placeholders(len(chunk))}) GROUP BY paper_id", chunk).all():
                    when = parse_instant(first_at) or datetime.combine(date.fromisoformat(first_day_on), time(),
                                                                       tzinfo=UTC)
                    out.hf[pid] = HFActivity(pid, int(most), when, upvotes.get(pid, []))
        return out

    @staticmethod
    def _links_of_papers_linking(tx: Tx, repos: Sequence[str]) -> list[tuple[str, str, str]]:
        """Every code link of the papers that link one of ``repos``: choosing a paper's repository
        needs all of its links, not only those to active repositories."""
        papers: set[str] = set()
        for chunk in chunks(repos):
            papers.update(r[0] for r in tx.execute(
                f"SELECT DISTINCT paper_id FROM code_links WHERE repo IN ({placeholders(len(chunk))})", chunk).all())
        links: list[tuple[str, str, str]] = []
        for chunk in chunks(sorted(papers)):
            links.extend((r[0], r[1], r[2]) for r in tx.execute(
                f"SELECT paper_id, repo, source FROM code_links WHERE paper_id IN ({placeholders(len(chunk))}) "
                "ORDER BY paper_id, repo, source", chunk).all())
        return links

    def replace_trending(self, window: str, entries: Sequence[TrendingEntry], computed_at: datetime) -> None:
        """Replace ``window``'s whole ranking in one transaction (readers see the old or the new one)."""
        at = iso(computed_at)
        rows = [(window, e.paper_id, e.rank, e.score, orjson.dumps(e.reasons).decode(),
                 orjson.dumps(e.signals).decode(), at) for e in entries]
        with self.db.write() as tx:
            self.db.lock(tx, f"trending.{window}")
            tx.execute("DELETE FROM trending WHERE period = ?", (window,))
            self.db.insert_rows(tx, "trending", ENTRY_COLUMNS, rows)
            tx.execute(UPSERT_STATE, (computed_key(window), at, self.db.now()))

    def trending_page(self, window: str, limit: int = 20, offset: int = 0) -> TrendingPage:
        """A page of ``window``'s stored ranking in rank order, with its size and when it was computed."""
        with self.db.read() as tx:
            rows = tx.execute(f"{_SELECT_ENTRY} WHERE period = ? ORDER BY rank LIMIT ? OFFSET ?",
                              (window, limit, offset)).all()
            total = int(tx.execute("SELECT COUNT(*) FROM trending WHERE period = ?", (window,)).scalar())
            at = tx.execute("SELECT value FROM state WHERE key = ?", (computed_key(window),)).scalar()
        return TrendingPage(window, [row_entry(r) for r in rows], total, parse_instant(at), offset, limit)

    def trending_entry(self, window: str, paper_id: str) -> TrendingEntry | None:
        """One paper's place in ``window``'s ranking, or None when it is not ranked there."""
        with self.db.read() as tx:
            row = tx.execute(f"{_SELECT_ENTRY} WHERE period = ? AND paper_id = ?", (window, paper_id)).one()
        return row_entry(row) if row else None

    def trending_ranks(self, window: str, paper_ids: Sequence[str]) -> dict[str, int]:
        """The rank in ``window``'s ranking of each of ``paper_ids`` that is ranked there."""
        ranks: dict[str, int] = {}
        with self.db.read() as tx:
            for chunk in chunks(sorted(set(paper_ids))):
                ranks.update((pid, int(r)) for pid, r in tx.execute(
                    f"SELECT paper_id, rank FROM trending WHERE period = ? AND paper_id IN "
                    f"({placeholders(len(chunk))})", [window, *chunk]).all())
        return ranks

    def paper_trending(self, paper_id: str) -> list[TrendingEntry]:
        """A paper's places in every window's ranking (any order)."""
        with self.db.read() as tx:
            rows = tx.execute(f"{_SELECT_ENTRY} WHERE paper_id = ?", (paper_id,)).all()
        return [row_entry(r) for r in rows]

    # -- a ranking filtered by category ----------------------------------------------------------
    def trending_page_in(self, window: str, category: str, limit: int = 20, offset: int = 0) -> TrendingPage:
        """``trending_page`` restricted to papers listed in ``category`` (cross-lists included), in rank
        order; ``total`` counts the ranked papers of that category."""
        join = ("FROM trending t JOIN paper_categories c ON c.paper_id = t.paper_id AND c.category = ? "
                "WHERE t.period = ?")
        columns = ", ".join(f"t.{c}" for c in ENTRY_COLUMNS)
        with self.db.read() as tx:
            rows = tx.execute(f"SELECT {columns} {join} ORDER BY t.rank LIMIT ? OFFSET ?",
                              (category, window, limit, offset)).all()
            total = int(tx.execute(f"SELECT COUNT(*) {join}", (category, window)).scalar())
            at = tx.execute("SELECT value FROM state WHERE key = ?", (computed_key(window),)).scalar()
        return TrendingPage(window, [row_entry(r) for r in rows], total, parse_instant(at), offset, limit)

    def trending_page_of_author(self, window: str, author_key: str, limit: int = 20) -> TrendingPage:
        """``trending_page`` restricted to the papers of one author (by key, ``store.authors``)."""
        join = ("FROM trending t JOIN paper_authors a ON a.paper_id = t.paper_id AND a.author_key = ? "
                "WHERE t.period = ?")
        columns = ", ".join(f"t.{c}" for c in ENTRY_COLUMNS)
        with self.db.read() as tx:
            rows = tx.execute(f"SELECT {columns} {join} ORDER BY t.rank LIMIT ?", (author_key, window, limit)).all()
            total = int(tx.execute(f"SELECT COUNT(*) {join}", (author_key, window)).scalar())
            at = tx.execute("SELECT value FROM state WHERE key = ?", (computed_key(window),)).scalar()
        return TrendingPage(window, [row_entry(r) for r in rows], total, parse_instant(at), 0, limit)

    def trending_category_counts(self, window: str) -> dict[str, int]:
        """Ranked papers of ``window`` per category (cross-lists included), most first."""
        with self.db.read() as tx:
            rows = tx.execute("SELECT c.category, COUNT(*) FROM trending t JOIN paper_categories c "
                              "ON c.paper_id = t.paper_id WHERE t.period = ? GROUP BY c.category "
                              "ORDER BY COUNT(*) DESC, c.category", (window,)).all()
        return {r[0]: int(r[1]) for r in rows}

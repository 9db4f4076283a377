"""A tantivy index split into shards that one query searches in parallel.

tantivy reads every posting of a query's words (its block-max pruning is not reached through the Python
binding, see ``keyword.QueryBudget``), so at millions of papers one query's time is its postings, read on
one core. Split by a hash of the paper's key into ``n`` indexes of the same schema, each shard holds about
1/n of every posting list; the shards are searched at once in threads (tantivy lets go of the GIL while it
searches), so a query takes about 1/n of the time on n idle cores, and the same CPU in all. Each shard
scores with its own statistics (document frequencies, average lengths), as Elasticsearch's shards do by
default: with papers hashed evenly over millions, they differ from the whole index's by a fraction of a
per cent. One shard (the default) is a plain index in the directory itself.
"""

from __future__ import annotations

import heapq
import itertools
import zlib
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import tantivy

H = TypeVar("H", bound=tuple[Any, ...])


def shard_of(key: str, shards: int) -> int:
    """The shard that holds the paper ``key``: stable across processes and releases (CRC-32, not ``hash``)."""
    return zlib.crc32(key.encode("utf-8")) % shards if shards > 1 else 0


def merge_hits(parts: Sequence[Sequence[H]], limit: int, offset: int = 0) -> list[H]:
    """The ``offset, limit`` page of several shards' hits, each part best first (highest order key, the
    tuple's first item, first); equal keys keep the shards' order, so a page is the same on every call."""
    merged = heapq.merge(*parts, key=lambda hit: -hit[0])
    return list(itertools.islice(merged, offset, offset + limit))


class Shards:
    """``count`` tantivy indexes of one schema under ``path`` (in memory when ``path`` is None)."""

    def __init__(self, schema: tantivy.Schema, path: Path | None, count: int,
                 prepare: Callable[[tantivy.Index], None]) -> None:
        if count < 1:
            raise ValueError("an index has at least one shard")
        self.count = count
        self.indexes: list[tantivy.Index] = []
        for i in range(count):
            if path is None:
                index = tantivy.Index(schema)
            else:
                where = path if count == 1 else path / f"shard-{i}"
                where.mkdir(parents=True, exist_ok=True)
                index = tantivy.Index(schema, path=str(where))
            prepare(index)
            self.indexes.append(index)
        # a query searches its first shard on its own thread and the others on this pool's threads, so its
        # shards run at once; the shards of queries on other threads queue behind them (the CPU is busy then)
        self._pool = ThreadPoolExecutor(count - 1, thread_name_prefix="keyword-shard") if count > 1 else None

    def reload(self) -> None:
        """Read each shard's last commit."""
        for index in self.indexes:
            index.reload()

    def num_docs(self) -> int:
        """Documents in all shards."""
        return sum(int(index.searcher().num_docs) for index in self.indexes)

    def doc_freqs(self, field: str, terms: Collection[str]) -> dict[str, int]:
        """How many documents hold each of ``terms`` in ``field``, in all shards (one reading of each)."""
        freqs = dict.fromkeys(terms, 0)
        for index in self.indexes:
            searcher = index.searcher()
            for term in freqs:
                freqs[term] += int(searcher.doc_freq(field, term))
        return freqs

    def search(self, query: tantivy.Query, limit: int, offset: int = 0, count: bool = True,
               order_by_field: str | None = None) -> tuple[list[tuple[str, float]], int]:
        """``(key, order key)`` for the ``offset, limit`` page of ``query`` over every shard, best first (the
        order key: the BM25 score, or the field's value when ordering by a field), and its number of
        matches (0 when not ``count``ed)."""
        searchers = [index.searcher() for index in self.indexes]
        if self._pool is None:
            result = _search(searchers[0], query, limit, offset, count, order_by_field)
            hits = [(searchers[0].doc(addr)["id"][0], float(order)) for order, addr in result.hits]
            return hits, _count(result)
        # each shard's first offset + limit hold the merged page's; only the page's keys are read (the
        # stored document is the costly part of a hit)
        def run(searcher: tantivy.Searcher) -> tantivy.SearchResult:
            return _search(searcher, query, offset + limit, 0, count, order_by_field)

        try:
            others = [self._pool.submit(run, searcher) for searcher in searchers[1:]]
            results = [run(searchers[0]), *(future.result() for future in others)]
        except RuntimeError as exc:
            if "shutdown" not in str(exc):
                raise
            # the interpreter is exiting and the pool takes no more work (a late request): in turn
            results = [run(searcher) for searcher in searchers]
        parts = [[(float(order), shard, addr) for order, addr in result.hits] for shard, result in enumerate(results)]
        page = [(searchers[shard].doc(addr)["id"][0], order) for order, shard, addr in merge_hits(parts, limit, offset)]
        return page, sum(_count(result) for result in results)


def _search(searcher: tantivy.Searcher, query: tantivy.Query, limit: int, offset: int, count: bool,
            order_by_field: str | None) -> tantivy.SearchResult:
    if order_by_field is None:
        return searcher.search(query, limit, count=count, offset=offset)
    return searcher.search(query, limit, count=count, order_by_field=order_by_field, offset=offset)


def _count(result: tantivy.SearchResult) -> int:
    return int(getattr(result, "count", 0) or 0)

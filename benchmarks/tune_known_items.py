"""Tune hybrid fusion on the 75k known-item set's tune split; report the held-out split too. Prints JSON.

    PAPERWIRE_DATA_DIR=/path/to/75k .venv/bin/python benchmarks/tune_known_items.py [--items FILE]

The instance in the data directory (or ``--db``) must hold the whole shared corpus, every paper embedded
(``paperwire import --embed``). For each query the product's own keyword and semantic candidate lists
(top 100 each, what ``hybrid.rank`` fuses) are computed once; every fusion candidate is then a pure
function of them. Weights are chosen per kind (short, long) on the ``tune`` split only; ``held-out``
figures are printed beside them and never used to choose.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from paperwire.config import Settings
from paperwire.runtime import Runtime
from paperwire.search.fusion import convex, rrf
from paperwire.search.hybrid import MIN_POOL, dense_candidates
from paperwire.search.known_items import KnownItem, load_items, summarise
from paperwire.search.query import parse_query

ROOT = Path(__file__).resolve().parent.parent
Scored = list[tuple[str, float]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=Path, default=ROOT / "benchmarks" / "known_items_75k.jsonl")
    parser.add_argument("--db", default=None)
    args = parser.parse_args()
    settings = Settings() if args.db is None else Settings(database_url=args.db)
    rt = Runtime(settings)
    rt.indexes.sync()
    vectors = rt.indexes.vectors.index if rt.indexes.vectors is not None else None
    assert vectors is not None and rt.indexes.embedder is not None, "nothing embedded"
    items = load_items(args.items)
    cands: list[tuple[KnownItem, Scored, Scored]] = []
    for item in items:
        pq = parse_query(item.query)
        lexical, _ = rt.indexes.keyword.search(pq, MIN_POOL)
        dense = dense_candidates(pq, rt.indexes.keyword, vectors, rt.indexes.embedder, MIN_POOL,
                                 rt.search_policy.fusion.min_similarity)
        cands.append((item, lexical, dense))

    def mrr(kind: str, split: str, fuse: object) -> float:
        positions = []
        for item, lexical, dense in cands:
            if item.kind != kind or item.split != split:
                continue
            ranked = [key for key, _ in fuse(lexical, dense)][:10]  # type: ignore[operator]
            positions.append(ranked.index(item.id) + 1 if item.id in ranked else 0)
        return round(summarise(positions)["mrr@10"], 4)

    def convex_at(weight: float, norm: str) -> object:
        return lambda lx, dn: convex([lx, dn], [1 - weight, weight], norm)

    def rrf_at(k: float) -> object:
        return lambda lx, dn: rrf([lx, dn], k=k)

    grid: dict[str, object] = {"keyword": lambda lx, dn: lx, "semantic": lambda lx, dn: dn}
    for w in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7):
        for norm in ("minmax", "zscore", "dbsf"):
            grid[f"convex-{norm}-{w}"] = convex_at(w, norm)
    for k in (10, 30, 60):
        grid[f"rrf-{k}"] = rrf_at(k)
    report: dict[str, dict[str, dict[str, float]]] = {}
    for kind in sorted({item.kind for item in items}):
        rows = {name: {"tune": mrr(kind, "tune", f), "held-out": mrr(kind, "held-out", f)} for name, f in grid.items()}
        best = max((n for n in rows if n.startswith(("convex", "rrf"))), key=lambda n: rows[n]["tune"])
        report[kind] = {"best on tune": {"name": best, **rows[best]}, **rows}  # type: ignore[dict-item]
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()

"""Known-item search ("the paper I half-remember"): the query sets, their honesty check, and their
evaluation over a whole instance (``paperwire eval known-items``).

A known-item set is JSON lines of ``{id, query, kind, split}``: one target paper per query, a kind
(``short``: a few remembered words; ``long``: one descriptive sentence; the 2k set's older kinds
too) and a split (``tune``, or ``held-out`` for queries never used to choose anything). Queries are
written by hand from a paper's title and abstract without copying them: ``copied_runs`` finds any run
of ``RUN`` words (case and punctuation folded) that a query shares with its paper, and a set passes
only when no query has one.

``evaluate_instance`` runs every query through the product's one search function (``engine.search``:
identity, keyword, semantic and fused ranking, over the instance's own indexes) in each mode, and
reports MRR@10, hit@1 and hit@10 by kind and by split.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from paperwire.search.engine import SearchPolicy, SearchRequest, search
from paperwire.search.indexes import LocalIndexes
from paperwire.store import Store

RUN = 4  # words: a query may share single words and pairs with its paper, never a 4-word stretch
DEPTH = 10
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True, slots=True)
class KnownItem:
    """One query and the one paper it should find."""

    id: str
    query: str
    kind: str = "all"
    split: str = "tune"


def load_items(path: Path) -> list[KnownItem]:
    """A known-item file (JSON lines); a line without ``kind`` or ``split`` gets ``all`` / ``tune``."""
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            items.append(KnownItem(str(row["id"]), str(row["query"]), str(row.get("kind", "all")),
                                   str(row.get("split", "tune"))))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a known item ({exc})") from None
    return items


def folded_words(text: str) -> list[str]:
    """Lower-case alphanumeric words: ``Multi-Agent`` and ``multi agent`` read alike."""
    return _WORD.findall(text.lower())


def copied_runs(query: str, source: str, n: int = RUN) -> set[tuple[str, ...]]:
    """The runs of ``n`` consecutive folded words that ``query`` shares with ``source``."""
    def runs(words: list[str]) -> set[tuple[str, ...]]:
        return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}
    return runs(folded_words(query)) & runs(folded_words(source))


def check_items(items: Iterable[KnownItem], papers: Mapping[str, str]) -> list[str]:
    """What is wrong with a set: a target missing from ``papers`` (id to title + abstract) or a query
    that copies a run of its paper. An empty list means the set is honest."""
    problems = []
    for item in items:
        source = papers.get(item.id)
        if source is None:
            problems.append(f"{item.id}: not in the corpus")
            continue
        for run in sorted(copied_runs(item.query, source)):
            problems.append(f"{item.id}: {item.query!r} copies {' '.join(run)!r}")
    return problems


def summarise(positions: Sequence[int]) -> dict[str, float]:
    """MRR@10, hit@1 and hit@10 of target positions (1-based; 0 = not in the top 10)."""
    n = len(positions) or 1
    return {"mrr@10": sum(1 / p for p in positions if p) / n,
            "hit@1": sum(1 for p in positions if p == 1) / n,
            "hit@10": sum(1 for p in positions if p) / n,
            "queries": float(len(positions))}


def grouped(items: Sequence[KnownItem], positions: Sequence[int]) -> dict[str, dict[str, float]]:
    """``summarise`` over everything, each kind, and each kind within each split (``held-out:short``)."""
    groups: dict[str, list[int]] = {"all": list(positions)}
    for item, position in zip(items, positions, strict=True):
        groups.setdefault(item.kind, []).append(position)
        groups.setdefault(f"{item.split}:{item.kind}", []).append(position)
    return {name: summarise(found) for name, found in groups.items()}


Rank = Callable[[KnownItem], list[str]]


def positions_of(items: Sequence[KnownItem], rank: Rank, progress: Callable[[int], None] | None = None) -> list[int]:
    """Where each item's paper lands in ``rank``'s answer (0: not in the first ``DEPTH``)."""
    found = []
    for item in items:
        ranked = rank(item)[:DEPTH]
        found.append(ranked.index(item.id) + 1 if item.id in ranked else 0)
        if progress:
            progress(1)
    return found


def evaluate_instance(store: Store, indexes: LocalIndexes, policy: SearchPolicy, items: Sequence[KnownItem],
                      modes: Sequence[str], progress: Callable[[int], None] | None = None
                      ) -> dict[str, dict[str, dict[str, float]]]:
    """Each mode's figures (``grouped``) for ``items`` searched over the whole instance, as a user would."""
    indexes.sync()  # a fresh or rebuilt index catches up first, so every paper can be found

    def ranker(mode: str) -> Rank:
        def rank(item: KnownItem) -> list[str]:
            results = search(store, indexes, SearchRequest(item.query, limit=DEPTH, mode=mode), policy)
            return [hit.paper_id for hit in results.hits]
        return rank

    return {mode: grouped(items, positions_of(items, ranker(mode), progress)) for mode in modes}

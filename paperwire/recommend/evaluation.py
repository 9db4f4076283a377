"""Offline evaluation on simulated readers (``paperwire eval recommend``).

The corpus is a Paperwire JSON-lines file read down to each paper's id,
title, abstract, categories and announced day (authors and comments are
never read: they would find an author's own papers by name). Each reader
line is ``{"user", "cutoff", "until", "library", "relevant"}``: the model is
trained on ``library`` as saves dated by their announcement, the
background is fitted on the papers announced before ``cutoff``, every paper
announced in [cutoff, until) is ranked, and nDCG@10, recall@100 and MRR@10
are averaged over readers (``search.metrics``).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

import numpy as np

from paperwire.recommend.features import counts_matrix, fit_background, tfidf_rows
from paperwire.recommend.scoring import Candidates, RankConfig, rank
from paperwire.recommend.text import paper_text
from paperwire.recommend.training import Signal, TrainConfig, train
from paperwire.search.metrics import mean_metrics

#: The only fields of a paper the evaluation may use.
FIELDS = ("id", "title", "abstract", "categories", "announced")


@dataclass(frozen=True, slots=True)
class EvalPaper:
    """A paper as the benchmark allows it to be seen."""

    id: str
    title: str
    abstract: str
    categories: tuple[str, ...]
    announced: str


@dataclass(frozen=True, slots=True)
class Reader:
    """One simulated reader."""

    user: str
    cutoff: str
    until: str
    library: tuple[str, ...]
    relevant: tuple[str, ...]


def _open_text(path: Path) -> IO[str]:
    with open(path, "rb") as probe:
        gz = probe.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rt", encoding="utf-8") if gz else open(path, encoding="utf-8")


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with _open_text(path) as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def load_corpus(path: Path) -> list[EvalPaper]:
    """The corpus with everything but ``FIELDS`` dropped as each line is read."""
    return [EvalPaper(str(r["id"]), r.get("title") or "", r.get("abstract") or "", tuple(r.get("categories") or ()),
                      str(r.get("announced") or "")) for r in _jsonl(path)]


def load_readers(path: Path) -> list[Reader]:
    """The readers file."""
    return [Reader(str(r["user"]), r["cutoff"], r["until"], tuple(r["library"]), tuple(r["relevant"]))
            for r in _jsonl(path)]


Progress = Callable[[int], None]


def evaluate(corpus: list[EvalPaper], readers: list[Reader], rank_config: RankConfig | None = None,
             train_config: TrainConfig | None = None, progress: Progress | None = None) -> dict[str, float]:
    """Mean nDCG@10, recall@100 and MRR@10 over the readers, and their number (``users``)."""
    rank_config = rank_config or RankConfig()
    by_id = {p.id: i for i, p in enumerate(corpus)}
    last = max((r.until for r in readers), default="")
    # Tokenise each paper once: the backgrounds of every period and the candidates share the counts.
    seen = [i for i, p in enumerate(corpus) if p.announced < last]
    row_of = {corpus[i].id: n for n, i in enumerate(seen)}
    counts = counts_matrix(paper_text(corpus[i].title, corpus[i].abstract) for i in seen)
    rankings: dict[str, list[str]] = {}
    qrels: dict[str, dict[str, int]] = {}
    for (cutoff, until) in sorted({(r.cutoff, r.until) for r in readers}):
        before = [n for n, i in enumerate(seen) if corpus[i].announced < cutoff]
        window = [i for i in seen if cutoff <= corpus[i].announced < until]
        background = fit_background(counts[before])
        rows = tfidf_rows(counts[[row_of[corpus[i].id] for i in window]], background.idf)
        candidates = Candidates([corpus[i].id for i in window], [], rows, background.hubness(rows),
                                [list(corpus[i].categories) for i in window], [[] for _ in window])
        texts = _LazyTexts(corpus, by_id)
        for reader in (r for r in readers if (r.cutoff, r.until) == (cutoff, until)):
            signals = [Signal(pid, "save", date.fromisoformat(corpus[by_id[pid]].announced))
                       for pid in reader.library if pid in by_id]
            model = train(background, signals, texts, date.fromisoformat(cutoff), train_config)
            ranked = rank(model, candidates, config=rank_config, limit=100)
            rankings[reader.user] = [r.paper_id for r in ranked]
            qrels[reader.user] = dict.fromkeys(reader.relevant, 1)
            if progress:
                progress(1)
    metrics = mean_metrics(rankings, qrels)
    return {"ndcg@10": metrics["ndcg@10"], "recall@100": metrics["recall@100"], "mrr@10": metrics["mrr@10"],
            "users": float(len(readers))}


class _LazyTexts(dict[str, str]):
    """Paper texts made on demand: a reader's library is a few of the corpus's papers."""

    def __init__(self, corpus: list[EvalPaper], by_id: dict[str, int]) -> None:
        super().__init__()
        self._corpus, self._by_id = corpus, by_id

    def __missing__(self, key: str) -> str:
        paper = self._corpus[self._by_id[key]]
        return paper_text(paper.title, paper.abstract)

    def get(self, key: str, default: str | None = None) -> str:  # type: ignore[override]
        return self[key] if key in self._by_id else (default or "")


def describe(metrics: dict[str, float]) -> dict[str, float]:
    """Metrics rounded for printing (``users`` as a whole number)."""
    return {k: (float(int(v)) if k == "users" else round(float(np.round(v, 4)), 4)) for k, v in metrics.items()}

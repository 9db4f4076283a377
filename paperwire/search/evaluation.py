"""Search-quality evaluation on public benchmarks (``paperwire eval``).

BEIR-layout corpora (corpus.jsonl[.gz] with ``_id``/``title``/``text``,
queries.jsonl with ``_id``/``text``, a qrels TSV with a
``query-id corpus-id score`` header) and CSFCube ("more like this paper":
each query paper's judged candidates are ranked, NDCG@20). Everything is
built in memory from the files: a throwaway index, never the store.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from paperwire.config import Settings
from paperwire.models import IndexEntry
from paperwire.search.embed_papers import TextEmbedder
from paperwire.search.embedder import LazyEmbedder
from paperwire.search.hybrid import MIN_POOL, MODES, FusionConfig
from paperwire.search.keyword import KeywordIndex, QueryBudget
from paperwire.search.metrics import mean_metrics
from paperwire.search.query import ParsedQuery, words_of
from paperwire.search.vectors import RowMeta, VectorIndex


@dataclass
class Corpus:
    """Documents to search: ids, titles and texts in parallel lists."""

    ids: list[str]
    titles: list[str]
    texts: list[str]


Qrels = dict[str, dict[str, int]]


def _open_text(path: Path) -> IO[str]:
    with open(path, "rb") as probe:
        gz = probe.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rt", encoding="utf-8") if gz else open(path, encoding="utf-8")


def _jsonl(path: Path) -> Iterator[dict[str, str]]:
    with _open_text(path) as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def load_beir(corpus: Path, queries: Path, qrels: Path) -> tuple[Corpus, dict[str, str], Qrels]:
    """A BEIR-layout benchmark."""
    docs = list(_jsonl(corpus))
    c = Corpus([str(d["_id"]) for d in docs], [d.get("title") or "" for d in docs], [d.get("text") or "" for d in docs])
    q = {str(d["_id"]): d["text"] for d in _jsonl(queries)}
    judged: Qrels = {}
    with _open_text(qrels) as fh:
        header = fh.readline().split()
        if header[:2] != ["query-id", "corpus-id"]:
            raise ValueError(f"{qrels}: expected a 'query-id corpus-id score' header, got {header}")
        for line in fh:
            if line.strip():
                qid, doc, score = line.split("\t")[:3]
                judged.setdefault(qid, {})[doc] = int(score)
    return c, {qid: text for qid, text in q.items() if qid in judged}, judged


def load_csfcube(path: Path) -> tuple[Corpus, dict[str, str], Qrels]:
    """CSFCube: queries map a query id to its query paper's id; qrels grade that query's candidates."""
    with _open_text(path) as fh:
        data = json.load(fh)
    papers = data["papers"]
    c = Corpus(list(papers), [p.get("title") or "" for p in papers.values()],
               [p.get("text") or "" for p in papers.values()])
    queries = {qid: q["paper_id"] for qid, q in data["queries"].items()}
    return c, queries, {qid: {doc: int(g) for doc, g in rels.items()} for qid, rels in data["qrels"].items()}


class Retriever:
    """Throwaway indexes over a corpus, searchable by mode.

    The corpus is embedded once per model (cached under ``cache_dir`` when
    given: tuning runs the same corpus many times).
    """

    def __init__(self, corpus: Corpus, embedder: TextEmbedder | None = None, cache_dir: Path | None = None,
                 fusion: FusionConfig | None = None, budget: QueryBudget | None = None) -> None:
        self.corpus = corpus
        self.embedder = embedder
        self.fusion = fusion or FusionConfig()
        self.keyword_index = KeywordIndex(None, budget=budget)
        self.keyword_index.write(
            (IndexEntry(i, key, title, text) for i, (key, title, text)
             in enumerate(zip(corpus.ids, corpus.titles, corpus.texts, strict=True))),
            replace=False,
        )
        self.vectors: VectorIndex | None = None
        if embedder is not None:
            matrix = self._corpus_vectors(embedder, cache_dir)
            self.vectors = VectorIndex(embedder.dim)
            self.vectors.add(corpus.ids, matrix, [RowMeta(0, False, [])] * len(corpus.ids))

    def _corpus_vectors(self, embedder: TextEmbedder, cache_dir: Path | None) -> np.ndarray:
        texts = [f"{t}. {x}" if x else t for t, x in zip(self.corpus.titles, self.corpus.texts, strict=True)]
        digest = hashlib.sha256("\x1e".join([embedder.model_id, *self.corpus.ids, *texts]).encode()).hexdigest()
        path = cache_dir / f"{digest[:24]}.npy" if cache_dir else None
        if path is not None and path.exists():
            cached: np.ndarray = np.load(path)
            return cached
        matrix = embedder.embed(texts)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.save(path, matrix)
        return matrix

    def lexical(self, text: str, k: int, only: Collection[str] | None = None,
                also: Collection[str] = ()) -> list[tuple[str, float]]:
        """Top-k by BM25, the query read as plain words (benchmark queries are not syntax)."""
        hits, _ = self.keyword_index.search(ParsedQuery(words=words_of(text)), limit=k, only=only, also=also)
        return hits

    def dense(self, text: str, k: int, only: Collection[str] | None = None) -> list[tuple[str, float]]:
        """Top-k by cosine to the embedded query."""
        if self.embedder is None or self.vectors is None:
            raise ValueError("semantic modes need an embedder")
        keep = self.vectors.mask(None, allowed=list(only)) if only is not None else None
        hits = self.vectors.search(self.embedder.embed_query(text), k, keep)
        return [(key, score) for key, score in hits if score >= self.fusion.min_similarity]

    def search(self, mode: str, text: str, k: int, only: Collection[str] | None = None) -> list[str]:
        """Top-k ids in ``mode``; hybrid fuses 100 candidates (or ``k``, if more) of each side."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
        if mode == "keyword":
            return [key for key, _ in self.lexical(text, k, only)]
        if mode == "semantic":
            return [key for key, _ in self.dense(text, k, only)]
        pool = max(MIN_POOL, k)
        dense = self.dense(text, pool, only)
        lexical = self.lexical(text, pool, only, also=[key for key, _ in dense])  # as hybrid.rank does
        return [key for key, _ in self.fusion.fuse(lexical, dense)][:k]


def retriever_for(corpus: Corpus, mode: str, settings: Settings | None = None,
                  embedder: TextEmbedder | None = None, fusion: FusionConfig | None = None) -> Retriever:
    """A Retriever with what ``mode`` needs: the configured embedder and fusion unless given."""
    settings = settings or Settings()
    if mode != "keyword" and embedder is None:
        embedder = LazyEmbedder(settings)
    fusion = fusion or FusionConfig.from_settings(settings)
    return Retriever(corpus, embedder if mode != "keyword" else None, settings.data_dir / "eval-cache", fusion,
                     QueryBudget.from_settings(settings))


Progress = Callable[[int], None]


def evaluate_beir(corpus: Path, queries: Path, qrels: Path, mode: str = "hybrid", settings: Settings | None = None,
                  progress: Progress | None = None, embedder: TextEmbedder | None = None,
                  fusion: FusionConfig | None = None) -> dict[str, float]:
    """nDCG@10, Recall@100 and MRR@10 of one mode on a BEIR-layout benchmark."""
    docs, texts, judged = load_beir(corpus, queries, qrels)
    retriever = retriever_for(docs, mode, settings, embedder, fusion)
    rankings = {}
    for qid, text in texts.items():
        rankings[qid] = retriever.search(mode, text, 100)
        if progress:
            progress(1)
    return mean_metrics(rankings, judged)


def unranked_last(ranked: list[str], candidates: Collection[str]) -> list[str]:
    """``ranked``, then the candidates it left out in id order: CSFCube's file lists each query's
    candidates best first, so appending them in its order would hand a mode the answer (0.996 NDCG@20
    for ranking nothing)."""
    return ranked + sorted(set(candidates) - set(ranked))


def evaluate_csfcube(path: Path, mode: str = "hybrid", settings: Settings | None = None,
                     progress: Progress | None = None, embedder: TextEmbedder | None = None,
                     fusion: FusionConfig | None = None) -> dict[str, float]:
    """NDCG@20 of ranking each query's judged candidates by similarity to the query paper."""
    docs, queries, judged = load_csfcube(path)
    retriever = retriever_for(docs, mode, settings, embedder, fusion)
    by_id = {key: (title, text) for key, title, text in zip(docs.ids, docs.titles, docs.texts, strict=True)}
    rankings = {}
    for qid, paper_id in queries.items():
        title, text = by_id[paper_id]
        candidates = [c for c in judged[qid] if c != paper_id]
        ranked = retriever.search(mode, f"{title}. {text}", len(candidates), only=candidates)
        rankings[qid] = unranked_last(ranked, candidates)
        if progress:
            progress(1)
    metrics = mean_metrics(rankings, judged, ndcg_k=20, recall_k=20, mrr_k=10)
    return {"ndcg@20": metrics["ndcg@20"], "queries": metrics["queries"]}


def load_papers_corpus(path: Path) -> Corpus:
    """A Paperwire JSON-lines paper file as an evaluation corpus."""
    ids, titles, texts = [], [], []
    for record in _jsonl(path):
        ids.append(str(record["id"]))
        titles.append(" ".join(str(record.get("title") or "").split()))
        texts.append(" ".join(str(record.get("abstract") or "").split()))
    return Corpus(ids, titles, texts)


def evaluate_known_items(papers: Path, items: Path, mode: str = "hybrid", settings: Settings | None = None,
                         embedder: TextEmbedder | None = None, fusion: FusionConfig | None = None
                         ) -> dict[str, float]:
    """Known-item lookups: each query targets one paper; MRR@10 and hit rates, overall and by kind."""
    retriever = retriever_for(load_papers_corpus(papers), mode, settings, embedder, fusion)
    by_kind: dict[str, list[int]] = {}
    for item in _jsonl(items):
        ranked = retriever.search(mode, item["query"], 10)
        position = ranked.index(item["id"]) + 1 if item["id"] in ranked else 0
        by_kind.setdefault(item.get("kind", "all"), []).append(position)
    result: dict[str, float] = {}
    everything = [p for positions in by_kind.values() for p in positions]
    for kind, positions in [("all", everything), *sorted(by_kind.items())]:
        prefix = "" if kind == "all" else f"{kind}:"
        result[f"{prefix}mrr@10"] = sum(1 / p for p in positions if p) / len(positions)
        result[f"{prefix}hit@1"] = sum(1 for p in positions if p == 1) / len(positions)
        result[f"{prefix}hit@10"] = sum(1 for p in positions if p) / len(positions)
    result["queries"] = float(len(everything))
    return result

"""The keyword index: BM25 over title, abstract and authors, in tantivy.

Chosen over SQLite FTS5 and bm25s by measurement (docs/benchmarks.md): at
75k papers tantivy answered 5–40-word queries in p95 ≈ 2.5 ms and indexed
them in ≈ 3 s, against FTS5's p95 ≈ 400 ms. It also gives phrase queries,
range and term filters applied inside the search (before top-k), and works
the same whichever database holds the papers: the index is a local cache
fed from the store (see ``paperwire.search.indexes``).

Scoring is tantivy's BM25 (k1 = 1.2, b = 0.75) summed over fields (weights in
``KeywordWeights``): ``text`` (title and abstract as one field, stemmed: one
BM25 over the whole record, as plain BM25 libraries score it), ``title``
(stemmed, a small boost), and optionally adjacent query words as phrases.
Filters are wrapped in constant-score queries so they select without changing
the ranking. The schema's version is ``indexes.KEYWORD_VERSION``: a changed
schema or analyzer is a new index directory, rebuilt from the store.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal, NamedTuple

import numpy as np
import tantivy

from paperwire.config import Settings
from paperwire.models import IndexEntry
from paperwire.search.analysis import analyze, register
from paperwire.search.query import ParsedQuery, words_of
from paperwire.search.shards import Shards, shard_of

SORTS = ("relevance", "newest")
_MIN_HEAP_PER_THREAD = 15_000_000  # tantivy refuses an indexing thread less memory than this
_MAX_HEAP_PER_THREAD = 4_000_000_000  # or more than about 4.29 GB
TEXT_FIELDS = ["title", "text"]  # where a quoted phrase or an excluded word is looked for


@dataclass(frozen=True, slots=True)
class KeywordWeights:
    """How much each field's BM25 counts; chosen on the 75k known-item tune split and SciFact train
    (docs/benchmarks.md, "Search at 75k"). ``phrase`` was measured and left off; so was an unstemmed
    ``exact`` field, since dropped from the index (it was a third of the indexing CPU)."""

    text: float = 1.0
    # the title is inside ``text`` already; a little more for title words (0.3 best among 0.2-0.5)
    title: float = 0.3
    # adjacent query words as a phrase (slop words apart) in ``text``; 0 switches it off
    phrase: float = 0.0
    phrase_slop: int = 0
    # query words as author names ("attention vaswani"); at 1.0 a long description's common words matching
    # short author fields cost long known items 0.07 MRR@10 (0.3 and 0 measured alike)
    authors: float = 0.3


@dataclass(frozen=True, slots=True)
class QueryBudget:
    """What one ranked query may read: a bound on its cost that grows with neither the query nor the index.

    tantivy reads every posting of every query word (its top-k pruning is not reached through the Python
    binding), so a 40-word description over 2.7M papers read ~10M postings and took 90 ms. A query whose
    words' postings in ``text`` add up to more than ``max_postings`` is ranked in two passes: its
    ``candidates`` best papers on its rarer words (the commonest dropped until the rest fit, keeping at
    least ``min_terms``), then those candidates by every word, with the exact BM25 scores of a full search.
    Only a paper that the rarer words rank below ``candidates`` can be missed. 0 switches it off. Measured
    in docs/benchmarks.md ("Whole-arXiv scale"): at 75k papers no query reaches the default budget."""

    max_postings: int = 1_500_000
    candidates: int = 200
    min_terms: int = 4

    @classmethod
    def from_settings(cls, settings: Settings) -> QueryBudget:
        """The budget the settings choose (``search_postings_budget``, ``search_budget_candidates``)."""
        return cls(settings.search_postings_budget, settings.search_budget_candidates)


def distinctive_terms(tokens: Sequence[str], doc_freq: Callable[[str], int], budget: QueryBudget) -> list[str] | None:
    """The distinct tokens a query's first pass ranks on, in query order; None when every token fits the
    budget (one pass). The commonest are dropped first, until the rest's postings fit or ``min_terms``
    are left (ties: the later in the query goes first)."""
    distinct = list(dict.fromkeys(tokens))
    if not budget.max_postings or len(distinct) <= budget.min_terms:
        return None
    freq = {token: doc_freq(token) for token in distinct}
    total = sum(freq.values())
    if total <= budget.max_postings:
        return None
    kept = set(distinct)
    for token in sorted(distinct, key=lambda t: (-freq[t], -distinct.index(t))):
        if total <= budget.max_postings or len(kept) <= budget.min_terms:
            break
        kept.discard(token)
        total -= freq[token]
    return [t for t in distinct if t in kept]


class FirstPass(NamedTuple):
    """The first pass of an over-budget query: its candidates, best first, their scores on the ``kept``
    (distinctive) terms, and a lower bound of its matches."""

    keys: list[str]
    total: int
    scores: list[float]
    kept: list[str]


class KeywordPage(NamedTuple):
    """One page of a keyword search: ``(key, score)`` pairs best first and the number of matches.

    ``two_pass``: the query was over the budget, so the page was ranked among its first pass's candidates
    (a paper outside them is missing even if a full search would score it high enough: hybrid search
    scores its semantic candidates separately) and the number of matches is a lower bound (an
    over-budget query counts its distinctive words' matches only)."""

    hits: list[tuple[str, float]]
    total: int
    two_pass: bool = False

    @property
    def total_exact(self) -> bool:
        """False when ``total`` is a lower bound."""
        return not self.two_pass


def _kept_words(words: str, kept: Collection[str]) -> str:
    """The words behind the ``kept`` terms: what the author clauses of a first pass see (its
    phrase clauses pair the kept terms themselves)."""
    kept = set(kept)
    return " ".join(word for word in words.split() if kept.intersection(analyze(word)))


def _doc_freqs(shards: Shards, tokens: Collection[str]) -> dict[str, int]:
    """Each distinct token's document frequency in ``text``."""
    return shards.doc_freqs("text", set(tokens))


def _restricted(schema: tantivy.Schema, query: tantivy.Query, keys: Sequence[str]) -> tantivy.Query:
    """``query`` over the papers ``keys`` only, with its own scores (the restriction scores 0)."""
    only = tantivy.Query.const_score_query(tantivy.Query.term_set_query(schema, "id", list(keys)), 0.0)
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, query), (tantivy.Occur.Must, only)])


def day_number(day: date | None) -> int:
    """A date as the integer YYYYMMDD (0 for unknown), the index's date field."""
    return day.year * 10000 + day.month * 100 + day.day if day else 0


def category_terms(categories: Iterable[str]) -> list[str]:
    """What the ``cat`` field holds: each category and its archive, lower case (``cs.cl``, ``cs``)."""
    terms: list[str] = []
    for category in categories:
        low = category.lower()
        for term in (low, low.partition(".")[0]):
            if term not in terms:
                terms.append(term)
    return terms


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    sb.add_text_field("title", tokenizer_name="english")
    sb.add_text_field("text", tokenizer_name="english")
    sb.add_text_field("authors", tokenizer_name="names")
    sb.add_text_field("cat", tokenizer_name="raw", index_option="basic")
    sb.add_integer_field("day", indexed=True, fast=True)
    sb.add_integer_field("has_code", indexed=True, fast=True)
    return sb.build()


class KeywordIndex:
    """A tantivy index at ``path`` (or in memory when ``path`` is None), in ``shards`` shards searched in
    parallel (``search.shards``; 1: one plain index in ``path``)."""

    def __init__(self, path: Path | None = None, heap_bytes: int = 128_000_000, threads: int = 2,
                 weights: KeywordWeights | None = None, budget: QueryBudget | None = None,
                 shards: int = 1) -> None:
        self.path = path
        self.weights = weights or KeywordWeights()
        self.budget = budget or QueryBudget()
        self.schema = _schema()
        self.shards = Shards(self.schema, path, shards, register)
        self.heap_bytes = heap_bytes
        self.threads = threads
        self._write_lock = threading.Lock()

    # -- writing ---------------------------------------------------------------------
    def _document(self, doc: IndexEntry) -> tantivy.Document:
        # one constructor call: building field by field took twice the time, on the importer's clock
        text = f"{doc.title}\n{doc.abstract}"
        return tantivy.Document(id=doc.id, title=doc.title, text=text, authors=doc.authors,
                                cat=category_terms(doc.categories), day=day_number(doc.announced),
                                has_code=int(doc.has_code))

    def write(self, docs: Iterable[IndexEntry], replace: bool = True, clear: bool = False) -> int:
        """Add documents (replacing same-key ones when ``replace``) and commit; returns the count."""
        count, n = 0, self.shards.count
        with self._write_lock:
            # the memory budget and indexing threads are shared out (each shard at least one thread and
            # tantivy's least memory for it: more shards than threads take more of both). A thread writes a
            # segment out each time its memory fills: the budget sets how many segments a large write leaves
            threads = max(1, self.threads // n)
            heap = min(max(self.heap_bytes // n, threads * _MIN_HEAP_PER_THREAD), threads * _MAX_HEAP_PER_THREAD)
            writers = [index.writer(heap, threads) for index in self.shards.indexes]
            try:
                if clear:
                    for writer in writers:
                        writer.delete_all_documents()
                for doc in docs:
                    writer = writers[shard_of(doc.id, n)]
                    if replace:
                        writer.delete_documents_by_term("id", doc.id)
                    writer.add_document(self._document(doc))
                    count += 1
                # not atomic across shards: if a later shard's commit fails the earlier ones stay committed;
                # the caller's watermark does not advance, so the next sync writes those papers again
                # (replacing them) or, from 0, clears the index first
                for writer in writers:
                    writer.commit()
                for writer in writers:
                    writer.wait_merging_threads()
            except BaseException:
                for writer in writers:
                    writer.rollback()
                raise
        self.reload()
        return count

    def reload(self) -> None:
        """Read the index's last commit (another process or thread may have written since)."""
        self.shards.reload()

    def num_docs(self) -> int:
        """Papers in the index."""
        return self.shards.num_docs()

    # -- reading ---------------------------------------------------------------------
    def _text_clause(self, words: str, kept: Collection[str] | None = None) -> tantivy.Query | None:
        """The ranked part: every query word in ``text`` and ``title`` (stemmed), adjacent pairs as
        phrases, and the words as author names; only the ``kept`` terms when given."""
        schema, w = self.schema, self.weights
        Q = tantivy.Query
        tokens = analyze(words)
        pairs = [(a, b) for a, b in itertools.pairwise(tokens) if a != b]
        if kept is not None:
            tokens = [t for t in tokens if t in kept]
            pairs = [(a, b) for a, b in pairs if a in kept and b in kept]
            words = _kept_words(words, kept)
        should = self._term_clauses(self._terms(words, tokens))
        if w.phrase > 0:
            should += [Q.boost_query(Q.phrase_query(schema, "text", [a, b], w.phrase_slop), w.phrase)
                       for a, b in pairs]
        return Q.boolean_query([(tantivy.Occur.Should, q) for q in should]) if should else None

    def _terms(self, words: str, tokens: Sequence[str]) -> Counter[tuple[str, str]]:
        """The ranked part's term clauses, ``(field, term)``, each as many times as the query asks for it:
        ``tokens`` (the stemmed words) in ``text`` and ``title``, the words as names in ``authors``."""
        w, terms = self.weights, Counter[tuple[str, str]]()
        for field, weight in (("text", w.text), ("title", w.title)):
            if weight > 0:
                terms.update((field, tok) for tok in tokens)
        if w.authors > 0:
            terms.update(("authors", tok) for tok in analyze(words, "names"))
        return terms

    def _term_clauses(self, terms: Counter[tuple[str, str]]) -> list[tantivy.Query]:
        weight = {"text": self.weights.text, "title": self.weights.title, "authors": self.weights.authors}
        Q = tantivy.Query
        return [Q.boost_query(Q.term_query(self.schema, field, tok), weight[field])
                for (field, tok), n in terms.items() for _ in range(n)]

    def _phrase(self, text: str, fields: list[str]) -> tantivy.Query:
        """``text`` as one phrase in ``fields``; nothing of it is read as query syntax.

        Only its words reach tantivy's parser, inside quotes: a quote or backslash in an author's name
        (``author:x"title:model``) would otherwise close the phrase and open a field of the user's choosing.
        """
        words = words_of(text)
        if not words:  # nothing to look for: a required phrase matches nothing, an excluded one nothing either
            return tantivy.Query.empty_query()
        query, _errors = self.shards.indexes[0].parse_query_lenient(f'"{" ".join(words).lower()}"', fields)
        return query

    def _filters(self, q: ParsedQuery) -> tuple[list[tantivy.Query], list[tantivy.Query]]:
        schema = self.schema
        must: list[tantivy.Query] = []
        must_not: list[tantivy.Query] = [self._phrase(t, [*TEXT_FIELDS, "authors"]) for t in q.exclude]
        must_not += [self._phrase(a, ["authors"]) for a in q.exclude_authors]
        must_not += [tantivy.Query.term_query(schema, "cat", c.lower()) for c in q.exclude_categories]
        if q.categories:
            must.append(tantivy.Query.boolean_query(
                [(tantivy.Occur.Should, tantivy.Query.term_query(schema, "cat", c.lower())) for c in q.categories]))
        if q.after or q.before:
            lo = day_number(q.after) if q.after else None
            hi = day_number(q.before) - 1 if q.before else None
            if lo is None:
                lo = 1  # unknown dates (0) never match a date filter
            must.append(tantivy.Query.range_query(schema, "day", tantivy.FieldType.Integer, lo, hi))
        if q.has_code is not None:
            must.append(tantivy.Query.term_query(schema, "has_code", int(q.has_code)))
        return must, must_not

    def build_query(self, q: ParsedQuery, kept: Collection[str] | None = None) -> tantivy.Query:
        """The tantivy query for a parsed query: ranked terms (only the ``kept`` ones when given), then
        constant-score filters."""
        clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
        text = self._text_clause(" ".join(q.words), kept)
        if text is not None:
            clauses.append((tantivy.Occur.Must, text))
        clauses += [(tantivy.Occur.Must, self._phrase(p, TEXT_FIELDS)) for p in q.phrases]
        clauses += [(tantivy.Occur.Must, self._phrase(a, ["authors"])) for a in q.authors]
        must, must_not = self._filters(q)
        clauses += [(tantivy.Occur.Must, tantivy.Query.const_score_query(f, 0.0)) for f in must]
        if not any(occur == tantivy.Occur.Must for occur, _ in clauses):
            if q.words:  # only stop words were typed: nothing can match
                return tantivy.Query.empty_query()
            clauses.append((tantivy.Occur.Must, tantivy.Query.all_query()))
        clauses += [(tantivy.Occur.MustNot, f) for f in must_not]
        return tantivy.Query.boolean_query(clauses)

    def _all_keys(self, query: tantivy.Query, cap: int) -> list[str]:
        return [key for key, _ in self.shards.search(query, cap, count=False)[0]]

    def filter_keys(self, q: ParsedQuery, cap: int = 20_000) -> tuple[list[str] | None, list[str]]:
        """Keys the query's text filters allow (None: no such filter) and keys its exclusions remove.

        Author, phrase and exclusion filters need the text, which only this index holds; the vector
        index applies them as row sets (capped at ``cap`` keys each)."""
        positive = [self._phrase(a, ["authors"]) for a in q.authors]
        positive += [self._phrase(p, TEXT_FIELDS) for p in q.phrases]
        negative = [self._phrase(t, [*TEXT_FIELDS, "authors"]) for t in q.exclude]
        negative += [self._phrase(a, ["authors"]) for a in q.exclude_authors]
        allowed = None
        if positive:
            allowed = self._all_keys(tantivy.Query.boolean_query([(tantivy.Occur.Must, p) for p in positive]), cap)
        excluded: list[str] = []
        if negative:
            excluded = self._all_keys(tantivy.Query.boolean_query([(tantivy.Occur.Should, n) for n in negative]), cap)
        return allowed, excluded

    def title_phrase(self, words: str, limit: int = 5) -> list[str]:
        """Keys of papers whose title holds ``words`` (plain words, no syntax) as a phrase, best first:
        the candidates for an exact-title match, which the caller confirms against the stored titles."""
        if not words.strip():
            return []
        return self._all_keys(self._phrase(words, ["title"]), limit)

    def postings(self, q: ParsedQuery) -> int:
        """What ranking ``q`` reads: the sum of its distinct words' document frequencies in ``text``."""
        return sum(_doc_freqs(self.shards, analyze(" ".join(q.words))).values())

    def first_pass(self, q: ParsedQuery, limit: int = 20, offset: int = 0, sort: str = "relevance"
                   ) -> FirstPass | None:
        """The first pass of a query over the budget (``QueryBudget``) for the page ``offset, limit``: its
        candidates from its distinctive words and a lower bound of its matches. None when the page takes one
        full pass: the query fits the budget, is not ranked by relevance, asks for a page beyond the
        candidates (rare: 20 pages of 10 by default) or its distinctive words match
        fewer papers than the page needs."""
        if offset + limit > self.budget.candidates:
            return None
        first = self._candidates(q, sort)
        return None if first is None or len(first.keys) < offset + limit else first

    def _candidates(self, q: ParsedQuery, sort: str) -> FirstPass | None:
        """The ``budget.candidates`` best papers on an over-budget query's distinctive words (fewer when
        they match fewer), or None when the query takes one full pass: it fits the budget or is not
        ranked by relevance."""
        if sort != "relevance" or not q.has_terms:
            return None
        tokens = analyze(" ".join(q.words))
        freqs = _doc_freqs(self.shards, tokens)
        kept = distinctive_terms(tokens, freqs.__getitem__, self.budget)
        if kept is None:
            return None
        # always the same number of candidates, whatever the page: pages within them never overlap
        hits, total = self.shards.search(self.build_query(q, kept), self.budget.candidates)
        if not q.has_filters:  # plain words: every paper holding a dropped word matches too
            total = max([total, *(freqs[t] for t in set(tokens) - set(kept))])
        return FirstPass([key for key, _ in hits], total, [score for _, score in hits], kept)

    def search(self, q: ParsedQuery, limit: int = 20, offset: int = 0, sort: str = "relevance",
               only: Collection[str] | None = None, also: Collection[str] = ()
               ) -> tuple[list[tuple[str, float]], int]:
        """``(key, score)`` pairs best first, and the number of matches (``search_page`` without telling
        whether that number is exact)."""
        page = self.search_page(q, limit, offset, sort, only, also)
        return page.hits, page.total

    def search_page(self, q: ParsedQuery, limit: int = 20, offset: int = 0, sort: str = "relevance",
                    only: Collection[str] | None = None, also: Collection[str] = (),
                    first: FirstPass | Literal["auto"] | None = "auto") -> KeywordPage:
        """``(key, score)`` pairs best first, and the number of matches; ``only`` restricts to those keys.

        A query over the budget (``QueryBudget``) is ranked in two passes (``first_pass``; pass ``first``
        when it was run already, e.g. alongside hybrid search's semantic side) and its number of matches
        is then a lower bound (with filters, the matches of its distinctive words only); the papers in
        ``also`` (hybrid search's semantic candidates) are scored in its second pass whatever the first
        found, so that each has the BM25 score a full search would give it."""
        if sort not in SORTS:
            raise ValueError(f"unknown sort {sort!r}; choose one of {', '.join(SORTS)}")
        if limit <= 0:
            return KeywordPage([], 0)
        if first == "auto":
            first = self._candidates(q, sort) if only is None else None
            if first is not None and offset + limit > len(first.keys):
                return self._beyond_candidates(q, limit, offset, first)
        elif first is not None and (only is not None or sort != "relevance"):
            raise ValueError("a first pass ranks by relevance among its own candidates: no 'only', no other sort")
        if first is not None:
            page = self._second_pass(q, limit, offset, first, also)
            if page is not None:
                return page
            only = list(dict.fromkeys([*first.keys, *also]))
        query = self.build_query(q)
        if only is not None:  # the restriction selects and leaves the scores those of a full search
            query = _restricted(self.schema, query, list(only))
        if sort == "newest" or not q.has_terms:
            by_day, count = self.shards.search(query, limit, offset, order_by_field="day")
            hits = [(key, 0.0) for key, _day in by_day]
        else:
            hits, count = self.shards.search(query, limit, offset)
        if first is None:
            return KeywordPage(hits, count)
        return KeywordPage(hits, max(first.total, count), two_pass=True)

    def _second_pass(self, q: ParsedQuery, limit: int, offset: int, first: FirstPass, also: Collection[str]
                     ) -> KeywordPage | None:
        """The page of an over-budget query ranked among its candidates (and the papers in ``also``) with
        the scores of a full search, reading only what the first pass did not: a full score is the sum of
        the query's clauses, so a candidate's is its first-pass score plus its score on the dropped terms'
        clauses. For each candidate tantivy reads a 4,096-document window of every clause it is given, so
        leaving the kept terms' clauses out saves their share (at 2.7M: about a tenth of the second pass's
        CPU, docs/benchmarks.md). The papers in ``also`` that are not candidates are scored on the whole
        query. None when the clauses do not add up per term (the phrase clauses are on): the caller then
        scores everything again."""
        if self.weights.phrase > 0:
            return None
        words = " ".join(q.words)
        tokens = analyze(words)
        kept = set(first.kept)
        full = self._terms(words, tokens)
        in_first = self._terms(_kept_words(words, kept), [t for t in tokens if t in kept])
        if not in_first <= full:  # cannot happen with per-word analyzers; then no shortcut
            return None
        candidates = set(first.keys)
        others = [key for key in dict.fromkeys(also) if key not in candidates]
        Q, Occur = tantivy.Query, tantivy.Occur
        branches = []
        dropped = self._term_clauses(full - in_first)
        if dropped and first.keys:
            branches.append(_restricted(self.schema, Q.boolean_query([(Occur.Should, c) for c in dropped]),
                                        first.keys))
        if others:
            branches.append(_restricted(self.schema, self.build_query(q), others))
        found: list[tuple[str, float]] = []
        if branches:
            query = branches[0] if len(branches) == 1 else Q.boolean_query([(Occur.Should, b) for b in branches])
            found, _ = self.shards.search(query, len(first.keys) + len(others), count=False)
        extra = dict(found)
        # (an index reload between the passes, e.g. hybrid's first pass ran in a thread, mixes two generations'
        # statistics in one score, by a hair; a candidate deleted meanwhile is dropped when its paper is read)
        # summed in float32 as tantivy sums its clauses (the last bit can still differ from a full search's)
        ranked = [(key, float(np.float32(score) + np.float32(extra.get(key, 0.0))))
                  for key, score in zip(first.keys, first.scores, strict=True)]
        ranked += [(key, score) for key, score in found if key not in candidates]
        ranked.sort(key=lambda hit: -hit[1])  # stable: equal scores keep the first pass's order
        page = ranked[offset : offset + limit]
        return KeywordPage(page, max(first.total, len(ranked)), two_pass=True)

    def _beyond_candidates(self, q: ParsedQuery, limit: int, offset: int, first: FirstPass) -> KeywordPage:
        """A page that reaches past an over-budget query's candidates (past 20 pages of 10 by default, or
        past the papers its distinctive words match): the candidates in their two-pass order, then every
        other match in full-search order, so that paging on from the two-pass pages neither repeats nor
        skips a paper."""
        if not first.keys:  # the distinctive words match nothing (with the filters): one full pass
            return self.search_page(q, limit, offset, first=None)
        ranked = self.search_page(q, len(first.keys), 0, first=first).hits
        page = ranked[offset : offset + limit]
        seen = tantivy.Query.term_set_query(self.schema, "id", [key for key, _ in ranked])
        rest = tantivy.Query.boolean_query([(tantivy.Occur.Must, self.build_query(q)),
                                            (tantivy.Occur.MustNot, seen)])
        wanted = limit - len(page)
        others, count = self.shards.search(rest, max(1, wanted), max(0, offset - len(ranked)))
        page += others[:wanted]
        return KeywordPage(page, len(ranked) + count)

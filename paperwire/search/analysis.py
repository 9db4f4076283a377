"""Tokenizers: how text becomes index terms, chosen by name.

``english`` (titles and abstracts): split on non-alphanumerics, drop tokens
over 40 characters, lower-case, fold accents, drop English stop words, Porter
stemming (Snowball English). ``names`` (authors): the same without stop words
or stemming, so ``author:Li`` finds "Li" and nothing else. The same analyzer
serves indexing and querying, so both sides always agree.
"""

from __future__ import annotations

from functools import cache

import tantivy

ANALYZERS = ("english", "names")


@cache
def analyzer(name: str) -> tantivy.TextAnalyzer:
    """The tantivy analyzer registered under ``name``."""
    if name not in ANALYZERS:
        raise ValueError(f"unknown analyzer {name!r}; choose one of {', '.join(ANALYZERS)}")
    builder = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
    )
    if name == "english":
        builder = builder.filter(tantivy.Filter.stopword("english")).filter(tantivy.Filter.stemmer("english"))
    return builder.build()


def analyze(text: str, name: str = "english") -> list[str]:
    """The index terms of ``text`` under the named analyzer."""
    return list(analyzer(name).analyze(text))


def register(index: tantivy.Index) -> None:
    """Make every analyzer available to an index (needed on each open)."""
    for name in ANALYZERS:
        index.register_tokenizer(name, analyzer(name))

"""The query parser: pure, total, and faithful to the syntax."""

from __future__ import annotations

from datetime import date

from hypothesis import example, given
from hypothesis import strategies as st

from paperwire.search.query import parse_date, parse_query, words_of


def test_plain_words() -> None:
    q = parse_query("Gaussian splatting for SLAM")
    assert q.words == ["Gaussian", "splatting", "for", "SLAM"] and not q.has_filters


def test_every_operator() -> None:
    q = parse_query('"energy based" -diffusion -"score matching" author:"Yann LeCun" author:bengio cat:cs.LG '
                    "-cat:cs.CV after:2025-06-01 before:2026 has:code models")
    assert q.phrases == ["energy based"]
    assert q.exclude == ["diffusion", "score matching"]
    assert q.authors == ["Yann LeCun", "bengio"]
    assert q.categories == ["cs.LG"] and q.exclude_categories == ["cs.CV"]
    assert (q.after, q.before, q.has_code) == (date(2025, 6, 1), date(2026, 1, 1), True)
    assert q.words == ["models"]
    assert q.text == "energy based models"


def test_unknown_or_malformed_syntax_becomes_words() -> None:
    q = parse_query("title:transformers after:someday has:pdf cat:??? NEAR( * \" AND")
    assert q.words == ["title", "transformers", "after", "someday", "has", "pdf", "cat", "NEAR", "AND"]
    assert not q.has_filters


def test_dates_of_any_precision() -> None:
    assert parse_date("2025") == date(2025, 1, 1)
    assert parse_date("2025-06") == date(2025, 6, 1)
    assert parse_date("2025-6-3") == date(2025, 6, 3)
    assert parse_date("2025-13-01") is None and parse_date("june") is None


def test_narrowest_date_range_wins() -> None:
    q = parse_query("after:2025 after:2025-06 before:2026 before:2025-09")
    assert (q.after, q.before) == (date(2025, 6, 1), date(2025, 9, 1))


def test_words_keep_technical_tokens() -> None:
    assert words_of("GPT-4o beats Llama-3.1 at 3.5% on C++") == ["GPT-4o", "beats", "Llama-3.1", "at", "3.5", "on", "C"]


@given(st.text(max_size=300))
def test_parser_never_raises_and_words_come_from_the_input(text: str) -> None:
    q = parse_query(text)
    for word in q.words:
        assert word in text or word.lower() in text.lower()


@given(st.lists(st.from_regex(r"[a-z]{2,10}", fullmatch=True), min_size=1, max_size=8))
def test_plain_words_round_trip(words: list[str]) -> None:
    q = parse_query(" ".join(words))
    assert q.words == words and not q.has_filters


# what a person (or someone probing) types around an author's name: query syntax of ours and of tantivy's
SYNTAX = st.sampled_from(['"', "\\", "title:", "abstract:", "id:", "cat:", "authors:", ":", "(", ")", "*", "^2",
                          "+", "-", "AND", "OR", "NOT", "[", "]", "{", "}", "IN", "'", "~2"])
NO_SPACE = st.text(st.characters(blacklist_categories=["Z", "C"]), max_size=12)
VALUE = st.lists(st.one_of(NO_SPACE, SYNTAX), max_size=8).map("".join)


@example('x"title:model')
@example('""-0')
@given(VALUE)
def test_an_author_value_sets_an_author_and_nothing_else(value: str) -> None:
    q = parse_query("author:" + value)
    others = (q.phrases, q.exclude, q.exclude_authors, q.categories, q.exclude_categories)
    assert not any(others) and q.after is None and q.before is None and q.has_code is None, q
    assert all('"' not in a for a in q.authors), q.authors  # a stray quote could close a phrase later on
    assert q.authors or q.words or not words_of(value)

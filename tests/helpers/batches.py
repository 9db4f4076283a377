"""Batches of good and bad records for the "never a partial commit" properties (test_fuzz_batches.py).

Records start from real ones (the shared sample, the Kaggle snapshot) under fresh arXiv ids, so every
Hypothesis example writes papers no earlier example wrote to the same store; some are spoiled the way
sources spoil them (control characters and U+0000, wrong types, missing fields, huge fields, cut-off
JSON). ``failing_store_write`` makes the store's write fail inside its transaction, after the batch's
rows are written and before the commit, as a full disk, a lost connection or a Ctrl-C would.
"""

from __future__ import annotations

import copy
import gzip
import itertools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from hypothesis import HealthCheck
from hypothesis import strategies as st

from paperwire.store import Store
from tests.helpers import oai_pages
from tests.helpers.paths import FIXTURES_SHARED, KAGGLE

_ids = itertools.count(1)
MONTH = "2612"  # no paper of the sample or the fixtures is from December 2026
HUGE = 200_000  # characters: a big field the parsers keep (their limits clip it), far below a line's limit
OVER_LINE = 2 * 1024 * 1024 + 10  # bytes: over paper_files.MAX_LINE_BYTES, rejected as "line too long"

CUT = st.one_of(st.none(), st.integers(0, 3))  # which feed, page or day first arrives cut off, if any
FAIL_AT = st.one_of(st.none(), st.integers(1, 4))  # which write the store fails, if any
HARVEST_EXAMPLES = 15  # per store; each example runs two to five harvests against a local server
CHECKS = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large,
          HealthCheck.large_base_example]  # one store per test, shared by its examples (fresh ids keep them apart)


T = TypeVar("T")


class Injected(RuntimeError):
    """The failure ``failing_store_write`` raises in the middle of a transaction."""


def until_failure(run: Callable[[], T]) -> T | None:
    """``run()``'s result, or None when the injected failure (``Injected`` or a Ctrl-C) stopped it."""
    try:
        return run()
    except (Injected, KeyboardInterrupt):
        return None


def fresh_id() -> str:
    """An arXiv id no other example used (``2612.NNNNN``)."""
    return f"{MONTH}.{next(_ids):05d}"


@cache
def kaggle_records() -> tuple[dict[str, Any], ...]:
    return tuple(json.loads(line) for line in KAGGLE.read_text().splitlines()[:20])


@dataclass(frozen=True)
class Spoil:
    """How a record is spoiled: a field set to a value, a field dropped, or the line cut."""

    kind: str
    field: str = ""
    value: Any = None


CONTROL_TEXTS = ["\x00", "a\x00b", "\x01\x02\x1f", "line\x0bbreak", "\x7f", "\u0000\u0000", "\x1b[31mred"]
WRONG_TYPES = [123, 1.5, True, None, [], {}, ["x", 1], {"a": "b"}]


def spoils() -> st.SearchStrategy[Spoil]:
    """A way to spoil one record; the parser alone decides whether the result is good or bad."""
    text_fields = st.sampled_from(["title", "abstract", "comment", "comments", "journal_ref", "journal-ref"])
    return st.one_of(
        st.builds(Spoil, st.just("control"), text_fields, st.sampled_from(CONTROL_TEXTS)),
        st.builds(Spoil, st.just("control_id"), st.just("id"), st.sampled_from(CONTROL_TEXTS)),
        st.builds(Spoil, st.just("wrong_type"), st.sampled_from(["id", "title", "abstract", "authors", "categories",
                                                                 "announced", "versions", "update_date"]),
                  st.sampled_from(WRONG_TYPES)),
        st.builds(Spoil, st.just("drop"), st.sampled_from(["id", "title", "abstract", "categories", "authors"])),
        st.builds(Spoil, st.just("huge"), st.sampled_from(["title", "abstract", "authors"])),
        st.just(Spoil("truncated")),
        st.just(Spoil("not_an_object")),
    )


def jsonl_line(record: dict[str, Any], spoil: Spoil | None) -> bytes:
    """One line of a JSON-lines file: ``record`` under a fresh id, spoiled by ``spoil`` if given."""
    out = copy.deepcopy(record)
    out["id"] = fresh_id()
    if spoil is None:
        return json.dumps(out).encode() + b"\n"
    if spoil.kind in ("control", "wrong_type"):
        out[spoil.field] = spoil.value
    elif spoil.kind == "control_id":
        out["id"] = out["id"][:4] + str(spoil.value) + out["id"][4:]
    elif spoil.kind == "drop":
        out.pop(spoil.field, None)
    elif spoil.kind == "huge":
        out[spoil.field] = "word " * (HUGE // 5) if spoil.field != "authors" else ["A. Author"] * (HUGE // 10)
    elif spoil.kind == "not_an_object":
        return json.dumps([out]).encode() + b"\n"
    line = json.dumps(out).encode()
    if spoil.kind == "truncated":
        line = line[: len(line) // 2]
    return line + b"\n"


def over_long_line() -> bytes:
    """A line over the importer's limit (a record whose abstract is megabytes long)."""
    return json.dumps({"id": fresh_id(), "title": "t", "abstract": "x" * OVER_LINE}).encode() + b"\n"


def jsonl_files() -> st.SearchStrategy[list[bytes]]:
    """The lines of one file: real records (the sample's and Kaggle's), some spoiled, now and then one
    over the line limit."""
    records = st.deferred(lambda: st.sampled_from(list(oai_pages.sample_records(30)) + list(kaggle_records())))
    line = st.builds(jsonl_line, records, st.one_of(st.none(), st.none(), spoils()))
    lines = st.lists(line, min_size=1, max_size=14)
    return st.tuples(lines, st.integers(0, 12)).map(
        lambda pair: pair[0] if pair[1] else [*pair[0][:3], over_long_line(), *pair[0][3:]])


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


@contextmanager
def failing_store_write(store: Store, at: int | None, interrupt: bool = False) -> Iterator[list[int]]:
    """Make the ``at``-th (1-based) ``save_batch`` of ``store`` fail at the end of its transaction, once
    everything it writes (papers, code links, HF entries, the source's state) is written and before the
    commit: with ``Injected``, or ``KeyboardInterrupt`` (a Ctrl-C) when ``interrupt``. Yields a list
    holding the number of batches attempted so far."""
    with failing_writes(store.papers, ["save_batch"], store.papers.db, at, interrupt) as calls:
        yield calls


@contextmanager
def failing_writes(owner: Any, methods: list[str], db: Any, at: int | None, interrupt: bool = False
                   ) -> Iterator[list[int]]:
    """Make the ``at``-th (1-based) call of any of ``owner``'s ``methods`` fail at the end of its ``db``
    transaction, after its rows are written and before the commit (see ``failing_store_write``).

    Each call must write in one transaction (an ``AssertionError`` says which did not): a unit split
    over two commits could be left in part by a crash between them, which failing the first would not
    show."""
    real = {name: getattr(owner, name) for name in methods}
    real_write = db.write
    calls = [0]
    inside = [False]

    transactions = [0]

    def wrap(method: Any) -> Any:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            calls[0] += 1
            inside[0] = True
            transactions[0] = 0
            try:
                result = method(*args, **kwargs)
            finally:
                inside[0] = False
            assert transactions[0] <= 1, f"{method.__name__} wrote in {transactions[0]} transactions"
            return result
        return wrapped

    @contextmanager
    def write() -> Iterator[Any]:
        transactions[0] += inside[0]
        with real_write() as tx:
            yield tx
            if inside[0] and calls[0] == at:
                raise KeyboardInterrupt if interrupt else Injected(f"store write {at} failed before its commit")

    for name, method in real.items():
        setattr(owner, name, wrap(method))
    db.write = write
    try:
        yield calls
    finally:
        for name, method in real.items():
            setattr(owner, name, method)
        db.write = real_write


@cache
def hf_items() -> tuple[dict[str, Any], ...]:
    """Real items of two recorded Hugging Face daily lists."""
    items: list[dict[str, Any]] = []
    for day in ("2025-03-04", "2026-07-31"):
        items += json.loads((FIXTURES_SHARED / "hf-papers" / f"daily_papers_date={day}.json").read_text())[:8]
    return tuple(items)


HF_SPOILS: list[tuple[str, Any]] = [
    ("id", "not-an-id"), ("id", 2503.01785), ("title", "\x00"), ("title", "NUL\x00 in the\x1f title"),
    ("summary", "\x00" * 3), ("upvotes", "many"), ("upvotes", 10**30), ("authors", "Ann, Bob"),
    ("publishedAt", "yesterday"), ("summary", "word " * (HUGE // 5)), ("paper", None),
]


@st.composite
def hf_days(draw: st.DrawFn) -> list[list[dict[str, Any]]]:
    """2 to 4 daily lists of 1 to 4 real items under fresh ids, some spoiled."""
    days = []
    for _ in range(draw(st.integers(2, 4))):
        items = []
        for _ in range(draw(st.integers(1, 4))):
            item = copy.deepcopy(draw(st.sampled_from(hf_items())))
            item["paper"]["id"] = fresh_id()
            spoil = draw(st.one_of(st.none(), st.none(), st.sampled_from(HF_SPOILS)))
            if spoil is not None and spoil[0] == "paper":
                item["paper"] = spoil[1]
            elif spoil is not None:
                item["paper"][spoil[0]] = spoil[1]
            items.append(item)
        days.append(items)
    return days

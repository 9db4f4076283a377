"""Hypothesis strategies that mutate recorded inputs, and the invariants every parser's output keeps.

Structured fuzzing starts from real records (the shared sample, the recorded
fixtures) and changes a few fields at a time, so most examples get past the
first checks and reach the code behind them; raw fuzzing mutates the bytes of
a recorded document. ``check_paper`` and ``check_hf_entry`` say what a parsed
record must be for the store to take it on both backends: an arXiv id, no
control characters, http(s) links, counts and versions that fit a 32-bit
INTEGER column, instants the store can write as UTC.
"""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

from hypothesis import strategies as st

from paperwire.ingest.records import MAX_ABSTRACT, MAX_NAME, MAX_TEXT, MAX_TITLE
from paperwire.models import HFDailyEntry, Paper, is_arxiv_id
from paperwire.store.core import iso

INT32 = 2**31 - 1
CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROLS = [chr(c) for c in range(0x20)] + ["\x7f"]
# pieces that have broken parsers elsewhere: separators, markup, schemes, look-alike ids, limits
PIECES = ["\u2028", "\u00a0", "\ufeff", "\u200b", "\U0001f600", "\u0661", "\u00b2", "$", "\\", "<", "&", '"', "'",
          ";", ",", " and ", "javascript:", "http://", "https://github.com/a/b", "\n\n", "  ", "v2", "v99999999999",
          "2501.00001", "hep-th/9901001", "cs.AI", "68T05", "9999-12-31", "0001-01-01", "T23:59:59+14:00", "x" * 1001]


def pieces_text(max_pieces: int = 6) -> st.SearchStrategy[str]:
    """Text made of control characters, odd Unicode and the pieces above, with some arbitrary text."""
    return st.lists(st.one_of(st.sampled_from(CONTROLS + PIECES), st.text(max_size=6)), max_size=max_pieces).map(
        "".join)


def texts() -> st.SearchStrategy[str]:
    return st.one_of(st.text(max_size=30), pieces_text())


ZONES = st.sampled_from([None, UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12)),
                         timezone(timedelta(hours=5, minutes=30))])


def instants() -> st.SearchStrategy[datetime]:
    return st.datetimes(timezones=ZONES)


# the ends of the calendar, where a conversion to UTC or a day added overflows
EDGE_INSTANTS = ["0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59-12:00",
                 "9999-12-31T23:59:59Z", "9999-12-31", "0001-01-01", "Fri, 31 Dec 9999 23:00:00 GMT",
                 "Mon, 01 Jan 0001 00:00:00 +1400"]


def date_texts() -> st.SearchStrategy[str]:
    """Dates and instants as the sources write them (ISO, RFC 2822), from year 1 to 9999."""
    return st.one_of(
        st.sampled_from(EDGE_INSTANTS),
        instants().map(lambda d: d.isoformat()),
        instants().map(lambda d: d.date().isoformat()),
        instants().map(lambda d: d.isoformat().replace("+00:00", "Z")),
        st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-12)), timezone(timedelta(hours=14))]))
        .map(format_datetime),
    )


def scalars() -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**63), max_value=2**64 - 1),
                     st.sampled_from([INT32, INT32 + 1, 2**63 - 1, -1, 0]), st.floats(allow_nan=False), texts(),
                     date_texts())


def json_values() -> st.SearchStrategy[Any]:
    """Any JSON value, leaning on the scalars that reach edge cases."""
    return st.recursive(scalars(), lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                           st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                        max_leaves=8)


@st.composite
def mutated_string(draw: st.DrawFn, original: str) -> str:
    """``original`` with something inserted, cut, repeated or replaced."""
    how = draw(st.sampled_from(["insert", "cut", "repeat", "replace", "suffix"]))
    at = draw(st.integers(0, len(original)))
    if how == "insert":
        return original[:at] + draw(pieces_text(3)) + original[at:]
    if how == "cut":
        return original[:at]
    if how == "repeat":  # doubled, or just past one of the limits (title, text, abstract)
        return original * 2 if draw(st.booleans()) else original + "x" * draw(st.sampled_from([1001, 5001, 20001]))
    if how == "suffix":
        return original + draw(st.sampled_from(["v0", "v1", "v999", "v1000", "v99999999999", "\n", " ", "\x00"]))
    return draw(texts())


@st.composite
def mutated_value(draw: st.DrawFn, original: Any) -> Any:
    """A new value for a field: a mutation of its string, any JSON value, a date, or the value in a list."""
    if isinstance(original, str) and draw(st.booleans()):
        return draw(mutated_string(original))
    if isinstance(original, list) and original and draw(st.booleans()):
        items = list(original)
        items[draw(st.integers(0, len(items) - 1))] = draw(mutated_value(items[0]))
        return items
    return draw(st.one_of(json_values(), date_texts()))


@st.composite
def mutated_record(draw: st.DrawFn, records: Sequence[dict[str, Any]], keys: Sequence[str]) -> dict[str, Any]:
    """One of ``records`` with one to four of its fields (or ``keys``) deleted, replaced or mutated."""
    record: dict[str, Any] = copy.deepcopy(draw(st.sampled_from(records)))
    for _ in range(draw(st.integers(1, 4))):
        # mostly the fields the parser reads; now and then any other
        others = sorted(record) or list(keys)
        key = draw(st.sampled_from(list(keys)) if keys and draw(st.integers(0, 3)) else st.sampled_from(others))
        if draw(st.integers(0, 5)) == 0:
            record.pop(key, None)
        else:
            record[key] = draw(mutated_value(record.get(key)))
    return record


@st.composite
def mutated_bytes(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` with a few bytes flipped, inserted or deleted, or cut short."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 5))):
        at = draw(st.integers(0, len(out)))
        how = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        if how == "flip" and at < len(out):
            out[at] = draw(st.integers(0, 255))
        elif how == "insert":
            out[at:at] = draw(st.one_of(st.binary(max_size=8), st.sampled_from(
                [b"\x00", b"&#0;", b"\x7f", b"<!DOCTYPE x [<!ENTITY a 'b'>]>", b"]]>", b"<a>", b"</", b"\xc3",
                 b"\xff", b'<?xml version="1.0" encoding="x-unknown"?>'])))
        elif how == "delete":
            del out[at : at + draw(st.integers(1, 64))]
        elif how == "truncate":
            del out[at:]
    return bytes(out)


def _xml_safe(text: str) -> str:
    """What XML 1.0 can carry: no C0 control characters but tab, LF, CR (DEL and the rest may stay)."""
    return re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f]", "", text)


@st.composite
def mutated_xml(draw: st.DrawFn, data: bytes, within: str) -> bytes:
    """A recorded XML document with elements under the ``within`` elements (a tag with namespace) changed:
    text replaced or mutated, attributes set, elements removed or repeated. Text stays XML-safe, so
    the parsers behind the XML parser are what is tried."""
    root = ET.fromstring(data)
    scopes = list(root.iter(within))
    if not scopes:
        return data
    for _ in range(draw(st.integers(1, 4))):
        scope = draw(st.sampled_from(scopes))
        elements = list(scope.iter())
        element = draw(st.sampled_from(elements))
        how = draw(st.sampled_from(["text", "text", "attribute", "remove", "repeat"]))
        if how == "text":
            element.text = _xml_safe(draw(mutated_string(element.text or "")))
        elif how == "attribute":
            name = draw(st.sampled_from([*element.attrib, "status", "term", "version", "cursor",
                                         "completeListSize", "code"]))
            element.set(name, _xml_safe(draw(st.one_of(texts(), st.sampled_from(["deleted", "v1", "v99999999999",
                                                                                    "-1", "cs.AI", "68T05"])))))
        elif element is not scope:
            parent = next(p for p in scope.iter() if element in list(p))
            if how == "remove":
                parent.remove(element)
            else:
                parent.insert(list(parent).index(element), copy.deepcopy(element))
    return ET.tostring(root, encoding="utf-8")


# -- what a parsed record must be -------------------------------------------------------------

def check_text(value: str | None, limit: int) -> None:
    if value is not None:
        assert not CONTROL_RE.search(value), value
        assert len(value) <= limit


def check_instant(value: datetime | None) -> None:
    """The store writes instants as UTC ISO text: this must not overflow."""
    iso(value)


def check_link(value: str | None) -> None:
    assert value is None or value.lower().startswith(("http://", "https://")), value
    assert value is None or not any(c.isspace() or c < " " for c in value), value


def check_paper(paper: Paper) -> None:
    """What the store needs of a parsed paper, on both backends."""
    assert is_arxiv_id(paper.id), paper.id
    assert paper.title
    check_text(paper.title, MAX_TITLE)
    check_text(paper.abstract, MAX_ABSTRACT)
    for name in paper.authors:
        assert name
        check_text(name, MAX_NAME)
    for item in (*paper.categories, *paper.classes):
        check_text(item, MAX_TEXT)
    for text in (paper.comment, paper.journal_ref, paper.doi, paper.report_no):
        check_text(text, MAX_TEXT)
    check_link(paper.license)
    assert 0 <= paper.version <= INT32, paper.version
    assert all(0 <= v.version <= INT32 for v in paper.versions)
    for instant in (paper.submitted, paper.updated, *(v.created for v in paper.versions)):
        check_instant(instant)
    iso(paper.announced)
    paper.content_hash()


def check_hf_entry(entry: HFDailyEntry) -> None:
    """What the store needs of a parsed Hugging Face entry."""
    assert is_arxiv_id(entry.paper_id)
    for count in (entry.upvotes, entry.num_comments, entry.github_stars):
        assert count is None or 0 <= count <= INT32, count
    check_text(entry.title, MAX_TITLE)
    check_text(entry.ai_summary, MAX_TEXT)
    for keyword in entry.ai_keywords:
        assert keyword
        check_text(keyword, 10**6)
    check_link(entry.github_repo)
    check_link(entry.project_page)
    check_instant(entry.submitted_on_daily)
    check_instant(entry.published_at)


def raises_only(call: Callable[[], Any], *allowed: type[BaseException]) -> Any:
    """``call()``'s result, or None when it raised one of ``allowed``; anything else fails the test."""
    try:
        return call()
    except allowed:
        return None

"""Checks shared by every record parser: types, sizes, ids, dates, control characters and URLs.

A parser raises ``RecordError`` with a reason a person can act on; the
importer reports it as ``file:line: reason`` and moves on.

Control characters (C0 but tab, line feed and carriage return, and DEL) are
never stored: PostgreSQL refuses U+0000 in text, which failed a whole batch,
and the others only hide or garble text. An id holding one rejects its
record (it would no longer be the id the source meant); text fields lose them.
URLs that a page renders as a link are kept only when they are http(s).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

from paperwire.models import Paper, is_arxiv_id, split_version

MAX_TITLE = 1_000
MAX_ABSTRACT = 20_000
MAX_AUTHORS = 5_000  # large collaborations list thousands
MAX_NAME = 1_000  # real records hold run-together lists of 500+ characters
MAX_CATEGORIES = 30
MAX_TEXT = 5_000
MAX_CLASS = 200
MAX_URL = 2_000
MAX_VERSION = 999
MAX_COUNT = 2**31 - 1  # counts (upvotes, stars) go into 32-bit INTEGER columns on PostgreSQL
_CATEGORY_RE = re.compile(r"^[a-z][a-z\-]*(?:\.[A-Za-z\-]+)?$")
# what clean_space() would change in a NUL-joined list: a break, a tab, a double space, whitespace at
# either end of an entry (str.strip() and re's \s agree on what is whitespace), an empty entry
_NEEDS_CLEANING = re.compile(r"[\n\r\t]|  |^\s|\s$|\s\x00|\x00\s|^\x00|\x00\x00|\x00$|^$")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# control characters but NUL, the separator of the joined names below
_CONTROL_NOT_NUL_RE = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")
_WITHDRAWN_RE = re.compile(r"\b(?:paper|article|submission|manuscript) (?:has been|is) withdrawn\b", re.I)


class RecordError(ValueError):
    """A record that cannot be imported, with the reason."""


def has_controls(text: str) -> bool:
    """True when ``text`` holds a control character that is never stored (C0 but tab, LF, CR; DEL)."""
    return _CONTROL_RE.search(text) is not None


def strip_controls(text: str) -> str:
    """``text`` without the control characters ``has_controls`` finds."""
    return _CONTROL_RE.sub("", text) if _CONTROL_RE.search(text) else text


def http_url(value: Any) -> str | None:
    """``value`` when it is an absolute http(s) URL with a host, else None.

    Anything a page may render as a link goes through this: ``javascript:``,
    ``data:`` and relative URLs are dropped, and so is any URL holding
    whitespace or a control character (browsers drop tabs and line breaks
    inside a URL, so ``java\tscript:`` would still run).
    """
    if not isinstance(value, str):
        return None
    url = value.strip()
    if not url or len(url) > MAX_URL or any(c.isspace() or c < " " or c == "\x7f" for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:  # an invalid IPv6 host, say
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def clean_space(text: str) -> str:
    """Collapse arXiv's hard line breaks and runs of spaces into single spaces; drop control characters."""
    flat = strip_controls(text).replace("\n", " ").strip()
    # the common case (wrapped lines, single spaces) needs no split/join: 3x faster
    if "  " in flat or "\t" in flat or "\r" in flat:
        return " ".join(flat.split())
    return flat


def text_field(obj: dict[str, Any], key: str, limit: int, required: bool = False) -> str | None:
    """A string field, whitespace-normalised; None when absent or empty."""
    value = obj.get(key)
    if value is None:
        if required:
            raise RecordError(f"missing {key!r}")
        return None
    if not isinstance(value, str):
        raise RecordError(f"{key!r} must be a string, not {type(value).__name__}")
    if len(value) > limit:
        raise RecordError(f"{key!r} is too long ({len(value)} characters, at most {limit})")
    value = clean_space(value)
    if required and not value:
        raise RecordError(f"{key!r} is empty")
    return value or None


def url_field(obj: dict[str, Any], key: str, limit: int = MAX_TEXT) -> str | None:
    """A link a page renders (a licence, say): the http(s) URL, or None when absent or anything else.

    A value of the wrong type rejects the record like any text field; a
    string that is not an http(s) URL is dropped and the paper kept.
    """
    return http_url(text_field(obj, key, limit))


def abstract_field(obj: dict[str, Any], key: str) -> str:
    """The abstract, keeping paragraph breaks but joining arXiv's hard-wrapped lines."""
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RecordError(f"{key!r} must be a string, not {type(value).__name__}")
    if len(value) > MAX_ABSTRACT:
        raise RecordError(f"{key!r} is too long ({len(value)} characters, at most {MAX_ABSTRACT})")
    return clean_space(value)


def arxiv_id(obj: dict[str, Any], key: str = "id") -> tuple[str, int]:
    """The bare arXiv id and the version its suffix names (0 if none)."""
    raw = obj.get(key)
    if raw is None:
        raise RecordError(f"missing {key!r}")
    if not isinstance(raw, str):
        raise RecordError(f"{key!r} must be a string, not {type(raw).__name__}")
    if has_controls(raw):  # checked before strip(), which would quietly remove \x1c-\x1f
        raise RecordError(f"{key!r} contains control characters: {raw[:60]!r}")
    raw = raw.strip()
    bare, version = split_version(raw)
    if not is_arxiv_id(bare):
        raise RecordError(f"invalid arXiv id {raw[:60]!r}")
    if version > MAX_VERSION:  # the store keeps it in an INTEGER column; real papers have a few dozen at most
        raise RecordError(f"version out of range in {raw[:60]!r}")
    return bare, version


def name_list(value: Any, key: str = "authors") -> list[str]:
    """A list of author names."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordError(f"{key!r} must be a list of strings")
    if len(value) > MAX_AUTHORS:
        raise RecordError(f"{key!r} has too many entries ({len(value)}, at most {MAX_AUTHORS})")
    try:
        joined = "\x00".join(value)
    except TypeError:
        raise RecordError(f"{key!r} must be a list of strings") from None
    # the common case (clean single-line names) is checked on the joined text at C speed: 4x faster;
    # a NUL inside a name shows as one separator too many
    if (value and not _NEEDS_CLEANING.search(joined) and not _CONTROL_NOT_NUL_RE.search(joined)
            and joined.count("\x00") == len(value) - 1 and max(map(len, value)) <= MAX_NAME):
        return list(value)
    names = [clean_space(v) for v in value]
    if any(len(n) > MAX_NAME for n in names):
        raise RecordError(f"an entry of {key!r} is longer than {MAX_NAME} characters")
    return [n for n in names if n]


def category_list(value: Any, key: str = "categories") -> tuple[list[str], list[str]]:
    """arXiv categories (primary first) and other subject classes (ACM, MSC) mixed into the same list.

    Real listings put ACM and MSC codes (``I.2.7; H.3.3``, ``68T45``) next to
    the arXiv categories; they are kept apart rather than rejected.
    """
    if value is None:
        return [], []
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RecordError(f"{key!r} must be a list of strings")
    if len(value) > MAX_CATEGORIES:
        raise RecordError(f"{key!r} has too many entries ({len(value)}, at most {MAX_CATEGORIES})")
    cats: list[str] = []
    classes: list[str] = []
    for raw in value:
        if len(raw) > MAX_CLASS:
            raise RecordError(f"an entry of {key!r} is longer than {MAX_CLASS} characters")
        item = strip_controls(raw).strip()
        if _CATEGORY_RE.fullmatch(item):
            cats.append(item)
        else:
            classes.extend(c for c in (clean_space(p) for p in re.split(r"[;,]", item)) if c)
    return list(dict.fromkeys(cats)), list(dict.fromkeys(classes))


def storable_instant(value: datetime, what: str = "date") -> datetime:
    """``value``, or ``RecordError`` when the store could not write it as UTC: in year 1 east of
    Greenwich or in 9999 west of it, the conversion overflows and would fail the whole batch."""
    if value.tzinfo is not None:
        try:
            value.astimezone(UTC)
        except OverflowError:
            raise RecordError(f"{what} out of range: {value.isoformat()}") from None
    return value


def date_field(obj: dict[str, Any], key: str) -> date | None:
    """A ``YYYY-MM-DD`` date, or None when absent."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(f"{key!r} must be a YYYY-MM-DD string")
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise RecordError(f"{key!r} is not a YYYY-MM-DD date: {value[:30]!r}") from None


def looks_withdrawn(comment: str | None, abstract: str | None) -> bool:
    """arXiv marks a withdrawal with a new version whose comment (or abstract) says so."""
    return bool(_WITHDRAWN_RE.search(comment or "") or _WITHDRAWN_RE.search((abstract or "")[:200]))


def merge_known(new: Paper, old: Paper | None) -> Paper:
    """``new`` with the gaps its source cannot fill taken from the stored ``old``.

    Feeds and formats each lack something (the arXiv OAI format has no
    version number, the announcement feed no comment or DOI); keeping what
    is already known means a sparser source never erases a richer one.
    A value a source does give always wins.
    """
    if old is None:
        return new
    if not new.versions and new.version in (0, old.version):
        new.version, new.versions = old.version, list(old.versions)
    for name in ("comment", "journal_ref", "doi", "license", "report_no", "announced", "submitted", "updated"):
        if getattr(new, name) is None:
            setattr(new, name, getattr(old, name))
    if not new.abstract:
        new.abstract = old.abstract
    if not new.authors:
        new.authors = list(old.authors)
    if not new.categories:
        new.categories = list(old.categories)
    if not new.classes:
        new.classes = list(old.classes)
    new.withdrawn = new.withdrawn or (old.withdrawn and new.version <= old.version)
    return new

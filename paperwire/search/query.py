"""Query syntax: a pure parser from what a person types to a ParsedQuery.

Supported: ``"exact phrase"``, ``-word`` / ``-"phrase"`` (exclude),
``author:name`` / ``author:"full name"``, ``cat:cs.CL`` (or an archive,
``cat:cs``), ``after:2025-06-01`` (on or after), ``before:2025-07`` (strictly
before), ``has:code``; ``-author:`` and ``-cat:`` exclude. Dates may be
``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``. Anything else, including unknown
fields or values that do not parse, is kept as plain words: a query is
never an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

_FIELD_RE = re.compile(r"([A-Za-z]+):")
_WORD_RE = re.compile(r"[^\W_]+(?:[.'\-+][^\W_]+)*", re.UNICODE)
_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?$")
_CATEGORY_RE = re.compile(r"^[A-Za-z\-]+(?:\.[A-Za-z\-]+)?$")


@dataclass
class ParsedQuery:
    """The parts of a query. ``words`` and ``phrases`` rank; the rest filter."""

    words: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    exclude_authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    exclude_categories: list[str] = field(default_factory=list)
    after: date | None = None
    before: date | None = None
    has_code: bool | None = None

    @property
    def text(self) -> str:
        """The ranking text: words and phrases, as a semantic model should read it."""
        return " ".join([*self.phrases, *self.words]).strip()

    @property
    def has_terms(self) -> bool:
        """True when something ranks (not only filters)."""
        return bool(self.words or self.phrases or self.authors)

    @property
    def has_filters(self) -> bool:
        return bool(
            self.authors or self.exclude_authors or self.categories or self.exclude_categories
            or self.after or self.before or self.has_code is not None or self.exclude or self.phrases
        )

    @property
    def is_empty(self) -> bool:
        return not (self.has_terms or self.has_filters)


def words_of(text: str) -> list[str]:
    """The words of free text (letters and digits, keeping ``gpt-4``, ``o'neil``, ``3.5``)."""
    return _WORD_RE.findall(text)


def parse_date(value: str) -> date | None:
    """``2025``, ``2025-06`` or ``2025-06-01`` as the first day it names, or None."""
    match = _DATE_RE.match(value)
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2) or 1), int(match.group(3) or 1))
    except ValueError:
        return None


def _scan(text: str) -> list[tuple[bool, str | None, str, bool]]:
    """Split into (negated, field, value, quoted) tokens."""
    tokens: list[tuple[bool, str | None, str, bool]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        neg = text[i] == "-" and i + 1 < n and not text[i + 1].isspace()
        if neg:
            i += 1
        name = None
        match = _FIELD_RE.match(text, i)
        if match and match.end() < n and not text[match.end()].isspace():
            name, i = match.group(1).lower(), match.end()
        if i < n and text[i] == '"':
            close = text.find('"', i + 1)
            end = n if close < 0 else close
            # an unclosed quote is a typo, not a phrase: its text stays plain words
            tokens.append((neg, name, text[i + 1 : end], close >= 0))
            i = end + 1
            # text glued to the closing quote (author:""-0) is plain words: a token ends at a space, so
            # nothing inside one can start a negation, a field or another phrase
            j = _token_end(text, i)
            if j > i:
                tokens.append((False, None, text[i:j].replace('"', " "), False))
                i = j
        else:
            j = _token_end(text, i)
            tokens.append((neg, name, text[i:j], False))
            i = j
    return tokens


def _token_end(text: str, i: int) -> int:
    """Where the token starting at ``i`` ends: at the next space, or the end of the text."""
    while i < len(text) and not text[i].isspace():
        i += 1
    return i


def _apply_field(q: ParsedQuery, neg: bool, name: str, value: str) -> bool:
    """Apply one ``field:value``; False when it is not valid syntax."""
    value = value.strip()
    if not value:
        return False
    if name == "author":
        # no name holds a double quote; one inside an unquoted value (author:x"title:y) is a stray quote,
        # and kept it would end the author phrase wherever the value is quoted again
        value = " ".join(value.replace('"', " ").split())
        if not value:
            return False
        (q.exclude_authors if neg else q.authors).append(value)
        return True
    if name == "cat" and _CATEGORY_RE.match(value):
        (q.exclude_categories if neg else q.categories).append(value)
        return True
    if name in ("after", "before") and not neg:
        when = parse_date(value)
        if when is None:
            return False
        if name == "after":
            q.after = max(q.after, when) if q.after else when
        else:
            q.before = min(q.before, when) if q.before else when
        return True
    if name == "has" and value.lower() == "code":
        q.has_code = not neg
        return True
    return False


def parse_query(text: str) -> ParsedQuery:
    """Parse what a person typed; never raises."""
    q = ParsedQuery()
    for neg, name, value, quoted in _scan(text):
        if name is not None and _apply_field(q, neg, name, value):
            continue
        if name is not None:  # unknown field or bad value: its parts are words
            value = f"{name} {value}"
        if quoted and not name:
            phrase = " ".join(words_of(value))
            if phrase:
                (q.exclude if neg else q.phrases).append(phrase)
            continue
        found = words_of(value)
        if neg and not name and found:
            q.exclude.append(" ".join(found))
        else:
            q.words.extend(found)
    return q

"""Highlighting: mark the words of a text that match the query's terms.

Pure functions over strings. A word matches when the analyzer maps it to
one of the query's terms, so "training" is marked for a query "trains".
Output is HTML: text is escaped, matches wrapped in ``<mark>``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

_TOKEN_RE = re.compile(r"[^\W_]+", re.UNICODE)

Analyze = Callable[[str], list[str]]


def _matches(text: str, terms: set[str], analyze: Analyze) -> list[tuple[int, int]]:
    cache: dict[str, bool] = {}
    spans = []
    for m in _TOKEN_RE.finditer(text):
        word = m.group(0)
        hit = cache.get(word)
        if hit is None:
            hit = cache[word] = any(t in terms for t in analyze(word))
        if hit:
            spans.append((m.start(), m.end()))
    return spans


def _render(text: str, spans: list[tuple[int, int]]) -> str:
    out, pos = [], 0
    for start, end in spans:
        out.append(html.escape(text[pos:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)


def highlight(text: str, terms: set[str], analyze: Analyze) -> str:
    """The whole text as HTML with matching words marked."""
    return _render(text, _matches(text, terms, analyze) if terms else [])


def snippet(text: str, terms: set[str], analyze: Analyze, max_chars: int = 320) -> str:
    """An HTML excerpt of about ``max_chars`` around the densest cluster of matches."""
    text = " ".join(text.split())
    spans = _matches(text, terms, analyze) if terms else []
    if len(text) <= max_chars:
        return _render(text, spans)
    best_start, best_count = 0, -1
    for i, (start, _end) in enumerate(spans):
        count = sum(1 for s, _ in spans[i:] if s < start + max_chars)
        if count > best_count:
            best_start, best_count = start, count
    begin = max(0, min(best_start - max_chars // 4, len(text) - max_chars))
    if begin > 0:
        begin = text.find(" ", begin) + 1 or begin
    end = min(len(text), begin + max_chars)
    if end < len(text):
        end = text.rfind(" ", begin, end) if text.rfind(" ", begin, end) > begin else end
    inside = [(s - begin, e - begin) for s, e in spans if s >= begin and e <= end]
    prefix = "… " if begin > 0 else ""
    suffix = " …" if end < len(text) else ""
    return prefix + _render(text[begin:end], inside) + suffix

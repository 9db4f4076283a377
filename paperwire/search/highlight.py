"""Highlighting: mark the words of a text that match the query's terms.

Pure functions over strings. A word matches when the analyzer maps it to
one of the query's terms, so "training" is marked for a query "trains".
Output is HTML: text is escaped, matches wrapped in ``<mark>``.

Math is left whole: the pages render ``$…$``, ``$$…$$``, ``\\(…\\)`` and ``\\[…\\]`` with KaTeX, which
turns a formula cut in half (or with a ``<mark>`` inside) into garbage. So no mark falls inside a
formula, and a snippet never starts or ends inside one: it takes the whole formula when that stays
within a quarter of the length asked for, and leaves it out otherwise.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

_TOKEN_RE = re.compile(r"[^\W_]+", re.UNICODE)
# Display math first, so "$$x$$" is one formula and not two empty ones; "\$" is a dollar sign.
_MATH_RE = re.compile(r"\$\$.+?\$\$|(?<!\\)\$(?:[^$\\]|\\.)+?\$|\\\(.+?\\\)|\\\[.+?\\\]", re.DOTALL)


def math_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every formula in ``text``, in order (an unclosed ``$`` is plain text)."""
    return [m.span() for m in _MATH_RE.finditer(text)]


def _inside(pos: int, spans: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The formula strictly around ``pos`` (a cut there would split it), or None."""
    for start, end in spans:
        if start < pos < end:
            return start, end
        if start >= pos:
            break
    return None

Analyze = Callable[[str], list[str]]


def _matches(text: str, terms: set[str], analyze: Analyze) -> list[tuple[int, int]]:
    cache: dict[str, bool] = {}
    spans = []
    formulas = math_spans(text) if ("$" in text or "\\" in text) else []
    for m in _TOKEN_RE.finditer(text):
        if formulas and any(s <= m.start() < e for s, e in formulas):
            continue  # a mark inside a formula would break its rendering
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
    begin, end = _math_safe(text, begin, end, max_chars)
    inside = [(s - begin, e - begin) for s, e in spans if s >= begin and e <= end]
    prefix = "… " if begin > 0 else ""
    suffix = " …" if end < len(text) else ""
    return prefix + _render(text[begin:end], inside) + suffix


def _math_safe(text: str, begin: int, end: int, max_chars: int) -> tuple[int, int]:
    """``begin``/``end`` moved off any formula they would cut: out to its edge when the snippet stays
    within 1.25 × ``max_chars``, otherwise past it (the formula is left out)."""
    formulas = math_spans(text)
    if not formulas:
        return begin, end
    slack = max_chars // 4
    cut = _inside(begin, formulas)
    if cut is not None:
        begin = cut[0] if end - cut[0] <= max_chars + slack else cut[1]
    cut = _inside(end, formulas)
    if cut is not None:
        end = cut[1] if cut[1] - begin <= max_chars + slack else cut[0]
    if end <= begin:  # one formula longer than the whole snippet: show the text after it instead
        end = min(len(text), begin + max_chars)
        while (cut := _inside(end, formulas)) is not None:
            end = cut[0] if cut[0] > begin else cut[1]
    return begin, end

"""BibTeX entries for papers: a pure function, like arXiv's own export.

The key is ``<first author's surname><year><first title word>`` in ASCII
(``palanker2025simulation``). Field values keep TeX math (``$...$``) and
accents as they are (biber and modern bibtex read UTF-8); characters special
to TeX outside math are escaped, and unbalanced braces are dropped so one odd
title can never break the reader's whole .bib file.
"""

from __future__ import annotations

import re
import unicodedata

from paperwire.models import Paper

_STOP = {"a", "an", "the", "on", "of", "in", "for", "to", "and", "with", "towards", "toward", "via", "from", "is"}
_SPECIAL_RE = re.compile(r"(?<!\\)([&%#_])")
_SURNAME_PARTICLES = {"van", "von", "der", "de", "den", "del", "da", "di", "la", "le", "du", "dos", "das"}
_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"}


def _ascii_word(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", folded.lower())


def surname(name: str) -> str:
    """The family name of ``'Daniel Palanker'`` or ``'Palanker, Daniel'`` (``'Jr.'`` skipped)."""
    if "," in name:
        return name.split(",", 1)[0].strip()
    parts = [p for p in name.split() if p.lower() not in _SUFFIXES]
    if not parts:
        return name.strip()
    last = [parts[-1]]
    for part in reversed(parts[:-1]):  # keep "van der Berg" together
        if part.lower() not in _SURNAME_PARTICLES:
            break
        last.insert(0, part)
    return " ".join(last)


def cite_key(paper: Paper) -> str:
    """``palanker2025simulation``; falls back to the arXiv id when names or titles are empty."""
    who = _ascii_word(surname(paper.authors[0])) if paper.authors else ""
    year = _year(paper)
    words = [_ascii_word(w) for w in re.split(r"[\s\-:/]+", paper.title)]
    first = next((w for w in words if w and w not in _STOP), "")
    key = f"{who}{year or ''}{first}"
    return key if who and first else "arxiv" + re.sub(r"[^0-9A-Za-z]", "", paper.id)


def _year(paper: Paper) -> int | None:
    first_version = paper.versions[0].created if paper.versions and paper.versions[0].created else None
    when = first_version or paper.submitted or paper.announced
    return when.year if when else None


def _balance(text: str) -> str:
    """Drop braces that do not pair up (escaped ``\\{`` and ``\\}`` are left alone)."""
    out: list[str] = []
    open_at: list[int] = []
    for i, ch in enumerate(text):
        escaped = i > 0 and text[i - 1] == "\\"
        if ch == "{" and not escaped:
            open_at.append(len(out))
        elif ch == "}" and not escaped:
            if not open_at:
                continue
            open_at.pop()
        out.append(ch)
    for pos in reversed(open_at):
        del out[pos]
    return "".join(out)


def tex_value(text: str) -> str:
    """A field value: whitespace folded, TeX specials escaped outside ``$...$``, braces balanced."""
    text = " ".join(text.split())
    pieces = re.split(r"(\$[^$]*\$)", text)
    escaped = [p if p.startswith("$") and p.endswith("$") and len(p) > 1 else _SPECIAL_RE.sub(r"\\\1", p)
               for p in pieces]
    return _balance("".join(escaped))


def bibtex(paper: Paper) -> str:
    """The ``@misc`` entry for ``paper`` (``@article`` when it has a journal reference)."""
    fields: list[tuple[str, str]] = [("title", tex_value(paper.title))]
    if paper.authors:
        fields.append(("author", " and ".join(tex_value(a) for a in paper.authors)))
    year = _year(paper)
    if year:
        fields.append(("year", str(year)))
    if paper.journal_ref:
        fields.append(("journal", tex_value(paper.journal_ref)))
    fields += [("eprint", paper.id), ("archivePrefix", "arXiv")]
    if paper.primary_category:
        fields.append(("primaryClass", paper.primary_category))
    if paper.doi:
        fields.append(("doi", tex_value(paper.doi)))
    fields.append(("url", paper.abs_url))
    kind = "article" if paper.journal_ref else "misc"
    width = max(len(name) for name, _ in fields)
    body = ",\n".join(f"  {name.ljust(width)} = {{{value}}}" for name, value in fields)
    return f"@{kind}{{{cite_key(paper)},\n{body}\n}}\n"

"""BibTeX: a reader of what reference managers write, and the writer of Paperwire's exports.

The reader follows BibTeX's own rules where files rely on them: entries start with ``@type{`` or
``@type(``; values are ``{...}`` (braces counted, escaped or not, as BibTeX counts them), ``"..."``,
numbers or ``@string`` macros (``jan``..``dec`` built in), joined with ``#``; ``@comment`` and
``@preamble`` are skipped, and so is text between entries. A broken entry is reported with its line
and the reader goes on at the next line starting with ``@``.

The writer's entries are what arXiv exports (``eprint``, ``archivePrefix``, ``primaryClass``, ``url``)
plus a member's note in ``annote`` (printed by no standard style) and folders in ``groups`` (JabRef's
field). See ``tex`` for how values are escaped and why they read back unchanged.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from paperwire.ingest.citations.ids import arxiv_id, arxiv_id_in_text, clean_doi
from paperwire.ingest.citations.tex import assign_keys, decode_plain, encode_plain, tex_value
from paperwire.models import Citation, ParsedFile
from paperwire.models.library import clean_folder_name, clean_note

MONTHS = {m: str(i) for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_ENTRY_RE = re.compile(r"@[ \t]*([A-Za-z]+)[ \t\r\n]*([{(])")
_NAME_RE = re.compile(r"[A-Za-z0-9_\-:.+/]+")
_NEXT_ENTRY_RE = re.compile(r"^[ \t]*@", re.MULTILINE)
_AND_RE = re.compile(r"\s+and\s+", re.IGNORECASE)
_YEAR_RE = re.compile(r"\b(1[5-9]\d\d|2\d\d\d)\b")
_ARXIV_FIELDS = ("eprint", "arxiv", "arxivid", "arxiv_id")
_TEXT_ID_FIELDS = ("note", "journal", "howpublished", "booktitle", "number", "publisher")


class _Broken(ValueError):
    def __init__(self, pos: int, message: str) -> None:
        super().__init__(message)
        self.pos = pos


@dataclass(slots=True)
class _Lines:
    starts: list[int]

    @classmethod
    def of(cls, text: str) -> _Lines:
        return cls([i for i, ch in enumerate(text) if ch == "\n"])

    def at(self, pos: int) -> int:
        return bisect.bisect_left(self.starts, pos) + 1


def _braced(text: str, start: int) -> tuple[str, int]:
    """The content of the group opening at ``start`` and the position after it."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1 : i], i + 1
    raise _Broken(start, "a { is never closed")


def _quoted(text: str, start: int) -> tuple[str, int]:
    depth = 0
    for i in range(start + 1, len(text)):
        ch = text[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == '"' and depth == 0:
            return text[start + 1 : i], i + 1
    raise _Broken(start, 'a " is never closed')


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _value(text: str, pos: int, macros: dict[str, str]) -> tuple[str, int]:
    parts: list[str] = []
    while True:
        pos = _skip_space(text, pos)
        ch = text[pos : pos + 1]
        if ch == "{":
            part, pos = _braced(text, pos)
        elif ch == '"':
            part, pos = _quoted(text, pos)
        else:
            match = _NAME_RE.match(text, pos)
            if not match:
                raise _Broken(pos, "a field has no value")
            word, pos = match.group(0), match.end()
            part = word if word.isdigit() else macros.get(word.lower(), "")
        parts.append(part)
        pos = _skip_space(text, pos)
        if text[pos : pos + 1] != "#":
            return "".join(parts), pos
        pos += 1


def _body(text: str, pos: int, closer: str, macros: dict[str, str], kind: str) -> tuple[str, dict[str, str], int]:
    """An entry's key, fields and the position after it."""
    key = ""
    if kind not in ("string", "preamble"):
        end = pos
        while end < len(text) and text[end] not in ",\n" + closer:
            end += 1
        key, pos = text[pos:end].strip(), end
    elif kind == "preamble":
        _, pos = _value(text, pos, macros)
    fields: dict[str, str] = {}
    while True:
        pos = _skip_space(text, pos)
        if pos >= len(text):
            raise _Broken(pos, f"the entry is never closed with {closer}")
        if text[pos] == closer:
            return key, fields, pos + 1
        if text[pos] == ",":
            pos += 1
            continue
        match = _NAME_RE.match(text, pos)
        if not match:
            raise _Broken(pos, f"expected a field name, found {text[pos]!r}")
        name = match.group(0).lower()
        pos = _skip_space(text, match.end())
        if text[pos : pos + 1] != "=":
            raise _Broken(pos, f"expected = after {name}")
        value, pos = _value(text, pos + 1, macros)
        fields[name] = value


def parse(text: str) -> ParsedFile:
    """The entries of a ``.bib`` file, with the lines of those it could not read."""
    out = ParsedFile("bibtex")
    lines = _Lines.of(text)
    macros = dict(MONTHS)
    pos = 0
    while (at := text.find("@", pos)) >= 0:
        head = _ENTRY_RE.match(text, at)
        if head is None:
            pos = at + 1
            continue
        kind, closer = head.group(1).lower(), ")" if head.group(2) == "(" else "}"
        try:
            if kind == "comment":
                pos = _braced(text, head.end() - 1)[1] if closer == "}" else text.find(")", head.end()) + 1 or len(text)
                continue
            key, fields, pos = _body(text, head.end(), closer, macros, kind)
        except _Broken as exc:
            out.problems.append((lines.at(at), f"@{kind} entry: {exc} (line {lines.at(exc.pos)})"))
            following = _NEXT_ENTRY_RE.search(text, at + 1)
            pos = following.start() if following else len(text)
            continue
        if kind == "string":
            macros.update(fields)
        elif kind != "preamble":
            out.entries.append(citation(kind, key, fields, lines.at(at)))
    return out


def _names(value: str) -> list[str]:
    """Split ``author`` on ``and`` outside braces; a name wrapped whole in braces loses them."""
    names: list[str] = []
    depth, start = 0, 0
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif depth == 0 and ch.isspace():
            match = _AND_RE.match(value, i)
            if match:
                names.append(value[start:i])
                start = i = match.end()
                continue
        i += 1
    names.append(value[start:])
    return [_unwrap(" ".join(n.split())) for n in names if n.strip()]


def _wrapped(value: str) -> bool:
    """True when ``value`` is one brace group, ``{...}``, whole."""
    if not value.startswith("{"):
        return False
    try:
        return _braced(value, 0)[1] == len(value)
    except _Broken:
        return False


def _unwrap(name: str) -> str:
    return name[1:-1] if _wrapped(name) else name


def citation(kind: str, key: str, fields: dict[str, str], line: int) -> Citation:
    """A ``Citation`` from an entry's fields (lower-case names, raw values)."""
    def folded(name: str) -> str:
        return " ".join(fields.get(name, "").split())

    ident = next((i for i in (arxiv_id(folded(f)) for f in _ARXIV_FIELDS) if i), None)
    doi = clean_doi(decode_plain(folded("doi"))) if fields.get("doi") else None
    url = "".join(fields.get("url", "").split()) or None
    ident = ident or arxiv_id(doi) or arxiv_id(url) or next(
        (i for i in (arxiv_id_in_text(folded(f)) for f in _TEXT_ID_FIELDS) if i), None)
    year_match = _YEAR_RE.search(folded("year") or folded("date"))
    groups = fields.get("groups", "")
    return Citation(
        title=folded("title"), authors=_names(fields.get("author", "")),
        year=int(year_match.group(1)) if year_match else None, arxiv_id=ident, doi=doi, url=url,
        journal=folded("journal") or None, category=folded("primaryclass") or None, key=key or None,
        note=clean_note(decode_plain(fields.get("annote", ""))),
        folders=[n for n in (clean_folder_name(decode_plain(g)) for g in groups.split(",")) if n],
        kind=kind, line=line)


def _top_words(value: str) -> list[str]:
    """The words of ``value`` outside braces (a brace group is part of its word)."""
    words, word, depth = [], "", 0
    for ch in value + " ":
        depth += (ch == "{") - (ch == "}")
        if ch.isspace() and depth == 0:
            words.append(word)
            word = ""
        else:
            word += ch
    return [w for w in words if w]


def _name_value(name: str) -> str:
    value = tex_value(name)
    # "Smith and Sons" is one name only inside braces; a name already in braces keeps them
    if any(w.lower() == "and" for w in _top_words(value)) or _wrapped(value):
        return "{" + value + "}"
    return value


def entry(item: Citation, key: str) -> str:
    """One ``@misc`` entry (``@article`` with a journal) for ``item``, under ``key``."""
    fields: list[tuple[str, str]] = [("title", tex_value(item.title))]
    names = [_name_value(a) for a in item.authors if tex_value(a)]
    if names:
        fields.append(("author", " and ".join(names)))
    if item.year:
        fields.append(("year", str(item.year)))
    if item.journal:
        fields.append(("journal", tex_value(item.journal)))
    if item.arxiv_id:
        fields += [("eprint", item.arxiv_id), ("archivePrefix", "arXiv")]
        if item.category:
            fields.append(("primaryClass", item.category))
    if item.doi:
        fields.append(("doi", encode_plain(item.doi)))
    if item.url:  # URLs are verbatim to biblatex; a brace would end the field, so it is percent-encoded
        fields.append(("url", item.url.replace("{", "%7B").replace("}", "%7D")))
    if item.note:
        fields.append(("annote", encode_plain(item.note)))
    if item.folders:
        fields.append(("groups", ", ".join(encode_plain(f) for f in item.folders)))
    kind = "article" if item.journal else "misc"
    width = max(len(name) for name, _ in fields)
    body = ",\n".join(f"  {name.ljust(width)} = {{{value}}}" for name, value in fields)
    return f"@{kind}{{{key},\n{body}\n}}\n"


def write(items: Sequence[Citation]) -> str:
    """A ``.bib`` file of ``items``, with stable unique keys."""
    return "\n".join(entry(item, key) for item, key in zip(items, assign_keys(items), strict=True))

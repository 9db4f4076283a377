"""RIS: the tagged lines (``TY  - JOUR`` ... ``ER  -``) that Zotero, Mendeley, EndNote and publishers write.

Each line is a two-character tag, two spaces, a dash and the value; a line without a tag continues
the value before it. The reader takes titles from ``TI``/``T1``, authors in order from ``AU``/``A1``,
the year from ``PY``/``Y1``/``DA``, DOIs from ``DO``, URLs from ``UR`` and ``L1``-``L4``, notes from
``N1`` (several ``N1`` lines are one note, a line each). Paperwire writes a member's folders as ``U1``
lines (a user-defined tag; RIS has none for collections) and the arXiv id in ``AN`` (accession number).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from paperwire.ingest.citations.ids import arxiv_id, arxiv_id_in_text, clean_doi
from paperwire.ingest.citations.tex import assign_keys
from paperwire.models import Citation, ParsedFile
from paperwire.models.library import clean_folder_name, clean_note

_TAG_RE = re.compile(r"^([A-Z][A-Z0-9]) {1,2}-(?: (.*)|)$")
_YEAR_RE = re.compile(r"\b(1[5-9]\d\d|2\d\d\d)\b")
_LINK_TAGS = ("UR", "L1", "L2", "L3", "L4", "LK")
_ID_TAGS = ("AN", "M1", "M3", "ID", "ET", "SN", "C1", "C2", "DB")
_TEXT_ID_TAGS = ("N1", "AB", "JO", "JF", "T2", "KW")


def _entry(tags: dict[str, list[str]], line: int) -> Citation:
    def first(*names: str) -> str:
        return next((" ".join(v[0].split()) for n in names if (v := tags.get(n)) and v[0].strip()), "")

    links = [v.strip() for t in _LINK_TAGS for v in tags.get(t, [])]
    doi = clean_doi(first("DO"))
    ident = next((i for i in (arxiv_id(v) for t in _ID_TAGS for v in tags.get(t, [])) if i), None)
    ident = ident or arxiv_id(doi) or next((i for i in map(arxiv_id, links) if i), None) or next(
        (i for i in (arxiv_id_in_text(v) for t in _TEXT_ID_TAGS for v in tags.get(t, [])) if i), None)
    year = _YEAR_RE.search(first("PY", "Y1", "DA", "Y2"))
    authors = [" ".join(a.split()) for t in ("AU", "A1") for a in tags.get(t, []) if a.strip()]
    return Citation(
        title=first("TI", "T1", "CT", "BT"), authors=authors, year=int(year.group(1)) if year else None,
        arxiv_id=ident, doi=doi, url=links[0] if links else None, journal=first("JO", "JF", "T2", "JA") or None,
        key=first("ID") or None, note=clean_note("\n".join(tags.get("N1", []))),
        folders=[n for n in (clean_folder_name(f) for f in tags.get("U1", [])) if n], kind=first("TY"), line=line)


def parse(text: str) -> ParsedFile:
    """The entries of an RIS file, with the lines of what it could not read."""
    out = ParsedFile("ris")
    tags: dict[str, list[str]] | None = None
    start = 0
    last: tuple[str, int] | None = None
    for number, raw in enumerate(text.lstrip("\ufeff").split("\n"), start=1):
        line = raw.rstrip()
        match = _TAG_RE.match(line)
        if match is None:
            if tags is not None and last is not None and line.strip():
                tag, index = last  # a value that goes on on the next line
                joiner = "\n" if tag == "N1" else " "
                tags[tag][index] += joiner + line.strip()
            elif line.strip():
                out.problems.append((number, f"not an RIS line: {line.strip()[:60]!r}"))
            continue
        tag, value = match.group(1), match.group(2) or ""
        if tag == "TY":
            if tags is not None:
                out.problems.append((start, "an entry has no ER line; read up to the next TY"))
                out.entries.append(_entry(tags, start))
            tags, start = {"TY": [value]}, number
        elif tag == "ER":
            if tags is None:
                out.problems.append((number, "ER without a TY before it"))
            else:
                out.entries.append(_entry(tags, start))
            tags, last = None, None
        elif tags is None:
            out.problems.append((number, f"{tag} outside an entry (no TY before it)"))
        else:
            tags.setdefault(tag, []).append(value)
            last = (tag, len(tags[tag]) - 1)
    if tags is not None:
        out.problems.append((start, "the last entry has no ER line"))
        out.entries.append(_entry(tags, start))
    return out


def _line(tag: str, value: str) -> str:
    return f"{tag}  - {value}".rstrip()


def write(items: Sequence[Citation]) -> str:
    """An RIS file of ``items`` (``TY  - JOUR`` with a journal, ``GEN`` otherwise)."""
    lines: list[str] = []
    for item, key in zip(items, assign_keys(items), strict=True):
        lines.append(_line("TY", "JOUR" if item.journal else "GEN"))
        lines.append(_line("ID", key))
        lines.append(_line("TI", " ".join(item.title.split())))
        lines += [_line("AU", " ".join(a.split())) for a in item.authors if a.strip()]
        if item.year:
            lines.append(_line("PY", str(item.year)))
        if item.journal:
            lines.append(_line("JO", " ".join(item.journal.split())))
        if item.arxiv_id:
            lines.append(_line("AN", f"arXiv:{item.arxiv_id}"))
            lines.append(_line("DB", "arXiv"))
        if item.doi:
            lines.append(_line("DO", item.doi))
        if item.url:
            lines.append(_line("UR", item.url))
        lines += [_line("N1", part) for part in item.note.split("\n")] if item.note else []
        lines += [_line("U1", folder) for folder in item.folders]
        lines += [_line("ER", ""), ""]
    return "\n".join(lines)

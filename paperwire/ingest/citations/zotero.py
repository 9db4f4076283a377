"""Zotero's CSV export ("Export Collection… → CSV") and plain lists of arXiv ids or links.

Zotero writes one row per item under a header of ~87 columns (``Key``, ``Item Type``, ``Publication
Year``, ``Author``, ``Title``, ``DOI``, ``Url``, ``Extra``, ``Notes``, ...); authors are ``Family,
Given`` joined with ``; ``. arXiv preprints carry their id in ``Archive ID``/``Number``
(``arXiv:2503.11677``), in ``Url``, in the ``DOI`` (``10.48550/arXiv.2503.11677``) or in ``Extra``.
Only the columns read here need to be present.
"""

from __future__ import annotations

import csv
import io
import re

from paperwire.ingest.citations.ids import arxiv_id, arxiv_id_in_text, clean_doi
from paperwire.models import Citation, ParsedFile
from paperwire.models.library import clean_note

HEADER_HINTS = ("Item Type", "Title")
_YEAR_RE = re.compile(r"\b(1[5-9]\d\d|2\d\d\d)\b")
_ID_COLUMNS = ("Archive ID", "Number", "Loc. in Archive", "Report Number")


def looks_like(text: str) -> bool:
    """True when the first line is a Zotero CSV header."""
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    return all(f'"{hint}"' in first or f"{hint}," in first for hint in HEADER_HINTS)


def _authors(value: str) -> list[str]:
    names = []
    for part in value.split(";"):
        family, _, given = part.partition(",")
        name = f"{given.strip()} {family.strip()}" if given.strip() else family.strip()
        if name.strip():
            names.append(" ".join(name.split()))
    return names


def parse_csv(text: str) -> ParsedFile:
    """The rows of a Zotero CSV export, each with the line it starts on."""
    out = ParsedFile("zotero-csv")
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    if not reader.fieldnames or "Title" not in reader.fieldnames:
        out.problems.append((1, "no Title column: not a Zotero CSV export"))
        return out
    start = reader.line_num + 1
    try:
        for row in reader:
            def get(name: str, row: dict[str, str | None] = row) -> str:
                value = row.get(name)
                return " ".join(value.split()) if isinstance(value, str) else ""

            doi = clean_doi(get("DOI"))
            url = get("Url") or None
            ident = (next((i for i in (arxiv_id(get(c)) for c in _ID_COLUMNS) if i), None) or arxiv_id(doi)
                     or arxiv_id(url) or arxiv_id_in_text(get("Extra")))
            year = _YEAR_RE.search(get("Publication Year") or get("Date"))
            notes = row.get("Notes")
            out.entries.append(Citation(
                title=get("Title"), authors=_authors(get("Author")), year=int(year.group(1)) if year else None,
                arxiv_id=ident, doi=doi, url=url, journal=get("Publication Title") or None, key=get("Key") or None,
                note=clean_note(notes) if isinstance(notes, str) else "", kind=get("Item Type"), line=start))
            start = reader.line_num + 1
    except csv.Error as exc:
        out.problems.append((reader.line_num, f"not valid CSV: {exc}"))
    return out


def parse_ids(text: str) -> ParsedFile:
    """A list of arXiv ids or links, one a line (blank lines and lines starting with ``#`` skipped)."""
    out = ParsedFile("arxiv-ids")
    for number, line in enumerate(text.lstrip("\ufeff").split("\n"), start=1):
        value = line.strip()
        if not value or value.startswith("#"):
            continue
        ident = arxiv_id(value)
        if ident is None:
            out.problems.append((number, f"not an arXiv id or link: {value[:80]!r}"))
        else:
            out.entries.append(Citation(arxiv_id=ident, line=number))
    return out

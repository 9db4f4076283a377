"""Citation files, read and written: BibTeX, RIS, CSL-JSON, Zotero's CSV and lists of arXiv ids.

Pure functions from text to ``Citation`` entries (``paperwire.models``) and back; nothing here
touches the store. A library import reads a file with ``parse`` and matches its entries to stored
papers; an export turns saved papers into entries with ``citation_of`` and writes them with
``write``. Reading what Paperwire wrote gives back the same arXiv ids, DOIs, authors in order,
notes and folders (titles and names are TeX, kept as ``tex.tex_value`` writes them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from paperwire.ingest.citations import bibtex, csl, ris, zotero
from paperwire.ingest.citations.csl import CslError
from paperwire.ingest.citations.tex import base_key
from paperwire.models import Citation, Paper, ParsedFile

PARSERS: dict[str, Callable[[str], ParsedFile]] = {
    "bibtex": bibtex.parse, "ris": ris.parse, "csl-json": csl.parse, "zotero-csv": zotero.parse_csv,
    "arxiv-ids": zotero.parse_ids,
}
WRITERS: dict[str, Callable[[Sequence[Citation]], str]] = {"bibtex": bibtex.write, "ris": ris.write,
                                                           "csl-json": csl.write}
MEDIA_TYPES = {"bibtex": "application/x-bibtex", "ris": "application/x-research-info-systems",
               "csl-json": "application/vnd.citationstyles.csl+json"}
EXTENSIONS = {"bibtex": "bib", "ris": "ris", "csl-json": "json"}
_BY_EXTENSION = {"bib": "bibtex", "bibtex": "bibtex", "ris": "ris", "json": "csl-json", "csl": "csl-json",
                 "csv": "zotero-csv", "txt": "arxiv-ids"}
FORMAT_NAMES = {"bibtex": "BibTeX", "ris": "RIS", "csl-json": "CSL-JSON", "zotero-csv": "Zotero CSV",
                "arxiv-ids": "arXiv ids or links"}


class CitationError(ValueError):
    """A file that cannot be read at all (wrong format, not text, not JSON): the message is for the user."""


def detect_format(text: str, filename: str = "") -> str:
    """The format of a file, from its name's extension or else its first characters."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension in _BY_EXTENSION:
        return _BY_EXTENSION[extension]
    head = text.lstrip("\ufeff \t\r\n")
    if head.startswith("@") or "\n@" in text[:5000]:
        return "bibtex"
    if head[:6].startswith(("TY  -", "TY -")):
        return "ris"
    if head[:1] in ("[", "{"):
        return "csl-json"
    if zotero.looks_like(text):
        return "zotero-csv"
    return "arxiv-ids"


def parse(text: str, fmt: str) -> ParsedFile:
    """Read a file of format ``fmt`` (one of ``PARSERS``); ``CitationError`` when it cannot be read."""
    if fmt not in PARSERS:
        raise CitationError(f"unknown format {fmt!r}; choose one of {', '.join(PARSERS)}")
    try:
        return PARSERS[fmt](text)
    except CslError as exc:
        raise CitationError(str(exc)) from None


def write(items: Sequence[Citation], fmt: str) -> str:
    """Write ``items`` as ``fmt`` (one of ``WRITERS``)."""
    if fmt not in WRITERS:
        raise CitationError(f"unknown export format {fmt!r}; choose one of {', '.join(WRITERS)}")
    return WRITERS[fmt](items)


def year_of(paper: Paper) -> int | None:
    """The year a paper is cited with: its first version's, else its submission's or announcement's."""
    first_version = paper.versions[0].created if paper.versions and paper.versions[0].created else None
    when = first_version or paper.submitted or paper.announced
    return when.year if when else None


def citation_of(paper: Paper, note: str = "", folders: Sequence[str] = ()) -> Citation:
    """The entry of a stored paper, with a member's note and folder names."""
    return Citation(title=paper.title, authors=list(paper.authors), year=year_of(paper), arxiv_id=paper.id,
                    doi=paper.doi, url=paper.abs_url, journal=paper.journal_ref, category=paper.primary_category,
                    note=note, folders=list(folders))


def bibtex_entry(paper: Paper) -> str:
    """The BibTeX entry of one paper, as its page and ``/api/v1/papers/{id}/bibtex`` show it."""
    item = citation_of(paper)
    return bibtex.entry(item, base_key(item))


__all__ = ["EXTENSIONS", "FORMAT_NAMES", "MEDIA_TYPES", "PARSERS", "WRITERS", "CitationError", "bibtex_entry",
           "citation_of", "detect_format", "parse", "write", "year_of"]

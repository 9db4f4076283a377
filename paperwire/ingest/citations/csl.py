"""CSL-JSON: the citation data of citeproc, Zotero, Pandoc and Better BibTeX (a JSON array of items).

Names are ``{"family", "given"}`` (and ``suffix``, particles) or ``{"literal"}``; the writer splits a
name only when joining the parts gives the name back exactly, else writes it ``literal``. arXiv ids
are found in ``number`` (Zotero: ``arXiv:2503.11677``), ``URL``, ``DOI``, ``archive_location`` or a
note. Paperwire writes a member's note in ``annote`` and folders in ``custom.folders`` (CSL's field
for data of the application's own).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from paperwire.ingest.citations.ids import arxiv_id, arxiv_id_in_text, clean_doi
from paperwire.ingest.citations.tex import assign_keys, surname
from paperwire.models import Citation, ParsedFile
from paperwire.models.library import clean_folder_name, clean_note

_YEAR_RE = re.compile(r"\b(1[5-9]\d\d|2\d\d\d)\b")


class CslError(ValueError):
    """A file that is not CSL-JSON at all (the message says where)."""


def _text(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else str(value) if isinstance(value, int) else ""


def _name(person: Any) -> str:
    if isinstance(person, str):
        return " ".join(person.split())
    if not isinstance(person, dict):
        return ""
    if person.get("literal"):
        return _text(person["literal"])
    parts = [person.get("given"), person.get("dropping-particle"), person.get("non-dropping-particle"),
             person.get("family"), person.get("suffix")]
    return " ".join(_text(p) for p in parts if _text(p))


def _year(item: dict[str, Any]) -> int | None:
    issued = item.get("issued")
    if isinstance(issued, dict):
        parts = issued.get("date-parts")
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
            try:
                return int(parts[0][0])
            except (TypeError, ValueError):
                pass
        match = _YEAR_RE.search(_text(issued.get("raw")) or _text(issued.get("literal")))
        return int(match.group(1)) if match else None
    match = _YEAR_RE.search(_text(issued))
    return int(match.group(1)) if match else None


def _citation(item: dict[str, Any], line: int) -> Citation:
    doi = clean_doi(_text(item.get("DOI")))
    url = _text(item.get("URL")) or None
    ident = (arxiv_id(_text(item.get("number"))) or arxiv_id(_text(item.get("archive_location")))
             or arxiv_id(doi) or arxiv_id(url) or arxiv_id_in_text(_text(item.get("note"))))
    custom = item.get("custom")
    folders = custom.get("folders") if isinstance(custom, dict) else None
    authors = item.get("author")
    return Citation(
        title=_text(item.get("title")), authors=[n for n in map(_name, authors) if n] if isinstance(authors, list)
        else [], year=_year(item), arxiv_id=ident, doi=doi, url=url,
        journal=_text(item.get("container-title")) or None, key=_text(item.get("id")) or None,
        note=clean_note(item["annote"]) if isinstance(item.get("annote"), str) else "",
        folders=[n for n in (clean_folder_name(f) for f in folders if isinstance(f, str)) if n]
        if isinstance(folders, list) else [], kind=_text(item.get("type")), line=line)


def parse(text: str) -> ParsedFile:
    """The items of a CSL-JSON file (an array, or one item), each with the line it starts on.

    Raises ``CslError`` when the file is not JSON or not an array of objects."""
    out = ParsedFile("csl-json")
    decoder = json.JSONDecoder()
    body = text.lstrip("\ufeff")
    pos = len(body) - len(body.lstrip())
    if body[pos : pos + 1] == "{":
        body, pos = f"[{body}]", pos + 1
    if body[pos : pos + 1] != "[":
        raise CslError("not CSL-JSON: it should start with [")
    pos += 1
    while True:
        pos += len(body[pos:]) - len(body[pos:].lstrip())
        if body[pos : pos + 1] == "]":
            return out
        line = body.count("\n", 0, pos) + 1
        try:
            item, pos = decoder.raw_decode(body, pos)
        except json.JSONDecodeError as exc:
            raise CslError(f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
        if isinstance(item, dict):
            out.entries.append(_citation(item, line))
        else:
            out.problems.append((line, "an item that is not an object"))
        pos += len(body[pos:]) - len(body[pos:].lstrip())
        if body[pos : pos + 1] == ",":
            pos += 1
        elif body[pos : pos + 1] != "]":
            raise CslError(f"not valid JSON at line {body.count(chr(10), 0, pos) + 1}: expected , or ]")


def _person(name: str) -> dict[str, str]:
    """``{"family", "given"}`` when they give ``name`` back exactly, else ``{"literal": name}``."""
    family = surname(name)
    if "," not in name and family and name.endswith(" " + family):
        given = name[: -len(family) - 1]
        if given and " ".join(given.split()) == given:
            return {"family": family, "given": given}
    return {"literal": name}


def write(items: Sequence[Citation]) -> str:
    """A CSL-JSON array of ``items`` (type ``article``, CSL's type for preprints, or
    ``article-journal`` with a journal)."""
    out: list[dict[str, Any]] = []
    for item, key in zip(items, assign_keys(items), strict=True):
        data: dict[str, Any] = {"id": key, "type": "article-journal" if item.journal else "article",
                                "title": item.title,
                                "author": [_person(" ".join(a.split())) for a in item.authors if a.strip()]}
        if item.year:
            data["issued"] = {"date-parts": [[item.year]]}
        if item.journal:
            data["container-title"] = item.journal
        if item.arxiv_id:
            data.update(publisher="arXiv", number=f"arXiv:{item.arxiv_id}")
        if item.doi:
            data["DOI"] = item.doi
        if item.url:
            data["URL"] = item.url
        if item.note:
            data["annote"] = item.note
        if item.folders:
            data["custom"] = {"folders": list(item.folders)}
        out.append(data)
    return json.dumps(out, ensure_ascii=False, indent=2) + "\n"

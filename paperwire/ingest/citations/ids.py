"""arXiv ids and DOIs in the fields of citation files: pure functions.

Reference managers put an arXiv paper's id in many places: ``eprint = {2503.11677}`` with
``archivePrefix = {arXiv}``, an ``arxiv`` field, a URL (``/abs/``, ``/pdf/`` with ``.pdf``, a
version), the DOI arXiv registers for every paper (``10.48550/arXiv.2503.11677``), or a note such as
Zotero's ``arXiv:2503.11677 [cs]``. These functions find it in each, without a version.
"""

from __future__ import annotations

import re

from paperwire.models import is_arxiv_id, split_version

_ID = r"(\d{4}\.\d{4,5}|[a-z][a-z\-]+(?:\.[A-Z]{2})?/\d{7})(v\d+)?"
_BARE_RE = re.compile(r"^(?:arxiv:\s*)?" + _ID + r"$", re.IGNORECASE)
_URL_RE = re.compile(r"(?:arxiv\.org|alphaxiv\.org|huggingface\.co/papers)/(?:(?:abs|pdf|html|format)/)?" + _ID
                     + r"(?![\d.])", re.IGNORECASE)
_ARXIV_DOI_RE = re.compile(r"10\.48550/arxiv\." + _ID + r"(?![\d.])", re.IGNORECASE)
_PREFIXED_RE = re.compile(r"\barxiv:\s*" + _ID + r"(?![\d.])", re.IGNORECASE)
_DOI_RE = re.compile(r"\b(10\.\d+(?:\.\d+)*/\S+)", re.IGNORECASE)


def _bare(raw: str) -> str | None:
    # old-style ids keep their archive's case (math.GT); new-style have none
    pid = raw if "/" in raw else raw.lower()
    bare, _ = split_version(pid)
    return bare if is_arxiv_id(bare) else None


def arxiv_id(value: str | None) -> str | None:
    """The arXiv id that ``value`` is (``2503.11677v2``, ``arXiv:2503.11677``, ``hep-th/9901001``) or
    points to (an arXiv URL, arXiv's DOI); None otherwise."""
    if not value:
        return None
    text = value.strip()
    match = _BARE_RE.match(text) or _ARXIV_DOI_RE.search(text) or _URL_RE.search(text)
    return _bare(match.group(1)) if match else None


def arxiv_id_in_text(value: str | None) -> str | None:
    """An arXiv id written in free text with its prefix (``arXiv:2503.11677 [cs]``), or an arXiv URL or
    DOI in it; None otherwise (a bare number in a note is not taken for an id)."""
    if not value:
        return None
    match = _PREFIXED_RE.search(value) or _ARXIV_DOI_RE.search(value) or _URL_RE.search(value)
    return _bare(match.group(1)) if match else None


def clean_doi(value: str | None) -> str | None:
    """A DOI without its resolver (``https://doi.org/10.1/X`` -> ``10.1/X``); None
    when ``value`` has none (DOIs are case-insensitive: compare them folded)."""
    if not value:
        return None
    match = _DOI_RE.search(value.replace("\\_", "_"))
    return match.group(1).rstrip(".,;") if match else None

"""DERIVED OAI-PMH pages, made at test time: real papers from the shared sample, chained by tokens.

The recorded arXiv-format ListRecords pages hold 2–3 records and no
resumption token, and the one real page with a token (oai_dc) is a single
page. Multi-page harvests (resume after a kill, incremental runs) need
longer chains, so these pages are rendered here, in arXiv's ``arXiv`` or
``oai_dc`` layout as the real pages show it, from the metadata of papers
in ``../shared/data/arxiv/sample-2k.jsonl.gz``. Tokens are ``derived|N``
(N: the cursor); the last page has an empty ``resumptionToken`` element,
as OAI-PMH 2.0 prescribes for the end of a list. Nothing is written to
the repository.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Sequence
from functools import cache
from typing import Any
from xml.sax.saxutils import escape

from tests.helpers.paths import SAMPLE

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n<responseDate>2025-03-20T10:00:00Z</responseDate>\n'
        '<request verb="ListRecords">http://export.arxiv.org/oai2</request>\n<ListRecords>\n')


@cache
def sample_records(n: int = 200) -> tuple[dict[str, Any], ...]:
    """The first ``n`` papers of the shared sample (real metadata)."""
    out = []
    with gzip.open(SAMPLE, "rt") as fh:
        for line in fh:
            out.append(json.loads(line))
            if len(out) == n:
                break
    return tuple(out)


def _arxiv_record(p: dict[str, Any], stamp: str) -> str:
    authors = []
    for name in p["authors"]:
        *first, last = name.split()
        forenames = f"<forenames>{escape(' '.join(first))}</forenames>" if first else ""
        authors.append(f"<author><keyname>{escape(last)}</keyname>{forenames}</author>")
    comment = f"<comments>{escape(p['comment'])}</comments>" if p.get("comment") else ""
    return (f"<record>\n<header>\n <identifier>oai:arXiv.org:{p['id']}</identifier>\n <datestamp>{stamp}</datestamp>\n"
            f" <setSpec>cs</setSpec>\n</header>\n<metadata>\n <arXiv xmlns=\"http://arxiv.org/OAI/arXiv/\">\n"
            f" <id>{p['id']}</id><created>{p['announced']}</created><authors>{''.join(authors)}</authors>"
            f"<title>{escape(p['title'])}</title><categories>{' '.join(p['categories'])}</categories>{comment}"
            f"<license>http://arxiv.org/licenses/nonexclusive-distrib/1.0/</license>"
            f"<abstract>{escape(p['abstract'])}</abstract></arXiv>\n</metadata>\n</record>\n")


def _dc_record(p: dict[str, Any], stamp: str) -> str:
    creators = "".join(f"<dc:creator>{escape(' '.join(reversed(n.rsplit(' ', 1))).replace(' ', ', ', 1))}"
                       f"</dc:creator>" for n in p["authors"])
    return (f"<record>\n<header>\n<identifier>oai:arXiv.org:{p['id']}</identifier>\n<datestamp>{stamp}</datestamp>\n"
            f"<setSpec>cs</setSpec>\n</header>\n<metadata>\n<oai_dc:dc xmlns:oai_dc=\"http://www.openarchives.org/OAI/2.0/"
            f"oai_dc/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n<dc:title>{escape(p['title'])}</dc:title>\n"
            f"{creators}\n<dc:subject>Computer Science - Machine Learning</dc:subject>\n"
            f"<dc:description>{escape(p['abstract'])}</dc:description>\n<dc:date>{p['announced']}</dc:date>\n"
            f"<dc:type>text</dc:type>\n<dc:identifier>http://arxiv.org/abs/{p['id']}</dc:identifier>\n"
            f"</oai_dc:dc>\n</metadata>\n</record>\n")


def token(page: int, per_page: int) -> str:
    """The token that asks for page ``page`` (0-based)."""
    return f"derived|{page * per_page}"


def pages(n_pages: int, per_page: int, fmt: str = "arXiv", offset: int = 0,
          stamp: str | None = None) -> list[tuple[list[str], bytes]]:
    """``(arXiv ids, page bytes)`` for a chain of ``n_pages`` pages of ``per_page`` records each."""
    records = sample_records(offset + n_pages * per_page)[offset:]
    total = n_pages * per_page
    out = []
    for i in range(n_pages):
        chunk = records[i * per_page : (i + 1) * per_page]
        nxt = token(i + 1, per_page) if i + 1 < n_pages else ""
        out.append(([p["id"] for p in chunk], render_page(chunk, i * per_page, total, nxt, fmt, stamp)))
    return out


def render_page(records: Sequence[dict[str, Any]], cursor: int, total: int, next_token: str, fmt: str = "arXiv",
                stamp: str | None = None) -> bytes:
    """One ListRecords page of ``records`` (the sample's fields: id, title, authors, categories, ...), with
    ``next_token`` in its resumption token ("" on the last page)."""
    render = _arxiv_record if fmt == "arXiv" else _dc_record
    body = "".join(render(p, stamp or p["announced"]) for p in records)
    body += f'<resumptionToken cursor="{cursor}" completeListSize="{total}">{next_token}</resumptionToken>\n'
    return (HEAD + body + "</ListRecords>\n</OAI-PMH>\n").encode()

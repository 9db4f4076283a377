"""Papers with Code's ``links-between-papers-and-code.json`` (plain or .gz): paper → repository links.

The file is one JSON array of objects such as::

    {"paper_url": "https://paperswithcode.com/paper/attention-is-all-you-need",
     "paper_title": "Attention Is All You Need", "paper_arxiv_id": "1706.03762",
     "paper_url_abs": "https://arxiv.org/abs/1706.03762v5", "paper_url_pdf": "...",
     "repo_url": "https://github.com/tensorflow/tensor2tensor", "is_official": true,
     "mentioned_in_paper": false, "mentioned_in_github": true, "framework": "tf"}

It is large (hundreds of thousands of links), so it is read as a stream,
one element at a time, and written in batches. Links to papers without an
arXiv id or to hosts other than GitHub are counted and skipped. Importing
the same file twice adds nothing.
"""

from __future__ import annotations

import gzip
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from paperwire.ingest.codelinks import github_url, parse_repo
from paperwire.ingest.records import RecordError, arxiv_id
from paperwire.ingest.report import HarvestReport
from paperwire.models import CodeLink, SourceBatch
from paperwire.store import Store

log = logging.getLogger(__name__)

CHUNK_CHARS = 1 << 20
_WS = " \t\r\n"


class PwcError(ValueError):
    """A file that is not a JSON array of objects; the message says where it went wrong."""


def iter_json_array(stream: IO[str], chunk: int = CHUNK_CHARS) -> Iterator[dict[str, Any]]:
    """The objects of a top-level JSON array, read incrementally (memory ~ one chunk)."""
    decoder = json.JSONDecoder()
    buf, pos, eof, count = "", 0, False, 0

    def more() -> bool:
        nonlocal buf, pos, eof
        data = stream.read(chunk)
        buf, pos, eof = buf[pos:] + data, 0, not data
        return bool(data)

    def skip(chars: str) -> None:
        nonlocal pos
        while True:
            while pos < len(buf) and buf[pos] in chars:
                pos += 1
            if pos < len(buf) or not more():
                return

    skip(_WS)
    if pos >= len(buf) or buf[pos] != "[":
        raise PwcError("not a JSON array (the file must start with '[')")
    pos += 1
    while True:
        skip(_WS)
        if pos < len(buf) and buf[pos] == "]":
            return
        if count:
            if pos >= len(buf) or buf[pos] != ",":
                raise PwcError(f"after element {count}: expected ',' or ']'" + (" (file truncated)" if eof else ""))
            pos += 1
            skip(_WS)
        while True:
            try:
                # only objects are accepted: a cut-off object never parses, a cut-off number would
                if pos < len(buf) and buf[pos] != "{":
                    raise PwcError(f"element {count + 1} is not a JSON object")
                obj, end = decoder.raw_decode(buf, pos)
                break
            except RecursionError:  # nested deeper than the decoder's stack: no real record is
                raise PwcError(f"element {count + 1}: nested too deeply") from None
            except json.JSONDecodeError as exc:
                if not more():
                    raise PwcError(f"element {count + 1}: invalid or truncated JSON ({exc.msg})") from None
        pos = end
        count += 1
        yield obj


def _open(path: Path) -> IO[str]:
    with open(path, "rb") as raw:
        gz = raw.read(2) == b"\x1f\x8b"  # by content, not by name, as the bulk import does
    return gzip.open(path, "rt", encoding="utf-8") if gz else open(path, encoding="utf-8")


def link_of(obj: dict[str, Any]) -> CodeLink | None:
    """The code link one PwC record describes, or None when it has no arXiv id or no GitHub repository."""
    raw = obj.get("paper_arxiv_id")
    if not raw and isinstance(obj.get("paper_url_abs"), str) and "arxiv.org/abs/" in obj["paper_url_abs"]:
        raw = obj["paper_url_abs"].rsplit("/abs/", 1)[1]
    repo_url = obj.get("repo_url")
    if not raw or not isinstance(repo_url, str):
        return None
    try:
        pid, _ = arxiv_id({"id": raw})
    except RecordError:
        return None
    repo = parse_repo(repo_url)
    return CodeLink(pid, repo[0], github_url(repo[1]), "pwc") if repo else None


def import_links(store: Store, path: Path, report: HarvestReport, batch_size: int = 5000) -> None:
    """Stream the file into code links, one transaction per ``batch_size`` links."""
    started = time.perf_counter()
    batch: list[CodeLink] = []
    seen = 0
    with _open(path) as stream:
        for obj in iter_json_array(stream):
            seen += 1
            link = link_of(obj)
            if link is None:
                report.skipped += 1
                continue
            batch.append(link)
            if len(batch) >= batch_size:
                report.add(store.papers.save_batch(SourceBatch(links=batch)))
                report.pages += 1
                batch = []
    if batch:
        report.add(store.papers.save_batch(SourceBatch(links=batch)))
        report.pages += 1
    report.seconds = time.perf_counter() - started
    report.notes.append(f"{seen} records read, {report.skipped} without an arXiv id or a GitHub repository")
    log.info("pwc: %s", report.notes[-1])

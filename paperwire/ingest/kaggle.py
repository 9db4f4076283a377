"""The Kaggle ``arxiv-metadata-oai-snapshot.json`` bulk format.

One JSON object per line with arXiv's OAI metadata: ``authors`` as one
string and ``authors_parsed`` as ``[last, first, suffix]`` triples,
``categories`` space-separated, ``versions`` with RFC 2822 ``created``
times, ``update_date``. The format has no announcement date; it is
estimated from the first version's time (``estimate_announced``).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from paperwire.ingest.records import (
    MAX_TEXT,
    MAX_TITLE,
    RecordError,
    abstract_field,
    arxiv_id,
    category_list,
    date_field,
    looks_withdrawn,
    name_list,
    storable_instant,
    text_field,
    url_field,
)
from paperwire.models import Paper, Version


def _next_weekday(day: date) -> date:
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def estimate_announced(created: datetime) -> date | None:
    """arXiv's schedule, approximately: a submission joins the batch of its
    weekday (or the next weekday after the 14:00 US-Eastern cut-off, taken
    as 18:00 UTC, or on a weekend), and that batch is listed the following
    weekday. An estimate within a day of arXiv's real dates; None in the
    last week of year 9999, where the days after it do not exist."""
    batch = created.date()
    if batch > date.max - timedelta(days=7):
        return None
    if created.hour >= 18 or batch.weekday() >= 5:
        batch = _next_weekday(batch)
    return _next_weekday(batch)


def _authors(obj: dict[str, Any]) -> list[str]:
    parsed = obj.get("authors_parsed")
    if parsed is not None:
        if not isinstance(parsed, list) or not all(isinstance(p, list) for p in parsed):
            raise RecordError("'authors_parsed' must be a list of [last, first, suffix] lists")
        names = []
        for parts in parsed:
            if not all(isinstance(p, str) for p in parts):
                raise RecordError("'authors_parsed' entries must be strings")
            last, first, suffix = [*parts, "", "", ""][:3]
            names.append(" ".join(p for p in (first, last, suffix) if p.strip()))
        return name_list(names)
    raw = obj.get("authors")
    if raw is None:
        return []
    if not isinstance(raw, str):
        raise RecordError("'authors' must be a string in this format")
    return name_list([a for a in re.split(r",\s*|\s+and\s+", raw) if a.strip()])


def _versions(obj: dict[str, Any]) -> list[Version]:
    raw = obj.get("versions") or []
    if not isinstance(raw, list):
        raise RecordError("'versions' must be a list")
    versions = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("version"), str):
            raise RecordError("'versions' entries must be objects with a 'version' string")
        match = re.fullmatch(r"v(\d{1,3})", item["version"].strip())
        if not match:
            raise RecordError(f"bad version {item['version'][:10]!r}")
        created = None
        if isinstance(item.get("created"), str):
            try:
                created = storable_instant(parsedate_to_datetime(item["created"]))
            except (TypeError, ValueError):
                raise RecordError(f"bad version date {item['created'][:40]!r}") from None
        versions.append(Version(int(match.group(1)), created))
    return sorted(versions, key=lambda v: v.version)


def parse_kaggle(obj: dict[str, Any]) -> Paper:
    """One Kaggle snapshot record as a Paper."""
    pid, _ = arxiv_id(obj)
    versions = _versions(obj)
    first = versions[0].created if versions else None
    comment = text_field(obj, "comments", MAX_TEXT)
    abstract = abstract_field(obj, "abstract")
    updated_day = date_field(obj, "update_date")
    last = versions[-1].created if versions else None
    categories, classes = category_list(obj.get("categories"))
    return Paper(
        id=pid,
        title=text_field(obj, "title", MAX_TITLE, required=True) or "",
        abstract=abstract,
        authors=_authors(obj),
        categories=categories,
        classes=classes,
        comment=comment,
        journal_ref=text_field(obj, "journal-ref", MAX_TEXT),
        doi=text_field(obj, "doi", MAX_TEXT),
        license=url_field(obj, "license"),
        report_no=text_field(obj, "report-no", MAX_TEXT),
        announced=estimate_announced(first) if first else None,
        submitted=first,
        updated=last or (datetime(updated_day.year, updated_day.month, updated_day.day) if updated_day else None),
        version=versions[-1].version if versions else 0,
        versions=versions,
        withdrawn=looks_withdrawn(comment, abstract),
        source="kaggle",
    )


def looks_like_kaggle(obj: dict[str, Any]) -> bool:
    """True for a record of the Kaggle snapshot rather than the Paperwire format."""
    return "authors_parsed" in obj or "update_date" in obj or "versions" in obj

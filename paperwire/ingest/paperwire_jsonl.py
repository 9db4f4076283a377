"""The Paperwire JSON-lines format (docs/formats.md): one paper per line.

Required: ``id`` (arXiv id, optional ``vN`` suffix) and ``title``. Optional:
``abstract``, ``authors`` (list), ``categories`` (list, primary first),
``comment``, ``announced`` (YYYY-MM-DD), ``journal_ref``, ``doi``,
``license``, ``report_no``, ``version``, ``submitted``/``updated``
(ISO instants), ``withdrawn``. Unknown keys are ignored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from paperwire.ingest.records import (
    MAX_TEXT,
    MAX_TITLE,
    RecordError,
    abstract_field,
    arxiv_id,
    category_list,
    date_field,
    name_list,
    storable_instant,
    text_field,
    url_field,
)
from paperwire.models import Paper


def _instant(obj: dict[str, Any], key: str) -> datetime | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(f"{key!r} must be an ISO date-time string")
    try:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise RecordError(f"{key!r} is not an ISO date-time: {value[:30]!r}") from None
    return storable_instant(instant, repr(key))


def parse_paperwire(obj: dict[str, Any]) -> Paper:
    """One Paperwire JSON object as a Paper."""
    pid, suffix_version = arxiv_id(obj)
    version = obj.get("version", suffix_version)
    if not isinstance(version, int) or isinstance(version, bool) or not 0 <= version < 1000:
        raise RecordError("'version' must be a whole number")
    withdrawn = obj.get("withdrawn", False)
    if not isinstance(withdrawn, bool):
        raise RecordError("'withdrawn' must be true or false")
    categories, classes = category_list(obj.get("categories"))
    return Paper(
        id=pid,
        title=text_field(obj, "title", MAX_TITLE, required=True) or "",
        abstract=abstract_field(obj, "abstract"),
        authors=name_list(obj.get("authors")),
        categories=categories,
        classes=classes,
        comment=text_field(obj, "comment", MAX_TEXT),
        journal_ref=text_field(obj, "journal_ref", MAX_TEXT),
        doi=text_field(obj, "doi", MAX_TEXT),
        license=url_field(obj, "license"),
        report_no=text_field(obj, "report_no", MAX_TEXT),
        announced=date_field(obj, "announced"),
        submitted=_instant(obj, "submitted"),
        updated=_instant(obj, "updated"),
        version=version,
        withdrawn=withdrawn,
        source="paperwire-jsonl",
    )

"""Papers in the shape of Hugging Face's papers API, so ``huggingface_hub`` reads us unchanged.

Field names and formats follow HF's published responses (recorded ones are
in ``shared/data/fixtures/hf-papers``): ``paper.id``, ``authors[].name``,
``publishedAt`` as ``2026-07-13T00:00:00.000Z``, ``summary``, ``upvotes``,
``githubRepo``, ``githubStars``. ``upvotes`` are the paper's Hugging Face
upvotes plus this site's (``paperwire.web.paper_signals``), ``githubRepo`` its own
repository and ``githubStars`` its latest count. Values we do not have are
either the truth we know (no repository: ``null``) or left out where HF leaves
them out too (submitter, thumbnails, discussion ids). ``numComments`` is the
number of comments anyone can read in the paper's discussion here; like HF we
put it on listing items (``huggingface_hub`` reads it as ``PaperInfo.comments``),
not in the paper object.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from paperwire.models import Paper
from paperwire.web.paper_signals import NOTHING_KNOWN, PaperSignals

SORTS = ("publishedAt", "trending")


def hf_time(value: date | datetime) -> str:
    """HF's timestamp format: UTC with milliseconds and a ``Z``."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0), tzinfo=UTC)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def published(paper: Paper) -> date | datetime | None:
    """When the paper first appeared: its first version, else its submission, else its announcement."""
    if paper.versions and paper.versions[0].created:
        return paper.versions[0].created
    return paper.submitted or paper.announced


def hf_paper(paper: Paper, signals: PaperSignals = NOTHING_KNOWN) -> dict[str, Any]:
    """The paper object (what ``/api/papers/{id}`` returns, and ``paper`` in listings), with the
    upvotes, GitHub repository and stars of ``signals``."""
    when = published(paper)
    body: dict[str, Any] = {
        "id": paper.id,
        "authors": [{"name": name, "hidden": False} for name in paper.authors],
        "title": paper.title,
        "summary": paper.abstract,
        "upvotes": signals.upvotes,
        "githubRepo": signals.github_repo,
        "githubStars": signals.github_stars,
    }
    if when is not None:
        body["publishedAt"] = hf_time(when)
    if paper.announced is not None:
        body["submittedOnDailyAt"] = hf_time(paper.announced)
    return body


def hf_daily_item(paper: Paper, signals: PaperSignals = NOTHING_KNOWN) -> dict[str, Any]:
    """One item of ``/api/daily_papers`` and ``/api/papers/search``: the paper plus listing fields."""
    item: dict[str, Any] = {"paper": hf_paper(paper, signals), "title": paper.title, "summary": paper.abstract,
                            "numComments": signals.comments, "isAuthorParticipating": False}
    if paper.announced is not None:  # when it joined the daily listing
        item["publishedAt"] = hf_time(paper.announced)
    return item

"""Hugging Face daily papers (``/api/daily_papers?date=YYYY-MM-DD``): upvotes, code and project links.

Each item names an arXiv paper by id. Recorded per paper and daily list:
upvotes (and a snapshot each fetch, for velocity), comments, the GitHub
repository and HF's star count for it, the project page, HF's AI summary
and keywords, and when the paper entered the list. A paper missing from
the store is fetched from the arXiv query API, or else added from HF's own
metadata (version 0, so arXiv's record replaces it when it comes).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import orjson

from paperwire.ingest.arxiv_api import fetch_ids
from paperwire.ingest.arxiv_oai import finish_papers
from paperwire.ingest.codelinks import github_url, links_in_papers, parse_repo
from paperwire.ingest.http import HttpClient, HttpError, safe_url
from paperwire.ingest.records import (
    MAX_COUNT,
    RecordError,
    abstract_field,
    arxiv_id,
    clean_space,
    http_url,
    name_list,
    storable_instant,
    text_field,
)
from paperwire.ingest.report import HarvestReport
from paperwire.models import CodeLink, HFDailyEntry, Paper, SourceBatch
from paperwire.store import Store

log = logging.getLogger(__name__)


class HFError(RuntimeError):
    """A daily papers answer that could not be read."""


@dataclass
class DailyList:
    """One parsed daily list: entries, HF's own paper metadata, and code links."""

    day: date
    entries: list[HFDailyEntry] = field(default_factory=list)
    papers: dict[str, Paper] = field(default_factory=dict)
    links: list[CodeLink] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return storable_instant(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        raise RecordError(f"bad date {value[:30]!r}") from None


def _int(value: Any, name: str, required: bool = False) -> int | None:
    if value is None and not required:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_COUNT:
        raise RecordError(f"{name!r} must be a whole number, got {str(value)[:20]!r}")
    return value


def parse_item(item: Any, day: date) -> tuple[HFDailyEntry, Paper]:
    """One daily-papers item as an entry and a fallback Paper; ``RecordError`` when unusable."""
    if not isinstance(item, dict) or not isinstance(item.get("paper"), dict):
        raise RecordError("item has no 'paper' object")
    paper: dict[str, Any] = item["paper"]
    pid, _ = arxiv_id(paper)
    keywords = paper.get("ai_keywords") or []
    if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
        raise RecordError("'ai_keywords' must be a list of strings")
    title = text_field(paper, "title", 1_000) or text_field(item, "title", 1_000) or ""
    entry = HFDailyEntry(
        paper_id=pid,
        daily_date=day,
        upvotes=_int(paper.get("upvotes", 0), "upvotes", required=True) or 0,
        title=title,
        num_comments=_int(item.get("numComments"), "numComments"),
        github_repo=http_url(paper.get("githubRepo")),
        github_stars=_int(paper.get("githubStars"), "githubStars"),
        project_page=http_url(paper.get("projectPage")),
        ai_summary=text_field(paper, "ai_summary", 5_000),
        ai_keywords=[k for k in (clean_space(k) for k in keywords) if k],
        # older answers lack submittedOnDailyAt; the item's publishedAt is when it was posted
        submitted_on_daily=_instant(paper.get("submittedOnDailyAt")) or _instant(item.get("publishedAt")),
        published_at=_instant(paper.get("publishedAt")),
    )
    authors = paper.get("authors") or []
    if not isinstance(authors, list):
        raise RecordError("'authors' must be a list of objects")
    names = [a.get("name") for a in authors if isinstance(a, dict) and isinstance(a.get("name"), str)]
    fallback = Paper(id=pid, title=title or pid, abstract=abstract_field(paper, "summary"),
                     authors=name_list(names), submitted=entry.published_at, source="hf")
    return entry, fallback


def parse_daily(data: bytes, day: date) -> DailyList:
    """A ``/api/daily_papers`` answer; ``HFError`` when it is not a JSON list."""
    try:
        items = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise HFError(f"daily papers of {day} are not valid JSON: {exc}") from None
    if not isinstance(items, list):
        raise HFError(f"daily papers of {day}: expected a JSON list, got {type(items).__name__}")
    daily = DailyList(day)
    for n, item in enumerate(items):
        try:
            entry, paper = parse_item(item, day)
        except RecordError as exc:
            daily.rejected.append(f"item {n}: {exc}")
            continue
        daily.entries.append(entry)
        daily.papers[entry.paper_id] = paper
        repo = parse_repo(entry.github_repo) if entry.github_repo else None
        if repo:
            daily.links.append(CodeLink(entry.paper_id, repo[0], github_url(repo[1]), "hf"))
    return daily


def fetch_daily(client: HttpClient, base_url: str, day: date) -> DailyList:
    """GET one day's list and parse it."""
    response = client.get(f"{base_url.rstrip('/')}/api/daily_papers", {"date": day.isoformat()})
    if response.status != 200:
        raise HFError(f"{day}: {safe_url(response.url)} answered HTTP {response.status}: {response.text_snippet()}")
    return parse_daily(response.content, day)


def _missing_papers(store: Store, daily: DailyList, api: tuple[HttpClient, str, int] | None) -> list[Paper]:
    """Papers of the list not in the store: from the arXiv API when possible, else HF's metadata."""
    missing = sorted(set(daily.papers) - set(store.papers.get_papers(list(daily.papers))))
    if not missing:
        return []
    found: dict[str, Paper] = {}
    if api is not None:
        client, url, batch = api
        try:
            for papers in fetch_ids(client, url, missing, batch):
                found.update((p.id, p) for p in papers if p.id in daily.papers)
        except (HttpError, RuntimeError, ValueError) as exc:
            log.warning("%s: arXiv API lookup of %d papers failed (%s); using Hugging Face's metadata",
                        daily.day, len(missing), exc)
    return [found.get(pid) or daily.papers[pid] for pid in missing]


def harvest_days(store: Store, client: HttpClient, base_url: str, days: Sequence[date], report: HarvestReport,
                 api: tuple[HttpClient, str, int] | None = None) -> None:
    """Fetch and store each day's list, one transaction per day; a failed day is reported and skipped."""
    for day in days:
        try:
            daily = fetch_daily(client, base_url, day)
        except (HFError, HttpError) as exc:
            report.errors.append(str(exc))
            log.error("harvest hf: %s", exc)
            continue
        finally:
            report.requests = client.requests + (api[0].requests if api else 0)
        for reason in daily.rejected:
            log.warning("hf %s: rejected %s", day, reason)
        report.rejected += len(daily.rejected)
        papers = finish_papers(store, _missing_papers(store, daily, api))
        report.requests = client.requests + (api[0].requests if api else 0)
        batch = SourceBatch(papers, daily.links + links_in_papers(papers), daily.entries,
                            state={"harvest.hf.last_day": day.isoformat()})
        report.add(store.papers.save_batch(batch))
        report.pages += 1
        log.info("hf %s: %d papers (%d added to the store)", day, len(daily.entries), len(papers))

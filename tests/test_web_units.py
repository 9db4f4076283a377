"""Pure pieces of the website: periods, pages of results, excerpts, HF shapes, taxonomy (BibTeX: test_citations)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from paperwire.models import Paper, Version
from paperwire.taxonomy import category, category_name
from paperwire.web.hf import hf_daily_item, hf_paper, hf_time
from paperwire.web.paging import page_numbers, page_url, pager
from paperwire.web.paper_signals import PaperSignals
from paperwire.web.periods import PeriodError, containing, parse_period, span_label, window
from paperwire.web.templating import author_search, excerpt, tex_text


@pytest.mark.parametrize(("kind", "text", "start", "end"), [
    ("day", "2025-03-18", date(2025, 3, 18), date(2025, 3, 18)),
    ("week", "2026-W20", date(2026, 5, 11), date(2026, 5, 17)),
    ("week", "2026-W01", date(2025, 12, 29), date(2026, 1, 4)),  # ISO week 1 starts in December
    ("week", "2020-W53", date(2020, 12, 28), date(2021, 1, 3)),
    ("month", "2026-02", date(2026, 2, 1), date(2026, 2, 28)),
    ("month", "2024-02", date(2024, 2, 1), date(2024, 2, 29)),
    ("month", "2025-12", date(2025, 12, 1), date(2025, 12, 31)),
])
def test_periods_parse_and_round_trip(kind: str, text: str, start: date, end: date) -> None:
    period = parse_period(kind, text)  # type: ignore[arg-type]
    assert (period.start, period.end, period.key) == (start, end, text)
    assert containing(period.kind, end) == period


@pytest.mark.parametrize(("kind", "text"), [
    ("week", "2026-W54"), ("week", "2025-W53"), ("week", "2026-20"), ("week", "2026-W5"), ("month", "2026-13"),
    ("month", "2026-5"), ("month", "May"), ("day", "2026-02-30"), ("day", "20260514"), ("day", ""),
])
def test_bad_periods_say_what_to_type(kind: str, text: str) -> None:
    with pytest.raises(PeriodError) as err:
        parse_period(kind, text)  # type: ignore[arg-type]
    assert kind in str(err.value)


def test_period_labels_and_paths() -> None:
    week = parse_period("week", "2026-W20")
    assert (week.label, week.short_label, week.span, week.path) == (
        "Week 20 of 2026", "Week 20, 2026", "11–17 May 2026", "/week/2026-W20")
    assert parse_period("day", "2025-03-18").label == "Tuesday 18 March 2025"
    assert parse_period("month", "2026-05").path == "/month/2026-05"
    assert span_label(date(2026, 4, 27), date(2026, 5, 3)) == "27 April – 3 May 2026"
    assert span_label(date(2025, 12, 29), date(2026, 1, 4)) == "29 December 2025 – 4 January 2026"


def test_trending_windows_end_on_the_newest_day() -> None:
    latest = date(2026, 7, 1)
    assert window("day", latest) == (latest, latest)
    assert window("week", latest) == (date(2026, 6, 25), latest)
    assert window("month", latest) == (date(2026, 6, 2), latest)


def test_page_numbers_keep_first_last_and_neighbours() -> None:
    assert page_numbers(1, 5) == [1, 2, 3, 4, 5]
    assert page_numbers(6, 40) == [1, None, 4, 5, 6, 7, 8, None, 40]
    assert page_numbers(1, 40) == [1, 2, 3, None, 40]
    assert page_numbers(40, 40) == [1, None, 38, 39, 40]
    assert page_url("/search", {"q": "a b", "cat": ["cs.CL", "cs.LG"], "code": "", "page": 3}, 1) == \
        "/search?q=a+b&cat=cs.CL&cat=cs.LG"
    assert page_url("/c/cs.CL", {}, 2) == "/c/cs.CL?page=2"
    p = pager("/x", {}, 3, 500, max_page=400)
    assert p.pages == 400 and p.prev_url == "/x?page=2" and p.next_url == "/x?page=4"
    assert pager("/x", {}, 400, 500, max_page=400).next_url is None


def _paper(**kw: object) -> Paper:
    base: dict[str, object] = {"id": "2503.11677", "title": "Simulation of prosthetic vision",
                               "authors": ["Jungyeon Park", "Daniel Palanker"], "categories": ["cs.HC", "cs.CV"],
                               "announced": date(2025, 3, 18)}
    base.update(kw)
    return Paper(**base)  # type: ignore[arg-type]


def test_excerpt_never_cuts_inside_math() -> None:
    text = "We study $" + "x" * 10 + "$ and then " + "words " * 100
    assert excerpt(text, 1000) == text
    cut = excerpt("Intro words here and $a + b = c$ more", 25)
    assert cut.count("$") % 2 == 0 and cut.endswith("…")
    assert author_search('Zoë "Z" Ünal') == "/search?q=author:%22Zo%C3%AB%20%22Z%22%20%C3%9Cnal%22"


def test_hf_shapes_follow_the_recorded_responses() -> None:
    assert hf_time(date(2026, 7, 13)) == "2026-07-13T00:00:00.000Z"
    assert hf_time(datetime(2026, 7, 12, 20, 0, 0, 123456, tzinfo=UTC)) == "2026-07-12T20:00:00.123Z"
    paper = _paper(abstract="An abstract.", versions=[Version(1, datetime(2025, 3, 14, 17, 5, tzinfo=UTC))])
    body = hf_paper(paper)
    assert body == {"id": "2503.11677", "authors": [{"name": "Jungyeon Park", "hidden": False},
                                                     {"name": "Daniel Palanker", "hidden": False}],
                    "title": paper.title, "summary": "An abstract.", "upvotes": 0, "githubRepo": None,
                    "githubStars": None, "publishedAt": "2025-03-14T17:05:00.000Z",
                    "submittedOnDailyAt": "2025-03-18T00:00:00.000Z"}
    item = hf_daily_item(paper, PaperSignals(hf_upvotes=7, github_repo="https://github.com/o/r", github_stars=12))
    assert item["paper"]["upvotes"] == 7 and item["paper"]["githubStars"] == 12
    assert item["publishedAt"] == "2025-03-18T00:00:00.000Z" and item["numComments"] == 0
    assert {"paper", "title", "summary", "publishedAt", "numComments", "isAuthorParticipating"} == set(item)


def test_taxonomy() -> None:
    assert category_name("cs.CL") == "Computation and Language"
    assert category_name("cs.XX") == "cs.XX"
    info = category("eess.IV")
    assert (info.archive, info.archive_name, info.known) == ("eess", "Electrical Engineering and Systems Science", True)
    assert category("hep-th").name == "High Energy Physics - Theory"


def test_tex_text_typography_leaves_math_alone() -> None:
    assert tex_text("the ``gacha'' loop -- done --- really") == "the “gacha” loop – done — really"
    assert tex_text("$a -- b$ and ``x'' and $$c''$$") == "$a -- b$ and “x” and $$c''$$"
    assert tex_text("\\(x--y\\) -- z") == "\\(x--y\\) – z"

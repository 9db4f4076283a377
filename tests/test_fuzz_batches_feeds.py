"""Never a partial commit, continued: arXiv's announcement feeds, its query API and GitHub's stars, with
the store failing mid-batch (test_fuzz_batches.py does the imports, OAI-PMH and Hugging Face).

Each source has its unit of commit: a category's feed (its papers, their code links and the day it
announced), one query-API answer (the papers of up to ``arxiv_api_batch`` ids), one repository's check
(its count, ETag and snapshot) and one repository's backfilled star history. Hypothesis builds answers
from real recorded ones under fresh ids, spoils some (bad ids, empty or odd titles, bad dates, huge
fields, answers cut off in transit, JSON of the wrong shape) and makes the ``fail_at``-th write fail
before its commit, with an exception or a Ctrl-C. Then, every time:

- each unit is in the store whole or not at all, and the units written before the failure are all there;
- running again completes the rest and reports each bad record;
- one more run changes nothing (no duplicate paper, snapshot or star).

What is good is decided by the parsers alone (the oracle): the property is about what each harvester
does with their verdicts.
"""

from __future__ import annotations

import copy
import itertools
import json
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperwire.config import Settings
from paperwire.ingest.arxiv_api import parse_feed
from paperwire.ingest.arxiv_rss import parse_listing
from paperwire.ingest.harvest import run_ids, run_listing, run_stars
from paperwire.ingest.report import HarvestReport
from paperwire.models import CodeLink, SourceBatch
from paperwire.store import Store
from tests.helpers.batches import (
    CHECKS,
    CUT,
    FAIL_AT,
    HARVEST_EXAMPLES,
    HUGE,
    failing_store_write,
    failing_writes,
    fresh_id,
    until_failure,
)
from tests.helpers.clock import FakeTime
from tests.helpers.net import make_client
from tests.helpers.paths import FIXTURES_SHARED
from tests.helpers.replay import Recorded, ReplayServer

pytestmark = pytest.mark.needs_data  # the entries are the recorded feeds'

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
DC = "{http://purl.org/dc/elements/1.1/}"
XML = [("Content-Type", "application/atom+xml")]
_names = itertools.count(1)


def stored(store: Store, ids: set[str]) -> set[str]:
    return set(store.papers.get_papers(sorted(ids))) if ids else set()


def cut_off(body: bytes) -> bytes:
    return body[: len(body) // 2]


def render_feed(feed_id: str, entries: list[ET.Element], extra: list[ET.Element] | None = None) -> bytes:
    """An Atom feed of ``entries``, with ``extra`` header elements (OpenSearch counts)."""
    root = ET.Element(f"{ATOM}feed")
    ET.SubElement(root, f"{ATOM}id").text = feed_id
    ET.SubElement(root, f"{ATOM}updated").text = "2026-12-01T05:00:00+00:00"
    root.extend(extra or [])
    root.extend(entries)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def spoiled(entry: ET.Element, spoil: tuple[str, str | None] | None) -> ET.Element:
    """``entry`` with one child's text replaced (or, given None, the child removed)."""
    if spoil is not None:
        tag, value = spoil
        for child in list(entry):
            if child.tag == tag:
                if value is None:
                    entry.remove(child)
                else:
                    child.text = value
    return entry


# -- arXiv announcement feeds: one category's feed, one transaction -------------------------------------

RSS_SPOILS: list[tuple[str, str | None]] = [
    (f"{ATOM}id", "oai:arXiv.org:not-an-id"),
    (f"{ATOM}title", ""),
    (f"{ATOM}title", "DEL\x7fin the title"),
    (f"{ATOM}title", "\u0085\u2028 odd"),
    (f"{ATOM}published", "yesterday"),
    (f"{ATOM}category", None),
    (f"{ATOM}summary", "word " * (HUGE // 5)),
    (f"{DC}creator", ""),
    (f"{ARXIV}announce_type", "replace"),
]


@cache
def rss_entries() -> tuple[ET.Element, ...]:
    path = FIXTURES_SHARED / "arxiv-rss" / "DERIVED_cs.AI_2025-08-20_repaired_86entries.xml"
    return tuple(ET.fromstring(path.read_bytes()).iterfind(f"{ATOM}entry"))[:30]


def rss_entry(entry: ET.Element, pid: str, day: date, spoil: tuple[str, str | None] | None) -> ET.Element:
    out = copy.deepcopy(entry)
    for child in out:
        if child.tag == f"{ATOM}id":
            child.text = f"oai:arXiv.org:{pid}v1"
        elif child.tag == f"{ATOM}published":
            child.text = f"{day.isoformat()}T00:00:00-04:00"
    return spoiled(out, spoil)


@st.composite
def listings(draw: st.DrawFn) -> list[list[ET.Element]]:
    """2 to 4 category feeds of 1 to 4 real entries under fresh ids, some spoiled; now and then an entry
    cross-listed in an earlier category's feed too (the same paper in two feeds)."""
    feeds: list[list[ET.Element]] = []
    for index in range(draw(st.integers(2, 4))):
        day = date(2026, 12, 1) + timedelta(days=index)
        entries = []
        for _ in range(draw(st.integers(1, 4))):
            earlier = [e for feed in feeds for e in feed]
            if earlier and draw(st.integers(0, 5)) == 0:
                entries.append(copy.deepcopy(draw(st.sampled_from(earlier))))
                continue
            spoil = draw(st.one_of(st.none(), st.none(), st.sampled_from(RSS_SPOILS)))
            entries.append(rss_entry(draw(st.sampled_from(rss_entries())), fresh_id(), day, spoil))
        feeds.append(entries)
    return feeds


@settings(max_examples=HARVEST_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=CHECKS)
@given(
    feeds=listings(),
    cut=CUT,
    fail_at=FAIL_AT,
    interrupt=st.booleans(),
)
def test_a_category_feed_is_stored_whole_with_its_day_or_not_at_all(
    store: Store,
    replay: ReplayServer,
    fake_time: FakeTime,
    feeds: list[list[ET.Element]],
    cut: int | None,
    fail_at: int | None,
    interrupt: bool,
) -> None:
    name = next(_names)
    categories = [f"fuzz{name}.c{i}" for i in range(len(feeds))]
    bodies = [
        render_feed(f"http://rss.arxiv.org/atom/{c}", entries) for c, entries in zip(categories, feeds, strict=True)
    ]
    verdict = [parse_listing(body) for body in bodies]  # the parser's verdict, feed by feed
    good = [{e.paper.id for e in listing.entries} for listing in verdict]
    days = [max((e.paper.announced for e in listing.entries if e.paper.announced), default=None) for listing in verdict]
    everything = set().union(*good)
    for i, (category, body) in enumerate(zip(categories, bodies, strict=True)):
        responses = [Recorded(200, XML, body)]
        if i == cut:  # this feed first arrives cut off: it fails alone, the other feeds go on
            responses.insert(0, Recorded(200, XML, cut_off(body)))
        replay.add(f"/rss/{category}", *responses)
    papers_before = store.stats().papers

    def run() -> HarvestReport:
        with make_client(fake_time) as client:
            return run_listing(store, Settings(arxiv_rss_url=replay.url + "/rss"), categories, client=client)

    def states() -> list[str | None]:
        return [store.get_state(f"harvest.listing.{c}") for c in categories]

    written = [i for i in range(len(feeds)) if i != cut]  # a cut feed fails before it writes
    failing = written[fail_at - 1] if fail_at is not None and fail_at <= len(written) else None
    with failing_store_write(store, fail_at, interrupt):
        report: HarvestReport | None = until_failure(run)
    assert (report is None) == (failing is not None)
    done = [i for i in written if failing is None or i < failing]
    # each feed written before the failure is whole, with its day; none of the others is there at all
    assert stored(store, everything) == set().union(*(good[i] for i in done)), "a feed in part"
    assert states() == [days[i].isoformat() if i in done and days[i] else None for i in range(len(feeds))]
    if report is not None and cut is not None and cut < len(feeds):
        assert any("nothing from this feed was saved" in e for e in report.errors), report.errors

    for _ in range(2):  # a cut feed not yet asked for when the store failed is cut off now, once
        report = run()
        if report.ok:
            break
        assert all("nothing from this feed was saved" in e for e in report.errors), report.errors
    assert report.ok and report.rejected == sum(len(v.rejected) for v in verdict), report.errors
    assert stored(store, everything) == everything  # no good entry lost
    assert states() == [d.isoformat() if d else None for d in days]

    again = run()
    assert again.ok and (again.papers.inserted, again.papers.updated) == (0, 0), again.line()
    assert store.stats().papers == papers_before + len(everything)  # no duplicates


# -- the query API: papers by id, one answer per ``arxiv_api_batch`` ids, one transaction each -------------

API_SPOILS: list[tuple[str, str | None]] = [
    (f"{ATOM}id", "http://arxiv.org/abs/not-an-id"),
    (f"{ATOM}title", ""),
    (f"{ATOM}title", "DEL\x7fin the title"),
    (f"{ATOM}published", "yesterday"),
    (f"{ATOM}updated", "2026-13-45T00:00:00Z"),
    (f"{ATOM}summary", "word " * (HUGE // 5)),
    (f"{ATOM}title", None),
]
ABSENT = ("absent", None)  # asked for, and arXiv's answer has no entry for it


@cache
def api_entries() -> tuple[ET.Element, ...]:
    path = FIXTURES_SHARED / "arxiv-api" / "derived_xml_bodies" / "arxivpy_q_testing_s0_m100_cfe7536492ca.xml"
    return tuple(ET.fromstring(path.read_bytes()).iterfind(f"{ATOM}entry"))[:30]


def api_entry(entry: ET.Element, pid: str, spoil: tuple[str, str | None] | None) -> ET.Element:
    out = copy.deepcopy(entry)
    for child in out:
        if child.tag == f"{ATOM}id":
            child.text = f"http://arxiv.org/abs/{pid}v1"
    return spoiled(out, spoil)


def api_answer(ids: list[str], entries: list[ET.Element]) -> bytes:
    extra = []
    for tag, value in (("totalResults", len(entries)), ("startIndex", 0), ("itemsPerPage", len(ids))):
        element = ET.Element(f"{{http://a9.com/-/spec/opensearch/1.1/}}{tag}")
        element.text = str(value)
        extra.append(element)
    return render_feed(f"https://arxiv.org/api/{'-'.join(ids)}", entries, extra)


@settings(max_examples=HARVEST_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=CHECKS)
@given(
    picks=st.lists(
        st.tuples(
            st.sampled_from(range(30)), st.one_of(st.none(), st.none(), st.just(ABSENT), st.sampled_from(API_SPOILS))
        ),
        min_size=1,
        max_size=8,
    ),
    batch=st.integers(1, 3),
    cut=CUT,
    fail_at=FAIL_AT,
    interrupt=st.booleans(),
)
def test_papers_fetched_by_id_are_stored_an_answer_at_a_time_and_a_rerun_completes_them(
    store: Store,
    replay: ReplayServer,
    fake_time: FakeTime,
    picks: list[tuple[int, tuple[str, str | None] | None]],
    batch: int,
    cut: int | None,
    fail_at: int | None,
    interrupt: bool,
) -> None:
    ids = [fresh_id() for _ in picks]
    chunks = [list(range(i, min(i + batch, len(ids)))) for i in range(0, len(ids), batch)]
    bodies = []
    for chunk in chunks:
        entries = [api_entry(api_entries()[picks[i][0]], ids[i], picks[i][1]) for i in chunk if picks[i][1] != ABSENT]
        bodies.append(api_answer([ids[i] for i in chunk], entries))
    verdict = [parse_feed(body) for body in bodies]
    good = [{p.id for p in page.papers} for page in verdict]
    everything = set().union(*good)
    missing = sorted(set(ids) - everything)
    ignore = ["search_query", "sortBy", "sortOrder", "start", "max_results"]
    for i, (chunk, body) in enumerate(zip(chunks, bodies, strict=True)):
        responses = [Recorded(200, XML, body)]
        if i == cut:
            responses.insert(0, Recorded(200, XML, cut_off(body)))
        replay.add(f"/api/query?id_list={','.join(ids[j] for j in chunk)}", *responses, ignore=ignore)
    papers_before = store.stats().papers

    def run() -> HarvestReport:
        with make_client(fake_time, min_interval=3.0) as client:
            return run_ids(
                store, Settings(arxiv_api_url=replay.url + "/api/query", arxiv_api_batch=batch), ids, client=client
            )

    # one write per answer, in order; a cut-off answer ends the run before its write
    cut_at = cut if cut is not None and cut < len(chunks) else len(chunks)
    failing = fail_at - 1 if fail_at is not None and fail_at - 1 < cut_at else None
    with failing_store_write(store, fail_at, interrupt):
        report: HarvestReport | None = until_failure(run)
    assert (report is None) == (failing is not None)
    done = min(cut_at, failing if failing is not None else len(chunks))
    assert stored(store, everything) == set().union(*good[:done]), "an answer in part"
    if report is not None and cut_at < len(chunks):
        assert "arXiv API" in report.errors[0] or "XML" in report.errors[0], report.errors

    final = [f"not found on arXiv: {', '.join(missing)}"] if missing else []
    for _ in range(2):  # the cut answer, if the store failed before it was asked, is cut off now, once
        report = run()
        if report.errors == final:
            break
    assert report.errors == final and report.rejected == sum(len(v.rejected) for v in verdict), report.errors
    assert stored(store, everything) == everything  # no good entry lost

    again = run()
    assert again.errors == final and again.rejected == report.rejected
    assert (again.papers.inserted, again.papers.updated, again.papers.unchanged) == (0, 0, len(everything))
    assert store.stats().papers == papers_before + len(everything)  # no duplicates


# -- GitHub: each repository's check, and its backfilled history, one transaction each ---------------------

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
MAX_BACKFILL = 150  # stars: smaller repositories get their history rebuilt from the stargazers
REPO_SPOILS = [
    b"{not json",
    b'{"full_name": 5}',
    b"[]",
    b'{"full_name": "OTHER", "stargazers_count": 3}',
    b'{"full_name": "NAME", "stargazers_count": "many"}',
    b'{"full_name": "NAME", "stargazers_count": -1}',
    b'{"full_name": "NAME", "stargazers_count": 3, "created_at": "yesterday"}',
]
repositories = st.one_of(
    st.tuples(st.just("ok"), st.integers(0, 260)),  # over MAX_BACKFILL: the backfill is "skipped"
    st.tuples(st.just("bad_stargazers"), st.integers(1, 120)),  # a stargazers page without starred_at
    st.tuples(st.just("missing"), st.just(0)),
    st.tuples(st.sampled_from([*REPO_SPOILS, b"cut"]), st.integers(1, 50)),
)


def serve_repository(replay: ReplayServer, full_name: str, kind: str | bytes, stars: int) -> None:
    """The repository's answer and, for a good one, its stargazers (100 a page, linked by ``Link``)."""
    url = f"/repos/{full_name}"
    answer = json.dumps({"full_name": full_name, "stargazers_count": stars, "created_at": "2025-01-02T03:04:05Z"})
    if kind == "missing":
        replay.add(url, Recorded(404, [], b'{"message": "Not Found"}'))
        return
    if isinstance(kind, bytes):  # an answer the parser refuses, every time
        body = answer.encode()[:20] if kind == b"cut" else kind.replace(b"NAME", full_name.encode())
        replay.add(url, Recorded(200, [("Content-Type", "application/json")], body))
        return
    replay.add(
        url, Recorded(200, [("Content-Type", "application/json"), ("ETag", f'"{full_name}-{stars}"')], answer.encode())
    )
    times = [(datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=7 * i)).isoformat() for i in range(stars)]
    pages = [times[i : i + 100] for i in range(0, len(times), 100)] or [[]]
    for number, page in enumerate(pages, start=1):
        items: list[dict[str, Any]] = [{"starred_at": t, "user": {"login": f"u{i}"}} for i, t in enumerate(page)]
        if kind == "bad_stargazers" and number == len(pages):
            items[-1].pop("starred_at")
        headers = [("Content-Type", "application/json")]
        if number < len(pages):
            headers.append(("Link", f'<{replay.url}{url}/stargazers?page={number + 1}>; rel="next"'))
        replay.add(
            f"{url}/stargazers?per_page=100" if number == 1 else f"{url}/stargazers?page={number}",
            Recorded(200, headers, json.dumps(items).encode()),
        )


def writes_of(plan: list[tuple[str, str | bytes, int]]) -> list[tuple[str, str]]:
    """The writes a first run makes, in order: each repository's check, then its backfill."""
    writes = []
    for repo, kind, _stars in plan:
        if isinstance(kind, bytes):
            continue  # refused before any write
        writes.append((repo, "check"))
        if kind == "ok":
            writes.append((repo, "history"))  # done, or "skipped" when too big: a write either way
    return writes


@settings(max_examples=HARVEST_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=CHECKS)
@given(
    kinds=st.lists(repositories, min_size=2, max_size=4),
    fail_at=st.one_of(st.none(), st.integers(1, 6)),
    interrupt=st.booleans(),
)
def test_a_repository_check_and_its_star_history_are_each_whole_and_never_counted_twice(
    store: Store,
    replay: ReplayServer,
    fake_time: FakeTime,
    kinds: list[tuple[str | bytes, int]],
    fail_at: int | None,
    interrupt: bool,
) -> None:
    # the examples share one store and one clock: repositories checked by an earlier example are not
    # due again (checked at NOW + 4 h), those it refused are asked again but write nothing
    owner = f"fuzz{next(_names)}"
    plan = [(f"{owner}/repo-{i}", kind, stars) for i, (kind, stars) in enumerate(kinds)]  # checked in name order
    for full_name, kind, stars in plan:
        serve_repository(replay, full_name, kind, stars)
    store.papers.save_batch(
        SourceBatch(links=[CodeLink(fresh_id(), r.lower(), f"https://github.com/{r}", "pwc") for r, _, _ in plan])
    )
    config = Settings(
        github_api_url=replay.url, stargazer_backfill_max_stars=MAX_BACKFILL, stars_check_interval_hours=1
    )

    def run(now: datetime) -> HarvestReport:
        with make_client(fake_time) as client:
            # a limit above what the examples link: earlier examples' refused repositories stay due
            return run_stars(store, config, limit=10_000, client=client, now=now)

    def check_whole(first: set[str], histories: set[str]) -> None:
        """Each repository's check and history are whole and present exactly for those given."""
        for full_name, kind, stars in plan:
            repo = store.signals.get_repository(full_name)
            assert repo is not None
            snapshots = [(s.taken_at, s.stars) for s in store.signals.star_snapshots(full_name)]
            if full_name not in first:
                assert (repo.checked_at, repo.status, snapshots) == (None, "new", []), full_name
                continue
            assert repo.checked_at is not None
            if kind == "missing":
                assert (repo.status, snapshots) == ("missing", [])
                continue
            assert (repo.status, repo.stars, repo.etag) == ("ok", stars, f'"{full_name}-{stars}"')
            # one snapshot per check, each with the count, the last at the last check
            assert {n for _, n in snapshots} == {stars} and snapshots[-1][0] == repo.checked_at
            assert len({t for t, _ in snapshots}) == len(snapshots)
            history = store.signals.star_history(full_name)
            if full_name not in histories:
                assert (repo.backfill, history) == ("none", []), full_name
            elif stars > MAX_BACKFILL:
                assert (repo.backfill, history) == ("skipped", [])
            else:
                assert repo.backfill == "done" and sum(n for _, n in history) == stars, (full_name, history)

    writes = writes_of(plan)
    done = writes[: fail_at - 1] if fail_at is not None and fail_at <= len(writes) else writes
    with failing_writes(store.signals, ["save_repo_check", "save_star_history"], store.signals.db, fail_at, interrupt):
        report: HarvestReport | None = until_failure(lambda: run(NOW))
    assert (report is None) == (len(done) < len(writes))
    check_whole({r for r, w in done if w == "check"}, {r for r, w in done if w == "history"})

    # an hour later every repository is due again: the rest is checked and backfilled, the others asked
    # with their ETag (a 304: the same count, one more snapshot)
    good = {r for r, kind, _ in plan if not isinstance(kind, bytes)}
    backfilled = {r for r, kind, _ in plan if kind == "ok"}
    refused = sorted(r for r, kind, _ in plan if isinstance(kind, bytes) or kind == "bad_stargazers")
    for later in (NOW + timedelta(hours=2), NOW + timedelta(hours=4)):
        report = run(later)
        ours = [e for e in report.errors if e.startswith(f"{owner}/")]  # earlier examples' stay refused
        assert sorted(e.split(":")[0] for e in ours) == refused, ours
        check_whole(good, backfilled)
        for full_name, kind, stars in plan:
            if kind == "ok" or kind == "bad_stargazers":
                assert store.signals.star_snapshots(full_name)[-1].stars == stars

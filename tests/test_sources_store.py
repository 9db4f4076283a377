"""The sources part of the Store on both backends: atomic batches, code links and has:code, stars, HF."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from paperwire.ingest.codelinks import find_repos, links_in_paper, parse_repo
from paperwire.models import CodeLink, HFDailyEntry, Paper, RepoCheck, SourceBatch
from paperwire.runtime import Runtime
from paperwire.search.engine import SearchRequest, search
from paperwire.store import Store

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def paper(pid: str, abstract: str = "abstract", comment: str | None = None) -> Paper:
    return Paper(pid, f"Title {pid}", abstract, ["A. Author"], ["cs.CL"], comment=comment,
                 announced=date(2026, 1, 2), version=1)


def test_find_repos_in_text() -> None:
    text = ("Code: https://github.com/Foo/Bar-baz. Also github.com/a/b.git, \\url{https://github.com/x/y}, "
            "https://github.com/features/copilot and https://github.com/org/repo/tree/main/src "
            "(https://github.com/Foo/bar-BAZ)")
    assert find_repos(text) == [("foo/bar-baz", "Foo/Bar-baz"), ("a/b", "a/b"), ("x/y", "x/y"),
                                ("org/repo", "org/repo")]
    assert parse_repo("https://huggingface.co/x/y") is None
    assert parse_repo("http://www.github.com/U/r/") == ("u/r", "U/r")
    links = links_in_paper(paper("2501.00001", "See https://github.com/a/b", "code: github.com/c/d"))
    assert [(ln.repo, ln.source) for ln in links] == [("a/b", "abstract"), ("c/d", "comment")]


def test_save_batch_is_one_transaction(store: Store) -> None:
    bad = paper("2501.00002")
    bad.title = None  # type: ignore[assignment]  # NOT NULL fails inside the transaction
    batch = SourceBatch([paper("2501.00001"), bad],
                        [CodeLink("2501.00001", "a/b", "https://github.com/a/b", "abstract")],
                        [HFDailyEntry("2501.00001", date(2026, 1, 2), 5)], {"harvest.test": "cursor-2"})
    with pytest.raises(Exception):  # noqa: B017 - the driver's IntegrityError type differs per backend
        store.papers.save_batch(batch)
    assert store.stats().papers == 0 and store.papers.code_links() == [] and store.get_state("harvest.test") is None
    assert store.signals.hf_daily(date(2026, 1, 2)) == []
    batch.papers = batch.papers[:1]
    result = store.papers.save_batch(batch)
    assert (result.papers.inserted, result.new_links, result.hf_entries) == (1, 1, 1)
    assert store.get_state("harvest.test") == "cursor-2"
    assert store.papers.save_batch(batch).new_links == 0  # links are unique per (paper, repo, source)


def test_a_new_link_raises_the_papers_seq_once(store: Store) -> None:
    store.papers.upsert_papers([paper("2501.00001"), paper("2501.00002")])
    mark = store.papers.max_seq()
    assert [e.has_code for e in store.papers.changed_since(0, 10)] == [False, False]
    store.papers.save_batch(SourceBatch(links=[CodeLink("2501.00002", "A/B", "https://github.com/A/B", "pwc"),
                                               CodeLink("9999.99999", "c/d", "https://github.com/c/d", "pwc")]))
    changed = store.papers.changed_since(mark, 10)
    assert [(e.id, e.has_code) for e in changed] == [("2501.00002", True)]
    mark = store.papers.max_seq()
    store.papers.save_batch(SourceBatch(links=[CodeLink("2501.00002", "x/y", "https://github.com/x/y", "hf")]))
    assert store.papers.changed_since(mark, 10) == []  # it had code already: no re-index needed
    assert [ln.repo for ln in store.papers.code_links(repo="a/B")] == ["a/b"]
    repo = store.signals.get_repository("A/b")
    assert repo is not None and repo.full_name == "A/B" and repo.status == "new"
    # a link for a paper that arrives later shows as soon as the paper does
    store.papers.upsert_papers([paper("9999.99999")])
    assert store.papers.changed_since(store.papers.max_seq() - 1, 10)[0].has_code


def test_has_code_search_finds_a_paper_after_a_link_is_added(runtime: Runtime) -> None:
    store, indexes = runtime.store, runtime.indexes
    store.papers.upsert_papers([paper("2501.00001", "graph transformers for molecules"),
                                paper("2501.00002", "graph transformers for proteins")])
    indexes.sync()

    def with_code() -> list[str]:
        indexes.refresh()
        return [h.paper_id for h in search(store, indexes, SearchRequest("graph transformers has:code"),
                                           runtime.search_policy).hits]

    assert with_code() == []
    store.papers.save_batch(SourceBatch(links=[CodeLink("2501.00002", "lab/prot", "https://github.com/lab/prot",
                                                        "hf")]))
    assert with_code() == ["2501.00002"]
    hits = search(store, indexes, SearchRequest("graph transformers -has:code"), runtime.search_policy).hits
    assert [h.paper_id for h in hits] == ["2501.00001"]


def test_repository_checks_build_the_star_series(store: Store) -> None:
    store.papers.save_batch(SourceBatch(links=[CodeLink("2501.00001", "a/b", "https://github.com/a/b", "abstract"),
                                               CodeLink("2501.00001", "c/d", "https://github.com/c/d", "abstract")]))
    assert [r.repo for r in store.signals.repos_due(T0, 10)] == ["a/b", "c/d"]
    store.signals.save_repo_check(RepoCheck("a/b", T0, "ok", 10, "A/B", '"e1"', T0 - timedelta(days=3)))
    store.signals.save_repo_check(RepoCheck("a/b", T0 + timedelta(hours=20), "ok", etag='"e1"', not_modified=True))
    store.signals.save_repo_check(RepoCheck("a/b", T0 + timedelta(hours=40), "ok", 25, "A/B", '"e2"'))
    store.signals.save_repo_check(RepoCheck("c/d", T0, "missing"))
    series = store.signals.star_snapshots("a/b")
    assert [(s.taken_at - T0, s.stars) for s in series] == [(timedelta(0), 10), (timedelta(hours=20), 10),
                                                            (timedelta(hours=40), 25)]
    assert [s.stars for s in store.signals.star_snapshots("A/B", since=T0 + timedelta(hours=30))] == [25]
    repo = store.signals.get_repository("a/b")
    assert repo is not None and (repo.stars, repo.etag, repo.full_name) == (25, '"e2"', "A/B")
    assert repo.changed_at == T0 + timedelta(hours=40) and repo.created_at == T0 - timedelta(days=3)
    assert [r.repo for r in store.signals.repos_due(T0 + timedelta(days=5), 10)] == ["a/b"]  # c/d is missing
    store.signals.save_star_history("a/b", {date(2025, 12, 1): 3, date(2025, 12, 5): 7}, "done")
    store.signals.save_star_history("a/b", {date(2025, 12, 1): 4, date(2025, 12, 6): 21}, "done")  # replaced, not added
    assert store.signals.star_history("a/b") == [(date(2025, 12, 1), 4), (date(2025, 12, 6), 21)]
    backfilled = store.signals.get_repository("a/b")
    assert backfilled is not None and backfilled.backfill == "done"


def test_hf_entries_round_trip(store: Store) -> None:
    entry = HFDailyEntry("2501.00001", date(2026, 1, 2), 42, "T", 3, "https://github.com/a/b", 17,
                         "https://a.github.io", "summary", ["rl", "agents"], T0, T0 - timedelta(days=1))
    store.papers.save_batch(SourceBatch(hf_entries=[entry, HFDailyEntry("2501.00002", date(2026, 1, 2), 50)]))
    got = store.signals.hf_daily(date(2026, 1, 2))
    assert [e.paper_id for e in got] == ["2501.00002", "2501.00001"]
    first = got[1]
    assert (first.ai_keywords, first.github_stars, first.submitted_on_daily, first.num_comments) == (
        ["rl", "agents"], 17, T0, 3)
    assert first.first_seen is not None and first.last_seen is not None
    assert [n for _, n in store.signals.hf_upvote_snapshots("2501.00001")] == [42]


def test_due_repositories_of_recent_papers_come_first(store: Store) -> None:
    old, new = paper("2401.00001"), paper("2601.00001")
    old.announced, new.announced = date(2024, 1, 2), date(2026, 1, 2)
    store.papers.upsert_papers([old, new])
    store.papers.save_batch(SourceBatch(links=[
        CodeLink("2401.00001", "old/repo", "https://github.com/old/repo", "pwc"),
        CodeLink("2601.00001", "new/repo", "https://github.com/new/repo", "pwc"),
        CodeLink("0000.00000", "no/paper", "https://github.com/no/paper", "pwc")]))
    store.signals.save_repo_check(RepoCheck("zz/checked", T0 - timedelta(days=2), "ok", 1, "zz/checked"))
    due = [r.repo for r in store.signals.repos_due(T0, 10)]
    assert due == ["new/repo", "old/repo", "no/paper", "zz/checked"]
    assert [r.repo for r in store.signals.repos_due(T0, 2)] == ["new/repo", "old/repo"]

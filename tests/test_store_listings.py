"""Read-only listing helpers of the Store used by the website, on both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperwire.models import Paper
from paperwire.store import Store, open_store


def paper(pid: str, day: str, cats: list[str], version: int = 0) -> Paper:
    return Paper(pid, "T", "abstract", ["A. Author"], cats, announced=date.fromisoformat(day), version=version)


def test_category_counts_include_cross_lists_and_follow_the_window(store: Store) -> None:
    assert store.papers.category_counts() == {}
    store.papers.upsert_papers([
        paper("2501.00001", "2025-01-02", ["cs.CL"]), paper("2501.00002", "2025-01-02", ["cs.CV", "cs.CL"]),
        paper("2501.00003", "2025-01-06", ["cs.CV"]), paper("2501.00004", "2025-01-08", ["cs.LG", "cs.CL"]),
    ])
    assert store.papers.category_counts() == {"cs.CL": 3, "cs.CV": 2, "cs.LG": 1}
    assert list(store.papers.category_counts()) == ["cs.CL", "cs.CV", "cs.LG"]  # most first, then by name
    assert store.papers.category_counts(date(2025, 1, 2), date(2025, 1, 6)) == {"cs.CL": 2, "cs.CV": 2}
    assert store.papers.category_counts(start=date(2025, 1, 7)) == {"cs.CL": 1, "cs.LG": 1}
    assert store.papers.category_counts(end=date(2025, 1, 1)) == {}
    store.papers.upsert_papers([paper("2501.00004", "2025-01-08", ["cs.LG"], version=2)])  # cs.CL dropped
    assert store.papers.category_counts(start=date(2025, 1, 7)) == {"cs.LG": 1}


def test_last_change_moves_with_every_write(store: Store) -> None:
    assert store.papers.last_change() == (0, None)
    store.papers.upsert_papers([paper("2501.00001", "2025-01-02", ["cs.CL"])])
    seq, when = store.papers.last_change()
    assert seq == store.papers.max_seq() == 1 and when is not None and when.tzinfo is not None
    store.papers.upsert_papers([paper("2501.00001", "2025-01-02", ["cs.CL"])])  # unchanged: nothing moves
    assert store.papers.last_change() == (seq, when)
    store.papers.upsert_papers([paper("2501.00001", "2025-01-02", ["cs.AI"], version=2)])
    assert store.papers.last_change()[0] == seq + 1


def test_last_change_time_comes_from_the_store_clock(tmp_path: object) -> None:
    moment = datetime(2025, 5, 6, 7, 8, 9, tzinfo=UTC)
    store = open_store(f"sqlite:///{tmp_path}/c.db", clock=lambda: moment)
    store.migrate()
    store.papers.upsert_papers([paper("2501.00001", "2025-01-02", ["cs.CL"])])
    assert store.papers.last_change() == (1, moment)
    store.close()


def test_list_in_category_pages_like_list_papers(store: Store) -> None:
    store.papers.upsert_papers([paper(f"2501.{i:05d}", f"2025-01-{1 + i % 9:02d}",
                                      ["cs.CL", "cs.AI"] if i % 3 else ["cs.AI"]) for i in range(1, 40)])
    for cat, start, end in (("cs.AI", None, None), ("cs.CL", None, None), ("cs.AI", date(2025, 1, 3), date(2025, 1, 6)),
                            ("cs.XX", None, None)):
        for offset in (0, 7, 35):
            expected = [p.id for p in store.papers.list_papers(start, end, cat, limit=7, offset=offset)]
            assert [p.id for p in store.papers.list_in_category(cat, start, end, limit=7, offset=offset)] == expected
    assert len(store.papers.list_in_category("cs.AI", limit=100)) == 39


CATS = ["cs.CL", "cs.CV", "cs.LG", "stat.ML"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 5), st.lists(st.sampled_from(CATS), max_size=3), st.integers(1, 9)),
                min_size=1, max_size=6))
def test_kept_category_counts_equal_counting_the_rows(store: Store, writes: list[tuple[int, list[str], int]]) -> None:
    """The write path keeps ``category_counts`` (papers added, re-categorised, categories dropped), and a
    whole category's listing (``list_in_category``, what the category page reads) counts and orders alike."""
    for number, cats, day in writes:
        version = (store.papers.get_paper(f"2501.0000{number}") or paper("x", "2025-01-01", [])).version + 1
        store.papers.upsert_papers([paper(f"2501.0000{number}", f"2025-01-0{day}", cats, version=version)])
    with store.db.read() as tx:
        rows = dict(tx.execute("SELECT category, COUNT(*) FROM paper_categories GROUP BY category").all())
    assert store.papers.category_counts() == {c: int(n) for c, n in rows.items()}
    for cat in CATS:
        listed = store.papers.list_in_category(cat, limit=100)
        assert store.papers.count_papers(category=cat) == len(listed) == rows.get(cat, 0)
        assert [p.id for p in listed] == [p.id for p in sorted(listed, key=lambda p: (p.announced, p.id), reverse=True)]

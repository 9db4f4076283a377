"""A store with real trending data (both backends): the Hugging Face daily lists, code links and star
snapshots of July 2026 (``fill_world``, the world tests/test_trending.py ranks), and for the web tests
arXiv categories for a few of its papers (``build_world``); rankings are computed at ``NOW``.

``WEEK_TOP`` is what test_trending.py proves the formula puts first this week; the web tests check that
pages, API, feeds and the HF-compatible API show the stored ranking, not their own idea of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from paperwire.config import Settings
from paperwire.ingest.hf import parse_daily
from paperwire.models import CodeLink, Paper, RepoCheck, SourceBatch
from paperwire.store import Store, open_store
from tests.helpers.clock import Clock
from tests.helpers.paths import FIXTURES_SHARED, require_shared_data

NOW = datetime(2026, 8, 1, 12, tzinfo=UTC)
T1 = datetime(2026, 7, 31, 6, tzinfo=UTC)  # first fetch of the 07-31 list
T2 = datetime(2026, 8, 1, 6, tzinfo=UTC)  # second fetch, a day later
HF = FIXTURES_SHARED / "hf-papers"
SETTINGS = Settings(data_dir=Path("/nonexistent"))


def save_daily(store: Store, day: str, bump: dict[str, int] | None = None) -> None:
    """A real daily list, stored as the HF harvester stores it; ``bump`` adds upvotes (a later fetch)."""
    daily = parse_daily((HF / f"daily_papers_date={day}.json").read_bytes(), date.fromisoformat(day))
    entries = [replace(e, upvotes=e.upvotes + (bump or {}).get(e.paper_id, 0)) for e in daily.entries]
    store.papers.save_batch(SourceBatch(list(daily.papers.values()), daily.links, entries))


def check(store: Store, clock: Clock, repo: str, when: datetime, stars: int) -> None:
    clock.now = when
    store.signals.save_repo_check(RepoCheck(repo, when, "ok", stars=stars, full_name=repo))


def fill_world(store: Store, clock: Clock) -> None:
    """Real HF daily lists, code links and star checks of July 2026 (the world tests/test_trending.py ranks)."""
    clock.now = datetime(2026, 7, 15, 6, tzinfo=UTC)
    save_daily(store, "2026-07-15")
    clock.now = T1
    save_daily(store, "2026-07-31")
    # a library many papers mention, linked from one paper's abstract alongside its own repository,
    # and the only link of another; a second paper links PhiZero too
    store.papers.save_batch(SourceBatch(
        [Paper("2608.00001", "A paper announced today", "abstract", ["A. Author"], ["cs.LG"],
               announced=date(2026, 8, 1), version=1)],
        [CodeLink("2607.28624", "huggingface/transformers", "https://github.com/huggingface/transformers",
                  "abstract"),
         CodeLink("2607.28227", "huggingface/transformers", "https://github.com/huggingface/transformers",
                  "abstract"),
         CodeLink("2607.28625", "yaoyao-jpg/phizero", "https://github.com/yaoyao-jpg/PhiZero", "pwc")]))
    check(store, clock, "huggingface/transformers", datetime(2026, 7, 20, tzinfo=UTC), 100_000)
    check(store, clock, "huggingface/transformers", T2, 100_300)
    check(store, clock, "yaoyao-jpg/PhiZero", datetime(2026, 7, 20, tzinfo=UTC), 10)
    check(store, clock, "yaoyao-jpg/PhiZero", T1, 400)
    check(store, clock, "yaoyao-jpg/PhiZero", T2, 910)
    check(store, clock, "MemTensor/Metis", datetime(2026, 7, 29, 6, tzinfo=UTC), 26)
    check(store, clock, "MemTensor/Metis", T2, 30)
    check(store, clock, "micky-li-hd/VideoCoCo", datetime(2026, 7, 31, 18, tzinfo=UTC), 50)
    store.signals.save_star_history("micky-li-hd/videococo", {date(2026, 7, 29): 20, date(2026, 7, 30): 24,
                                                     date(2026, 7, 31): 6}, "done")
    clock.now = T2
    save_daily(store, "2026-07-31", bump={"2607.27919": 100})


@contextmanager
def opened_world(db_url: str, fill: Callable[[Store, Clock], None] = fill_world) -> Iterator[Store]:
    """A migrated store at ``db_url`` on a clock at ``T1``, filled by ``fill``; closed afterwards."""
    require_shared_data()
    clock = Clock(T1)
    store = open_store(db_url, clock=clock)
    store.migrate()
    fill(store, clock)
    yield store
    store.close()


WEEK_TOP = ("2607.28624", "2607.28227", "2607.28625")
# arXiv categories (hand-made for the test: HF's lists carry none) of a few ranked papers
CATEGORIES = {"2607.28624": ["cs.CV", "cs.LG"], "2607.28227": ["cs.CL"], "2607.28625": ["cs.CV"],
              "2607.27380": ["cs.CV"], "2607.26760": ["cs.CL", "cs.AI"]}


def build_world(store: Store, clock: Clock) -> None:
    """Fill ``store`` as ``fill_world`` does, then give papers their categories."""
    fill_world(store, clock)
    found = store.papers.get_papers(list(CATEGORIES))
    store.papers.upsert_papers([replace(found[pid], categories=cats, version=1) for pid, cats in CATEGORIES.items()])


@pytest.fixture
def web_store(db_url: str) -> Iterator[Store]:
    """The world, not yet ranked (tests call ``recompute(store, SETTINGS, NOW)`` when they want rankings)."""
    with opened_world(db_url, build_world) as store:
        yield store


@pytest.fixture
def web_settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=db_url, data_dir=tmp_path / "data", index_refresh_seconds=0, web_cache_mb=4)

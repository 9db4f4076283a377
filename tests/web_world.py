"""A store with real trending data for the web tests (both backends): the Hugging Face daily lists, code
links and star snapshots of tests/test_trending.py's world, arXiv categories for a few of its papers, and
the rankings computed at ``NOW``.

``WEEK_TOP`` is what test_trending.py proves the formula puts first this week; the web tests check that
pages, API, feeds and the HF-compatible API show the stored ranking, not their own idea of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from paperwire.config import Settings
from paperwire.models import CodeLink, Paper, SourceBatch
from paperwire.store import Store, open_store
from tests.test_trending import NOW, SETTINGS, T1, T2, Clock, check, save_daily

WEEK_TOP = ("2607.28624", "2607.28227", "2607.28625")
# arXiv categories (hand-made for the test: HF's lists carry none) of a few ranked papers
CATEGORIES = {"2607.28624": ["cs.CV", "cs.LG"], "2607.28227": ["cs.CL"], "2607.28625": ["cs.CV"],
              "2607.27380": ["cs.CV"], "2607.26760": ["cs.CL", "cs.AI"]}

__all__ = ["NOW", "SETTINGS", "WEEK_TOP", "build_world", "web_settings", "web_store"]


def build_world(store: Store, clock: Clock) -> None:
    """Fill ``store`` as tests/test_trending.py's ``world`` does, then give papers their categories."""
    clock.now = datetime(2026, 7, 15, 6, tzinfo=UTC)
    save_daily(store, "2026-07-15")
    clock.now = T1
    save_daily(store, "2026-07-31")
    store.save_batch(SourceBatch(
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
    store.save_star_history("micky-li-hd/videococo", {date(2026, 7, 29): 20, date(2026, 7, 30): 24,
                                                     date(2026, 7, 31): 6}, "done")
    clock.now = T2
    save_daily(store, "2026-07-31", bump={"2607.27919": 100})
    found = store.get_papers(list(CATEGORIES))
    store.upsert_papers([replace(found[pid], categories=cats, version=1) for pid, cats in CATEGORIES.items()])


@pytest.fixture
def web_store(db_url: str) -> Iterator[Store]:
    """The world, not yet ranked (tests call ``recompute(store, SETTINGS, NOW)`` when they want rankings)."""
    clock = Clock(T1)
    store = open_store(db_url, clock=clock)
    store.migrate()
    build_world(store, clock)
    yield store
    store.close()


@pytest.fixture
def web_settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=db_url, data_dir=tmp_path / "data", index_refresh_seconds=0, web_cache_mb=4)

"""A store with real trending data for the web tests (both backends): the Hugging Face daily lists, code
links and star snapshots of tests/test_trending.py's world, arXiv categories for a few of its papers, and
the rankings computed at ``NOW``.

``WEEK_TOP`` is what test_trending.py proves the formula puts first this week; the web tests check that
pages, API, feeds and the HF-compatible API show the stored ranking, not their own idea of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from paperwire.config import Settings
from paperwire.store import Store
from tests.test_trending import NOW, SETTINGS, Clock, fill_world, opened_world

WEEK_TOP = ("2607.28624", "2607.28227", "2607.28625")
# arXiv categories (hand-made for the test: HF's lists carry none) of a few ranked papers
CATEGORIES = {"2607.28624": ["cs.CV", "cs.LG"], "2607.28227": ["cs.CL"], "2607.28625": ["cs.CV"],
              "2607.27380": ["cs.CV"], "2607.26760": ["cs.CL", "cs.AI"]}

__all__ = ["NOW", "SETTINGS", "WEEK_TOP", "build_world", "web_settings", "web_store"]


def build_world(store: Store, clock: Clock) -> None:
    """Fill ``store`` as tests/test_trending.py's ``world`` does, then give papers their categories."""
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

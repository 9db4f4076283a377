"""Where the tests find their files: the repository, its own fixtures, and the shared read-only data.

The shared data (``../shared/data`` next to the repository, or ``$PAPERWIRE_SHARED_DATA``) is not part of
the repository and is read in place. Tests that read it carry the ``needs_data`` marker (or use a fixture
that does); when it is missing they are skipped, and every other test still runs.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"  # small hand-made or derived files kept in the repository
SHARED = Path(os.environ.get("PAPERWIRE_SHARED_DATA") or ROOT.parent / "shared" / "data")
SAMPLE = SHARED / "arxiv" / "sample-2k.jsonl.gz"
FULL = SHARED / "arxiv" / "cs-2025-2026.jsonl.gz"
FIXTURES_SHARED = SHARED / "fixtures"
KAGGLE = FIXTURES_SHARED / "arxiv-kaggle" / "arxiv-metadata-oai-snapshot-200.json"

MISSING_REASON = (f"shared data missing: {SAMPLE} (tests read ../shared/data in place; "
                  "PAPERWIRE_SHARED_DATA points elsewhere)")


def have_shared_data() -> bool:
    """Whether the shared data is there (the sample and the recorded fixtures)."""
    return SAMPLE.is_file() and FIXTURES_SHARED.is_dir()


def require_shared_data() -> None:
    """Skip the running test (or fixture) when the shared data is missing."""
    if not have_shared_data():
        pytest.skip(MISSING_REASON)

"""Test databases: a fresh SQLite file or a fresh PostgreSQL schema of the ``test`` database per store.

``BACKENDS`` is what store fixtures parametrise over; its PostgreSQL case carries the ``postgres``
marker from collection on, so ``-m "not postgres"`` deselects it.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from paperwire.store import Store

PG_BASE = os.environ.get("PAPERWIRE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def new_url(backend: str, tmp_path: Path) -> str:
    """A fresh, empty database URL for ``backend``."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / f'pw-{uuid.uuid4().hex[:6]}.db'}"
    return f"{PG_BASE}?schema=t_{uuid.uuid4().hex[:12]}"


def drop(url: str) -> None:
    if url.startswith("postgresql"):
        from paperwire.store.postgres import drop_schema

        drop_schema(url)


def planner_rows(store: Store, table: str) -> float | None:
    """PostgreSQL's planner estimate of a table's rows (-1 before its first analysis); None on SQLite."""
    if store.db.dialect != "postgresql":
        return None
    with store.db.read() as tx:
        return float(tx.execute("SELECT reltuples FROM pg_class WHERE oid = to_regclass(?)", (table,)).scalar())

"""paperwire copy: SQLite → PostgreSQL → SQLite round trip with identical checksums."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from paperwire.cli import cli
from paperwire.ingest.bulk import import_files
from paperwire.store import open_store
from paperwire.store.copy import CopyError, checksums, copy_store
from tests.helpers.db import PG_BASE, drop, planner_rows
from tests.helpers.paths import SAMPLE


@pytest.mark.needs_data
@pytest.mark.postgres
def test_round_trip_through_postgres_keeps_every_row(tmp_path: Path) -> None:
    first = f"sqlite:///{tmp_path / 'a.db'}"
    middle = f"{PG_BASE}?schema=t_{uuid.uuid4().hex[:12]}"
    last = f"sqlite:///{tmp_path / 'b.db'}"
    a = open_store(first)
    a.migrate()
    import_files(a, [SAMPLE])
    a.set_state("harvest:arxiv", "token-123")
    a.jobs.ensure_job("harvest", 3600)
    ann = a.accounts.create_user("ann@example.org", "ann", "hash")  # a reply refers to its comment's row
    top = a.discussions.add_comment("2503.11677", ann.id, "Is $k$ tuned?", "visible")
    a.discussions.add_comment("2503.11677", ann.id, "Yes.", "visible", parent_id=top.id, reply_to_user=ann.id)
    expected = checksums(a)
    assert expected["papers"][0] == 2020 and expected["paper_categories"][0] > 2020
    a.close()
    try:
        runner = CliRunner()
        for src, dst in ((first, middle), (middle, last)):
            result = runner.invoke(cli, ["copy", "--from", src, "--to", dst], catch_exceptions=False)
            assert result.exit_code == 0, result.output
            assert "copy verified" in result.stdout
        pg = open_store(middle)
        assert planner_rows(pg, "papers") == 2020  # the copy gave PostgreSQL's planner its statistics
        pg.close()
        b = open_store(last)
        assert checksums(b) == expected
        assert b.get_state("harvest:arxiv") == "token-123"
        paper = b.papers.get_paper("2503.11677")
        assert paper is not None and paper.authors[-1] == "Daniel Palanker"
        assert [c.parent_id for c in b.discussions.paper_comments("2503.11677")] == [None, top.id]
        assert b.discussions.add_comment("2503.11677", ann.id, "New", "visible").id > top.id + 1
        b.close()
    finally:
        drop(middle)


@pytest.mark.needs_data
def test_copy_refuses_a_non_empty_target(store: object, tmp_path: Path) -> None:
    src = open_store(f"sqlite:///{tmp_path / 'src.db'}")
    src.migrate()
    import_files(src, [SAMPLE])
    dst = open_store(f"sqlite:///{tmp_path / 'dst.db'}")
    dst.migrate()
    import_files(dst, [SAMPLE])
    with pytest.raises(CopyError, match="already holds papers"):
        copy_store(src, dst)
    src.close()
    dst.close()


def test_every_table_is_registered_for_copy(store: object) -> None:
    from paperwire.store import Store

    assert isinstance(store, Store)
    assert store.tables.table_names() - {"migrations"} == set(store.tables.copy_tables())

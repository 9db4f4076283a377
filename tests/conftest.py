"""Shared fixtures: real SQLite files and real PostgreSQL schemas, never mocks of the store.

Every store test runs on both backends (the ``backend`` parameter); the PostgreSQL case carries the
``postgres`` marker from collection on. Each PostgreSQL store lives in its own schema of the ``test``
database, dropped afterwards, so concurrent runs never see each other's data.

Tests that read the shared data (../shared/data) carry the ``needs_data`` marker, set in their module or
here for the fixtures that read it; without the data they are skipped. Helpers live in tests/helpers/
(see tests/README.md); nothing imports this file.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from paperwire.config import Settings
from paperwire.runtime import Runtime
from paperwire.store import Store, open_store
from tests.helpers.clock import FakeTime
from tests.helpers.db import BACKENDS, PG_BASE, drop, new_url
from tests.helpers.embeddings import embed_sample
from tests.helpers.paths import MISSING_REASON, SAMPLE, SHARED, have_shared_data, require_shared_data
from tests.helpers.replay import ReplayServer

# fixtures of the accounts, community and digest tests (smtp, mail_rt, recorded_arxiv) and of the
# trending web tests (web_store, web_settings)
pytest_plugins = ["tests.helpers.community", "tests.helpers.world"]
# fixtures that read the shared data: a test using one of them needs it
DATA_FIXTURES = {"sample_runtime", "recorded_arxiv", "web_store"}


def pytest_sessionstart(session: pytest.Session) -> None:
    # A suite started as a background job of a shell without job control inherits SIGINT ignored, and
    # so would every process the tests start: the Ctrl-C tests would send a signal nobody hears. A
    # handler (unlike "ignored") is reset to the default in an exec'd child, which then handles Ctrl-C.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_report_header(config: pytest.Config) -> list[str]:
    data = f"shared data: {SHARED}" + ("" if have_shared_data() else " (MISSING: needs_data tests are skipped)")
    return [data, f"postgres: {PG_BASE}"]


# A plain hook, so that it runs before pytest's own (which deselects by -m) and after the one of
# tests/browser/conftest.py (a conftest registered later runs earlier).
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = not have_shared_data()
    for item in items:
        if DATA_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.needs_data)
        if missing and item.get_closest_marker("needs_data"):
            item.add_marker(pytest.mark.skip(reason=MISSING_REASON))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(backend: str, tmp_path: Path) -> Iterator[str]:
    url = new_url(backend, tmp_path)
    yield url
    drop(url)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=db_url, data_dir=tmp_path / "data", index_refresh_seconds=0)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = open_store(db_url)
    s.migrate()
    yield s
    s.close()


@pytest.fixture
def runtime(settings: Settings, store: Store) -> Iterator[Runtime]:
    rt = Runtime(settings, store)
    yield rt


@pytest.fixture(scope="session", params=BACKENDS)
def sample_runtime(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    """A store holding the 2,020-paper sample, indexed; shared by read-only tests."""
    from paperwire.importing import import_and_index

    require_shared_data()
    tmp = tmp_path_factory.mktemp(f"sample-{request.param}")
    url = new_url(str(request.param), tmp)
    rt = Runtime(Settings(database_url=url, data_dir=tmp / "data", index_refresh_seconds=0))
    report = import_and_index(rt.store, rt.indexes, [SAMPLE])
    assert report.inserted == 2020 and report.rejected == 0
    embed_sample(rt)
    yield rt
    rt.close()
    drop(url)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def replay() -> Iterator[ReplayServer]:
    """A replay HTTP server on 127.0.0.1 with no routes yet."""
    with ReplayServer() as server:
        yield server

"""Shared fixtures: real SQLite files and real PostgreSQL schemas, never mocks of the store.

Every store test runs on both backends (the ``backend`` parameter). Each
PostgreSQL store lives in its own schema of the ``test`` database, dropped
afterwards, so concurrent runs never see each other's data.
"""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from paperwire.config import Settings
from paperwire.ingest.http import HttpClient, HttpConfig
from paperwire.runtime import Runtime
from paperwire.store import Store, open_store
from tests.replay import ReplayServer

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("PAPERWIRE_SHARED_DATA", ROOT.parent / "shared" / "data"))
SAMPLE = SHARED / "arxiv" / "sample-2k.jsonl.gz"
FULL = SHARED / "arxiv" / "cs-2025-2026.jsonl.gz"
FIXTURES_SHARED = SHARED / "fixtures"
KAGGLE = FIXTURES_SHARED / "arxiv-kaggle" / "arxiv-metadata-oai-snapshot-200.json"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PG_BASE = os.environ.get("PAPERWIRE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", "postgres"]
# fixtures of the accounts, community and digest tests (smtp, mail_rt)
pytest_plugins = ["tests.community_helpers", "tests.web_world"]


def pytest_sessionstart(session: pytest.Session) -> None:
    if not SAMPLE.is_file():
        raise pytest.UsageError(f"shared data missing: {SAMPLE} (tests read ../shared/data in place)")
    # A suite started as a background job of a shell without job control inherits SIGINT ignored, and
    # so would every process the tests start: the Ctrl-C tests would send a signal nobody hears. A
    # handler (unlike "ignored") is reset to the default in an exec'd child, which then handles Ctrl-C.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def new_url(backend: str, tmp_path: Path) -> str:
    """A fresh, empty database URL for ``backend``."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / f'pw-{uuid.uuid4().hex[:6]}.db'}"
    return f"{PG_BASE}?schema=t_{uuid.uuid4().hex[:12]}"


def drop(url: str) -> None:
    if url.startswith("postgresql"):
        from paperwire.store.postgres import drop_schema

        drop_schema(url)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres":
        request.applymarker(pytest.mark.postgres)
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

    tmp = tmp_path_factory.mktemp(f"sample-{request.param}")
    url = new_url(str(request.param), tmp)
    rt = Runtime(Settings(database_url=url, data_dir=tmp / "data", index_refresh_seconds=0))
    report = import_and_index(rt.store, rt.indexes, [SAMPLE])
    assert report.inserted == 2020 and report.rejected == 0
    embed_sample(rt)
    yield rt
    rt.close()
    drop(url)


class FakeTime:
    """A clock that only moves when something sleeps: waits are recorded, never spent."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def replay() -> Iterator[ReplayServer]:
    """A replay HTTP server on 127.0.0.1 with no routes yet."""
    with ReplayServer() as server:
        yield server


def make_client(fake_time: FakeTime, min_interval: float = 0.0, retries: int = 2, timeout: float = 5.0,
                headers: dict[str, str] | None = None, **config: Any) -> HttpClient:
    """An HttpClient on the fake clock (so retries and pacing cost no real time)."""
    cfg = HttpConfig(user_agent="Paperwire/test (+http://127.0.0.1; mailto:tests@example.org)", timeout=timeout,
                     retries=retries, backoff=1.0, min_interval=min_interval, **config)
    return HttpClient(cfg, headers, clock=fake_time.clock, sleep=fake_time.sleep, rand=lambda: 0.5)


class CachedEmbedder:
    """The real embedder, remembering vectors by text in a file shared by test runs and workers.

    Embedding the 2k sample takes about a minute; every backend's sample store (and every later
    run) reuses those vectors. The vectors are the model's own: nothing is faked.
    """

    def __init__(self, inner: Any, path: Path) -> None:
        self.inner, self.path = inner, path
        self.model_id, self.dim = inner.model_id, inner.dim

    def embed(self, texts: Any) -> Any:
        import fcntl

        import numpy as np

        from paperwire.search.embed_papers import text_hash

        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            cache = dict(np.load(self.path)) if self.path.exists() else {}
            keys = [text_hash(t) for t in texts]
            missing = [t for t, k in zip(texts, keys, strict=True) if k not in cache]
            if missing:
                for text, vector in zip(missing, self.inner.embed(missing), strict=True):
                    cache[text_hash(text)] = vector
                tmp = self.path.with_suffix(".tmp.npz")
                np.savez(tmp, **cache)
                os.replace(tmp, self.path)
        return np.stack([cache[k] for k in keys]) if keys else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text: str) -> Any:
        return self.inner.embed_query(text)


def embed_sample(rt: Runtime) -> None:
    """Embed the store's papers with the real model (vectors cached across runs), then index them."""
    from paperwire.search.embed_papers import embed_missing

    assert rt.embedder is not None
    name = uuid.uuid5(uuid.NAMESPACE_URL, rt.embedder.model_id).hex
    cached = CachedEmbedder(rt.embedder, ROOT / "test-output" / "cache" / f"embeddings-{name}.npz")
    report = embed_missing(rt.store, cached, batch_size=500)
    assert report.embedded == rt.store.stats().papers
    rt.indexes.sync()

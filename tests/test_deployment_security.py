"""What an operator's deployment gets right by itself ("[W2 2/6] Hardening"): the database and indexes
only the service's user can read, a loud warning when an HTTPS site keeps its secret in the database,
and, behind a reverse proxy on another host, one sign-in throttle per visitor rather than one for all."""

from __future__ import annotations

import os
import re
import sqlite3
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from paperwire.config import Settings
from paperwire.runtime import Runtime
from paperwire.security.keys import stored_secret_warning
from paperwire.store import open_store
from tests.helpers.net import free_port
from tests.helpers.processes import paperwire, wait_ready

pytestmark = pytest.mark.slow  # the last two start `paperwire serve`


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The umask most services run with (022: new files world-readable), whatever the test runner's."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("usual_umask")
def test_the_database_and_the_indexes_are_private_to_the_service(tmp_path: Path) -> None:
    data = tmp_path / "srv" / "paperwire"  # neither exists yet
    rt = Runtime(Settings(data_dir=data, index_refresh_seconds=0))
    try:
        rt.store.migrate()
        rt.store.set_state("probe", "1")
        rt.indexes.sync()
        db = data / "paperwire.db"
        files = [db, db.with_name("paperwire.db-wal"), db.with_name("paperwire.db-shm")]
        assert all(f.exists() for f in files)  # WAL mode, connections open: all three are there
        assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
        index = data / "index"
        dirs = [tmp_path / "srv", data, index, rt.indexes.dir]
        assert {str(d): mode(d) for d in dirs} == {str(d): 0o700 for d in dirs}
    finally:
        rt.close()


@pytest.mark.usefixtures("usual_umask")
def test_files_an_older_version_left_readable_are_tightened(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)  # an existing directory keeps its mode: it may be shared
    db = tmp_path / "paperwire.db"
    old = sqlite3.connect(db)  # as an older version left it: 0644, with its WAL files
    old.execute("PRAGMA journal_mode=WAL")
    old.execute("CREATE TABLE leftover (x)")
    old.execute("INSERT INTO leftover VALUES (1)")
    old.commit()  # the connection stays open, so the -wal and -shm files stay too
    leftovers = [db, db.with_name("paperwire.db-wal"), db.with_name("paperwire.db-shm")]
    assert all(mode(f) == 0o644 for f in leftovers)
    (tmp_path / "index").mkdir(mode=0o755)
    settings = Settings(data_dir=tmp_path, index_refresh_seconds=0)
    rt = Runtime(settings, open_store(settings.resolved_database_url()))
    try:
        rt.store.migrate()
        rt.indexes.sync()
        assert {f.name: mode(f) for f in leftovers} == {f.name: 0o600 for f in leftovers}
        assert mode(tmp_path / "index") == mode(rt.indexes.dir) == 0o700
        assert mode(tmp_path) == 0o755
    finally:
        rt.close()
        old.close()


def test_the_secret_warning_is_for_https_sites_without_a_key(tmp_path: Path) -> None:
    https = Settings(data_dir=tmp_path, base_url="https://papers.example.org")
    assert "PAPERWIRE_SECRET_KEY is not set" in (stored_secret_warning(https) or "")
    assert stored_secret_warning(https.model_copy(update={"secret_key": SecretStr("k" * 40)})) is None
    assert stored_secret_warning(Settings(data_dir=tmp_path, base_url="http://localhost:8000")) is None


def serve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **env: str) -> tuple[int, Path, subprocess.Popen[str]]:
    """``paperwire serve`` on a new SQLite file with these ``PAPERWIRE_*`` variables only: (port, log, process)."""
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)  # uvicorn's own variable would decide otherwise
    for name in [k for k in os.environ if k.startswith("PAPERWIRE_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    port, log = free_port(), tmp_path / "serve.log"
    proc = paperwire(f"sqlite:///{tmp_path / 'site.db'}", tmp_path / "data", "serve", "--port", str(port), log=log)
    wait_ready(port, proc)
    return port, log, proc


def test_serve_warns_when_an_https_site_keeps_its_secret_in_the_database(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    _, log, proc = serve(tmp_path, monkeypatch, PAPERWIRE_BASE_URL="https://papers.example.org")
    proc.terminate()
    proc.wait(timeout=30)
    text = log.read_text()
    assert re.search(r"WARNING.*PAPERWIRE_SECRET_KEY is not set.*forge password-reset links", text), text[-2000:]


def test_behind_a_proxy_elsewhere_each_visitor_has_their_own_sign_in_throttle(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the proxy is 127.0.0.2: not this host's 127.0.0.1, which uvicorn trusts without being told
    port, _, proc = serve(tmp_path, monkeypatch, PAPERWIRE_FORWARDED_ALLOW_IPS="127.0.0.2",
                          PAPERWIRE_LOGIN_MAX_FAILURES_PER_IP="2")
    proxy = httpx.HTTPTransport(local_address="127.0.0.2")

    def sign_in(visitor: str, email: str) -> int:
        with httpx.Client(transport=proxy, base_url=f"http://127.0.0.1:{port}",
                          headers={"X-Forwarded-For": visitor}) as browser:
            form = browser.get("/signin")
            token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
            return browser.post("/signin", data={"csrf_token": token, "email": email, "password": "a guess"}
                                ).status_code

    try:
        assert [sign_in("203.0.113.7", f"user{i}@example.org") for i in range(3)] == [401, 401, 429]
        assert sign_in("198.51.100.20", "someone@example.org") == 401  # another visitor is not throttled
    finally:
        proc.terminate()
        proc.wait(timeout=30)

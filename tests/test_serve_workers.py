"""Several web workers re-create the settings from PAPERWIRE_* variables: every setting must survive the
trip (secrets in clear, unset ones unset), and such a server must start and serve."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from paperwire.config import Settings, settings_environment
from tests.helpers.net import free_port
from tests.helpers.processes import paperwire, wait_ready


def revealed(settings: Settings) -> dict[str, object]:
    return {name: (value.get_secret_value() if hasattr(value, "get_secret_value") else value)
            for name, value in ((n, getattr(settings, n)) for n in Settings.model_fields)}


def test_settings_survive_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in [k for k in os.environ if k.startswith("PAPERWIRE_")]:
        monkeypatch.delenv(key)
    original = Settings(data_dir=tmp_path, secret_key="s3cret-" * 6, smtp_password="pa ss", smtp_host="mx.example",
                        semantic_search=False, web_processes=2, dkim_private_key_path=None, harvest_sets="cs math")
    env = settings_environment(original)
    assert env["PAPERWIRE_DKIM_PRIVATE_KEY_PATH"] is None and env["PAPERWIRE_SECRET_KEY"] == "s3cret-" * 6
    for key, value in env.items():
        if value is not None:
            monkeypatch.setenv(key, value)
    assert revealed(Settings()) == revealed(original)


@pytest.mark.slow
def test_two_web_workers_start_and_serve(tmp_path: Path) -> None:
    port = free_port()
    db = f"sqlite:///{tmp_path / 'pw.db'}"
    server = paperwire(db, tmp_path / "data", "serve", "--port", str(port), "--workers", "2",
                       log=tmp_path / "serve.log")
    try:
        wait_ready(port, server)
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=10).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "Traceback" not in (tmp_path / "serve.log").read_text()

"""Emailed links carry their secret in the query string; the access log of a real ``paperwire serve`` must
not: whoever reads the logs (or the log shipper's storage) could confirm, manage or unsubscribe for
someone else, or reset their password."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from uvicorn.logging import AccessFormatter

from paperwire.web.server import RedactSecrets, redact_target
from tests.helpers.community import csrf_of, token_of
from tests.helpers.net import free_port
from tests.helpers.processes import paperwire, wait_ready
from tests.helpers.smtp import smtp_server


def test_secret_parameters_are_redacted_and_nothing_else() -> None:
    assert redact_target("/account/reset?token=abc.def") == "/account/reset?token=[redacted]"
    assert (redact_target("/x?q=token&csrf_token=s1&to%6Ben=s2&api_key=s3&page=2")
            == "/x?q=token&csrf_token=[redacted]&to%6Ben=[redacted]&api_key=[redacted]&page=2")
    assert redact_target("/search?q=reset+token") == "/search?q=reset+token"
    assert redact_target("/healthz") == "/healthz"


def test_the_filter_rewrites_uvicorns_access_record() -> None:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", "/subscriptions/manage?token=1.0.SECRET", "1.1", 200), None)
    assert RedactSecrets().filter(record)
    line = AccessFormatter("%(client_addr)s - \"%(request_line)s\" %(status_code)s", use_colors=False).format(record)
    assert "SECRET" not in line and "/subscriptions/manage?token=[redacted]" in line


@pytest.mark.slow
@pytest.mark.parametrize("processes", [1, 2])
def test_tokens_never_reach_the_access_log(processes: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with smtp_server() as (handler, smtp_port):
        for name, value in {"BASE_URL": base, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port),
                            "SMTP_RATE_PER_SECOND": "0", "LOG_LEVEL": "INFO"}.items():
            monkeypatch.setenv(f"PAPERWIRE_{name}", value)
        server = paperwire(f"sqlite:///{tmp_path / 'pw.db'}", tmp_path / "data", "serve", "--port", str(port),
                           "--workers", str(processes), log=log)
        try:
            wait_ready(port, server)
            with httpx.Client(base_url=base, timeout=30) as browser:
                form = browser.get("/subscribe")
                browser.post("/subscribe", data={"csrf_token": csrf_of(form.text), "email": "ann@example.org"})
                assert handler.wait_for(1, timeout=30), "no confirmation email"
                link = next(line for line in handler.messages[0].part("plain").split()
                            if line.startswith(f"{base}/subscriptions/confirm?"))
                token = token_of(link)
                page = browser.get(link)  # what the person does: open the link from the email
                assert page.status_code == 200 and "Confirm my subscription" in page.text
                browser.get("/account/reset", params={"token": "reset-secret-1"})
                browser.post(f"/unsubscribe?to%6Ben={quote('unsub-secret-2')}")  # Starlette reads it as token
        finally:
            server.terminate()
            server.wait(timeout=30)
    text = log.read_text()
    assert "GET /subscriptions/confirm?token=[redacted]" in text, text[-2000:]  # the line is there...
    for secret in (token, quote(token), "reset-secret-1", "unsub-secret-2"):
        assert secret not in text  # ...without the secret

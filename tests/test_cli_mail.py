"""The digest, subscribers, admin and dev commands."""

from __future__ import annotations

import builtins
import json
import signal
import smtplib
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from paperwire.cli import cli
from paperwire.models import Topic
from paperwire.runtime import Runtime
from tests.helpers.net import free_port
from tests.helpers.smtp import Handler


def run(rt: Runtime, *args: str) -> Result:
    s = rt.settings
    env = {"PAPERWIRE_SMTP_HOST": s.smtp_host, "PAPERWIRE_SMTP_PORT": str(s.smtp_port),
           "PAPERWIRE_SMTP_RATE_PER_SECOND": "0", "PAPERWIRE_BASE_URL": s.base_url}
    base = ["--db", s.resolved_database_url(), "--data-dir", str(s.data_dir)]
    return CliRunner().invoke(cli, [*base, *args], env=env, catch_exceptions=False)


def test_import_and_list_subscribers(mail_rt: Runtime, tmp_path: Path) -> None:
    mail_rt.store.subscriptions.add_subscriber("left@example.org", "daily", [], "unsubscribed", "web", "n")
    csv = tmp_path / "list.csv"
    csv.write_text('email,frequency,topics\nAnn@Example.org,daily,"energy-based models;cat:cs.LG;author:""Ada L"""\n'
                   "bob@example.org,weekly,\nleft@example.org,daily,graphs\nnot-an-address,daily,x\n"
                   "carl@example.org,hourly,x\nann@example.org,daily,again\n")
    result = run(mail_rt, "subscribers", "import", str(csv))
    assert result.exit_code == 1  # some rows were rejected: they are named, the rest is imported
    assert "added 2 confirmed subscribers, 1 already known" in result.stdout
    assert f"{csv}:5:" in result.stderr and f"{csv}:6: Choose daily or weekly" in result.stderr
    assert "appears twice" in result.stderr
    ann = mail_rt.store.subscriptions.get_subscriber_by_email("ann@example.org")
    assert ann is not None and ann.state == "confirmed" and ann.source == "import:list.csv"
    assert ann.topics == [Topic("query", "energy-based models"), Topic("category", "cs.LG"), Topic("author", "Ada L")]
    assert mail_rt.store.subscriptions.get_subscriber_by_email("left@example.org").state == "unsubscribed"  # type: ignore[union-attr]
    listed = json.loads(run(mail_rt, "subscribers", "list", "--json").stdout)
    assert {(r["email"], r["state"], r["source"]) for r in listed} == {
        ("left@example.org", "unsubscribed", "web"), ("ann@example.org", "confirmed", "import:list.csv"),
        ("bob@example.org", "confirmed", "import:list.csv")}
    text = run(mail_rt, "subscribers", "list", "--state", "confirmed").stdout
    assert "ann@example.org" in text and "left@" not in text and "cat:cs.LG" in text


def test_digest_run_preview_and_status(mail_rt: Runtime, smtp: tuple[Handler, int], tmp_path: Path) -> None:
    handler, _ = smtp
    mail_rt.store.subscriptions.add_subscriber("ann@example.org", "daily", [Topic("query", "energy-based models")],
                                               "confirmed", "web", "n")
    html = tmp_path / "preview.html"
    preview = run(mail_rt, "digest", "preview", "ann@example.org", "--date", "2026-06-29", "--html", str(html))
    assert "Subject: Paperwire daily digest" in preview.stdout
    assert "Matches your topic energy-based models" in preview.stdout
    assert "<html" in html.read_text() and handler.messages == []  # a preview sends nothing
    raw = run(mail_rt, "digest", "preview", "ann@example.org", "--date", "2026-06-29", "--raw").stdout
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in raw
    assert run(mail_rt, "digest", "preview", "zed@example.org").exit_code == 1
    result = run(mail_rt, "digest", "run", "--period", "daily", "--date", "2026-06-29")
    assert result.exit_code == 0 and "1 digests built" in result.stdout and "sent 1" in result.stdout
    again = run(mail_rt, "digest", "run", "--period", "daily", "--date", "2026-06-29")
    assert "0 digests built" in again.stdout and "1 built before" in again.stdout and len(handler.messages) == 1
    saturday = run(mail_rt, "digest", "run", "--date", "2026-07-04")
    assert "daily: not a sending day" in saturday.stdout
    assert json.loads(run(mail_rt, "digest", "status", "--json").stdout)["outbox"] == {"sent": 1}


def test_digest_run_fails_when_smtp_is_unreachable(mail_rt: Runtime) -> None:
    mail_rt.store.subscriptions.add_subscriber("ann@example.org", "daily", [], "confirmed", "web", "n")
    rt = Runtime(mail_rt.settings.model_copy(update={"smtp_port": free_port()}), mail_rt.store)
    result = run(rt, "digest", "run", "--date", "2026-06-29", "--period", "daily")
    assert result.exit_code == 1 and "cannot use SMTP server" in result.stdout
    assert "pending 1" in run(rt, "digest", "status").stdout


def test_mailto_unsubscribe(mail_rt: Runtime, smtp: tuple[Handler, int], tmp_path: Path) -> None:
    mail_rt.store.subscriptions.add_subscriber("ann@example.org", "daily", [], "confirmed", "web", "n")
    run(mail_rt, "digest", "run", "--period", "daily", "--date", "2026-06-29")
    header = smtp[0].messages[0].message["List-Unsubscribe"]
    subject = header.split("subject=", 1)[1].split(">", 1)[0].replace("%20", " ")
    mail = tmp_path / "in.eml"
    mail.write_text(f"From: ann@example.org\r\nTo: paperwire@localhost\r\nSubject: {subject}\r\n\r\n\r\n")
    assert "unsubscribed ann@example.org" in run(mail_rt, "digest", "inbound", str(mail)).stdout
    assert mail_rt.store.subscriptions.get_subscriber_by_email("ann@example.org").state == "unsubscribed"  # type: ignore[union-attr]
    mail.write_text("Subject: unsubscribe 1.0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n\r\n")
    assert "nothing done" in run(mail_rt, "digest", "inbound", str(mail)).stdout


def test_admin_commands(mail_rt: Runtime) -> None:
    store = mail_rt.store
    user = store.accounts.create_user("ann@example.org", "ann", "hash")
    store.accounts.update_user(user.id, verified=True)
    store.community.add_submission("2606.00001", user.id, "2606.00001")
    assert "ann" in run(mail_rt, "admin", "users").stdout
    assert run(mail_rt, "admin", "hide", "2606.00001", "--reason", "spam").exit_code == 0
    assert "HIDDEN (spam)" in run(mail_rt, "admin", "submissions").stdout and store.community.list_submissions() == []
    run(mail_rt, "admin", "hide", "2606.00001", "--show")
    assert len(store.community.list_submissions()) == 1
    assert run(mail_rt, "admin", "hide", "2606.00002").exit_code == 1
    run(mail_rt, "admin", "disable", "ann")
    assert store.accounts.get_user(user.id).disabled  # type: ignore[union-attr]
    run(mail_rt, "admin", "enable", "ann@example.org")
    run(mail_rt, "admin", "grant", "ann")
    flags = json.loads(run(mail_rt, "admin", "users", "--json").stdout)[0]
    assert not flags["disabled"] and flags["admin"]
    assert run(mail_rt, "admin", "disable", "nobody").exit_code == 1


def test_smtp_sink_says_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    real = builtins.__import__

    def no_aiosmtpd(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("aiosmtpd"):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_aiosmtpd)
    result = CliRunner().invoke(cli, ["dev", "smtp-sink", "--port", str(free_port())])
    assert result.exit_code == 1 and "needs aiosmtpd" in result.output and "make .venv/.dev" in result.output


def test_smtp_sink_prints_and_saves(tmp_path: Path) -> None:
    port = free_port()
    sink = subprocess.Popen([sys.executable, "-m", "paperwire", "dev", "smtp-sink", "--port", str(port), "--dir",
                             str(tmp_path / "mail")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(100):
            try:
                with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
                    client.sendmail("a@example.org", ["b@example.org"], b"Subject: hello\r\nContent-Type: text/html"
                                    b"\r\n\r\n<p>hi</p>\r\n")
                break
            except OSError:
                time.sleep(0.1)
        time.sleep(0.2)
    finally:
        sink.send_signal(signal.SIGINT)
        out, _ = sink.communicate(timeout=10)
    assert "SMTP sink listening on 127.0.0.1" in out and "Subject: hello" in out and "to b@example.org" in out
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 1 and len(list((tmp_path / "mail").glob("*.html"))) == 1

"""A sender killed mid-run (SIGKILL) and run again: every digest arrives, and only the messages that
were in flight at the kill may arrive twice, with the same Message-ID. Once here by hand, and then
through benchmarks/digest_crash.py in small (its big run: docs/benchmarks.md, "Digest crash safety")."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from paperwire.digest.service import deliver_outbox, run_digests
from paperwire.runtime import Runtime
from tests.helpers.paths import ROOT, SAMPLE
from tests.helpers.smtp import Handler, smtp_server
from tests.helpers.stalled_sender import LEASE_SECONDS

pytestmark = pytest.mark.slow
SUBSCRIBERS = 60


def sender(db_url: str, data_dir: Path, port: int, lease: int) -> subprocess.Popen[str]:
    env = {**os.environ, "PAPERWIRE_SMTP_HOST": "127.0.0.1", "PAPERWIRE_SMTP_PORT": str(port),
           "PAPERWIRE_SMTP_RATE_PER_SECOND": "0", "PAPERWIRE_SMTP_CONNECTIONS": "2",
           "PAPERWIRE_MAIL_LEASE_SECONDS": str(lease), "PAPERWIRE_MAIL_RETRY_SECONDS": "0",
           "PAPERWIRE_BASE_URL": "http://testserver"}
    cmd = [sys.executable, "-m", "paperwire", "--db", db_url, "--data-dir", str(data_dir), "digest", "deliver"]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_killed_sender_loses_nothing_and_repeats_only_what_was_in_flight(mail_rt: Runtime, db_url: str,
                                                                         tmp_path: Path) -> None:
    store = mail_rt.store
    store.subscriptions.import_subscribers([(f"s{i:03d}@example.org", "daily", [], "n") for i in range(SUBSCRIBERS)],
                                           "test")
    run = run_digests(mail_rt, "daily", date(2026, 6, 29), send=False)
    assert run.builds[0].built == SUBSCRIBERS
    with smtp_server(Handler(delay=0.03)) as (handler, port):
        first = sender(db_url, tmp_path / "data", port, lease=2)
        assert handler.wait_for(15, timeout=60), first.communicate(timeout=5)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        in_flight = {m.recipient for m in store.outbox.list_outbox(state="sending", limit=1000)}
        before = handler.per_recipient()
        assert 15 <= sum(before.values()) < SUBSCRIBERS and in_flight  # killed mid-run, holding claimed rows
        time.sleep(2.5)  # the dead sender's lease runs out
        second = sender(db_url, tmp_path / "data", port, lease=2)
        _, err = second.communicate(timeout=120)
        assert second.returncode == 0, err
        counts = handler.per_recipient()
    assert set(counts) == {f"s{i:03d}@example.org" for i in range(SUBSCRIBERS)}  # nothing lost
    twice = {address for address, n in counts.items() if n > 1}
    assert all(n <= 2 for n in counts.values()) and twice <= in_flight  # only messages in flight repeat
    # and of those, only one per connection can have been accepted but not yet recorded
    assert len(twice) <= 2
    assert store.outbox.outbox_counts() == {"sent": SUBSCRIBERS}
    ids = Counter((m.rcpt_tos[0], m.message["Message-ID"]) for m in handler.messages)
    assert len({rcpt for rcpt, _ in ids}) == len(ids)  # a repeat carries the same Message-ID
    print(f"delivered before the kill: {sum(before.values())}, in flight: {len(in_flight)}, repeated: {len(twice)}")


@pytest.mark.needs_data
def test_repeated_kills_lose_nothing(db_url: str) -> None:
    """The crash benchmark in small: 60 subscribers, the sender killed 3 times at random moments while it
    sends, each time started again: no digest lost, at most one repeat per connection per kill, each
    repeat with its original's Message-ID, every message recorded as sent."""
    run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "digest_crash.py"), "--db", db_url,
                          "--file", str(SAMPLE), "--subscribers", str(SUBSCRIBERS), "--kills", "3",
                          "--sink-delay", "0.05", "--max-after", "0.3"],  # 60 messages leave room for 3 kills
                         capture_output=True, text=True, timeout=600)
    assert run.stdout.strip(), run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["digests"] == SUBSCRIBERS and result["kills"] == 3 and result["lost"] == 0, result
    assert result["max_extra_per_kill"] <= result["connections"] and result["extra_outside_in_flight"] == 0, result
    assert result["message_id_mismatches"] == 0 and result["outbox"] == {"sent": SUBSCRIBERS}, result
    assert result["ok"] and run.returncode == 0, result


def test_a_sender_killed_between_accept_and_record_repeats_one_message_with_two_connections(
        mail_rt: Runtime, smtp: tuple[Handler, int], db_url: str, tmp_path: Path) -> None:
    """The worst moment for a kill: the server has said 250 and the "sent" is not recorded yet. The
    database stalls there (every record of "sent" waits), so with the default 2 connections the other
    connection would go on and get its own message accepted too; then SIGKILL. The next sender sends
    again what the dead one held: exactly one message arrives twice, with its Message-ID, none is lost."""
    store = mail_rt.store
    count = 45  # more than one claimed batch (20), so both connections have messages to send
    store.subscriptions.import_subscribers([(f"k{i:03d}@example.org", "daily", [], "n") for i in range(count)], "test")
    assert run_digests(mail_rt, "daily", date(2026, 6, 29), send=False).builds[0].built == count
    handler, port = smtp
    stalled = subprocess.Popen([sys.executable, "-m", "tests.helpers.stalled_sender", db_url,
                                str(tmp_path / "data"), str(port)], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        assert handler.wait_for(1, timeout=60), "the stalled sender never sent"
        handler.wait_for(2, timeout=1.5)  # time for the other connection to get a message accepted, if it can
    finally:
        stalled.send_signal(signal.SIGKILL)
        stalled.wait(timeout=10)
    accepted_before_kill = sum(handler.per_recipient().values())
    assert store.outbox.outbox_counts().get("sent", 0) == 0  # nothing was recorded: every accept is in the window
    time.sleep(LEASE_SECONDS + 0.5)  # the dead sender's lease runs out
    report = deliver_outbox(mail_rt)
    assert report.sent == count and report.failed == 0, report
    counts = handler.per_recipient()
    assert set(counts) == {f"k{i:03d}@example.org" for i in range(count)}  # nothing lost
    repeated = [address for address, n in counts.items() if n > 1]
    assert accepted_before_kill == 1 and len(repeated) == 1 and counts[repeated[0]] == 2, counts
    ids = {m.message["Message-ID"] for m in handler.to(repeated[0])}
    assert len(ids) == 1  # the repeat carries its original's Message-ID

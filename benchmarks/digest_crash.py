"""Digest delivery under repeated SIGKILL: nothing lost, at most one repeat per kill (whatever the number of
SMTP connections), and every repeat with its original's Message-ID. Prints one JSON object.

    .venv/bin/python benchmarks/digest_crash.py [--subscribers 1000] [--kills 20] [--db URL] [--connections 2]

Setup: the 2,020-paper sample imported, ``--subscribers`` confirmed daily subscribers with a few topics
each (``paperwire subscribers import``), and that day's digests queued (``paperwire digest run --no-send``).
An aiosmtpd sink in its own process records every message it accepts: recipient and Message-ID.

Then ``paperwire digest deliver`` runs in a subprocess; once it is sending (the sink has accepted a
message from it) it is killed with SIGKILL after a random 0 to ``--max-after`` seconds, and started
again; ``--kills`` times, then it runs to the end. The messages a killed sender held stay ``sending``
until their lease (``--lease`` seconds) ends, then the next sender takes them again. After each kill
the held messages are noted ("in flight"): only they may arrive twice, and one of them at most (the
connections pass one at a time from a message's final "." to its record "sent"; docs/digests.md).

Checks, in the JSON: ``lost`` (subscribers the sink never received a digest for; must be 0),
``extra_copies`` and ``max_extra_per_kill`` (must be ≤ 1), ``extra_outside_in_flight``
(repeats of messages no kill held; must be 0), ``message_id_mismatches`` (a repeat with another
Message-ID; must be 0), ``outbox`` (every message ``sent``), and ``ok`` for all of them.
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing as mp
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = ROOT.parent / "shared" / "data" / "arxiv" / "sample-2k.jsonl.gz"
DAY = "2026-06-02"  # a Tuesday with many of the sample's papers
TOPICS = ["language models", "diffusion", "cat:cs.CV", "cat:cs.LG", "reinforcement learning", "graph neural networks",
          '"large language models"', "cat:cs.CL", "robot"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- the SMTP sink, in its own process --------------------------------------------------------------------
def sink(port: int, delay: float, count: Any, ready: Any, stop: Any, out: Any) -> None:
    """Accept everything (after ``delay`` seconds per message, like a relay's disk write) and send back
    ``[(recipient, Message-ID, time its data ended), ...]`` once ``stop`` is set."""
    import asyncio
    from email.parser import BytesHeaderParser

    from aiosmtpd.controller import Controller

    received: list[tuple[str, str, float]] = []

    class Handler:
        async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
            # The time the final "." came in, before the relay's delay: a sender killed during that delay
            # had sent the message before its kill, and the repeat is charged to that kill.
            now = time.time()
            if delay:
                await asyncio.sleep(delay)
            headers = BytesHeaderParser().parsebytes(envelope.content)
            received.extend((rcpt, str(headers.get("Message-ID", "")), now) for rcpt in envelope.rcpt_tos)
            with count.get_lock():
                count.value += 1
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()
    out.send(received)


# -- setup ------------------------------------------------------------------------------------------------
def cli(db: str, data_dir: Path, env: dict[str, str], *args: str) -> list[str]:
    return [sys.executable, "-m", "paperwire", "--db", db, "--data-dir", str(data_dir), *args]


def prepare(db: str, data_dir: Path, env: dict[str, str], file: Path, subscribers: int, tmp: Path, seed: int
            ) -> dict[str, Any]:
    """Import the papers and the subscribers, queue the day's digests; returns what was queued."""
    subprocess.run(cli(db, data_dir, env, "import", str(file)), env=env, check=True, capture_output=True)
    rng = random.Random(seed)
    path = tmp / "subscribers.csv"
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["email", "frequency", "topics"])
        for i in range(subscribers):
            writer.writerow([f"reader{i:05d}@crash.example", "daily",
                             ";".join(dict.fromkeys(rng.sample(TOPICS, rng.randint(0, 3))))])
    subprocess.run(cli(db, data_dir, env, "subscribers", "import", str(path)), env=env, check=True,
                   capture_output=True)
    run = subprocess.run(cli(db, data_dir, env, "digest", "run", "--period", "daily", "--date", DAY, "--no-send"),
                         env=env, check=True, capture_output=True, text=True)
    return {"queued": run.stdout.strip().splitlines()[-1]}


# -- the kill loop ----------------------------------------------------------------------------------------
def held_by_owner(store: Any) -> dict[str, dict[str, str]]:
    """Messages claimed by senders (``sending``), per lease owner: key -> recipient."""
    held: dict[str, dict[str, str]] = defaultdict(dict)
    for m in store.outbox.list_outbox(state="sending", limit=100_000):
        held[m.lease_owner or ""][m.key] = m.recipient
    return held


def wait_for_leases(store: Any) -> None:
    """Sleep until every lease of a dead sender has run out (its messages are due again)."""
    from datetime import UTC, datetime

    leases = [m.lease_expires for m in store.outbox.list_outbox(state="sending", limit=100_000) if m.lease_expires]
    if leases:
        time.sleep(max(0.0, (max(leases) - datetime.now(UTC)).total_seconds()) + 0.1)


def crash_loop(deliver: list[str], env: dict[str, str], store: Any, count: Any, kills: int, max_after: float,
               rng: random.Random, deadline: float) -> tuple[list[dict[str, str]], list[float], int, int]:
    """Run senders until the outbox is sent, killing the first ``kills`` of them mid-send; returns the
    messages in flight at each kill, when each kill was over, the number of sender starts, and how many
    exited before their kill."""
    in_flight: list[dict[str, str]] = []
    killed_at: list[float] = []
    starts = early_exits = 0
    dead_owners: set[str] = set()  # one sender runs at a time: a lease owner not seen before is the one killed
    while time.monotonic() < deadline:
        counts = store.outbox.outbox_counts()
        if counts.get("pending", 0) + counts.get("sending", 0) == 0:
            break
        before = count.value
        proc = subprocess.Popen(deliver, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        starts += 1
        if len(in_flight) < kills:
            while proc.poll() is None and count.value == before and time.monotonic() < deadline:
                time.sleep(0.005)  # until this sender is sending
            time.sleep(rng.uniform(0.0, max_after))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                held = {owner: rows for owner, rows in held_by_owner(store).items() if owner not in dead_owners}
                dead_owners.update(held)
                in_flight.append({key: rcpt for rows in held.values() for key, rcpt in rows.items()})
                # Taken after the query, just before the next start: what the sink timestamps before this
                # moment came from the killed sender, even data it read from its socket after the kill.
                killed_at.append(time.time())
                continue  # restarted at once, as a supervisor would: it sends the rest, then what the dead held
            early_exits += 1
        else:
            _, err = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
            if proc.returncode != 0:
                raise RuntimeError(f"sender failed: {err[-2000:]}")
        wait_for_leases(store)  # it found nothing due but what dead senders still hold: wait for their leases
    return in_flight, killed_at, starts, early_exits


def verdict(received: list[tuple[str, str, float]], expected: set[str], in_flight: list[dict[str, str]],
            killed_at: list[float]) -> dict[str, Any]:
    """The figures: lost, repeats (per kill), Message-ID consistency.

    One sender runs at a time, so a copy that arrives again was first accepted from the sender that the
    next kill after that first arrival stopped: that kill is charged with the repeat."""
    per_recipient = Counter(rcpt for rcpt, _, _ in received)
    ids: dict[str, set[str]] = defaultdict(set)
    arrivals: dict[str, list[float]] = defaultdict(list)
    for rcpt, mid, at in received:
        ids[rcpt].add(mid)
        arrivals[rcpt].append(at)
    per_kill = [0] * len(killed_at)
    unexplained = 0
    for times in arrivals.values():
        for earlier in sorted(times)[:-1]:
            kill = next((k for k, at in enumerate(killed_at) if at >= earlier), None)
            if kill is None:
                unexplained += 1  # a repeat no kill explains: a bug
            else:
                per_kill[kill] += 1
    repeated = {rcpt for rcpt, n in per_recipient.items() if n > 1}
    ever_held = {rcpt for held in in_flight for rcpt in held.values()}
    return {
        "received": len(received), "distinct_recipients": len(per_recipient),
        "lost": len(expected - set(per_recipient)), "unexpected_recipients": len(set(per_recipient) - expected),
        "extra_copies": sum(per_kill) + unexplained, "recipients_repeated": len(repeated),
        "max_extra_per_kill": max(per_kill, default=0), "extra_per_kill": per_kill,
        "extra_outside_in_flight": unexplained + sum(per_recipient[r] - 1 for r in repeated - ever_held),
        "message_id_mismatches": sum(1 for rcpt in repeated if len(ids[rcpt]) != 1),
        "in_flight_per_kill": [len(held) for held in in_flight],
        "bound_per_kill": 1,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--db", default="", help="database URL; default a fresh SQLite file")
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--connections", type=int, default=2, help="SMTP connections per sender (the default)")
    parser.add_argument("--lease", type=int, default=2, help="mail_lease_seconds")
    parser.add_argument("--sink-delay", type=float, default=0.02, help="seconds the sink spends per message")
    parser.add_argument("--max-after", type=float, default=0.6, help="longest wait, once sending, before a kill")
    parser.add_argument("--timeout", type=float, default=900, help="give up after this many seconds")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    from paperwire.store import open_store

    rng = random.Random(args.seed)
    result: dict[str, Any] = {"subscribers": args.subscribers, "kills_asked": args.kills,
                              "connections": args.connections, "lease_seconds": args.lease,
                              "sink_delay_s": args.sink_delay, "load_before": [round(x, 2) for x in os.getloadavg()]}
    ctx = mp.get_context("spawn")
    count, ready, stop = ctx.Value("i", 0), ctx.Event(), ctx.Event()
    receiver, sender_end = ctx.Pipe(duplex=False)
    port = free_port()
    sink_process = ctx.Process(target=sink, args=(port, args.sink_delay, count, ready, stop, sender_end), daemon=True)
    with tempfile.TemporaryDirectory(prefix="pw-digest-crash-") as tmp_name:
        tmp = Path(tmp_name)
        db = args.db or f"sqlite:///{tmp}/crash.db"
        own_schema = db.startswith("postgresql://") and "schema=" not in db
        if own_schema:
            db += ("&" if "?" in db else "?") + f"schema=crash_{uuid.uuid4().hex[:8]}"
        result["backend"] = db.split(":", 1)[0]
        env = {**os.environ, "PAPERWIRE_SMTP_HOST": "127.0.0.1", "PAPERWIRE_SMTP_PORT": str(port),
               "PAPERWIRE_SMTP_RATE_PER_SECOND": "0", "PAPERWIRE_SMTP_CONNECTIONS": str(args.connections),
               "PAPERWIRE_MAIL_LEASE_SECONDS": str(args.lease), "PAPERWIRE_MAIL_RETRY_SECONDS": "0",
               "PAPERWIRE_BASE_URL": "http://crash.example", "PAPERWIRE_SEMANTIC_SEARCH": "false",
               "PAPERWIRE_LOG_LEVEL": "WARNING"}
        data_dir = tmp / "data"
        started = time.perf_counter()
        result.update(prepare(db, data_dir, env, args.file, args.subscribers, tmp, args.seed))
        result["setup_s"] = round(time.perf_counter() - started, 1)
        store = open_store(db)
        try:
            expected = {m.recipient for m in store.outbox.list_outbox(kind="digest", limit=1_000_000)}
            sink_process.start()
            ready.wait(30)
            started = time.perf_counter()
            deliver = cli(db, data_dir, env, "digest", "deliver")
            in_flight, killed_at, starts, early = crash_loop(deliver, env, store, count, args.kills, args.max_after,
                                                             rng, time.monotonic() + args.timeout)
            result["delivery_s"] = round(time.perf_counter() - started, 1)
            result.update(kills=len(in_flight), sender_starts=starts, exited_before_kill=early)
            result["outbox"] = store.outbox.outbox_counts()
            stop.set()
            received = receiver.recv()
            sink_process.join(10)
            result["digests"] = len(expected)
            result.update(verdict(received, expected, in_flight, killed_at))
        finally:
            store.close()
            if own_schema:
                from paperwire.store.postgres import drop_schema

                drop_schema(db)
    result["load_after"] = [round(x, 2) for x in os.getloadavg()]
    result["ok"] = (result["lost"] == 0 and result["unexpected_recipients"] == 0
                    and result["max_extra_per_kill"] <= 1 and result["extra_outside_in_flight"] == 0
                    and result["message_id_mismatches"] == 0 and result["outbox"] == {"sent": len(expected)}
                    and result["kills"] == args.kills)
    print(json.dumps(result))
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()

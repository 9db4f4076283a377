"""10,000 personalised digests built and delivered to a local SMTP server; prints one JSON object.

    .venv/bin/python benchmarks/digest.py [--subscribers 10000] [--db URL] [--template PATH] [--foryou]

Setup (not timed against the target): import the 75k-paper corpus and index it (``--template`` keeps
a SQLite copy to start from next time), then import 10,000 confirmed subscribers from a CSV with varied
topics drawn from the corpus: title phrases (popular ones shared by many subscribers, as in real lists),
categories, and authors; 70% daily, 30% weekly. An aiosmtpd server runs in its own process and counts
what it accepts; a web server (``paperwire serve``) runs on the same database while a probe measures
its latency before and during the run.

With ``--foryou`` every subscriber also gets an account holding the library of a users-dev reader (cycled)
and linked to the subscription, the recommender's background is fitted and every reader's model trained
(as the ``recommend-retrain`` job leaves them; setup, not timed), so each digest carries its For-you
section, built inside the timed run.

Timed: ``run_digests`` for the Monday 2026-06-29 (daily and weekly are both due), build plus delivery,
exactly what ``paperwire digest run`` does. Target: ≤ 120 s for 10,000 digests on this machine.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import multiprocessing as mp
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = ROOT.parent / "shared" / "data" / "arxiv" / "cs-2025-2026.jsonl.gz"
DAY = date(2026, 6, 29)
STOP = {"a", "an", "the", "of", "for", "and", "in", "on", "with", "to", "via", "from", "by", "at", "as", "is", "are",
        "towards", "toward", "using", "into", "through", "its", "their", "under", "over", "based", "we", "our"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] if ordered else 0.0


# -- the SMTP sink, in its own process ----------------------------------------------------------------
def sink(port: int, count: Any, ready: Any, stop: Any, out: Any) -> None:
    from aiosmtpd.controller import Controller

    recipients: Counter[str] = Counter()

    class Handler:
        async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
            recipients.update(envelope.rcpt_tos)
            with count.get_lock():
                count.value += 1
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()
    out.send({"distinct_recipients": len(recipients), "max_per_recipient": max(recipients.values(), default=0)})


# -- topics ------------------------------------------------------------------------------------------
def topic_pool(path: Path, seed: int) -> tuple[list[str], list[str], list[str]]:
    """Title phrases, categories and authors from the corpus, most frequent first."""
    phrases: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    authors: Counter[str] = Counter()
    with gzip.open(path, "rt") as fh:
        for line in fh:
            record = json.loads(line)
            words = [w.strip(":,.()?!").lower() for w in record["title"].split()]
            for n in (1, 2, 3):
                for i in range(len(words) - n + 1):
                    gram = words[i : i + n]
                    if all(w.isalpha() and len(w) > 2 for w in gram) and gram[0] not in STOP and gram[-1] not in STOP:
                        phrases[" ".join(gram)] += 1
            categories.update(c for c in record["categories"][:1] if c.startswith("cs."))
            authors.update(record["authors"][:3])
    top_phrases = [p for p, n in phrases.most_common(4000) if n >= 15]
    return top_phrases, [c for c, _ in categories.most_common(30)], [a for a, _ in authors.most_common(600)]


def write_subscribers(path: Path, n: int, pools: tuple[list[str], list[str], list[str]], seed: int) -> int:
    """A CSV of ``n`` subscribers; returns the number of distinct topics in it."""
    rng = random.Random(seed)
    phrases, categories, authors = pools
    weights = [1 / (i + 10) for i in range(len(phrases))]  # popular phrases are shared by many
    distinct: set[str] = set()
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["email", "frequency", "topics"])
        for i in range(n):
            topics: list[str] = []
            for phrase in rng.choices(phrases, weights, k=rng.choice((0, 1, 1, 2, 2, 3, 4, 5))):
                topics.append(f'"{phrase}"' if " " in phrase and rng.random() < 0.3 else phrase)
            if rng.random() < 0.4:
                topics.append(f"cat:{rng.choice(categories)}")
            if rng.random() < 0.15:
                topics.append(f'author:"{rng.choice(authors)}"')
            topics = list(dict.fromkeys(topics))
            distinct.update(topics)
            frequency = "weekly" if rng.random() < 0.3 else "daily"
            writer.writerow([f"reader{i:05d}@bench.example", frequency, ";".join(topics)])
    return len(distinct)


def link_readers(runtime: Any, users: Path) -> dict[str, Any]:
    """Give every subscriber an account with the library of a users-dev reader (cycled), link it, fit the
    background and train every model; returns the setup's figures."""
    from paperwire.recommend import service
    from paperwire.recommend.evaluation import load_readers
    from paperwire.store import ImportItem

    store, settings = runtime.store, runtime.settings
    readers = load_readers(users)
    started = time.perf_counter()
    saved = 0
    subscribers = store.subscriptions.list_subscribers("confirmed", limit=1_000_000)
    for n, sub in enumerate(subscribers):
        user = store.accounts.create_user(sub.email, f"reader{n:05d}", "x")
        library = readers[n % len(readers)].library
        store.library.import_items(user.id, [ImportItem(pid) for pid in library])
        store.subscriptions.update_subscriber(sub.id, user_id=user.id)
        saved += len(library)
    accounts_s = time.perf_counter() - started
    started = time.perf_counter()
    service.refresh_background(store, settings, force=True)
    background_s = time.perf_counter() - started
    started = time.perf_counter()
    report = service.retrain_stale(store, settings, limit=len(subscribers))
    return {"accounts": len(subscribers), "library_items": saved, "accounts_s": round(accounts_s, 1),
            "fit_background_s": round(background_s, 1), "models_trained": report.retrained,
            "train_s": round(time.perf_counter() - started, 1)}


def foryou_counts(store: Any) -> dict[str, float]:
    """How many built digests carry a For-you section, and its mean length (read from the outbox)."""
    with store.db.read() as tx:
        payloads = [json.loads(r[0]) for r in tx.execute("SELECT payload FROM outbox WHERE kind = 'digest'").all()]
    sections = [sum(1 for e in p["entries"] if any(kind == "foryou" for kind, _ in e["reasons"])) for p in payloads]
    with_section = [n for n in sections if n]
    return {"digests_with_foryou": len(with_section),
            "foryou_papers_per_section": round(sum(with_section) / max(len(with_section), 1), 1)}


# -- the web probe -------------------------------------------------------------------------------------
def probe(base: str, phase: Any, halt: Any, out: Any) -> None:
    """In its own process (so the sender's GIL cannot slow it): request a search and the home page in a
    loop, and send back ``(phase, milliseconds, ok)`` for each request."""
    paths = ["/api/v1/search?q=diffusion+models&limit=10", "/", "/api/v1/search?q=reinforcement+learning"]
    results = []
    with httpx.Client(base_url=base, timeout=60) as client:
        i = 0
        while not halt.is_set():
            started = time.perf_counter()
            try:
                ok = client.get(paths[i % len(paths)]).status_code == 200
            except httpx.HTTPError:
                ok = False
            results.append((phase.value, (time.perf_counter() - started) * 1000, ok))
            i += 1
            halt.wait(0.1)
    out.send(results)


def summary(times: list[float]) -> dict[str, float]:
    return {"requests": len(times), "p50_ms": round(statistics.median(times), 1) if times else 0.0,
            "p95_ms": round(percentile(times, 95), 1), "max_ms": round(max(times, default=0.0), 1)}


# -- main ---------------------------------------------------------------------------------------------------
def prepare(db: str, data_dir: Path, file: Path, template: Path | None) -> dict[str, Any]:
    from paperwire.config import Settings
    from paperwire.importing import import_and_index
    from paperwire.runtime import Runtime

    if template and template.exists() and db.startswith("sqlite:"):
        shutil.copy(template, db[len("sqlite:///"):])
        runtime = Runtime(Settings(database_url=db, data_dir=data_dir))
        started = time.perf_counter()
        runtime.indexes.sync()
        info = {"papers": runtime.store.stats().papers, "from_template": True,
                "index_s": round(time.perf_counter() - started, 1)}
        runtime.close()
        return info
    runtime = Runtime(Settings(database_url=db, data_dir=data_dir))
    report = import_and_index(runtime.store, runtime.indexes, [file])
    runtime.close()
    if template and db.startswith("sqlite:"):
        shutil.copy(db[len("sqlite:///"):], template)
    return {"papers": report.inserted, "import_s": round(report.seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--db", default="", help="database URL; default a fresh SQLite file")
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=4, help="SMTP connections (smtp_connections)")
    parser.add_argument("--template", type=Path, help="SQLite copy of the imported corpus, made on first use")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dkim-key", type=Path, help="DKIM-sign every message with this PEM RSA key")
    parser.add_argument("--foryou", action="store_true", help="link every subscriber to an account with a "
                        "users-dev reader's library, so every digest has a For-you section")
    parser.add_argument("--users", type=Path, default=ROOT.parent / "shared" / "data" / "eval" / "recsys"
                        / "users-dev.jsonl", help="the readers whose libraries --foryou uses")
    args = parser.parse_args()

    from paperwire.config import Settings
    from paperwire.digest.service import run_digests
    from paperwire.digest.subscriptions import import_csv
    from paperwire.runtime import Runtime

    result: dict[str, Any] = {"cpus": os.cpu_count(), "subscribers": args.subscribers, "day": DAY.isoformat()}
    with tempfile.TemporaryDirectory(prefix="pw-digest-bench-") as tmp_name:
        tmp = Path(tmp_name)
        db = args.db or f"sqlite:///{tmp}/bench.db"
        if db.startswith("postgresql://") and "schema=" not in db:
            db += ("&" if "?" in db else "?") + f"schema=bench_{uuid.uuid4().hex[:8]}"
        result["backend"] = db.split(":", 1)[0]
        data_dir = tmp / "data"
        result["corpus"] = prepare(db, data_dir, args.file, args.template)
        started = time.perf_counter()
        pools = topic_pool(args.file, args.seed)
        subscribers_csv = tmp / "subscribers.csv"
        distinct = write_subscribers(subscribers_csv, args.subscribers, pools, args.seed)
        smtp_port, web_port = free_port(), free_port()
        dkim = ({"dkim_selector": "bench", "dkim_domain": "example.org",
                 "dkim_private_key_path": args.dkim_key.absolute()} if args.dkim_key else {})
        result["dkim"] = bool(dkim)
        settings = Settings(database_url=db, data_dir=data_dir, smtp_host="127.0.0.1", smtp_port=smtp_port,
                            smtp_rate_per_second=0, smtp_connections=args.connections, index_refresh_seconds=3600,
                            base_url="https://papers.example.org", anonymous_rate_per_minute=0, **dkim)
        runtime = Runtime(settings)
        imported = import_csv(runtime.store, settings, subscribers_csv, "bench")
        result["setup"] = {"subscribers_imported": imported.added, "distinct_topics_in_csv": distinct,
                           "seconds": round(time.perf_counter() - started, 1)}
        result["foryou_setup"] = link_readers(runtime, args.users) if args.foryou else None

        count, ready, stop = mp.Value("i", 0), mp.Event(), mp.Event()
        sink_report, sink_end = mp.Pipe(duplex=False)
        smtp = mp.Process(target=sink, args=(smtp_port, count, ready, stop, sink_end))
        smtp.start()
        ready.wait(30)
        env = {**os.environ, "PAPERWIRE_SMTP_HOST": "127.0.0.1", "PAPERWIRE_SMTP_PORT": str(smtp_port)}
        web = subprocess.Popen([sys.executable, "-m", "paperwire", "--db", db, "--data-dir", str(data_dir), "serve",
                                "--port", str(web_port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            for _ in range(600):
                try:
                    if httpx.get(f"http://127.0.0.1:{web_port}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            phase, halt = mp.Value("i", 0), mp.Event()
            receive, send = mp.Pipe(duplex=False)
            prober = mp.Process(target=probe, args=(f"http://127.0.0.1:{web_port}", phase, halt, send))
            prober.start()
            time.sleep(5)
            phase.value = 1
            started = time.perf_counter()
            run = run_digests(runtime, None, DAY)
            total = time.perf_counter() - started
            phase.value = 2
            halt.set()
            samples = receive.recv()
            prober.join(30)
        finally:
            web.terminate()
            web.wait(30)
            stop.set()
            received = sink_report.recv() if sink_report.poll(30) else {}
            smtp.join(30)
        delivery = run.delivery
        assert delivery is not None
        built = sum(b.built for b in run.builds)
        result["run"] = {
            "digests_built": built, "empty_skipped": sum(b.empty for b in run.builds),
            "distinct_topics_searched": sum(b.topics for b in run.builds),
            "papers_per_digest": round(sum(b.papers for b in run.builds) / max(built, 1), 1),
            "build_s": round(sum(b.seconds for b in run.builds), 1), "deliver_s": round(delivery.seconds, 1),
            "total_s": round(total, 1), "digests_per_s": round(built / total, 1),
            "sent": delivery.sent, "failed": delivery.failed, "received_by_smtp": count.value, **received,
            "outbox": runtime.store.outbox.outbox_counts(),
            "errors": [e for b in run.builds for e in b.errors][:5],
        }
        if args.foryou:
            result["run"]["foryou"] = foryou_counts(runtime.store)
        result["web_during_run"] = {"idle": summary([ms for p, ms, _ in samples if p == 0]),
                                    "during": summary([ms for p, ms, _ in samples if p == 1]),
                                    "errors": sum(1 for _, _, ok in samples if not ok)}
        result["target"] = {"digests": args.subscribers, "max_total_s": 120,
                            "met": built == count.value == args.subscribers and total <= 120
                            and received.get("max_per_recipient") == 1}
        runtime.close()
        if db.startswith("postgresql://"):
            from paperwire.store.postgres import drop_schema

            drop_schema(db)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

"""Several real processes on one database: two importers and two web servers at once.

Nothing may be corrupted, duplicated or lost: every paper of the sample lands
exactly once with its exact content, both importers succeed, the web
processes answer throughout (no 5xx) and their local indexes catch up.
"""

from __future__ import annotations

import gzip
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from paperwire.ingest.paper_files import read_file
from paperwire.store import open_store
from tests.helpers.net import free_port
from tests.helpers.paths import FULL, SAMPLE
from tests.helpers.processes import paperwire, wait_ready

pytestmark = pytest.mark.slow


@pytest.mark.needs_data
def test_two_importers_and_two_web_servers(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERWIRE_ANONYMOUS_RATE_PER_MINUTE", "0")  # the clients below search as fast as they can
    with gzip.open(SAMPLE, "rt") as fh:
        lines = fh.read().splitlines()
    part_a, part_b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    part_a.write_text("\n".join(lines[:1400]) + "\n")  # the halves overlap on 800 papers
    part_b.write_text("\n".join(lines[600:]) + "\n")
    store = open_store(db_url)
    store.migrate()
    data_dir = tmp_path / "data"
    ports = [free_port(), free_port()]
    servers = [paperwire(db_url, data_dir, "serve", "--port", str(p), log=tmp_path / f"serve-{p}.log") for p in ports]
    errors: list[str] = []
    stop = threading.Event()

    def hammer(port: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            while not stop.is_set():
                for path in ("/api/v1/search?q=language+models", "/api/v1/daily", "/", "/search?q=vision"):
                    try:
                        r = client.get(path)
                    except httpx.HTTPError as exc:  # a hung or dead server is a failure too
                        errors.append(f"{port} {path} {exc!r}")
                        return
                    if r.status_code >= 500:
                        errors.append(f"{port} {path} {r.status_code}")

    try:
        for port, proc in zip(ports, servers, strict=True):
            wait_ready(port, proc)
        clients = [threading.Thread(target=hammer, args=(p,)) for p in ports]
        for c in clients:
            c.start()
        importers = [paperwire(db_url, data_dir, "import", "--batch-size", "50", str(p)) for p in (part_a, part_b)]
        outputs = [proc.communicate(timeout=300) for proc in importers]
        for proc, (_out, err) in zip(importers, outputs, strict=True):
            assert proc.returncode == 0, err
        inserted = sum(int(out.split()[1].rstrip(",")) for out, _ in outputs)
        assert inserted == 2020  # the overlap was inserted once, by whichever importer came first
        time.sleep(0.5)
        stop.set()
        for c in clients:
            c.join()
        assert not errors, errors[:5]

        expected = {p.id: p.content_hash() for p in read_file(SAMPLE, lambda m: None)}
        stored = {p.id: p.content_hash() for p in store.papers.iter_papers()}
        assert stored == expected
        seqs = [e.seq for e in store.papers.changed_since(0, 10_000)]
        assert len(seqs) == len(set(seqs)) == 2020
        for port in ports:  # each web process's index catches up with everything
            deadline = time.time() + 30
            while True:
                total = httpx.get(f"http://127.0.0.1:{port}/api/v1/search", params={"q": "cat:cs"}).json()["total"]
                if total == 2020 or time.time() > deadline:
                    break
                time.sleep(0.5)
            assert total == 2020
    finally:
        stop.set()
        for proc in servers:
            proc.terminate()
            proc.wait(timeout=30)
        store.close()


CLAIM = """
import sys, time
from paperwire.store import open_store
store = open_store(sys.argv[1])
deadline = float(sys.argv[3])
while time.time() < deadline:
    time.sleep(0.001)
won = store.jobs.claim_job(sys.argv[2], lease_seconds=600)
print(won or "-")
"""


def test_a_job_is_claimed_by_exactly_one_of_many_processes(db_url: str) -> None:
    store = open_store(db_url)
    store.migrate()
    store.jobs.ensure_job("harvest-arxiv", 3600)
    start = time.time() + 2  # all processes claim at the same instant
    procs = [subprocess.Popen([sys.executable, "-c", CLAIM, db_url, f"worker-{i}", str(start)],
                              stdout=subprocess.PIPE, text=True) for i in range(6)]
    results = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert sorted(results) == ["-"] * 5 + ["harvest-arxiv"]
    job = store.jobs.list_jobs()[0]
    assert job.lease_owner is not None and job.lease_owner.startswith("worker-")
    store.close()


@pytest.mark.needs_data
def test_ctrl_c_mid_import_leaves_nothing_half_written(db_url: str, tmp_path: Path) -> None:
    import signal

    store = open_store(db_url)
    store.migrate()
    proc = paperwire(db_url, tmp_path / "data", "import", "--batch-size", "500", str(FULL))
    deadline = time.time() + 120
    while store.stats().papers < 3000 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrupted" in err
    landed = store.stats().papers
    assert 3000 <= landed < 74728
    # every stored paper is whole: the same content as in the file, with its categories
    source = {p.id: p for p in read_file(FULL, lambda m: None)}
    for paper in store.papers.iter_papers():
        assert paper.content_hash() == source[paper.id].content_hash()
    assert sum(store.papers.count_papers(category=c) for c in ("cs.CV", "cs.CL")) > 0
    again = paperwire(db_url, tmp_path / "data", "import", str(FULL))
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0, err
    assert out.startswith(f"imported {74728 - landed}, updated 0, rejected 0")
    assert store.stats().papers == 74728
    store.close()

"""``paperwire run`` never leaves orphans: a closed terminal (SIGHUP) stops the web service and the worker
gracefully, and a supervisor killed outright (SIGKILL) takes them with it; with ``serve --processes N``
uvicorn's processes go too. Real processes on an empty SQLite database, offline. Linux (reads /proc)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.helpers.net import free_port
from tests.helpers.paths import ROOT
from tests.helpers.processes import alive, descendants, port_free, wait_ready

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")]
OFFLINE = {  # only the trending job (no network), and nothing that waits on a remote host
    "PAPERWIRE_SCHEDULE_HARVEST_ARXIV_MINUTES": "0", "PAPERWIRE_SCHEDULE_HARVEST_LISTING_MINUTES": "0",
    "PAPERWIRE_SCHEDULE_HARVEST_STARS_MINUTES": "0", "PAPERWIRE_SCHEDULE_EMBED_MINUTES": "0",
    "PAPERWIRE_SCHEDULE_HARVEST_HF_MINUTES": "0", "PAPERWIRE_SCHEDULE_TRENDING_MINUTES": "60",
    "PAPERWIRE_SEMANTIC_SEARCH": "false", "PAPERWIRE_WORKER_POLL_SECONDS": "0.5", "PAPERWIRE_LOG_LEVEL": "INFO",
}
BOUND = 30.0  # seconds: the children's graceful stop takes one or two


def wait_until(predicate: Callable[[], bool], timeout: float = BOUND) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def start_run(tmp_path: Path, port: int, **env: str) -> subprocess.Popen[str]:
    """``paperwire run`` with its output (and its children's) in tmp_path/run.log."""
    cmd = [sys.executable, "-m", "paperwire", "--db", f"sqlite:///{tmp_path / 'pw.db'}",
           "--data-dir", str(tmp_path / "data"), "run", "--port", str(port)]
    with (tmp_path / "run.log").open("w") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **OFFLINE, **env}, stdout=log,
                                stderr=subprocess.STDOUT, text=True)
    try:
        wait_ready(port, proc)
    except AssertionError:
        kill_all(proc, descendants(proc.pid))
        raise
    return proc


def serving(tmp_path: Path, proc: subprocess.Popen[str], processes: int) -> list[int]:
    """The supervisor's descendants once all are up: serve (and its N processes) and the worker."""
    expected = 2 + (processes if processes > 1 else 0)
    assert wait_until(lambda: len(descendants(proc.pid)) >= expected), (descendants(proc.pid), log_of(tmp_path))
    assert wait_until(lambda: "worker " in log_of(tmp_path) and "started" in log_of(tmp_path))
    return descendants(proc.pid)


def log_of(tmp_path: Path) -> str:
    return (tmp_path / "run.log").read_text()


def kill_all(proc: subprocess.Popen[str], pids: list[int]) -> None:
    """Leave nothing behind, whatever the outcome (a failed test must not leave orphans either)."""
    for pid in [*pids, proc.pid]:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
    proc.wait(BOUND)


def assert_all_gone(tmp_path: Path, pids: list[int], port: int) -> None:
    assert wait_until(lambda: not any(alive(p) for p in pids)), \
        f"orphans still running: {[p for p in pids if alive(p)]}\n{log_of(tmp_path)}"
    assert wait_until(lambda: port_free(port)), f"port {port} still taken"
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)


@pytest.mark.parametrize("processes", [1, 2])
def test_a_closed_terminal_stops_the_web_service_and_the_worker(tmp_path: Path, processes: int) -> None:
    port = free_port()
    proc = start_run(tmp_path, port, PAPERWIRE_WEB_PROCESSES=str(processes))
    children = []
    try:
        children = serving(tmp_path, proc, processes)
        proc.send_signal(signal.SIGHUP)  # what the terminal or ssh session sends as it closes
        assert proc.wait(BOUND) == 0
        assert_all_gone(tmp_path, children, port)
    finally:
        kill_all(proc, children)
    log = log_of(tmp_path)
    assert "stopped" in log and "Finished server process" in log  # both stopped gracefully, not killed


@pytest.mark.parametrize("processes", [1, 2])
def test_children_stop_by_themselves_when_the_supervisor_is_killed(tmp_path: Path, processes: int) -> None:
    port = free_port()
    proc = start_run(tmp_path, port, PAPERWIRE_WEB_PROCESSES=str(processes))
    children = []
    try:
        children = serving(tmp_path, proc, processes)
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=10).status_code == 200
        proc.send_signal(signal.SIGKILL)  # no handler runs: only the children can notice
        proc.wait(BOUND)
        assert_all_gone(tmp_path, children, port)
    finally:
        kill_all(proc, children)
    log = log_of(tmp_path)
    assert "stopped" in log and "Finished server process" in log  # SIGTERM, so a graceful stop


PARENT = """
import subprocess, sys
from paperwire.lifeline import Lifeline
line = Lifeline()
child = subprocess.Popen([sys.executable, "-c", sys.argv[1]], env={**__import__("os").environ, **line.child_env()},
                         pass_fds=line.pass_fds)
print(child.pid, flush=True)
child.wait()
"""
CHILD = """
import signal, sys, time
from paperwire.lifeline import follow_parent
def stop(signum, frame):
    print("SIGTERM", flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
assert follow_parent(use_prctl=False)
time.sleep(120)
"""


def test_the_portable_pipe_stops_a_child_whose_parent_is_killed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with out.open("w") as fh:
        parent = subprocess.Popen([sys.executable, "-c", PARENT, CHILD], cwd=ROOT, stdout=fh, text=True)
    try:
        assert wait_until(lambda: out.read_text().strip() != "", 20)
        child = int(out.read_text().split()[0])
        assert alive(child)
        parent.send_signal(signal.SIGKILL)
        parent.wait(BOUND)
        assert wait_until(lambda: not alive(child), 10), "the child outlived its parent"
    finally:
        if parent.poll() is None:
            parent.kill()
    assert out.read_text().split()[1:] == ["SIGTERM"]  # it stopped through its handler, not killed

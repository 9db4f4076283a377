"""``paperwire`` commands in their own processes, and waiting for a server process to answer."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx


def paperwire(db_url: str, data_dir: Path, *args: str, log: Path | None = None) -> subprocess.Popen[str]:
    """A paperwire process; its output is piped, or goes to ``log`` for long-running servers (a pipe nobody
    reads fills up after 64 kB of access log and then blocks the server mid-response)."""
    cmd = [sys.executable, "-m", "paperwire", "--db", db_url, "--data-dir", str(data_dir), *args]
    if log is not None:
        with log.open("w") as out:
            return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, text=True)
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_ready(port: int, proc: subprocess.Popen[str]) -> None:
    for _ in range(200):
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("server did not start")

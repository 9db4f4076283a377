"""``paperwire run``: the web service and the worker together, as two child processes.

Each child gets its own session, so a Ctrl-C in the terminal, or the SIGHUP
of a closed terminal or ssh session, reaches only the supervisor, which then
asks both children to stop (SIGTERM: uvicorn closes its connections, the
worker finishes or releases its job) and waits for them. A supervisor that
dies without that chance (SIGKILL, a crash) does not leave them running as
orphans: each child follows it (``lifeline``: the kernel's parent-death
signal on Linux, a pipe elsewhere) and stops the same graceful way. A
worker that exits on its own is restarted after a pause — the site keeps
serving what it has meanwhile; the web service exiting ends the whole thing
with its exit code.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from types import FrameType

from paperwire.lifeline import Lifeline

log = logging.getLogger(__name__)


class Supervisor:
    """Starts ``web`` and ``worker`` (argument vectors) and keeps them running until stopped."""

    def __init__(self, web: Sequence[str], worker: Sequence[str], env: Mapping[str, str] | None = None,
                 restart_delay: float = 10.0, stop_timeout: float = 30.0) -> None:
        self.commands = {"web": list(web), "worker": list(worker)}
        self.env = dict(env) if env is not None else None
        self.restart_delay = restart_delay
        self.stop_timeout = stop_timeout
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self._stop = threading.Event()
        self._lifeline: Lifeline | None = None

    def _start(self, name: str) -> None:
        # Called from the main thread only: Linux sends the parent-death signal when the *thread*
        # that started a child ends, so a child started from a passing thread would be stopped early.
        assert self._lifeline is not None
        env = {**(self.env if self.env is not None else os.environ), **self._lifeline.child_env()}
        self.procs[name] = subprocess.Popen(self.commands[name], env=env, start_new_session=True,
                                            pass_fds=self._lifeline.pass_fds)
        log.info("started %s (pid %d)", name, self.procs[name].pid)

    def stop(self, signum: int | None = None, frame: FrameType | None = None) -> None:
        """Ask the supervisor to stop both children (a signal handler, or from another thread)."""
        self._stop.set()

    def run(self) -> int:
        """Run until stopped or until the web service exits; returns the exit code to use."""
        code = 0
        self._lifeline = Lifeline()
        self._start("web")
        self._start("worker")
        restart_at: float | None = None
        try:
            while not self._stop.wait(0.2):
                web = self.procs["web"].poll()
                if web is not None:
                    log.error("the web service exited with code %d; stopping the worker", web)
                    code = web or 1
                    break
                if restart_at is None and self.procs["worker"].poll() is not None:
                    log.error("the worker exited with code %d; restarting it in %g s (the site keeps serving)",
                              self.procs["worker"].returncode, self.restart_delay)
                    restart_at = time.monotonic() + self.restart_delay
                if restart_at is not None and time.monotonic() >= restart_at:
                    restart_at = None
                    self._start("worker")
        finally:
            self._terminate()
            self._lifeline.close()
        return code

    def _terminate(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        for name, proc in self.procs.items():
            try:
                proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                log.error("%s did not stop within %g s; killing it", name, self.stop_timeout)
                proc.kill()
                proc.wait()

    def install_signal_handlers(self) -> None:
        """SIGINT (Ctrl-C), SIGTERM and SIGHUP (the terminal closed) stop both children (call from the main
        thread)."""
        signal.signal(signal.SIGINT, self.stop)
        signal.signal(signal.SIGTERM, self.stop)
        if hasattr(signal, "SIGHUP"):
            signal.signal(signal.SIGHUP, self.stop)

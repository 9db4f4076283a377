"""A child process's tie to the process that started it: when the parent dies, the child stops.

``paperwire run`` (supervisor.py) and ``serve --processes N`` start children that would otherwise
outlive a parent killed without a chance to stop them (SIGKILL, the OOM killer, a crash): orphans
that keep the port and keep running jobs. The parent hands each child, through its environment, its
own pid and (optionally) the read end of a pipe whose write end only the parent holds; at start the
child calls ``follow_parent()``:

- on Linux it asks the kernel for SIGTERM when its parent dies (``prctl(PR_SET_PDEATHSIG)``), then
  checks ``getppid()``: a parent that died before the request was made would never signal;
- elsewhere (or if ``prctl`` is refused) a daemon thread reads the pipe: end of file means every copy
  of the write end is closed, which the kernel does when the parent exits, however it exits.

Either way the child receives SIGTERM and stops through its usual graceful path (uvicorn closes its
connections; the worker finishes or gives back its job). Only one of the two is armed, so a child
never gets the signal twice (a second SIGTERM interrupts the worker's job without its grace period).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import signal
import sys
import threading

log = logging.getLogger(__name__)

ENV_PID = "PAPERWIRE_PARENT_PID"
ENV_FD = "PAPERWIRE_PARENT_PIPE_FD"
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


class Lifeline:
    """The parent's side: a pipe whose write end stays in this process (never inherited)."""

    def __init__(self) -> None:
        # os.pipe() makes both ends non-inheritable: only the children named in pass_fds get the
        # read end, and no child ever holds the write end (which would keep the pipe open).
        self.read_fd, self.write_fd = os.pipe()

    def child_env(self) -> dict[str, str]:
        """Variables that tell a child started with ``pass_fds=self.pass_fds`` whom to follow."""
        return {ENV_PID: str(os.getpid()), ENV_FD: str(self.read_fd)}

    @property
    def pass_fds(self) -> tuple[int, ...]:
        """The file descriptors a child must inherit (``subprocess.Popen(pass_fds=...)``)."""
        return (self.read_fd,)

    def close(self) -> None:
        """Close both ends (children still running see end of file)."""
        for fd in (self.read_fd, self.write_fd):
            with contextlib.suppress(OSError):
                os.close(fd)


def parent_env() -> dict[str, str]:
    """Variables for children started by this process without a pipe (``prctl`` only, Linux)."""
    return {ENV_PID: str(os.getpid())}


def set_death_signal(signum: int) -> bool:
    """Ask Linux to send ``signum`` to this process when its parent dies; False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return bool(libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def follow_parent(signum: int = signal.SIGTERM, use_prctl: bool = True) -> bool:
    """Stop (receive ``signum``) when the parent named in the environment dies; False if none is named.

    The variables are removed from the environment, so this process's own children (uvicorn's worker
    processes) do not take the parent's pipe number for one of theirs. ``use_prctl=False`` uses the
    pipe even on Linux (for tests of the portable way).
    """
    pid_text = os.environ.pop(ENV_PID, None)
    fd_text = os.environ.pop(ENV_FD, None)
    if pid_text is None:
        return False
    armed = use_prctl and set_death_signal(signum)
    if armed:
        if fd_text is not None:
            with contextlib.suppress(OSError):
                os.close(int(fd_text))
        if os.getppid() != int(pid_text):  # gone before we asked: the kernel will not signal
            log.warning("parent %s is gone; stopping", pid_text)
            os.kill(os.getpid(), signum)
    elif fd_text is not None:  # the pipe needs no such check: a parent already gone is an end of file
        threading.Thread(target=_watch_pipe, args=(int(fd_text), signum), name="lifeline", daemon=True).start()
    else:
        log.warning("no way to follow parent %s on this system: this process outlives it", pid_text)
    return True


def _watch_pipe(fd: int, signum: int) -> None:
    try:
        while os.read(fd, 1):  # nobody writes: read returns b"" when the parent is gone
            pass
    except OSError:
        pass
    log.warning("parent process is gone; stopping")
    os.kill(os.getpid(), signum)

"""Turns at a host: one request at a time, at least ``min_interval`` seconds apart.

arXiv's rule (one request every three seconds, one connection) holds for a whole
site, not for one client object: the web processes, the worker and a command
run by hand all count. A ``Pacer`` gives out turns per key (a host, or a name
such as ``arxiv.org`` for all of a source's hosts) at two levels:

- **in this process**: a lock per key (one request at a time) and the instant
  the next request may start, shared by every client built with
  ``process_pacer`` (all arXiv fetchers of a process);
- **across processes**: a ``PaceLedger``, a row per key in the database
  (``store.pacing``) that a turn holds while its request runs and that says when
  the next one may start, so N web processes and workers on one database keep
  the rate together.

The gap after a turn is set by its request: ``min_interval`` normally, more when
the server asked for it (``Retry-After``) or when it failed (backoff). Everyone
waiting for that key then waits it out, which is what the server asked.

Time is injectable (``clock``, ``sleep``); the ledger keeps its own (the
database's), since several processes must agree on it.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

log = logging.getLogger(__name__)

HOLD_MARGIN = 5.0
"""Seconds a turn's hold in the ledger outlives its request's deadline. A process killed mid-request is
seen to be gone by the processes of its own host at once (``holder_is_gone``); those of other hosts
wait for its hold to expire: the request's deadline and this margin, at most."""


class PaceLedger(Protocol):
    """Turns shared by every process of an instance (``store.pacing`` implements it)."""

    def take_turn(self, key: str, owner: str, hold_seconds: float, gone: Callable[[str], bool]) -> float:
        """Take the turn at ``key`` for at most ``hold_seconds`` if it is free (or its holder is ``gone``)
        and due: return 0. Otherwise return how many seconds to wait before asking again."""
        ...

    def end_turn(self, key: str, owner: str, gap_seconds: float) -> None:
        """Give the turn back; the next one at ``key`` starts ``gap_seconds`` from now at the earliest."""
        ...


class TurnTimeout(RuntimeError):
    """No turn could start before the request's deadline."""


@dataclass
class Turn:
    """A granted turn; its request sets ``gap``, the least wait before the next turn at the key."""

    gap: float


@dataclass
class _KeyState:
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_at: float = float("-inf")


class LocalTurns:
    """Per key: the lock and the next allowed start, for the pacers of one process that share it."""

    def __init__(self) -> None:
        self._keys: dict[str, _KeyState] = {}
        self._lock = threading.Lock()

    def state(self, key: str) -> _KeyState:
        """The state of ``key``, made on first use."""
        with self._lock:
            return self._keys.setdefault(key, _KeyState())


_PROCESS_TURNS = LocalTurns()


def _this_host() -> str:
    # the host name, and the process namespace when there is one: two containers may share a host name
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        namespace = ""
    return f"{socket.gethostname()}/{namespace}"


def default_owner() -> str:
    """A name for a pacer's holds in the ledger: host (and process namespace), process id, a random part."""
    return f"{_this_host()}|{os.getpid()}|{secrets.token_hex(4)}"


def holder_is_gone(holder: str) -> bool:
    """Whether a hold's owner (``default_owner``) was a process of this host that no longer runs: killed
    while its request was in flight, it will never give its turn back."""
    parts = holder.rsplit("|", 2)
    if len(parts) != 3 or parts[0] != _this_host() or not parts[1].isdigit():
        return False
    try:
        os.kill(int(parts[1]), 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except OSError:  # it exists, under another user
        return False
    return False


class Pacer:
    """Gives out turns per key: one request at a time, ``min_interval`` apart (see the module)."""

    def __init__(self, min_interval: float = 0.0, ledger: PaceLedger | None = None, *,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                 turns: LocalTurns | None = None) -> None:
        self.min_interval = min_interval
        self.ledger = ledger
        self.clock, self.sleep = clock, sleep
        self.turns = turns if turns is not None else LocalTurns()
        self.owner = default_owner()

    @contextmanager
    def turn(self, key: str, deadline: float) -> Iterator[Turn]:
        """Wait for the turn at ``key`` (raising ``TurnTimeout`` if it cannot start before ``deadline``,
        a ``clock`` instant), hold it for the block, then release it with the gap the block set."""
        state = self.turns.state(key)
        # the lock is real time even on a fake clock: only threads of this process contend for it
        if not state.lock.acquire(timeout=max(0.0, min(deadline - self.clock(), threading.TIMEOUT_MAX))):
            raise TurnTimeout(f"no turn at {key} before the deadline: another request of this process holds it")
        try:
            self._wait(key, state.next_at - self.clock(), deadline)
            if self.ledger is not None:
                while True:
                    hold = deadline - self.clock() + HOLD_MARGIN
                    wait = self.ledger.take_turn(key, self.owner, hold, holder_is_gone)
                    if wait <= 0:
                        break
                    self._wait(key, wait, deadline)
            turn = Turn(self.min_interval)
            try:
                yield turn
            finally:
                # measured from the end of a request: the gap the server sees between two of ours
                gap = max(turn.gap, self.min_interval)
                state.next_at = self.clock() + gap
                if self.ledger is not None:
                    self._end(self.ledger, key, gap)
        finally:
            state.lock.release()

    def _wait(self, key: str, seconds: float, deadline: float) -> None:
        if seconds <= 0:
            return
        if self.clock() + seconds > deadline:
            raise TurnTimeout(f"the next turn at {key} is {seconds:.1f} s away, past the request's deadline")
        self.sleep(seconds)

    def _end(self, ledger: PaceLedger, key: str, gap: float) -> None:
        try:
            ledger.end_turn(key, self.owner, gap)
        except Exception as exc:  # the hold expires by itself; the request's own outcome matters more
            log.warning("could not give back the turn at %s: %s", key, exc)


def process_pacer(min_interval: float, ledger: PaceLedger | None) -> Pacer:
    """A pacer on real time that shares its turns with every other ``process_pacer`` of this process
    (and, through ``ledger``, with every process on the same database)."""
    return Pacer(min_interval, ledger, turns=_PROCESS_TURNS)

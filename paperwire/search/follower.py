"""Indexing while an import writes: in a thread, or for a big import in a process of its own.

The keyword index follows the store (``LocalIndexes.follow``): it reads what
the importer commits, by change number, and indexes it, so one import pays
for one index commit and the indexing overlaps the writing. In a thread, the
follower's Python work (reading rows, building tantivy documents) takes turns
with the importer's on one interpreter lock: measured at 75k papers, that
contention cost more than the indexing itself (docs/benchmarks.md). A process
of its own runs on the other core instead; it costs a fresh interpreter
(about half a second, overlapping the first batches), so only imports big
enough to gain use it.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paperwire.config import Settings, settings_environment

log = logging.getLogger(__name__)
Progress = Callable[[int], None]
#: inputs at least this large (bytes, compressed or not) are indexed in a process of their own
PROCESS_MIN_BYTES = 8_000_000


class IndexingError(RuntimeError):
    """The follower failed; the import itself is committed, and the next search (any command that
    searches, or a web process) catches the index up from the database."""


@dataclass
class FollowResult:
    """How many papers the follower indexed (set when the ``following`` block ends)."""

    indexed: int = 0


def _environment(indexes: Any) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERWIRE_")}
    for key, value in settings_environment(indexes.settings).items():
        if value is not None:
            env[key] = value
    # the store in hand, whatever the settings say; a SQLite file by its absolute path, since a relative
    # URL would be read again from wherever the child starts
    path = getattr(indexes.store, "path", None)
    env["PAPERWIRE_DATABASE_URL"] = f"sqlite:///{Path(path).resolve()}" if path else indexes.store.url
    return env


@contextmanager
def in_process(indexes: Any, progress: Progress | None = None) -> Iterator[FollowResult]:
    """Follow ``indexes.store`` in a child process while the block runs; the block's end (or an
    exception in it, Ctrl-C included) stops the follower once it has indexed everything committed
    before. The child is ``python -m paperwire.search.follower``: told to finish by the end of its
    standard input, it reports ``progress N``, then ``done N`` or ``error TEXT``, one per line."""
    result = FollowResult()
    outcome: dict[str, str] = {}
    # its own session: Ctrl-C stops the import, and the follower still indexes what was committed
    # -P: the working directory must not shadow the installed package in the child
    child = subprocess.Popen([sys.executable, "-P", "-m", "paperwire.search.follower"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, env=_environment(indexes), start_new_session=True,
                             text=True)
    assert child.stdin is not None and child.stdout is not None
    stdout = child.stdout

    def pump() -> None:  # progress and the outcome, off the importing thread
        for line in stdout:  # read to the end whatever happens, or the child blocks on a full pipe
            kind, _, value = line.rstrip("\n").partition(" ")
            if kind == "done":
                result.indexed = int(value)
                outcome["done"] = value
            elif kind == "error":
                outcome["error"] = value
            elif kind == "progress" and progress:
                try:
                    progress(int(value))
                except Exception:  # a progress display must not turn a good indexing run into a failure
                    log.exception("the indexing progress callback failed")

    reader = threading.Thread(target=pump, name="index-messages", daemon=True)
    reader.start()
    try:
        yield result
    finally:
        child.stdin.close()
        try:
            child.wait()
        except BaseException:  # a second Ctrl-C: stop the follower too rather than leave it behind
            child.kill()
            child.wait()
            raise
        reader.join()
        stdout.close()
        if "done" not in outcome and "error" not in outcome:
            outcome["error"] = f"the indexing process exited with code {child.returncode}"
        if "error" not in outcome:
            indexes.reloaded()
    if "error" in outcome:
        raise IndexingError(f"indexing during the import failed: {outcome['error']}")


def main() -> None:
    """The follower process: settings from ``PAPERWIRE_*``; standard input's end means "finish"."""
    from paperwire.search.indexes import LocalIndexes
    from paperwire.store import open_store

    until = threading.Event()

    def watch_stdin() -> None:
        sys.stdin.read()
        until.set()

    threading.Thread(target=watch_stdin, name="stdin-watch", daemon=True).start()

    def say(line: str) -> None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    settings = Settings()
    store = open_store(settings.resolved_database_url())
    try:
        indexes = LocalIndexes(store, settings)
        say(f"done {indexes.follow(until, lambda n: say(f'progress {n}'))}")
    except Exception as exc:  # reported to the parent, which raises it
        say("error " + f"{type(exc).__name__}: {exc}".replace("\n", " "))
        sys.exit(1)
    finally:
        store.close()


@contextmanager
def in_thread(indexes: Any, progress: Progress | None = None) -> Iterator[FollowResult]:
    """Follow ``indexes.store`` in a thread of this process while the block runs."""
    until = threading.Event()
    result = FollowResult()
    outcome: dict[str, BaseException] = {}

    def follow() -> None:
        try:
            result.indexed = indexes.follow(until, progress)
        except BaseException as exc:  # re-raised in the importing thread
            outcome["error"] = exc

    follower = threading.Thread(target=follow, name="index-follower")
    follower.start()
    try:
        yield result
    finally:  # also on Ctrl-C: what was committed gets indexed
        until.set()
        follower.join()
    if "error" in outcome:
        error = outcome["error"]
        raise IndexingError(f"indexing during the import failed: {type(error).__name__}: {error}") from error


if __name__ == "__main__":
    main()

"""Produce the next items in a thread while the caller consumes this one.

An import parses records (Python, holding the GIL) and writes them (SQLite and psycopg release the GIL
while the database works): with the parsing of batch n+1 running during the write of batch n, the two
overlap instead of taking turns.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)

_DONE = object()


class _Failed:
    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetched(items: Iterable[T], depth: int = 2) -> Iterator[T]:
    """Yield ``items`` in order, computed ahead by a worker thread holding at most ``depth`` of them.

    An exception raised while producing is raised here, in order, after the items before it. When the
    consumer stops early (an exception, ``close()``), the thread stops producing at its next item and is
    joined, so no work runs on after the caller has moved on."""
    if depth < 1:
        raise ValueError("depth must be at least 1")
    out: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                out.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        iterator = iter(items)
        try:
            for item in iterator:
                if not put(item):
                    return
        except BaseException as exc:  # handed to the consumer, which raises it
            put(_Failed(exc))
            return
        finally:  # a generator stopped early runs its own clean-up now (a reader process stops), in this thread
            close = getattr(iterator, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:  # the consumer has moved on (or has its error): nothing to hand this to
                    log.exception("cleaning up after the items failed")
        put(_DONE)

    worker = threading.Thread(target=produce, name="prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = out.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join()

"""prefetched: items in order, computed ahead by a thread, errors raised in order, nothing left running."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperwire.ingest.prefetch import prefetched


@given(st.lists(st.integers(), max_size=50), st.integers(1, 4))
def test_every_item_comes_once_in_order(items: list[int], depth: int) -> None:
    assert list(prefetched(iter(items), depth)) == items


def test_an_error_comes_after_the_items_made_before_it() -> None:
    def items() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("record 3 is bad")

    got: list[int] = []
    with pytest.raises(ValueError, match="record 3"):
        for item in prefetched(items()):
            got.append(item)
    assert got == [1, 2]


def test_the_thread_runs_at_most_depth_ahead_and_stops_when_the_consumer_does() -> None:
    made: list[int] = []

    def items() -> Iterator[int]:
        for i in range(1000):
            made.append(i)
            yield i

    stream = prefetched(items(), depth=2)
    assert next(stream) == 0
    time.sleep(0.3)  # lets the worker fill the queue; a slower machine only makes fewer
    assert len(made) <= 4  # the one handed out, two queued, one waiting to be put
    stream.close()  # the consumer stops: the worker is told to stop and joined
    assert not any(t.name == "prefetch" and t.is_alive() for t in threading.enumerate())
    assert len(made) <= 4


def test_a_consumer_error_stops_the_worker() -> None:
    def items() -> Iterator[int]:
        yield from range(10**6)

    with pytest.raises(RuntimeError):
        for item in prefetched(items()):
            if item == 3:
                raise RuntimeError("the write failed")
    assert not any(t.name == "prefetch" and t.is_alive() for t in threading.enumerate())


def test_a_generator_stopped_early_is_closed_before_the_consumer_goes_on() -> None:
    cleaned: list[str] = []

    def items() -> Iterator[int]:
        try:
            yield from range(10**6)
        finally:  # a reader process is stopped here
            cleaned.append(threading.current_thread().name)

    stream = prefetched(items())
    assert next(stream) == 0
    stream.close()
    assert cleaned == ["prefetch"]


def test_depth_must_be_positive() -> None:
    with pytest.raises(ValueError):
        list(prefetched(iter([1]), depth=0))

"""Clocks for tests: ``Clock``, a settable wall clock for stores and jobs (``open_store(url,
clock=Clock(start))``), and ``FakeTime``, a monotonic clock whose sleeps cost no real time."""

from __future__ import annotations

from datetime import datetime


class Clock:
    """Returns ``now``; a test moves time by assigning to it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class FakeTime:
    """A clock that only moves when something sleeps: waits are recorded, never spent."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds

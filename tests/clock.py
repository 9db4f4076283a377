"""A settable clock for stores and jobs under test: ``open_store(url, clock=Clock(start))``."""

from __future__ import annotations

from datetime import datetime


class Clock:
    """Returns ``now``; a test moves time by assigning to it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

"""Networking bits: a free TCP port on 127.0.0.1, and Paperwire's HttpClient on a fake clock."""

from __future__ import annotations

import socket
from typing import Any

from paperwire.ingest.http import HttpClient, HttpConfig
from tests.helpers.clock import FakeTime


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_client(fake_time: FakeTime, min_interval: float = 0.0, retries: int = 2, timeout: float = 5.0,
                headers: dict[str, str] | None = None, **config: Any) -> HttpClient:
    """An HttpClient on the fake clock (so retries and pacing cost no real time)."""
    cfg = HttpConfig(user_agent="Paperwire/test (+http://127.0.0.1; mailto:tests@example.org)", timeout=timeout,
                     retries=retries, backoff=1.0, min_interval=min_interval, **config)
    return HttpClient(cfg, headers, clock=fake_time.clock, sleep=fake_time.sleep, rand=lambda: 0.5)

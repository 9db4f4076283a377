"""Token buckets per client, in this process's memory: how often an anonymous client may ask for expensive
answers (searches, search feeds).

Unlike ``throttle`` (counters in the store, shared by every process), these live in one process: each web
process has its own buckets, so with N processes a client may get up to N times the rate (a load balancer
spreads it). That is the trade for costing no store write per request. Clients are told apart by the
address the server saw (``scope["client"]``), which uvicorn sets from X-Forwarded-For only for the proxies
it trusts (``FORWARDED_ALLOW_IPS``, by default 127.0.0.1 and ::1); nothing here reads forwarding headers.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

# Most clients remembered; the one seen longest ago is forgotten first (it starts again with a full bucket).
MAX_CLIENTS = 65_536
IPV6_PREFIX = 64  # one IPv6 customer usually holds a whole /64: counting its addresses apart would count nothing


def client_key(host: str | None) -> str:
    """The bucket of a client address: an IPv4 address, an IPv6 /64 network, or the text as given."""
    if not host:
        return "-"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False))
    return str(address)


class TokenBuckets:
    """``burst`` requests at once per key, refilled at ``rate_per_minute``."""

    def __init__(self, rate_per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic,
                 max_clients: int = MAX_CLIENTS) -> None:
        if rate_per_minute <= 0 or burst < 1:
            raise ValueError("a token bucket needs a positive rate and a burst of at least 1")
        self.rate = rate_per_minute / 60.0  # tokens per second
        self.burst = float(burst)
        self.clock = clock
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, when)
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Take one token for ``key``: 0.0 when there was one, else the seconds until there is (nothing taken)."""
        with self._lock:
            now = self.clock()
            tokens, then = self._buckets.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + max(0.0, now - then) * self.rate)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / self.rate
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
            return wait

    def __len__(self) -> int:
        return len(self._buckets)

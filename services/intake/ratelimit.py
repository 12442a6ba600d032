"""Per-client limit on public filing: an in-process token bucket per client key (IP address or staff token subject).

Each process keeps its own buckets (with N intake replicas a client gets at most N times the rate); idle, full buckets
are forgotten so the table stays small.
"""

from __future__ import annotations

import math
from datetime import datetime


class TokenBuckets:
    def __init__(self, rate_per_minute: float, burst: int, *, max_clients: int = 50_000) -> None:
        self.rate = rate_per_minute / 60.0
        self.burst = float(max(1, burst))
        self.max_clients = max_clients
        self._buckets: dict[str, tuple[float, datetime]] = {}

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def take(self, key: str, now: datetime) -> int:
        """Take one token for ``key``: 0 when allowed, else the seconds to wait before the next one."""
        if not self.enabled:
            return 0
        tokens, last = self._buckets.get(key, (self.burst, now))
        elapsed = max(0.0, (now - last).total_seconds())
        tokens = min(self.burst, tokens + elapsed * self.rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / self.rate))
        self._buckets[key] = (tokens - 1.0, now)
        if len(self._buckets) > self.max_clients:
            self._forget_idle(now)
        return 0

    def _forget_idle(self, now: datetime) -> None:
        full_after = self.burst / self.rate
        for key, (_tokens, last) in list(self._buckets.items()):
            if (now - last).total_seconds() >= full_after:
                del self._buckets[key]

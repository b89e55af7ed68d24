"""A token bucket for per-socket limits (WebSocket frames, reactions). Pure, no Django."""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBucket:
    """Allows `capacity` events at once and `rate` events per second on average."""

    def __init__(self, rate: float, capacity: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.clock = clock
        self.updated = clock()

    def allow(self, cost: float = 1.0) -> bool:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= cost:
            self.tokens -= cost
            return True
        return False

"""Per-key rate limits: a token bucket per API key, in this process's memory.

Each key may burst up to `per_minute` requests, refilled at per_minute/60 a second.
Each replica keeps its own buckets (no shared store), so behind a balancer spreading a
key over N replicas the key gets up to N times the limit: size the setting for that.
"""

import math
import time
from collections.abc import Callable


class TokenBuckets:
    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000):
        self._capacity = float(per_minute)
        self._rate = per_minute / 60.0
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    @property
    def enabled(self) -> bool:
        return self._capacity > 0

    def take(self, key: str) -> int:
        """0 if the request may go ahead (a token is spent), else the seconds to wait."""
        if not self.enabled:
            return 0
        now = self._clock()
        tokens, at = self._buckets.get(key, (self._capacity, now))
        tokens = min(self._capacity, tokens + (now - at) * self._rate)
        if tokens >= 1.0:
            self._remember(key, (tokens - 1.0, now))
            return 0
        self._remember(key, (tokens, now))
        return max(1, math.ceil((1.0 - tokens) / self._rate))

    def peek(self, key: str) -> int:
        """0 if `key` has a token left (none is spent), else the seconds until it has."""
        if not self.enabled or key not in self._buckets:
            return 0
        tokens, at = self._buckets[key]
        tokens = min(self._capacity, tokens + (self._clock() - at) * self._rate)
        return 0 if tokens >= 1.0 else max(1, math.ceil((1.0 - tokens) / self._rate))

    def _remember(self, key: str, state: tuple[float, float]) -> None:
        # Keys are few (one per partner system or person), but never let the table grow
        # without bound: full buckets carry no information and can be forgotten.
        if key not in self._buckets and len(self._buckets) >= self._max_keys:
            now = self._clock()
            self._buckets = {
                k: (t, a) for k, (t, a) in self._buckets.items() if t + (now - a) * self._rate < self._capacity
            }
        self._buckets[key] = state

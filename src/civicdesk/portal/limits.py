"""Rate limits on the public side: token buckets kept in the process.

Why in-process and not in the database or Redis: a limit is checked on every public request,
and the answer must cost microseconds, not a round trip or a write (the database is the
bottleneck of submission already, see docs/benchmarks.md). The price: each server process keeps
its own buckets, so with N worker processes a client gets up to N times the limit, and a restart
forgets the buckets. Both are acceptable for a flood guard; the duplicate check and the per-phone
rule that matter for the data are in the database (portal.service). Keys are hashed, so the
process never holds a list of citizens' phone numbers.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from time import monotonic

from civicdesk.settings import Settings

HOUR = 3600.0
MAX_KEYS = 100_000  # beyond this the fullest buckets (nobody close to a limit) are dropped


@dataclass
class _Bucket:
    tokens: float
    at: float


class TokenBucket:
    """``limit`` requests per ``period`` seconds per key, with bursts up to ``limit``."""

    def __init__(
        self, limit: int, period: float = HOUR, clock: Callable[[], float] = monotonic
    ) -> None:
        self.limit = limit
        self.rate = limit / period if limit else 0.0
        self.clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float | None:
        """Take one token; None when allowed, else the seconds to wait before trying again."""
        if self.limit <= 0:
            return None
        digest = hashlib.blake2b(key.encode(), digest_size=16).hexdigest()
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get(digest)
            if bucket is None:
                if len(self._buckets) >= MAX_KEYS:
                    self._prune(now)
                bucket = self._buckets[digest] = _Bucket(float(self.limit), now)
            bucket.tokens = min(self.limit, bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return None
            return (1 - bucket.tokens) / self.rate

    def _prune(self, now: float) -> None:
        full = [
            key
            for key, b in self._buckets.items()
            if b.tokens + (now - b.at) * self.rate >= self.limit
        ]
        for key in full or list(self._buckets)[: MAX_KEYS // 10]:
            del self._buckets[key]


@dataclass
class Limiters:
    """The buckets of one application (one per process)."""

    submit_by_address: TokenBucket
    submit_by_phone: TokenBucket
    track_by_address: TokenBucket
    open311_by_key: TokenBucket

    @classmethod
    def from_settings(cls, settings: Settings) -> Limiters:
        return cls(
            submit_by_address=TokenBucket(settings.portal_limit_per_address),
            submit_by_phone=TokenBucket(settings.portal_limit_per_phone),
            track_by_address=TokenBucket(settings.portal_track_limit_per_address),
            # An Open311 client submits for many citizens: a key gets the address limit x 10.
            open311_by_key=TokenBucket(settings.portal_limit_per_address * 10),
        )

"""A fixed-window request counter per client address, in Django's cache (the public survey's rate limit).

With the default local-memory cache each process counts its own requests, so N web processes
admit up to N times the limit; a shared cache (Redis, memcached) in CACHES makes it one count.
Either way an address that goes over is refused until its window ends.
"""

from __future__ import annotations

import time

from django.core.cache import cache


def throttle_hit(*, scope: str, client: str | None, limit: int, window_seconds: int) -> bool:
    """Count one request from ``client`` in ``scope``; False once it is over ``limit`` in this window."""
    window = int(time.time() // window_seconds)
    key = f"throttle:{scope}:{client or 'unknown'}:{window}"
    if cache.add(key, 1, window_seconds + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, window_seconds + 1)
            count = 1
    return count <= limit


def throttle_clear(*, scope: str, client: str | None, window_seconds: int) -> None:
    cache.delete(f"throttle:{scope}:{client or 'unknown'}:{int(time.time() // window_seconds)}")

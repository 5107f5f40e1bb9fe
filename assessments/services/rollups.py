"""The cached roll-up behind the portfolio dashboard's tiles and filter choices.

The tiles aggregate every active partner's snapshot: at 10,000 partners that
is tens of milliseconds of SQL per page view, for numbers that only change
when something is written. So the selector keeps them in Django's cache under
a key that changes with every write that could change them:

* a generation token, replaced by ``rollups_invalidate`` (``snapshots_recompute``
  calls it, so every submission, amendment and import does) at once and again
  after the writing transaction commits, so a reader racing the commit cannot
  keep the old numbers under the new token;
* a fingerprint read in one indexed query per page view
  (``selectors.portfolio.rollup_fingerprint``): the newest snapshot's
  ``computed_at`` and the warning and critical alerts' count and newest id, so
  a write made by another process (another gunicorn worker, a Celery task)
  shows at once even though the default cache lives inside each process;
* a time-to-live, which bounds what neither catches: a partner's revenue,
  segment, owners or active flag edited in the admin.

With several processes, a shared cache (Redis) makes the generation token
shared too; LocMemCache, the default, is per process. docs/DASHBOARD.md says more.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable

from django.core.cache import cache
from django.db import transaction

GENERATION_KEY = "portfolio-rollup:generation"
ROLLUP_TTL_SECONDS = 300


def _bump() -> None:
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)


def rollups_invalidate() -> None:
    """Forget every cached roll-up: call from any write that changes snapshots."""
    _bump()
    transaction.on_commit(_bump)


def rollup_generation() -> str:
    token = cache.get(GENERATION_KEY)
    if token is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, None)
        token = cache.get(GENERATION_KEY, "")
    return token


def rollup_key(*, name: str, parts: tuple) -> str:
    """The cache key of ``name`` for ``parts`` in the current generation."""
    # Hashed: parts may hold a user's search text, and cache backends limit keys' length and characters.
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return f"portfolio-rollup:{name}:{rollup_generation()}:{digest}"


def rollup_get_or_build[T](*, name: str, parts: tuple, build: Callable[[], T], key: str | None = None) -> T:
    """The cached value for ``name`` and ``parts`` in this generation, built (and kept) on a miss.

    The generation is read before building, so a build that overlaps a write is
    stored under the old generation and never served after the write.
    """
    key = key or rollup_key(name=name, parts=parts)
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, ROLLUP_TTL_SECONDS)
    return value

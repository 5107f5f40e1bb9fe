"""The cached roll-up behind the portfolio dashboard's tiles, table pages and filter choices.

The tiles aggregate every active partner's snapshot: at 10,000 partners that
is tens of milliseconds of SQL, for numbers that only change when something is
written. So the dashboard's page assembly (``selectors.dashboard.page``) keeps
them in Django's cache through ``rollup_read``, one slot per name and parts
(period, filters, page), handing it a builder to call on a miss; this module
imports no selector and no model. Each entry remembers the *version* of the
data it was built from:

* a generation token, replaced by ``rollups_invalidate`` (``snapshots_recompute``
  calls it, so every submission, amendment and import does) at once and again
  after the writing transaction commits, so a reader racing the commit cannot
  keep the old numbers under the new token;
* a fingerprint the caller reads in one indexed query per page view
  (``selectors.dashboard.page.rollup_fingerprint``): the newest snapshot's
  ``computed_at`` and the warning and critical alerts' count and newest id, so
  a write made by another process (another gunicorn worker, a Celery task)
  is seen even though the default cache lives inside each process.

An entry whose version matches is served as it is. One that does not is
**stale**: while it is younger than ``ROLLUP_MAX_STALENESS_SECONDS`` it is
still served, and one background thread per process rebuilds it, so a
leadership view never waits for a rebuild while account managers submit;
older than that, the request rebuilds it itself. With the setting at 0 every
view is exact. An entry unused for ``ROLLUP_TTL_SECONDS`` expires, which also
bounds what neither the token nor the fingerprint sees (a partner's revenue,
segment, owners or active flag edited in the admin). docs/DASHBOARD.md says more.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connections, transaction

logger = logging.getLogger(__name__)

GENERATION_KEY = "portfolio-rollup:generation"
ROLLUP_TTL_SECONDS = 300
# A rebuild that takes longer than this is presumed dead; another may start.
REFRESH_LOCK_SECONDS = 60


def _bump() -> None:
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)


def rollups_invalidate() -> None:
    """Mark every cached roll-up stale: call from any write that changes snapshots."""
    _bump()
    transaction.on_commit(_bump)


def rollup_generation() -> str:
    token = cache.get(GENERATION_KEY)
    if token is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, None)
        token = cache.get(GENERATION_KEY, "")
    return token


def _digest(value: tuple) -> str:
    # Hashed: parts may hold a user's search text, and cache backends limit keys' length and characters.
    return hashlib.sha256(repr(value).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Rollup[T]:
    """A value from the roll-up cache and what is known about its age."""

    value: T
    # Changes whenever the value is rebuilt from newer data: a key for anything derived from it.
    version: str
    # time.time() when the build that made the value started (its data is at least that new).
    built_at: float
    # False when a newer version exists and this one was served within the staleness bound.
    fresh: bool


@dataclass(frozen=True)
class _Entry:
    value: Any
    version: str
    built_at: float


def _slot(name: str, parts: tuple) -> str:
    return f"portfolio-rollup:{name}:{_digest(parts)}"


def rollup_read[T](
    *,
    name: str,
    parts: tuple,
    fingerprint: tuple,
    build: Callable[[], T],
    max_staleness: int | None = None,
    refresh_after: int = 0,
    ttl: int = ROLLUP_TTL_SECONDS,
) -> Rollup[T]:
    """The roll-up ``name`` for ``parts``: cached if current, stale within the bound, else built now.

    The version (generation and fingerprint) is read before building, so a
    build that overlaps a write is stored as the old version and never passes
    for current after the write.

    ``max_staleness`` (default ``ROLLUP_MAX_STALENESS_SECONDS``), ``refresh_after`` (a stale entry
    younger than this is served without starting a rebuild) and ``ttl`` suit a roll-up that is
    slow to build and slow to change, such as the raters' leniencies (selectors/calibration.py).
    """
    slot = _slot(name, parts)
    version = _digest((name, parts, fingerprint, rollup_generation()))
    entry = cache.get(slot)
    if entry is not None and entry.version == version:
        return Rollup(entry.value, entry.version, entry.built_at, fresh=True)
    bound = settings.ROLLUP_MAX_STALENESS_SECONDS if max_staleness is None else max_staleness
    age = time.time() - entry.built_at if entry is not None else None
    if age is not None and bound > 0 and age <= bound:
        if age >= refresh_after:
            _refresh_in_background(slot, version, build, ttl)
        return Rollup(entry.value, entry.version, entry.built_at, fresh=False)
    entry = _build(slot, version, build, ttl)
    return Rollup(entry.value, entry.version, entry.built_at, fresh=True)


def _build(slot: str, version: str, build: Callable[[], Any], ttl: int = ROLLUP_TTL_SECONDS) -> _Entry:
    started = time.time()
    entry = _Entry(value=build(), version=version, built_at=started)
    current = cache.get(slot)
    # A slower build of older data never replaces a newer one.
    if current is None or current.built_at <= entry.built_at:
        cache.set(slot, entry, ttl)
    return entry


# --- the background rebuild --------------------------------------------------------------

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()
_pending: set[Future] = set()


def _refresh_in_background(slot: str, version: str, build: Callable[[], Any], ttl: int = ROLLUP_TTL_SECONDS) -> None:
    """Rebuild ``slot`` on this process's one refresh thread, unless a rebuild is already running."""
    global _executor
    lock = f"{slot}:refreshing"
    if not cache.add(lock, version, REFRESH_LOCK_SECONDS):
        return
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rollup-refresh")
        future = _executor.submit(_refresh, slot, version, build, lock, ttl)
        _pending.add(future)
    future.add_done_callback(_pending.discard)


def _refresh(slot: str, version: str, build: Callable[[], Any], lock: str, ttl: int = ROLLUP_TTL_SECONDS) -> None:
    try:
        _build(slot, version, build, ttl)
    except Exception:
        # The stale value keeps being served until the bound; then a request rebuilds it (and fails loudly).
        logger.exception("rebuilding the roll-up %s failed", slot)
    finally:
        cache.delete(lock)
        # This thread's own database connection: closed, not left to idle between rebuilds.
        connections.close_all()


def rollups_wait_for_refresh(timeout: float = 30) -> None:
    """Block until the background rebuilds queued so far have finished (for tests and benchmarks)."""
    deadline = time.monotonic() + timeout
    for future in list(_pending):
        future.result(timeout=max(0.0, deadline - time.monotonic()))

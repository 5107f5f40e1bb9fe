"""Stale scores: a partner whose latest check-up is too old is not shown as its current health.

Pure: no ORM. A partner is **stale** when the quarter of its latest submitted check-up is more
than ``after`` quarters before the current one (``STALE_AFTER_QUARTERS``, 2 by default): in
2026-Q4, a partner last scored in 2026-Q2 is 2 quarters old and still current, one last scored
in 2026-Q1 is stale. A partner never scored is "not scored yet", not stale. docs/DASHBOARD.md
("Stale scores") says where it shows.
"""

from __future__ import annotations

from assessments.periods import Quarter


def fresh_from(*, current: Quarter, after: int) -> Quarter:
    """The oldest quarter whose check-up still counts as current: ``current`` minus ``after``."""
    if after < 0:
        raise ValueError("STALE_AFTER_QUARTERS must not be negative")
    return current.shift(-after)


def is_stale(latest: Quarter | None, *, current: Quarter, after: int) -> bool:
    """True when ``latest`` (the quarter of the latest submitted check-up) is older than ``after`` quarters."""
    return latest is not None and latest < fresh_from(current=current, after=after)


def stale_label(latest: Quarter | str) -> str:
    code = latest.code if isinstance(latest, Quarter) else latest
    return f"Stale — last check-up {code}"

"""When a case begins and ends: the pre-decline baseline and the test of recovery. Pure, no Django.

A case remembers the partner's health *before* it declined, with that
history's own noise, measured exactly as the detector measures a decline
(``assessments.trends``): the median of up to ``baseline_quarters`` quarters
before the confirm window, and the standard error of one quarter's distance
from it. The case is resolved by itself when both hold:

* health is back within that noise of the baseline, and
* the detector would raise no warning or critical finding in each of the last
  ``QUIET_QUARTERS`` quarters with data. The detector is asked without its
  cooldown, because a cooldown silences a repeat; it does not mean the partner
  got better.

See docs/CASES.md.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from assessments.trends import (
    DEFAULT_CONFIG,
    SnapshotPoint,
    TrendConfig,
    _noise,
    evaluate,
    quarters_between,
)
from assessments.vocabulary import Severity

# Quarters with data, after the last warning or critical finding, that must be quiet.
QUIET_QUARTERS = 2
# A resolved case reopens when its partner declines again within this many quarters of
# the quarter it was resolved in; later, a new case opens.
REOPEN_QUARTERS = 4


@dataclass(frozen=True)
class Baseline:
    health: float
    noise: float

    @property
    def floor(self) -> float:
        """The lowest health that counts as 'back to normal'."""
        return self.health - self.noise


def baseline_before(series: Sequence[SnapshotPoint], config: TrendConfig = DEFAULT_CONFIG) -> Baseline | None:
    """The health baseline the detector compared the last point of ``series`` with; None without history."""
    end = len(series) - config.confirm_quarters
    history = [p.health for p in series[max(0, end - config.baseline_quarters) : max(0, end)]]
    if not history:
        return None
    # The detector's own noise estimate, so "within its noise" means what a decline's bar means.
    noise = _noise(history, config.health_noise_prior, config.noise_prior_weight)
    return Baseline(health=statistics.median(history), noise=noise)


def is_serious(severity: str) -> bool:
    """Warning or critical: the findings that open and keep a case."""
    return Severity(severity).rank >= Severity.WARNING.rank


def serious_without_cooldown(series: Sequence[SnapshotPoint], config: TrendConfig = DEFAULT_CONFIG) -> bool:
    """Would the detector raise a warning or critical for the last point, ignoring its cooldown?"""
    return any(is_serious(f.severity) for f in evaluate(series, config=config, prior=(), titles={}))


def has_recovered(
    series: Sequence[SnapshotPoint],
    *,
    last_finding: str,
    baseline: Baseline | None,
    config: TrendConfig = DEFAULT_CONFIG,
) -> bool:
    """True when a case whose last warning or critical finding was in quarter ``last_finding`` may resolve.

    ``series`` ends with the quarter being evaluated. Without a baseline (a
    partner with too short a history, e.g. a red flag in its first quarters)
    only the quiet quarters count.
    """
    later = [i for i, point in enumerate(series) if quarters_between(last_finding, point.period) > 0]
    if len(later) < QUIET_QUARTERS:
        return False
    if baseline is not None and series[-1].health < baseline.floor:
        return False
    return not any(serious_without_cooldown(series[: i + 1], config) for i in later[-QUIET_QUARTERS:])


def reopens(*, resolved_in: str, declined_in: str) -> bool:
    """A decline in ``declined_in`` reopens a case resolved in ``resolved_in`` (else a new case opens)."""
    return quarters_between(resolved_in, declined_in) <= REOPEN_QUARTERS

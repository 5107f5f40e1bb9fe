"""Rater calibration: how generously each rater scores, against colleagues on the same partners.

Pure maths, no ORM. The estimator, its shrinkage and a worked example are in
docs/CALIBRATION.md; ``assessments/tests/test_calibration.py`` reproduces the example.

* Only **rating items** (1-5) count, on their native scale: a leniency of +0.4 means
  "answers 0.4 of a rating step higher than the colleagues who rated the same item of
  the same partner in the same quarter". Symptoms (0-3, higher is sicker) are left out:
  adding their steps to rating steps would mix two scales.
* For every item of a partner-quarter answered by two raters or more, each rater's
  **difference** is their answer minus the mean of the *other* raters' answers.
* A rater's differences are averaged within each **shared partner-quarter** (the
  items of one check-up move together, so the check-up, not the item, is the unit of
  evidence), then over their ``n`` shared partner-quarters: the **raw** leniency.
* **Shrinkage** (credibility weighting): ``leniency = raw * n / (n + k)``, with
  ``k = PRIOR_QUARTERS``. Few shared quarters pull the estimate toward 0 ("rates like
  colleagues") until the evidence accumulates; with none it is exactly 0.
* **Uncertainty**: ``s`` is the pooled within-rater standard deviation of the
  per-quarter differences (over every rater with two shared quarters or more). Under
  the normal model that ``n / (n + k)`` comes from (a prior leniency with variance
  ``s**2 / k``), the standard error of the shrunk estimate is ``s / sqrt(n + k)``;
  the 95% interval is ``leniency ± 1.96 * standard error``. With no pooled degree of
  freedom, ``s`` is unknown and so is the standard error (None).

The calibrated answers (``calibrated_answers``) subtract a rater's leniency from each of
their rating answers, held within 1-5, and are scored by the same engine (``scoring.score``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

from assessments.display import number
from assessments.scoring import Scale, ScoringModel

# A rater's raw mean difference counts as much as this many shared quarters of "no difference".
PRIOR_QUARTERS = 2
# The 95% interval: leniency ± Z_95 standard errors.
Z_95 = 1.96
# Below this (on the 1-5 scale, rounded to one decimal) a rater reads as "in line with colleagues".
IN_LINE = 0.05


@dataclass(frozen=True)
class Rating:
    """One rater's answer to one rating item of one partner in one quarter."""

    rater: Hashable
    partner: Hashable
    period: Hashable
    item: str
    value: float


@dataclass(frozen=True)
class Leniency:
    rater: Hashable
    # Shared partner-quarters: the rater's check-ups that a colleague also scored.
    shared: int
    # Answered rating items compared over those quarters.
    items: int
    # The mean difference from co-raters before shrinkage (None with nothing shared).
    raw: float | None
    # n / (n + k): how much of the raw difference is believed.
    weight: float
    # The shrunk estimate, in rating steps (positive: more generous than colleagues).
    value: float
    # s / sqrt(n + k), or None when the spread of differences is unknown.
    standard_error: float | None

    @property
    def margin(self) -> float | None:
        """Half the width of the 95% interval."""
        return None if self.standard_error is None else Z_95 * self.standard_error

    @property
    def low(self) -> float | None:
        return None if self.standard_error is None else self.value - Z_95 * self.standard_error

    @property
    def high(self) -> float | None:
        return None if self.standard_error is None else self.value + Z_95 * self.standard_error

    @property
    def phrase(self) -> str:
        """The estimate in plain words, for leadership's pages."""
        if self.shared == 0:
            return "no colleague has scored the same partner in the same quarter yet"
        if abs(self.value) < IN_LINE:
            return "rates in line with colleagues"
        direction = "more generously" if self.value > 0 else "more harshly"
        amount = number(abs(self.value))
        unit = "point" if amount == "1.0" else "points"
        return f"rates {amount} {unit} {direction} than colleagues"


@dataclass(frozen=True)
class Calibration:
    leniencies: dict[Hashable, Leniency]
    # The pooled within-rater standard deviation of per-quarter differences (None: unknown).
    spread: float | None
    prior_quarters: float

    def of(self, rater: Hashable) -> Leniency:
        """The rater's leniency; a rater never co-rated reads as 0 with nothing shared."""
        found = self.leniencies.get(rater)
        if found is not None:
            return found
        return _shrunk(rater, RaterQuarters(), self.spread, self.prior_quarters)

    def ranked(self) -> list[Leniency]:
        """Most generous first; ties by how much evidence, then by rater."""
        return sorted(self.leniencies.values(), key=lambda x: (-x.value, -x.shared, str(x.rater)))


@dataclass(frozen=True)
class RaterQuarters:
    """What the estimate needs of one rater: their per-quarter differences' count, sum and sum of squares."""

    shared: int = 0
    total: float = 0.0
    squares: float = 0.0
    items: int = 0


def _shrunk(rater: Hashable, stats: RaterQuarters, spread: float | None, k: float) -> Leniency:
    n = stats.shared
    raw = stats.total / n if n else None
    weight = n / (n + k) if n + k > 0 else 0.0
    return Leniency(
        rater=rater,
        shared=n,
        items=stats.items,
        raw=raw,
        weight=weight,
        value=weight * raw if raw is not None else 0.0,
        standard_error=spread / math.sqrt(n + k) if spread is not None and n + k > 0 else None,
    )


def quarter_statistics(ratings: Iterable[Rating]) -> dict[Hashable, RaterQuarters]:
    """Steps 1 and 2 of docs/CALIBRATION.md: each rater's differences from co-raters, averaged per
    shared partner-quarter, summed up. A rater with nothing shared gets zeros."""
    groups: dict[tuple, dict[Hashable, float]] = defaultdict(dict)
    raters: set[Hashable] = set()
    for rating in ratings:
        groups[(rating.partner, rating.period, rating.item)][rating.rater] = rating.value
        raters.add(rating.rater)

    differences: dict[Hashable, dict[tuple, list[float]]] = defaultdict(lambda: defaultdict(list))
    for (partner, period, _item), answers in groups.items():
        if len(answers) < 2:
            continue
        total = sum(answers.values())
        for rater, value in answers.items():
            others = (total - value) / (len(answers) - 1)
            differences[rater][(partner, period)].append(value - others)

    stats = {}
    for rater in raters:
        quarters = [sum(values) / len(values) for values in differences.get(rater, {}).values()]
        stats[rater] = RaterQuarters(
            shared=len(quarters),
            total=sum(quarters),
            squares=sum(q * q for q in quarters),
            items=sum(len(values) for values in differences.get(rater, {}).values()),
        )
    return stats


def from_quarters(stats: Mapping[Hashable, RaterQuarters], *, prior_quarters: float = PRIOR_QUARTERS) -> Calibration:
    """Steps 3 and 4: shrinkage and uncertainty, from each rater's per-quarter statistics."""
    if prior_quarters < 0:
        raise ValueError("prior_quarters must not be negative")
    squares, freedom = 0.0, 0
    for rater_stats in stats.values():
        n = rater_stats.shared
        if n >= 2:
            # The squared deviations from the rater's own mean: sum of squares less n * mean squared.
            squares += max(0.0, rater_stats.squares - rater_stats.total**2 / n)
            freedom += n - 1
    spread = math.sqrt(squares / freedom) if freedom else None
    leniencies = {rater: _shrunk(rater, s, spread, prior_quarters) for rater, s in stats.items()}
    return Calibration(leniencies=leniencies, spread=spread, prior_quarters=prior_quarters)


def estimate(ratings: Iterable[Rating], *, prior_quarters: float = PRIOR_QUARTERS) -> Calibration:
    """Every rater's leniency from the rating answers given (those without a co-rater add nothing).

    A rater who answered but never shared a partner-quarter is listed with ``shared == 0``.
    """
    if prior_quarters < 0:
        raise ValueError("prior_quarters must not be negative")
    return from_quarters(quarter_statistics(ratings), prior_quarters=prior_quarters)


def calibrated_answers(
    model: ScoringModel, answers: Mapping[str, float | None], leniency: float
) -> dict[str, float | None]:
    """One rater's answers with their leniency taken off each rating item, held within 1-5.

    Symptoms are left as they were (the leniency is measured on ratings only), and so is a
    "not applicable" answer (None): it stays out of the score (docs/SCORING.md).
    """
    low, high = Scale.RATING.bounds
    rating = {f"{r.key}.{i.key}" for r in model.rubrics if r.scale is Scale.RATING for i in r.items}
    return {
        # A "not applicable" answer (None) stays one: there is nothing to take the leniency off.
        address: min(high, max(low, value - leniency)) if address in rating and value is not None else value
        for address, value in answers.items()
    }

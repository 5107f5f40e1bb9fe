"""An upper bound on what any detector can do with a gradual decline in the backtest's portfolios.

    python bench/gradual_bound.py

The best statistic for a linear slide is the least-squares one: the drops of the
quarters since the onset weighted by their ramp (1, 2, 3), against the mean of
the baseline. Its signal-to-noise ratio on the rubric the decline hits is

    z = s * sum(t^2) / sigma / sqrt(sum(t^2) + sum(t)^2 / n)

with s the rubric's loss per quarter and sigma its quarter-to-quarter noise.
The bound is optimistic on purpose: the noise is taken as known exactly, the
decline's rubric and onset are known (no multiple looks), only the themed
rubric is used (the spill onto other items adds little), and the alarm bar is
a single one-sided Gaussian test at ``BAR`` noise units, which is about what a
5% chance of a false alarm per partner allows over some eight quarterly looks
at three scores. The printed recall cannot be beaten by any rule at that bar.
"""

from __future__ import annotations

import math
import statistics

RATER_ITEM_NOISE = 0.58  # within-rater quarter-to-quarter noise of one answer (trend_types.item_noise_prior)
MOOD = 0.10  # the quarter's mood, shared by every item (bench/backtest.py QUARTER_MOOD)
BASELINE = 6  # quarters of baseline (the backtest's lead is 4-8)
BAR = 2.8


def _phi(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def snr(slope: float, hit: int, items: float, raters: int, quarters: int, noise: float = 1.0) -> float:
    """The least-squares statistic's signal-to-noise ratio after ``quarters`` quarters of the slide."""
    s = slope * hit / items
    sigma = math.sqrt((noise * RATER_ITEM_NOISE) ** 2 / (items * raters) + MOOD**2)
    ramp = range(1, quarters + 1)
    squares, total = sum(t * t for t in ramp), sum(ramp)
    return s * squares / sigma / math.sqrt(squares + total**2 / BASELINE)


def bound(quarters: int, noise: float = 1.0) -> float:
    """Mean chance of detection over the backtest's mix: slopes 0.3-0.6, 4-6 of 6-7 items, 1-3 raters."""
    chances = []
    for slope in (0.3 + 0.3 * (k + 0.5) / 30 for k in range(30)):
        for hit, items in ((4, 6), (5, 6), (6, 6), (4, 7), (5, 7), (6, 7)):
            for raters in (1, 2, 3):
                chances.append(_phi(snr(slope, hit, items, raters, quarters, noise) - BAR))
    return statistics.fmean(chances)


if __name__ == "__main__":
    for noise, label in ((1.0, "today's noise"), (1.64, "noisy raters (x1.64 within rater, as measured)")):
        print(
            f"{label}: best possible recall by the onset's 2nd quarter {bound(2, noise):.2f}, "
            f"by its 3rd {bound(3, noise):.2f}; at slope 0.3 with one rater: "
            f"z = {snr(0.3, 5, 6.5, 1, 3, noise):.2f} by the 3rd quarter (the bar is {BAR})"
        )

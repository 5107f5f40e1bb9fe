"""When a case may end or reopen (assessments/recovery.py): pure, no database."""

from __future__ import annotations

import pytest

from assessments.periods import Quarter
from assessments.recovery import Baseline, baseline_before, has_recovered, reopens
from assessments.trends import SnapshotPoint

LAST = Quarter(2026, 3)


def series(healths: list[float]) -> list[SnapshotPoint]:
    quarters = LAST.window(len(healths))
    return [
        SnapshotPoint(period=q.code, health=h, band="healthy" if h >= 75 else "at_risk", rubric_scores={}, items={})
        for q, h in zip(quarters, healths, strict=True)
    ]


def test_the_baseline_is_the_median_before_the_confirm_window_with_the_detectors_noise():
    points = series([80, 70, 80, 76, 78, 40, 35])

    baseline = baseline_before(points)

    assert baseline.health == 78  # median of 80, 70, 80, 76, 78; the last two are the decline
    # The detector's noise: a prior of 5 (weight 8) pooled with the half squared swings 50, 50, 8, 2,
    # widened for a median of 5: sqrt((8 * 25 + 110) / 12 * (1 + pi / 10)) = 5.83.
    assert baseline.noise == pytest.approx(5.83, abs=0.01)
    assert baseline.floor == pytest.approx(72.17, abs=0.01)


def test_without_quarters_before_the_window_there_is_no_baseline():
    assert baseline_before(series([80, 40])) is None


def test_a_partner_back_at_its_baseline_after_two_quiet_quarters_has_recovered():
    points = series([75] * 6 + [25, 25, 75, 75])
    finding = points[7].period

    assert has_recovered(points, last_finding=finding, baseline=Baseline(75, 5))
    assert not has_recovered(points[:-1], last_finding=finding, baseline=Baseline(75, 5)), "one quiet quarter"


def test_a_partner_still_below_its_baseline_has_not_recovered_however_quiet_the_rules():
    points = series([75] * 6 + [25, 25, 60, 62])

    assert not has_recovered(points, last_finding=points[7].period, baseline=Baseline(75, 5))


def test_a_quarter_the_detector_would_flag_without_its_cooldown_is_not_quiet():
    # Health stays 50 points down: the cooldown would keep the rule silent, the partner is not better.
    points = series([75] * 6 + [25, 25, 25, 25])

    assert not has_recovered(points, last_finding=points[7].period, baseline=None)


@pytest.mark.parametrize(
    ("resolved_in", "declined_in", "expected"),
    [("2026-Q1", "2026-Q3", True), ("2026-Q1", "2027-Q1", True), ("2026-Q1", "2027-Q2", False)],
)
def test_a_decline_within_four_quarters_of_the_resolution_reopens_the_case(resolved_in, declined_in, expected):
    assert reopens(resolved_in=resolved_in, declined_in=declined_in) is expected

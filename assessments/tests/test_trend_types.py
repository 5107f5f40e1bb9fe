"""The trend detector's types and its public entry points (``assessments.trend_types``,
``assessments.trends``): validation, configuration, replay and ordering.

mutmut mutates functions, never a dataclass's defaults, so the defaults of
``TrendConfig`` that docs/TRENDS.md states are pinned here: each one met and
missed by a hair through ``evaluate``, with everything else at its default
(or, where another bar would hide it, set aside and said so). Changing one of
them changes what a partner's leadership is told, so it fails here first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from assessments.tests.trend_builders import SYMPTOM_ITEMS, answers, snapshot
from assessments.trends import Finding, SnapshotPoint, TrendConfig, evaluate


def point(
    index: int,
    health: float = 80.0,
    *,
    rubrics: Mapping[str, float] | None = None,
    items: Mapping[str, float] | None = None,
) -> SnapshotPoint:
    """A bare snapshot (quarter ``index`` from 2022-Q1, Healthy): only the numbers a test sets."""
    return SnapshotPoint(
        period=f"{2022 + index // 4}-Q{index % 4 + 1}",
        health=health,
        band="healthy",
        rubric_scores=dict(rubrics or {}),
        items=dict(items or {}),
    )


def healths(*values: float) -> list[SnapshotPoint]:
    return [point(i, v) for i, v in enumerate(values)]


def characteristics(*values: float) -> list[SnapshotPoint]:
    """Health flat at 80; the characteristics rubric at ``values``."""
    return [point(i, rubrics={"characteristics": v}) for i, v in enumerate(values)]


def verdict(findings: Sequence[Finding], rule: str) -> tuple[str, str] | None:
    found = next((f for f in findings if f.rule == rule), None)
    return None if found is None else (found.severity.value, found.explanation)


# --------------------------------------------------------------------------- #
# Rule 1: the health noise prior (5 points) and the 6-point floor of a warning


def test_after_six_flat_quarters_at_80_a_warning_needs_the_last_quarter_11_points_down():
    # The prior 5 pooled with six flat quarters and widened for their median:
    # a noise of 4.41 points, so the last quarter must be 2.5 x 4.41 = 11.0 down.
    assert verdict(evaluate(healths(*[80] * 6, 68.9, 68.9)), "health_decline") == (
        "warning",
        "Overall health fell from 80 to 69 over 2 quarters (2023-Q3: 69, 2023-Q4: 69; "
        "baseline 80, the median of 6 quarters before).",
    )
    assert verdict(evaluate(healths(*[80] * 6, 69.1, 69.1)), "health_decline") == (
        "watch",
        "Overall health dipped to 69 in 2023-Q4, 11 points below its baseline of 80 "
        "(median of 6 quarters); not yet a confirmed decline.",
    )


def test_a_confirmed_health_decline_must_average_six_points_down():
    # A near-silent partner (noise prior 0.1), so only the bars in points decide:
    # 3.9 then 8 points down average 5.95, 4.1 then 8 average 6.05.
    calm = TrendConfig(health_noise_prior=0.1)

    assert verdict(evaluate(healths(80, 80, 80, 80, 76.1, 72), config=calm), "health_decline") == (
        "watch",
        "Overall health dipped to 72 in 2023-Q2, 8 points below its baseline of 80 "
        "(median of 4 quarters); not yet a confirmed decline.",
    )
    assert verdict(evaluate(healths(80, 80, 80, 80, 75.9, 72), config=calm), "health_decline") == (
        "warning",
        "Overall health fell from 80 to 72 over 2 quarters (2023-Q1: 76, 2023-Q2: 72; "
        "baseline 80, the median of 4 quarters before).",
    )


# --------------------------------------------------------------------------- #
# The run before the window: up to 2 quarters, each 1 noise unit down


def test_up_to_two_low_quarters_before_the_window_are_kept_out_of_the_baseline():
    # Three quarters at 70 before the window: the two just before it join the
    # run; the third stays in the baseline (80, the median of 6 quarters).
    series = healths(80, 80, 80, 80, 80, 70, 70, 70, 60, 60)

    finding = next(f for f in evaluate(series) if f.rule == "health_decline")

    assert finding.explanation == (
        "Overall health fell from 80 to 60 over 2 quarters (2024-Q1: 60, 2024-Q2: 60; "
        "baseline 80, the median of 6 quarters before)."
    )
    assert finding.evidence.scores[0].baseline.periods == (
        "2022-Q1",
        "2022-Q2",
        "2022-Q3",
        "2022-Q4",
        "2023-Q1",
        "2023-Q2",
    )


@pytest.mark.parametrize(
    ("before_window", "baseline_quarters"),
    [
        (75.5, 6),  # 4.5 points down: more than one noise unit (4.41), it joins the run
        (75.7, 7),  # 4.3 points down: less, it stays in the baseline
    ],
)
def test_a_quarter_joins_the_run_when_it_is_one_noise_unit_below_the_baseline(before_window, baseline_quarters):
    series = healths(80, 80, 80, 80, 80, 80, before_window, 60, 60)

    finding = next(f for f in evaluate(series) if f.rule == "health_decline")

    assert finding.severity == "warning"
    assert finding.explanation.endswith(f"baseline 80, the median of {baseline_quarters} quarters before).")
    assert len(finding.evidence.scores[0].baseline.periods) == baseline_quarters


# --------------------------------------------------------------------------- #
# Rule 2: a rubric's bars (watch 12, warning 10 and 2.0 units, critical 35 points)


def test_one_rubric_twelve_points_below_its_baseline_is_a_watch():
    assert verdict(evaluate(characteristics(*[80] * 6, 68.1)), "rubric_decline") is None
    assert verdict(evaluate(characteristics(*[80] * 6, 68.0)), "rubric_decline") == (
        "watch",
        "Characteristics score fell from 80 to 68 over 1 quarter (baseline 80).",
    )


def test_a_confirmed_rubric_decline_must_average_ten_points_down():
    # Noise prior 0.1, so only the bars in points decide: 7.9 then 12 points
    # down average 9.95, 8.1 then 12 average 10.05.
    calm = TrendConfig(rubric_noise_prior=0.1)

    assert verdict(evaluate(characteristics(80, 80, 80, 80, 72.1, 68), config=calm), "rubric_decline") == (
        "watch",
        "Characteristics score fell from 80 to 68 over 1 quarter (baseline 80).",
    )
    assert verdict(evaluate(characteristics(80, 80, 80, 80, 71.9, 68), config=calm), "rubric_decline") == (
        "warning",
        "Characteristics score fell from 80 to 68 over 2 quarters (baseline 80).",
    )


def test_a_confirmed_rubric_decline_35_points_down_is_critical():
    calm = TrendConfig(rubric_noise_prior=0.1)

    assert verdict(evaluate(characteristics(80, 80, 80, 80, 45, 45), config=calm), "rubric_decline") == (
        "critical",
        "Characteristics score fell from 80 to 45 over 2 quarters (baseline 80).",
    )
    assert verdict(evaluate(characteristics(80, 80, 80, 80, 45.1, 45.1), config=calm), "rubric_decline") == (
        "warning",
        "Characteristics score fell from 80 to 45 over 2 quarters (baseline 80).",
    )


def test_a_rubrics_mean_drop_must_be_two_of_its_own_noise_units():
    # With the single-quarter bars set aside and a noise prior of 12 points, six
    # flat quarters give the window's mean a noise of
    # sqrt(8 x 12^2 / 13 x (1/2 + pi/12)) = 8.22 points: the bar is 16.43.
    config = TrendConfig(rubric_noise_prior=12.0, each_quarter_z=0.0, earlier_quarter_z=0.0)

    assert verdict(evaluate(characteristics(*[80] * 6, 63.4, 63.4), config=config), "rubric_decline") == (
        "warning",
        "Characteristics score fell from 80 to 63 over 2 quarters (baseline 80).",
    )
    assert verdict(evaluate(characteristics(*[80] * 6, 63.7, 63.7), config=config), "rubric_decline") == (
        "watch",
        "Characteristics score fell from 80 to 64 over 1 quarter (baseline 80).",
    )


# --------------------------------------------------------------------------- #
# Rule 4: symptoms growing together, and the raters' symptom noise (prior 0.44)

CALM = dict.fromkeys(SYMPTOM_ITEMS, 0.0)
GROWING = ("symptoms.chasing_rainbows", "symptoms.little_interaction")


def growing(before: float) -> list[SnapshotPoint]:
    """Four calm quarters, the two symptoms at ``before``, then both at 2.0."""
    return [point(i, items=CALM) for i in range(4)] + [
        point(4, items=CALM | dict.fromkeys(GROWING, before)),
        point(5, items=CALM | dict.fromkeys(GROWING, 2.0)),
    ]


def test_symptoms_grow_together_only_if_each_was_already_one_noise_unit_up():
    # The symptom noise is sqrt((8 x 0.45^2 + 2 x before^2) / 36): 0.2184 with the
    # quarter before at 0.22 (up by more than that), 0.2178 at 0.21 (up by less).
    rising = (
        "Chasing rainbows has risen for 2 quarters in a row (0.0→0.2→2.0). "
        "Little interaction has risen for 2 quarters in a row (0.0→0.2→2.0)."
    )

    assert verdict(evaluate(growing(0.22)), "symptom_persistent") == (
        "warning",
        "2 symptoms grew to moderate or worse together in 2023-Q2 (usual level, then each quarter: "
        "Chasing rainbows 0.0→0.2→2.0; Little interaction 0.0→0.2→2.0). " + rising,
    )
    assert verdict(evaluate(growing(0.21)), "symptom_persistent") == ("watch", rising)


def swinging(index: int, misrepresented: float) -> dict[str, float]:
    """One rater's answers: four symptoms swing between 0 and 1 every quarter, in pairs."""
    on = SYMPTOM_ITEMS[0:4:2] if index % 2 else SYMPTOM_ITEMS[1:4:2]
    return answers(**{a.replace(".", "__"): 1.0 for a in on}, symptoms__misrepresented_solution=misrepresented)


def swinging_rater(then: float) -> list[SnapshotPoint]:
    """Misrepresented solution at 1.0 for six quarters, then at ``then`` for two."""
    return [snapshot(i, raters={"A": swinging(i, 1.0 if i < 6 else then)}) for i in range(8)]


def test_a_rater_whose_symptom_answers_swing_needs_a_symptom_further_above_its_usual_level():
    # The rater's symptom answers swing 1.44 times the prior 0.44 (within rater),
    # so the symptom noise is 0.497 and a moderate quarter must stand
    # 2.5 x 0.497 = 1.243 above the usual 1.0: 2.25 does, 2.23 does not.
    assert verdict(evaluate(swinging_rater(2.25)), "symptom_persistent") == (
        "warning",
        "Misrepresented solution has been moderate or worse for 2 quarters in a row (2023-Q3: 2.3, 2023-Q4: 2.3).",
    )
    assert verdict(evaluate(swinging_rater(2.23)), "symptom_persistent") is None


# --------------------------------------------------------------------------- #
# Rule 4's bars met exactly: with a symptom noise prior of 0.5 (and the raters'
# at 0.5, so their scale is exactly 1), readings that alternate 0 and 1 sit
# exactly 0.5 from their usual level of 0.5, so the symptom noise is exactly 0.5.

ROUND = TrendConfig(symptom_noise_prior=0.5, symptom_item_noise_prior=0.5)
RAINBOWS, INTERACTION = GROWING
ALTERNATING = (0.0, 1.0, 0.0, 1.0, 0.0, 1.0)


def test_a_symptom_exactly_two_and_a_half_noise_units_above_its_usual_level_is_moderate():
    def twice_at(value: float) -> list[SnapshotPoint]:
        history = [point(i, items={RAINBOWS: v}) for i, v in enumerate(ALTERNATING)]
        return history + [point(6, items={RAINBOWS: value}), point(7, items={RAINBOWS: value})]

    # 1.75 is 1.25 above the usual 0.5: 2.5 x 0.5 exactly.
    assert verdict(evaluate(twice_at(1.75), config=ROUND), "symptom_persistent") == (
        "warning",
        "Chasing rainbows has been moderate or worse for 2 quarters in a row (2023-Q3: 1.8, 2023-Q4: 1.8).",
    )
    assert verdict(evaluate(twice_at(1.74), config=ROUND), "symptom_persistent") is None


def test_symptoms_exactly_one_noise_unit_up_the_quarter_before_are_growing_together():
    def rising_from(history: Sequence[float]) -> list[SnapshotPoint]:
        points = [point(i, items={RAINBOWS: v, INTERACTION: v}) for i, v in enumerate(history)]
        return points + [point(6, items={RAINBOWS: 2.0, INTERACTION: 2.0})]

    rising = (
        "Chasing rainbows has risen for 2 quarters in a row (0.0→1.0→2.0). "
        "Little interaction has risen for 2 quarters in a row (0.0→1.0→2.0)."
    )

    # 1.0 the quarter before is 0.5 above the usual 0.5: one noise unit exactly.
    assert verdict(evaluate(rising_from(ALTERNATING), config=ROUND), "symptom_persistent") == (
        "warning",
        "2 symptoms grew to moderate or worse together in 2023-Q3 (usual level, then each quarter: "
        "Chasing rainbows 0.5→1.0→2.0; Little interaction 0.5→1.0→2.0). " + rising,
    )
    # 0.99: the usual level is 0.495 and the noise 0.499, so it is up by a hair less.
    assert verdict(evaluate(rising_from((*ALTERNATING[:-1], 0.99)), config=ROUND), "symptom_persistent") == (
        "watch",
        rising,
    )


def test_symptoms_moderate_since_the_first_check_up_grow_together_from_a_usual_level_of_zero():
    # No quarter before the run: the usual level is 0, and the symptom noise is
    # the prior 0.6, so 1.55 the quarter before is up (as it would not be from 1.0).
    series = [point(0, items={RAINBOWS: 1.55, INTERACTION: 1.55}), point(1, items={RAINBOWS: 2.0, INTERACTION: 2.0})]

    assert verdict(evaluate(series, config=TrendConfig(symptom_noise_prior=0.6)), "symptom_persistent") == (
        "warning",
        "Chasing rainbows has been moderate or worse for 2 quarters in a row (2022-Q1: 1.6, 2022-Q2: 2.0). "
        "2 symptoms grew to moderate or worse together in 2022-Q2 (usual level, then each quarter: "
        "Chasing rainbows 0.0→1.6→2.0; Little interaction 0.0→1.6→2.0). "
        "Little interaction has been moderate or worse for 2 quarters in a row (2022-Q1: 1.6, 2022-Q2: 2.0).",
    )

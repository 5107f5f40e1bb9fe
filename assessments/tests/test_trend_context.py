"""The trend detector's context: baselines, noise, rater restatement and a score's decline
(``assessments.trend_context``), asserted through what a finding says and carries."""

from __future__ import annotations

import dataclasses
import math

import pytest

from assessments.evidence import HEALTH, ItemEvidence, Reading
from assessments.tests.trend_builders import RATING_ITEMS, SYMPTOM_ITEMS, THEME, answers, flat, snapshot, theme_at
from assessments.trend_context import Context, health_limits, merge_items, rubric_limits, score_decline
from assessments.trends import DEFAULT_CONFIG, Finding, SnapshotPoint, TrendConfig, evaluate

TRAITS = tuple(a for a in RATING_ITEMS if a.startswith("traits."))
# Six flat quarters: the health prior (5 points) pooled with five zero differences, widened for a median of six.
FLAT_NOISE = math.sqrt(25 * 8 / 13 * (1 + math.pi / 12))


def by_rule(findings: list[Finding], rule: str) -> Finding | None:
    return next((f for f in findings if f.rule == rule), None)


def at_health(index: int, health: float, **kwargs: object) -> SnapshotPoint:
    """Quarter ``index`` with one rater answering every rating item so that health is ``health``."""
    return snapshot(index, level=1 + health / 25, **kwargs)  # type: ignore[arg-type]


def periods(*indices: int) -> tuple[str, ...]:
    return tuple(snapshot(i).period for i in indices)


def no_traits() -> dict[str, None]:
    """Every trait answered "not applicable": the traits rubric is not scored that quarter."""
    return dict.fromkeys(TRAITS, None)


def as_stored(point: SnapshotPoint) -> SnapshotPoint:
    """The point as the series selector builds it: a rater's "not applicable" is no reading."""
    raters = {r: {a: v for a, v in answers.items() if v is not None} for r, answers in point.raters.items()}
    return dataclasses.replace(point, raters=raters)


def rubric_score(finding: Finding, key: str):
    return next(s for s in finding.evidence.scores if s.key == key)


def swinging(index: int, drop: float = 0.0) -> dict[str, float]:
    """A rater whose characteristics swing two points every quarter, half up and half down, so the
    rubric's mean stays at 4; the four themed characteristics ``drop`` points lower."""
    up = index % 2 == 0
    swing = {a: (5.0 if (k % 2 == 0) == up else 3.0) for k, a in enumerate(RATING_ITEMS[:6])}
    return answers(4.0) | swing | {a: swing[a] - drop for a in THEME}


# --------------------------------------------------------------------------- #
# Restating earlier quarters for a change of raters


def ana_then_with_hal(ana_alone: float, ana: float, hal: float) -> list:
    """Ana rates six quarters alone at ``ana_alone``; then Hal joins her for two."""
    alone = [snapshot(i, raters={"ana": answers(ana_alone)}) for i in range(6)]
    return alone + [snapshot(i, raters={"ana": answers(ana), "hal": answers(hal)}) for i in (6, 7)]


def test_a_rating_rubric_is_restated_by_25_points_per_point_of_lean():
    # Two shared quarters 1.5 points apart: Ana leans 0.6 above the pair, so her lone 75 reads 75 - 25 x 0.6.
    finding = by_rule(evaluate(ana_then_with_hal(4.0, 3.0, 1.5)), "rubric_decline")

    assert finding.severity == "warning"
    for rubric in ("characteristics", "traits"):
        score = rubric_score(finding, rubric)
        assert score.baseline.value == pytest.approx(60.0)
        assert [r.value for r in score.window] == [31.25, 31.25]


def test_a_rater_leaning_a_full_point_above_the_panel_restates_her_quarters_by_25_points():
    # Ana (3.5) and Hal (1.0) share two quarters 2.5 points apart: Ana leans 2 x 1.25 / 2.5 = 1 point above
    # the pair, so her lone 87.5 (at 4.5) is restated as the pair would score it, 62.5.
    finding = by_rule(evaluate(ana_then_with_hal(4.5, 3.5, 1.0)), "health_decline")

    assert finding.severity == "critical"
    assert finding.explanation.startswith(
        "Overall health fell from 63 to 31 over 2 quarters (2023-Q3: 31, 2023-Q4: 31; "
        "baseline 63, the median of 6 quarters before). Earlier quarters are restated for the change of raters."
    )
    assert finding.evidence.scores[0].baseline.value == pytest.approx(62.5)


def test_a_symptom_raters_lean_restates_the_symptom_score_the_other_way_by_a_third_of_100_per_point():
    # Sam reports every symptom two points above Ana: Ana leans 0.8 below the pair (shrunk from 1), so her
    # lone 100 (no symptoms) is restated as 100 - 100/3 x 0.8 = 73.3, not raised above it.
    def rater(symptom: float) -> dict[str, float]:
        return answers(4.0, **{a.replace(".", "__"): symptom for a in SYMPTOM_ITEMS})

    series = [snapshot(i, raters={"ana": rater(0)}) for i in range(6)]
    series += [snapshot(i, raters={"ana": rater(1), "sam": rater(3)}) for i in (6, 7)]

    finding = by_rule(evaluate(series), "rubric_decline")

    assert finding.explanation.startswith("Symptoms score fell from 73 to 33 over 2 quarters (baseline 73)")
    score = rubric_score(finding, "symptoms")
    assert score.baseline.value == pytest.approx(100 - 100 / 3 * 0.8)
    assert [r.value for r in score.window] == pytest.approx([100 / 3, 100 / 3])


def test_restated_scores_stay_between_0_and_100():
    # Ana leans 1.6 points above the pair (two shared quarters 4 points apart): her lone quarters at 1.2
    # (5 points) would read 5 - 40; those at 5 (100), with Ana now the harsh one, 100 + 40.
    lenient = Context(ana_then_with_hal(1.2, 5.0, 1.0), DEFAULT_CONFIG, {})
    harsh = Context(ana_then_with_hal(5.0, 1.0, 5.0), DEFAULT_CONFIG, {})

    for key in (HEALTH, "characteristics", "traits"):
        assert lenient.values(key)[:6] == [0.0] * 6
        assert harsh.values(key)[:6] == [100.0] * 6


def test_a_quarter_near_the_bottom_of_the_scale_is_restated_like_any_other():
    # Every rating 1.02 (health 0.5); Ana then rates 2 points below Hal beside her, leaning 0.8 below the
    # pair: health is restated as 0.5 + 25 x 0.8 = 20.5.
    series = ana_then_with_hal(1.02, 3.0, 5.0)

    assert Context(series, DEFAULT_CONFIG, {}).values(HEALTH)[:6] == pytest.approx([20.5] * 6)


def test_a_quarter_with_every_rating_at_the_bottom_keeps_its_stored_health_when_raters_change():
    # Health is the rating rubrics' mean times the symptom multiplier; at 0 that multiplier is unknown,
    # so the quarter is kept as stored rather than divided by zero.
    series = ana_then_with_hal(1.0, 3.0, 5.0)

    assert Context(series, DEFAULT_CONFIG, {}).values(HEALTH)[:6] == [0.0] * 6


def test_a_quarter_with_a_rubric_not_scored_keeps_its_stored_health_and_no_score_for_that_rubric():
    series = ana_then_with_hal(4.0, 3.0, 1.5)
    series[3] = as_stored(snapshot(3, raters={"ana": answers(4.0) | no_traits()}))
    context = Context(series, DEFAULT_CONFIG, {})

    # The other lone quarters are restated (75 - 25 x 0.6); this one cannot restate the rubric mean.
    assert context.values(HEALTH)[:6] == pytest.approx([60.0, 60.0, 60.0, 75.0, 60.0, 60.0])
    assert context.values("traits")[3] is None
    assert context.values("characteristics")[3] == pytest.approx(60.0)
    traits = rubric_score(by_rule(evaluate(series), "rubric_decline"), "traits")
    assert traits.baseline.periods == periods(0, 1, 2, 4, 5)


def test_quarters_recorded_before_raters_were_kept_are_compared_as_stored():
    # The first six quarters have no rater records (pooled means only): nothing to restate them by.
    series = flat(6) + [snapshot(i, raters={"ana": answers(3.0), "hal": answers(2.0)}) for i in (6, 7)]

    finding = by_rule(evaluate(series), "health_decline")

    assert finding.severity == "critical"
    assert "restated" not in finding.explanation
    assert finding.evidence.scores[0].baseline.value == 75.0
    # And the other way round: a last quarter without rater records restates nothing.
    recorded = [snapshot(i, raters={"ana": answers(4.0), "hal": answers(3.0)}) for i in range(6)]
    assert Context(recorded + [snapshot(6, level=2.0)], DEFAULT_CONFIG, {}).values(HEALTH) == [62.5] * 6 + [25.0]


def test_new_raters_who_only_rated_beside_each_other_are_not_restated_against_one_they_never_met():
    # Ana rated alone; Ben and Cy, both new, rate together: nothing says how they lean against Ana, so her
    # quarters stand as stored (and the noise is widened instead).
    series = [snapshot(i, raters={"ana": answers(4.0)}) for i in range(6)]
    series += [snapshot(i, raters={"ben": answers(3.0), "cy": answers(3.0)}) for i in (6, 7)]

    assert Context(series, DEFAULT_CONFIG, {}).values(HEALTH) == [75.0] * 6 + [50.0, 50.0]
    finding = by_rule(evaluate(series), "health_decline")
    assert finding.evidence.scores[0].baseline.value == 75.0
    assert "restated" not in finding.explanation


def test_restated_says_whether_a_rubric_was_restated_too():
    changed = Context(ana_then_with_hal(4.0, 3.0, 1.5), DEFAULT_CONFIG, {})
    same = [snapshot(i, raters={"ana": answers(4.0), "ben": answers(3.0)}) for i in range(8)]

    assert changed.restated("characteristics") is True
    assert Context(same, DEFAULT_CONFIG, {}).restated("characteristics") is False


def test_restated_looks_at_the_window_even_before_there_is_a_baseline():
    # Two quarters: both are the window. The first, Ana alone, is restated for Hal joining.
    series = [snapshot(0, raters={"ana": answers(4.0)}), snapshot(1, raters={"ana": answers(4.0), "hal": answers(2.5)})]
    context = Context(series, DEFAULT_CONFIG, {})

    assert context.baseline(HEALTH) is None
    assert context.restated(HEALTH) is True


def test_with_only_two_quarters_a_symptoms_finding_has_no_baseline_to_show():
    series = [snapshot(i, symptoms={"symptoms.chasing_rainbows": 2.0}) for i in range(2)]

    finding = by_rule(evaluate(series), "symptom_persistent")

    assert finding.severity == "warning"
    (item,) = finding.evidence.items
    assert (item.before, item.before_points, item.after) == (None, None, 2.0)


# --------------------------------------------------------------------------- #
# The baseline before a slide (the run), and quarters without a score


def test_a_slide_that_began_two_quarters_before_the_window_leaves_the_baseline_before_it():
    # 100, then 75 twice: each already more than a noise unit below the quarters before it, so both
    # join the slide and the baseline is the one quarter before them.
    series = [at_health(0, 100), at_health(1, 75), at_health(2, 75), at_health(3, 62.5), at_health(4, 62.5)]

    finding = by_rule(evaluate(series), "health_decline")

    assert finding.severity == "critical"
    assert finding.explanation.startswith(
        "Overall health fell from 100 to 63 over 2 quarters (2022-Q4: 63, 2023-Q1: 63; "
        "baseline 100, the median of 1 quarter before)."
    )
    assert finding.evidence.scores[0].baseline.periods == periods(0)


def test_a_quarter_joins_the_slide_only_against_the_eight_quarters_before_it():
    # Quarter 10 is 5.5 points below the eight quarters before it (median 80, noise 5.65 with the step
    # from 60 to 80 in them): within noise, so it stays in the baseline. Against fewer or more quarters
    # the step would weigh differently and it would join the slide.
    healths = [60, 60, 60, 60, 80, 80, 80, 80, 80, 80, 74.5, 50, 50]
    series = [at_health(i, h) for i, h in enumerate(healths)]

    finding = by_rule(evaluate(series), "health_decline")

    score = finding.evidence.scores[0]
    assert score.baseline.value == 80.0
    assert score.baseline.periods == periods(*range(3, 11))


def test_a_noisy_raters_quarter_needs_a_bigger_fall_to_join_the_slide():
    # Ana's answers swing (noise 1.71 times the prior): quarter 5, 5 points down, is within her noise,
    # so it stays in the baseline, where a steady rater's would have joined the slide.
    series = [snapshot(i, raters={"ana": swinging(i)}) for i in range(5)]
    series += [snapshot(5, raters={"ana": swinging(5, 0.6)})]
    series += [snapshot(i, raters={"ana": swinging(i, 2.0)}) for i in (6, 7)]

    finding = by_rule(evaluate(series), "health_decline")

    assert finding.severity == "watch"
    assert finding.evidence.scores[0].baseline.periods == periods(*range(6))
    assert finding.evidence.scores[0].baseline.value == 75.0


def test_quarters_without_a_rubric_score_are_left_out_of_its_baseline():
    # Traits not scored in 2022-Q2 and in 2023-Q2, the quarter just before the window.
    series = [snapshot(i, ratings=no_traits() if i in (1, 5) else None) for i in range(6)]
    series += [snapshot(i, level=3.0) for i in (6, 7)]

    finding = by_rule(evaluate(series), "rubric_decline")

    traits = rubric_score(finding, "traits")
    assert traits.baseline.periods == periods(0, 2, 3, 4)
    assert traits.baseline.value == 75.0
    assert [r.value for r in traits.window] == [50.0, 50.0]
    assert rubric_score(finding, "characteristics").baseline.periods == periods(*range(6))


def test_a_rubric_not_scored_in_the_windows_first_quarter_is_judged_on_its_last_alone():
    series = flat(6) + [snapshot(6, level=3.0, ratings=no_traits()), snapshot(7, level=3.0)]

    finding = by_rule(evaluate(series), "rubric_decline")

    assert finding.severity == "warning"  # the characteristics, confirmed over both quarters
    assert "Traits score fell from 75 to 50 over 1 quarter (baseline 75)" in finding.explanation
    assert [r.period for r in rubric_score(finding, "traits").window] == ["2023-Q4"]


def test_a_rubric_first_scored_this_quarter_has_no_baseline_and_no_decline():
    series = [snapshot(i, ratings=no_traits()) for i in range(7)] + [snapshot(7, level=3.0)]

    finding = by_rule(evaluate(series), "rubric_decline")

    assert [s.key for s in finding.evidence.scores] == ["characteristics"]
    assert score_decline(Context(series, DEFAULT_CONFIG, {}), "traits", rubric_limits(DEFAULT_CONFIG)) is None


def test_a_quarter_exactly_run_z_noise_units_below_its_baseline_joins_the_slide():
    # With run_z 0, a quarter at its baseline is "0 units below" it: both quarters before the window join.
    series = flat(6) + [snapshot(i, ratings=theme_at(1.0)) for i in (6, 7)]

    finding = by_rule(evaluate(series, config=TrendConfig(run_z=0.0)), "health_decline")

    assert finding.evidence.scores[0].baseline.periods == periods(0, 1, 2, 3)
    assert by_rule(evaluate(series), "health_decline").evidence.scores[0].baseline.periods == periods(*range(6))


# --------------------------------------------------------------------------- #
# Confirming over a shorter or longer window, and the noise a decline carries


def test_a_decline_carries_the_noise_it_was_judged_by():
    series = flat(6) + [snapshot(6, ratings=theme_at(1.0)), snapshot(7, ratings=theme_at(1.0))]

    decline = score_decline(Context(series, DEFAULT_CONFIG, {}), HEALTH, health_limits(DEFAULT_CONFIG))

    assert decline.noise == pytest.approx(FLAT_NOISE)
    assert round(decline.noise, 2) == 4.41


def test_over_a_three_quarter_window_every_earlier_quarter_must_be_down():
    # 13, 2 and 13 points down (2.95, 0.45, 2.95 noise units): the middle quarter is within noise.
    series = flat(6) + [at_health(6, 62), at_health(7, 73), at_health(8, 62)]

    finding = by_rule(evaluate(series, config=TrendConfig(confirm_quarters=3)), "health_decline")

    assert finding.severity == "watch"
    assert finding.explanation.startswith("Overall health dipped to 62 in 2024-Q1, 13 points below")


def test_over_a_three_quarter_window_the_jump_is_measured_from_the_quarter_before_the_last():
    # 7, 9 and 11.5 points down (1.59, 2.04 and 2.61 noise units): each step within 1.75 units.
    series = flat(6) + [at_health(6, 68), at_health(7, 66), at_health(8, 63.5)]

    finding = by_rule(evaluate(series, config=TrendConfig(confirm_quarters=3)), "health_decline")

    assert finding.severity == "warning"
    assert finding.explanation.startswith(
        "Overall health fell from 75 to 64 over 3 quarters (2023-Q3: 68, 2023-Q4: 66, 2024-Q1: 64;"
    )


def test_a_one_quarter_window_confirms_on_its_quarter_against_that_quarters_own_noise():
    # confirm_quarters = 1: seven flat quarters, noise 4.18; the mean of one quarter is no surer than the
    # quarter, so the bar is 2.75 x 4.18 = 11.5 points: 11 down is a watch, 12 a warning, 25 critical.
    config = TrendConfig(confirm_quarters=1)

    def verdict(drop: float) -> Finding:
        return by_rule(evaluate(flat(7) + [at_health(7, 75 - drop)], config=config), "health_decline")

    assert verdict(11).severity == "watch"
    assert verdict(12).severity == "warning"
    assert verdict(25).severity == "critical"
    assert verdict(25).explanation.startswith(
        "Overall health fell from 75 to 50 over 1 quarter (2023-Q4: 50; baseline 75, the median of 7 quarters before)."
    )


def test_a_jump_of_exactly_jump_z_noise_units_is_still_a_decline():
    # 6 then 15 points down: a jump of 9 points, 2.04 noise units, with the quarter before only 1.36 down.
    series = flat(6) + [at_health(6, 69), at_health(7, 60)]
    decline = score_decline(Context(series, DEFAULT_CONFIG, {}), HEALTH, health_limits(DEFAULT_CONFIG))
    first, last = (decline.baseline - v for v in decline.values)
    jump = last - first
    # The jump_z whose bar (jump_z x noise) is that jump exactly, as the detector multiplies it.
    near = {jump / decline.noise}
    for direction in (0.0, math.inf):
        z = jump / decline.noise
        for _ in range(4):
            z = math.nextafter(z, direction)
            near.add(z)
    exact = next(z for z in sorted(near) if z * decline.noise == jump)

    def severity(jump_z: float) -> str:
        return by_rule(evaluate(series, config=TrendConfig(jump_z=jump_z)), "health_decline").severity

    assert severity(exact) == "warning"
    assert severity(math.nextafter(exact, 0)) == "watch"


def test_a_deep_quarter_after_one_exactly_each_quarter_z_down_is_a_decline_deepening():
    # 12 then 24 points down (2.72 then 5.45 noise units): a jump of 2.72 units, beyond 1.75, which
    # only a first quarter already each_quarter_z units down excuses; that bar met exactly excuses it.
    series = flat(6) + [at_health(6, 63), at_health(7, 51)]
    decline = score_decline(Context(series, DEFAULT_CONFIG, {}), HEALTH, health_limits(DEFAULT_CONFIG))
    first = decline.baseline - decline.values[0]
    near = {first / decline.noise}
    for direction in (0.0, math.inf):
        z = first / decline.noise
        for _ in range(4):
            z = math.nextafter(z, direction)
            near.add(z)
    exact = next(z for z in sorted(near) if z * decline.noise == first)

    def severity(each_quarter_z: float) -> str:
        config = TrendConfig(each_quarter_z=each_quarter_z)
        return by_rule(evaluate(series, config=config), "health_decline").severity

    assert severity(exact) == "warning"
    assert severity(math.nextafter(exact, math.inf)) == "watch"


# --------------------------------------------------------------------------- #
# The items named


def test_an_item_not_answered_before_the_window_is_not_named_and_hides_none_after_it():
    # Flexibility was "not applicable" in every baseline quarter: no baseline, so it is not named.
    series = [snapshot(i, ratings={"characteristics.flexibility": None}) for i in range(6)]
    series += [snapshot(i, ratings=theme_at(1.0)) for i in (6, 7)]

    finding = by_rule(evaluate(series), "health_decline")

    assert finding.items == ("characteristics.quality", "characteristics.service_team", "characteristics.trust")
    assert finding.explanation.endswith("Biggest drops: Quality 4.0→1.0, Service team 4.0→1.0, Trust 4.0→1.0.")


def test_merged_items_keep_the_first_mention_unless_a_later_one_lists_the_quarters_judged():
    def item(before: float, path: tuple[Reading, ...] = ()) -> ItemEvidence:
        return ItemEvidence("characteristics.trust", "rating", 2.0, 25.0, before, (before - 1) * 25, path)

    path = (Reading("2023-Q3", 3.0), Reading("2023-Q4", 2.0))
    first, other, judged, judged_again = item(4.0), item(3.5), item(4.0, path), item(3.0, path)

    assert merge_items((first,), (other,)) == (first,)
    assert merge_items((first,), (judged,), (judged_again,)) == (judged,)
    assert merge_items((judged,), (first,)) == (judged,)

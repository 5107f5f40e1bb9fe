"""A change of rater neither fakes nor hides a decline. Pure, no database.

Each quarter keeps every rater's answers (``SnapshotPoint.raters``); the
detector restates earlier quarters as this quarter's raters would have scored
them, from the quarters raters shared (docs/TRENDS.md, "Raters").
"""

from __future__ import annotations

import dataclasses
import math

import pytest

from assessments.tests.trend_builders import RATING_ITEMS, SYMPTOM_ITEMS, THEME, answers, snapshot
from assessments.trend_context import Context
from assessments.trends import DEFAULT_CONFIG, Finding, TrendConfig, evaluate

ANA = answers(4.0)


def by_rule(findings: list[Finding], rule: str) -> Finding | None:
    return next((f for f in findings if f.rule == rule), None)


def pooled_only(series):
    """The same quarters with the raters' answers dropped: what the first detector saw."""
    return [dataclasses.replace(p, raters={}) for p in series]


def harsh_rater_joins(ana_level: float, hal_level: float):
    """Ana rates six quarters at 4.0 alone; then Hal, who rates 1.5 points lower, joins her for two."""
    calm = [snapshot(i, raters={"ana": ANA}) for i in range(6)]
    return calm + [snapshot(i, raters={"ana": answers(ana_level), "hal": answers(hal_level)}) for i in (6, 7)]


def test_a_harsh_rater_joining_fakes_no_decline():
    series = harsh_rater_joins(4.0, 2.5)

    assert evaluate(series) == []
    assert by_rule(evaluate(pooled_only(series)), "health_decline").severity == "warning"


def test_a_harsh_rater_joining_hides_no_decline_and_the_finding_says_quarters_were_restated():
    # Ana herself drops a point. Her earlier quarters are restated as Ana and Hal would score them:
    # from the two quarters they shared, Ana leans 0.6 above the pair (shrunk from 0.75), so 4.0 reads 3.4.
    finding = by_rule(evaluate(harsh_rater_joins(3.0, 1.5)), "health_decline")

    assert finding.severity == "critical"
    assert finding.explanation.startswith(
        "Overall health fell from 60 to 31 over 2 quarters (2023-Q3: 31, 2023-Q4: 31; "
        "baseline 60, the median of 6 quarters before). Earlier quarters are restated for the change of raters."
    )
    (score,) = finding.evidence.scores
    assert score.baseline.value == pytest.approx(60.0)
    assert [r.value for r in score.window] == [31.25, 31.25]
    assert finding.evidence.items[0].before == pytest.approx(3.4)
    assert finding.evidence.items[0].after == 2.25


def test_with_the_same_raters_throughout_nothing_is_restated():
    series = [snapshot(i, raters={"ana": ANA, "ben": answers(3.0)}) for i in range(6)]
    series += [snapshot(i, raters={"ana": answers(3.0), "ben": answers(2.0)}) for i in (6, 7)]

    finding = by_rule(evaluate(series), "health_decline")

    assert "restated" not in finding.explanation
    assert finding.evidence.scores[0].baseline.value == 62.5


def test_a_rater_who_skips_a_quarter_is_compared_through_the_others():
    # Ana leans a point above Ben; two quarters Ben rated alone are not a decline.
    ben = answers(3.0)
    series = [snapshot(i, raters={"ana": ANA, "ben": ben}) for i in range(6)]
    series += [snapshot(6, raters={"ben": ben}), snapshot(7, raters={"ben": ben})]

    assert evaluate(series) == []
    assert by_rule(evaluate(pooled_only(series)), "health_decline").severity == "warning"


def chain(last_level: float):
    """Ana, then Ana with Ben, Ben, Ben with Cy, then Cy: each a step harsher, the partner unchanged."""
    series = [snapshot(i, raters={"ana": ANA}) for i in range(3)]
    series += [snapshot(3, raters={"ana": ANA, "ben": answers(3.0)}), snapshot(4, raters={"ben": answers(3.0)})]
    series += [snapshot(5, raters={"ben": answers(3.0), "cy": answers(2.5)})]
    return series + [snapshot(i, raters={"cy": answers(last_level)}) for i in (6, 7)]


def test_raters_who_never_met_are_compared_through_a_chain_of_shared_quarters():
    # Ana leans 0.4375 points up, Ben 0.125 and Cy 0.3125 down (one shared quarter per link, so
    # shrunk): Ana's lone 75 is restated as Cy would score it, 75 - 25 x 0.75 = 56.25.
    finding = by_rule(evaluate(chain(1.5)), "health_decline")

    score = finding.evidence.scores[0]
    assert [round(v, 3) for v in (score.baseline.value, *[r.value for r in score.window])] == [56.25, 12.5, 12.5]
    assert [
        r.value for r in by_rule(evaluate(pooled_only(chain(1.5))), "health_decline").evidence.scores[0].window
    ] == [
        12.5,
        12.5,
    ]


def test_a_new_rater_nobody_can_compare_widens_the_bar_rather_than_faking_a_decline():
    # Ana rated alone; Bo, who never rated beside anyone, rates 0.6 lower: a change of rater or of the partner?
    series = [snapshot(i, raters={"ana": ANA}) for i in range(6)]
    series += [snapshot(i, raters={"bo": answers(3.4)}) for i in (6, 7)]

    assert by_rule(evaluate(series), "health_decline").severity == "watch"
    assert by_rule(evaluate(pooled_only(series)), "health_decline").severity == "warning"
    assert by_rule(evaluate(series, config=TrendConfig(rater_lean_prior=0.0)), "health_decline").severity == "warning"


def test_a_harsh_symptom_rater_is_restated_on_the_symptoms():
    # Sam reports every symptom two points higher than Ana: the symptom scores move with him, not the partner.
    def rater(level: float) -> dict[str, float]:
        return answers(4.0, **{a.replace(".", "__"): level for a in SYMPTOM_ITEMS})

    series = [snapshot(i, raters={"ana": rater(0)}) for i in range(6)]
    series += [snapshot(i, raters={"ana": rater(0), "sam": rater(2)}) for i in (6, 7)]

    findings = evaluate(series)

    assert by_rule(findings, "rubric_decline") is None
    assert by_rule(findings, "symptom_persistent") is None


def test_a_restated_item_stays_within_its_scale():
    # Lena rates everything 5; with Ana (4.0) beside her, Ana's lone quarters restate above 5 but show 5.0.
    series = [snapshot(i, raters={"ana": ANA}) for i in range(6)]
    series += [
        snapshot(i, raters={"ana": answers(2.0), "lena": answers(5.0, characteristics__trust=1.0)}) for i in (6, 7)
    ]

    finding = by_rule(evaluate(series), "rubric_decline")

    assert max(i.before for i in finding.evidence.items) <= 5.0


# --------------------------------------------------------------------------- #
# The raters' own noise, measured within rater


def zigzag(index: int, drop: float = 0.0) -> dict[str, float]:
    """A rater whose characteristics swing two points every quarter, half up and half down, so the
    rubric's mean stays at 4; the four themed characteristics ``drop`` points lower."""
    up = index % 2 == 0
    swing = {a: (5.0 if (k % 2 == 0) == up else 3.0) for k, a in enumerate(RATING_ITEMS[:6])}
    return answers(4.0) | swing | {a: swing[a] - drop for a in THEME}


def test_the_raters_noise_is_their_answers_change_less_their_rubrics_change_pooled_with_the_prior():
    series = [snapshot(i, raters={"ana": zigzag(i)}) for i in range(6)]

    # Five pairs of quarters: 6 characteristics each 2 points off their rubric's (zero) change, a
    # squared residual of 4 x 6/5 / 2 = 2.4; 7 traits unchanged. 72 over 65 answers, with 20 of 0.58^2.
    expected = math.sqrt((20 * 0.58**2 + 72) / (20 + 65)) / 0.58
    context = Context(series, DEFAULT_CONFIG, {})
    assert context.noise_scale(symptoms=False) == pytest.approx(expected)
    assert expected == pytest.approx(1.6593, abs=1e-4)
    # The symptoms never moved: calmer than assumed, and never taken as calmer than the prior.
    assert context.noise_scale(symptoms=True) == 1.0


def test_a_drop_that_is_a_decline_for_a_steady_rater_is_only_a_watch_for_one_whose_answers_swing():
    steady = [snapshot(i, raters={"ana": ANA}) for i in range(6)]
    steady += [snapshot(i, raters={"ana": answers(4.0) | dict.fromkeys(THEME, 3.0)}) for i in (6, 7)]
    swinging = [snapshot(i, raters={"ana": zigzag(i)}) for i in range(6)]
    swinging += [snapshot(i, raters={"ana": zigzag(i, drop=1.0)}) for i in (6, 7)]

    # The characteristics score falls 16.7 points in both; its bar is 2.5 noise units, 13.2 points
    # for the steady rater and 22.5 for the swinging one (raters' noise 1.70 times the prior, the
    # fall's uneven quarters included).
    assert Context(swinging, DEFAULT_CONFIG, {}).noise_scale(symptoms=False) == pytest.approx(1.7033, abs=1e-4)
    assert [r.value for r in by_rule(evaluate(swinging), "rubric_decline").evidence.scores[0].window] == (
        pytest.approx([58.3333, 58.3333], abs=1e-4)
    )
    assert by_rule(evaluate(steady), "rubric_decline").severity == "warning"
    assert by_rule(evaluate(swinging), "rubric_decline").severity == "watch"


def test_an_untied_rater_widens_the_noise_by_their_possible_lean_either_way():
    # Ana rated the baseline; Zoe alone rates the last quarter: nothing ties her to Ana.
    series = [snapshot(i, raters={"ana": ANA}) for i in range(6)] + [snapshot(6, raters={"zoe": ANA})]
    context = Context(series, DEFAULT_CONFIG, {})

    assert context.unlinked == 1.0
    # sqrt(3^2 + 2 x 1 x (0.25 x 25)^2): a lean of a quarter point is 6.25 points of a 0-100 score.
    assert context.turnover_noise(3.0, 25.0) == pytest.approx(math.sqrt(9 + 2 * 6.25**2))
    assert Context(series[:6], DEFAULT_CONFIG, {}).turnover_noise(3.0, 25.0) == 3.0


def hand_over(ana_quarters: int, zoe_level: float) -> list:
    """Ana rates the first ``ana_quarters`` of six quarters at 4.0 and Zoe the rest; they never
    rate together. Then Zoe rates two quarters at ``zoe_level``."""
    baseline = [snapshot(i, raters={"ana" if i < ana_quarters else "zoe": ANA}) for i in range(6)]
    return baseline + [snapshot(i, raters={"zoe": answers(zoe_level)}) for i in (6, 7)]


def test_a_baseline_mostly_rated_by_someone_nothing_ties_to_this_quarters_rater_widens_the_noise():
    # Zoe rated one baseline quarter, so she is "tied", but five of the six quarters whose
    # median is the baseline are Ana's, and Ana's lean against Zoe's is unknown: (5/6)^2.
    context = Context(hand_over(5, 3.4), DEFAULT_CONFIG, {})

    assert context.unlinked == pytest.approx(25 / 36)
    # A 0.6-point fall everywhere (15 points of health) is a warning when Zoe rated the
    # baseline too, and only a watch when Ana did: her lean may be most of it.
    assert by_rule(evaluate(hand_over(1, 3.4)), "health_decline").severity == "warning"
    assert by_rule(evaluate(hand_over(5, 3.4)), "health_decline").severity == "watch"


def test_a_minority_of_baseline_quarters_by_an_untied_rater_barely_widens_the_noise():
    context = Context(hand_over(1, 3.4), DEFAULT_CONFIG, {})

    assert context.unlinked == pytest.approx(1 / 36)
    assert Context(hand_over(0, 3.4), DEFAULT_CONFIG, {}).unlinked == 0.0


def test_a_chain_of_shared_quarters_ties_a_new_rater_to_the_baseline_whatever_the_order():
    # Ana rates alone, then with Bob; Bob then rates with Zoe, who now rates alone. Zoe never met Ana,
    # but the chain Zoe-Bob-Ana ties every baseline quarter to her: nothing is widened, and a
    # 0.6-point fall everywhere (15 points of health) is a warning, as when Zoe rated it all.
    series = [snapshot(i, raters={"ana": ANA}) for i in range(4)]
    series += [snapshot(4, raters={"ana": ANA, "bob": ANA}), snapshot(5, raters={"bob": ANA, "zoe": ANA})]
    series += [snapshot(i, raters={"zoe": answers(3.4)}) for i in (6, 7)]

    assert Context(series, DEFAULT_CONFIG, {}).unlinked == 0.0
    assert by_rule(evaluate(series), "health_decline").severity == "warning"

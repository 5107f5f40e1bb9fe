"""Every decline rule at work, with the sentence and the numbers a user reads. Pure, no database.

Written with ``scripts/mutation trends``: each threshold is met exactly and
missed by a hair, each sentence is compared whole, so a rule that is changed,
switched off or reordered fails here. The worked examples of docs/TRENDS.md are
the ``test_worked_example_*`` tests.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

import pytest

from assessments.tests.trend_builders import SYMPTOM_ITEMS, TITLES, flat, snapshot, theme_at
from assessments.trends import (
    DEFAULT_CONFIG,
    Finding,
    PriorAlert,
    SnapshotPoint,
    TrendConfig,
    _noise,
    evaluate,
    quarters_between,
    replay,
    worst_first,
)

RULES = ("health_decline", "rubric_decline", "band_downgrade", "symptom_persistent", "red_flag")


def by_rule(findings: Sequence[Finding], rule: str) -> Finding | None:
    return next((f for f in findings if f.rule == rule), None)


def verdicts(findings: Sequence[Finding]) -> list[tuple[str, str]]:
    return [(f.rule.value, f.severity.value) for f in findings]


def point(
    index: int,
    health: float,
    *,
    band: str = "healthy",
    rubrics: Mapping[str, float] | None = None,
    items: Mapping[str, float] | None = None,
    red_flags: Mapping[str, object] | None = None,
) -> SnapshotPoint:
    """A bare snapshot: only the numbers a test sets (quarter ``index`` from 2022-Q1)."""
    return SnapshotPoint(
        period=f"{2022 + index // 4}-Q{index % 4 + 1}",
        health=health,
        band=band,
        rubric_scores=dict(rubrics or {}),
        items=dict(items or {}),
        red_flags=dict(red_flags or {}),
    )


def healths(*values: float, band: str = "healthy") -> list[SnapshotPoint]:
    return [point(i, v, band=band) for i, v in enumerate(values)]


# A configuration whose noise is zero for a flat history, so every bar in points is met exactly.
EXACT = TrendConfig(health_noise_prior=0.0, rubric_noise_prior=0.0)


# --------------------------------------------------------------------------- #
# The API around the rules


def test_an_empty_series_has_no_findings():
    assert evaluate([]) == []
    assert replay([]) == []


@pytest.mark.parametrize(
    ("first", "second"),
    [("2022-Q2", "2022-Q1"), ("2022-Q1", "2022-Q1")],
)
def test_a_series_out_of_order_or_with_a_quarter_twice_is_refused_naming_both(first, second):
    series = [
        point(0, 75),
        dataclasses.replace(point(0, 75), period=first),
        dataclasses.replace(point(0, 75), period=second),
    ]

    with pytest.raises(ValueError, match=rf"^series must be sorted oldest first without repeats: {first}, {second}$"):
        evaluate(series)


def test_quarters_between_counts_calendar_quarters_either_way():
    assert quarters_between("2022-Q4", "2023-Q1") == 1
    assert quarters_between("2023-Q1", "2022-Q1") == -4
    assert quarters_between("2022-Q2", "2022-Q2") == 0


def test_worst_first_orders_by_severity_then_the_detectors_order_of_rules():
    keys = [("watch", "red_flag"), ("critical", "band_downgrade"), ("warning", "health_decline")]
    keys += [("warning", "symptom_persistent"), ("critical", "health_decline"), ("bogus", "health_decline")]
    keys += [("warning", "zz_unknown"), ("warning", "aa_unknown")]

    ordered = sorted(keys, key=lambda k: worst_first(*k))

    assert ordered == [
        ("critical", "health_decline"),
        ("critical", "band_downgrade"),
        ("warning", "health_decline"),
        ("warning", "symptom_persistent"),
        ("warning", "aa_unknown"),
        ("warning", "zz_unknown"),
        ("watch", "red_flag"),
        ("bogus", "health_decline"),
    ]
    assert worst_first("critical", "health_decline") == (-2, 0, "health_decline")
    # An unknown rule sorts after every known one (the partner's view added a sixth rule).
    assert worst_first("watch", "nope") == (0, 6, "nope")


def test_findings_are_sorted_worst_first_one_per_rule():
    series = flat(6) + [
        snapshot(6, level=1.5),
        snapshot(7, level=1.5, red_flags={"info_withheld": True, "days_late": 20}),
    ]

    assert verdicts(evaluate(series)) == [
        ("health_decline", "critical"),
        ("rubric_decline", "critical"),
        ("band_downgrade", "critical"),
        ("red_flag", "warning"),
    ]


def test_replay_feeds_warnings_back_as_the_cooldown_but_never_watches():
    # Watches every quarter (one point below the watch bar is not even that), a warning once.
    series = healths(80, 80, 80, 80, 71, 80, 60, 60, 60)

    found = [(f.period, f.severity.value) for f in replay(series) if f.rule == "health_decline"]

    assert found == [("2023-Q1", "watch"), ("2023-Q3", "watch"), ("2023-Q4", "warning")]
    assert all(f.rule == "health_decline" for f in replay(series))


# --------------------------------------------------------------------------- #
# Cooldown


def sudden_warning() -> list[SnapshotPoint]:
    return healths(80, 80, 80, 80, 80, 80, 66, 66)


@pytest.mark.parametrize(
    ("rule", "period", "severity", "silenced"),
    [
        ("health_decline", "2023-Q4", "warning", True),  # the same quarter
        ("health_decline", "2023-Q2", "warning", True),  # two quarters before: still cooling
        ("health_decline", "2023-Q1", "critical", False),  # three quarters before: cooled
        ("health_decline", "2024-Q1", "critical", False),  # a later quarter never silences an earlier one
        ("health_decline", "2023-Q3", "watch", False),  # a lower severity never silences
        ("health_decline", "2023-Q3", "critical", True),  # a higher one does
        ("band_downgrade", "2023-Q3", "critical", False),  # another rule never does
    ],
)
def test_the_cooldown_silences_the_same_rule_at_the_same_or_lower_severity_for_two_quarters(
    rule, period, severity, silenced
):
    findings = evaluate(sudden_warning(), prior=[PriorAlert(rule, period, severity)])

    assert (by_rule(findings, "health_decline") is None) is silenced


def test_the_cooldown_length_is_configurable():
    prior = [PriorAlert("health_decline", "2023-Q1", "warning")]

    assert by_rule(evaluate(sudden_warning(), prior=prior), "health_decline") is not None
    config = TrendConfig(cooldown_quarters=3)
    assert by_rule(evaluate(sudden_warning(), prior=prior, config=config), "health_decline") is None


# --------------------------------------------------------------------------- #
# Rule 1: the baseline, the noise and a confirmed decline


def test_the_noise_pools_the_baselines_successive_differences_with_the_prior_and_widens_for_a_short_median():
    # Differences 4 and -2: halves 8 and 2, pooled with 8 x 5^2 over 8 + 2 differences, widened by 1 + pi/6.
    assert _noise([80, 84, 82], 5.0, 8.0) == pytest.approx(math.sqrt((200 + 10) / 10 * (1 + math.pi / 6)))
    assert _noise([80], 5.0, 8.0) == pytest.approx(5 * math.sqrt(1 + math.pi / 2))


def test_a_quarter_eight_points_below_baseline_is_a_watch_and_a_hair_less_is_nothing():
    assert verdicts(evaluate(healths(80, 80, 80, 80, 72))) == [("health_decline", "watch")]
    assert evaluate(healths(80, 80, 80, 80, 72.01)) == []


def test_the_watch_sentence_gives_the_quarter_the_drop_and_the_baseline():
    finding = by_rule(evaluate(healths(80, 81, 79, 80, 70)), "health_decline")

    assert finding.explanation == (
        "Overall health dipped to 70 in 2023-Q1, 10 points below its baseline of 80 (median of 3 quarters); "
        "not yet a confirmed decline."
    )
    assert finding.items == () and finding.evidence.items == ()
    (score,) = finding.evidence.scores
    assert (score.key, score.baseline.value, score.baseline.periods, score.baseline.band) == (
        "health",
        80,
        ("2022-Q1", "2022-Q2", "2022-Q3"),
        "healthy",
    )
    assert [(r.period, r.value, r.band) for r in score.window] == [
        ("2022-Q4", 80, "healthy"),
        ("2023-Q1", 70, "healthy"),
    ]


def test_fewer_quarters_than_min_history_give_no_decline_verdict():
    assert verdicts(evaluate(healths(80, 80, 60))) == [("health_decline", "watch")]
    assert evaluate(healths(80, 80, 60), config=TrendConfig(min_history=4)) == []


def test_two_quarters_well_below_baseline_confirm_a_warning_with_the_path():
    finding = by_rule(evaluate(healths(80, 80, 80, 80, 80, 80, 66, 66)), "health_decline")

    assert finding.severity == "warning"
    assert finding.explanation == (
        "Overall health fell from 80 to 66 over 2 quarters (2023-Q3: 66, 2023-Q4: 66; "
        "baseline 80, the median of 6 quarters before)."
    )


def test_the_critical_bar_is_25_points_in_the_last_quarter():
    assert by_rule(evaluate(healths(80, 80, 80, 80, 55, 55), config=EXACT), "health_decline").severity == "critical"
    assert (
        by_rule(evaluate(healths(80, 80, 80, 80, 55.01, 55.01), config=EXACT), "health_decline").severity == "warning"
    )


def test_with_no_noise_each_bar_in_points_is_met_exactly():
    # The warning needs 6 points in the last quarter and on average; the watch 8.
    assert by_rule(evaluate(healths(80, 80, 80, 80, 72, 72), config=EXACT), "health_decline").severity == "warning"
    config = dataclasses.replace(EXACT, health_watch_drop=6.0)
    assert by_rule(evaluate(healths(80, 80, 80, 80, 74, 74), config=config), "health_decline").severity == "warning"
    assert by_rule(evaluate(healths(80, 80, 80, 80, 74.01, 74.01), config=config), "health_decline") is None


@pytest.mark.parametrize(
    ("window", "severity"),
    [
        ((70, 70), "warning"),
        ((70.01, 69.99), "warning"),  # deepening from a quarter already down: a decline deepening
        ((69.99, 70.01), "watch"),  # bouncing back: with no noise, not even a hundredth
    ],
)
def test_with_no_noise_only_quarters_that_agree_confirm(window, severity):
    assert by_rule(evaluate(healths(80, 80, 80, 80, *window), config=EXACT), "health_decline").severity == severity


def test_the_earlier_quarter_must_be_one_noise_unit_down_when_nothing_else_holds_it():
    # With defaults the jump bar already keeps the earlier quarter 1.5 units down; without it:
    loose = TrendConfig(jump_z=99.0)

    assert noisy_health(4.6, 1.05, loose) == "warning"
    assert noisy_health(4.6, 0.95, loose) == "watch"


def noisy_health(z_last: float, z_earlier: float, config: TrendConfig = DEFAULT_CONFIG) -> str:
    """The severity rule 1 gives a window ``z_earlier``, ``z_last`` noise units below a flat baseline of 80."""
    noise = _noise([80.0] * 6, config.health_noise_prior, config.noise_prior_weight)
    series = healths(80, 80, 80, 80, 80, 80, 80 - z_earlier * noise, 80 - z_last * noise)
    finding = by_rule(evaluate(series, config=config), "health_decline")
    return finding.severity.value if finding else "none"


@pytest.mark.parametrize(
    ("z_last", "z_earlier", "severity"),
    [
        # The mean of two quarters is surer than one: its bar, 2.75 of its own noise units,
        # is 2.75 x sqrt((1/2 + pi/12) / (1 + pi/12)) = 2.137 single-quarter units.
        (2.6, 1.7, "warning"),  # the mean 2.15 clears 2.137
        (2.6, 1.65, "watch"),  # the mean 2.125 does not
        (3.8, 2.0, "watch"),  # the last quarter 1.8 units below the earlier: rests on itself
        (3.7, 2.0, "warning"),  # 1.7 units of 1.75 allowed: a deepening slide
        (5.0, 2.55, "warning"),  # 2.45 units, but from a quarter itself 2.5 units down: a decline deepening
        (5.0, 2.45, "watch"),  # 2.55 units from a quarter short of 2.5 down: rests on itself
        (2.6, 4.0, "warning"),  # bouncing back 1.4 units of 1.5 allowed
        (2.6, 4.2, "watch"),  # bouncing back 1.6 units: a dip recovering
    ],
)
def test_the_bars_in_noise_units(z_last, z_earlier, severity):
    assert noisy_health(z_last, z_earlier) == severity


@pytest.mark.parametrize(("z_before", "severity"), [(1.05, "warning"), (0.95, "watch")])
def test_a_deep_last_quarter_confirms_when_the_quarter_before_the_window_was_already_down(z_before, severity):
    # (2.0, 3.8) alone rests on its last quarter (a jump of 1.8 > 1.75 units: "watch" above).
    # Three low quarters running are a slide deepening, not a dip: the jump is no objection.
    noise = _noise([80.0] * 6, DEFAULT_CONFIG.health_noise_prior, DEFAULT_CONFIG.noise_prior_weight)
    series = healths(80, 80, 80, 80, 80, 80, 80 - z_before * noise, 80 - 2.0 * noise, 80 - 3.8 * noise)

    finding = by_rule(evaluate(series), "health_decline")

    assert finding.severity == severity
    assert len(finding.evidence.scores[0].baseline.periods) == (6 if severity == "warning" else 7)


def test_the_last_quarter_must_be_two_and_a_half_noise_units_down():
    forgiving = TrendConfig(recovery_z=99.0)

    assert noisy_health(2.55, 4.0, forgiving) == "warning"
    assert noisy_health(2.45, 4.0, forgiving) == "watch"


def test_a_noisier_history_raises_every_bar():
    calm = healths(80, 80, 80, 80, 80, 80, 66, 66)
    noisy = healths(70, 90, 70, 90, 70, 90, 66, 66)

    assert by_rule(evaluate(calm), "health_decline").severity == "warning"
    assert by_rule(evaluate(noisy), "health_decline").severity == "watch"


def test_the_baseline_is_the_median_of_up_to_eight_quarters_before_the_window():
    series = healths(10, 90, 90, 90, 50, 50, 50, 50, 50, 30, 30)

    score = by_rule(evaluate(series), "health_decline").evidence.scores[0]

    assert score.baseline.periods == (
        "2022-Q2",
        "2022-Q3",
        "2022-Q4",
        "2023-Q1",
        "2023-Q2",
        "2023-Q3",
        "2023-Q4",
        "2024-Q1",
    )
    assert score.baseline.value == 50


def test_a_slide_already_under_way_before_the_window_is_kept_out_of_the_baseline():
    # 2023-Q3 is already low: the baseline is taken before it, unless runs are switched off.
    series = healths(80, 80, 80, 80, 80, 80, 74, 68, 62)

    run = by_rule(evaluate(series), "health_decline").evidence.scores[0]
    no_run = by_rule(evaluate(series, config=TrendConfig(run_quarters=0)), "health_decline").evidence.scores[0]

    assert run.baseline.periods == ("2022-Q1", "2022-Q2", "2022-Q3", "2022-Q4", "2023-Q1", "2023-Q2")
    assert no_run.baseline.periods == ("2022-Q1", "2022-Q2", "2022-Q3", "2022-Q4", "2023-Q1", "2023-Q2", "2023-Q3")


@pytest.mark.parametrize(("before", "kept_out"), [(80 - 5.4, True), (80 - 3.4, False)])
def test_a_quarter_joins_the_run_when_it_sits_one_noise_unit_below(before, kept_out):
    series = healths(80, 80, 80, 80, 80, 80, before, 60, 60)
    periods = by_rule(evaluate(series), "health_decline").evidence.scores[0].baseline.periods

    assert ("2023-Q3" not in periods) is kept_out


# --------------------------------------------------------------------------- #
# Quarters with data: a missed check-up does not reset a decline


def test_a_gap_inside_the_window_does_not_reset_a_decline():
    series = [point(i, 80) for i in range(6)] + [point(6, 66), point(9, 66)]

    finding = by_rule(evaluate(series), "health_decline")

    assert finding.severity == "warning"
    assert "(2023-Q3: 66, 2024-Q2: 66;" in finding.explanation


@pytest.mark.parametrize(("last", "severity"), [(7, "watch"), (8, "warning")])
def test_a_missed_check_up_widens_the_jump_a_slide_may_make_by_a_quarter(last, severity):
    # 2.0 then 5.0 noise units down: a jump of 3.0 is too far for one quarter (1.75) but not for two (3.5).
    noise = _noise([80.0] * 6, DEFAULT_CONFIG.health_noise_prior, DEFAULT_CONFIG.noise_prior_weight)
    series = [point(i, 80) for i in range(6)] + [point(6, 80 - 2.0 * noise), point(last, 80 - 5.0 * noise)]

    assert by_rule(evaluate(series), "health_decline").severity == severity


@pytest.mark.parametrize(("last", "severity"), [(11, "warning"), (12, "watch")])
def test_the_baseline_may_be_at_most_six_quarters_old(last, severity):
    # The newest baseline quarter is 2023-Q2 (index 5): six quarters later is 2024-Q4 (index 11).
    series = [point(i, 80) for i in range(6)] + [point(7, 66), point(last, 66)]

    assert by_rule(evaluate(series), "health_decline").severity == severity


# --------------------------------------------------------------------------- #
# Rule 1: a sudden drop is confirmed in its second quarter with data


def test_worked_example_a_sudden_drop():
    series = flat(6) + [snapshot(6, ratings=theme_at(1.0))]

    first = by_rule(evaluate(series, titles=TITLES), "health_decline")
    held = by_rule(evaluate([*series, snapshot(7, ratings=theme_at(1.0))], titles=TITLES), "health_decline")

    assert first.severity == "watch"
    assert first.explanation == (
        "Overall health dipped to 50 in 2023-Q3, 25 points below its baseline of 75 (median of 5 quarters); "
        "not yet a confirmed decline. Biggest drops: Flexibility 4.0→1.0, Quality 4.0→1.0, "
        "Service team 4.0→1.0, Trust 4.0→1.0."
    )
    assert held.severity == "critical"
    assert held.explanation == (
        "Overall health fell from 75 to 50 over 2 quarters (2023-Q3: 50, 2023-Q4: 50; "
        "baseline 75, the median of 6 quarters before). Biggest drops: Flexibility 4.0→1.0, Quality 4.0→1.0, "
        "Service team 4.0→1.0, Trust 4.0→1.0."
    )
    assert held.items == (
        "characteristics.flexibility",
        "characteristics.quality",
        "characteristics.service_team",
        "characteristics.trust",
    )
    assert [r.value for r in held.evidence.scores[0].window] == [50, 50]


@pytest.mark.parametrize("depth", [1.0, 2.0, 3.0])
def test_one_quarter_however_deep_is_only_a_watch(depth):
    series = flat(5) + [snapshot(5, level=4.0 - depth)]

    assert {f.severity.value for f in evaluate(series)} == {"watch"}


def test_a_sudden_drop_needs_a_fresh_baseline():
    series = [snapshot(i) for i in range(4)] + [snapshot(11, level=2.0), snapshot(12, level=2.0)]

    assert by_rule(evaluate(series), "health_decline").severity == "watch"


# --------------------------------------------------------------------------- #
# Rule 2: rubrics


def test_worked_example_a_gradual_decline_shows_first_in_its_rubric():
    # Half a point a quarter on four characteristics from 2023-Q3: confirmed in 2023-Q4, its second quarter.
    series = [snapshot(i, ratings=theme_at(4.0 - 0.5 * (i - 5)) if i >= 6 else {}) for i in range(8)]

    findings = evaluate(series, titles=TITLES)

    assert verdicts(findings) == [("rubric_decline", "warning"), ("health_decline", "watch")]
    rubric = by_rule(findings, "rubric_decline")
    assert rubric.explanation == (
        "Characteristics score fell from 75 to 58 over 2 quarters (baseline 75): "
        "Flexibility 4.0→3.0, Quality 4.0→3.0, Service team 4.0→3.0, Trust 4.0→3.0."
    )
    (score,) = rubric.evidence.scores
    assert score.key == "characteristics"
    assert score.baseline.periods == ("2022-Q1", "2022-Q2", "2022-Q3", "2022-Q4", "2023-Q1", "2023-Q2")
    assert [r.value for r in score.window] == pytest.approx([66.6667, 58.3333], abs=1e-4)
    assert by_rule(findings, "health_decline").explanation.startswith(
        "Overall health dipped to 67 in 2023-Q4, 8 points below its baseline of 75 (median of 6 quarters)"
    )


def test_several_items_of_one_rubric_falling_every_quarter_are_a_watch_named_with_their_path():
    sliding = ("characteristics.trust", "characteristics.quality", "characteristics.flexibility")
    series = flat(6) + [
        snapshot(6, ratings=dict.fromkeys(sliding, 3.5)),
        snapshot(7, ratings=dict.fromkeys(sliding, 3.0)),
    ]

    finding = by_rule(evaluate(series, titles=TITLES), "rubric_decline")

    assert finding.severity == "watch"
    assert finding.explanation == (
        "Characteristics score fell from 75 to 63 over 1 quarter (baseline 75): "
        "Flexibility 4.0→3.0, Quality 4.0→3.0, Trust 4.0→3.0. "
        "In Characteristics, 3 items fell in each of the last 2 quarters: "
        "Flexibility 4.0→3.5→3.0, Quality 4.0→3.5→3.0, Trust 4.0→3.5→3.0."
    )
    assert next(i.path for i in finding.evidence.items)[0].period == "2023-Q2"


def test_two_falling_items_are_not_enough_and_a_rise_breaks_the_fall():
    two = ("characteristics.trust", "characteristics.quality")
    series = flat(6) + [snapshot(6, ratings=dict.fromkeys(two, 3.5)), snapshot(7, ratings=dict.fromkeys(two, 3.0))]
    assert (
        "items fell"
        not in (by_rule(evaluate(series), "rubric_decline") or Finding("x", "watch", "", "", ())).explanation
    )  # type: ignore[arg-type]

    three = (*two, "characteristics.flexibility")
    flat_then = flat(6) + [
        snapshot(6, ratings=dict.fromkeys(three, 3.0)),
        snapshot(7, ratings=dict.fromkeys(three, 3.0)),
    ]
    assert "items fell" not in by_rule(evaluate(flat_then), "rubric_decline").explanation


SLIDING = ("characteristics.trust", "characteristics.quality", "characteristics.flexibility")


def sliding(*levels: float, at: Sequence[int] = (6, 7), before: Sequence[int] = range(6)) -> list[SnapshotPoint]:
    """Quarters ``before`` flat at 4.0, then three characteristics at ``levels`` in quarters ``at``."""
    return [snapshot(i) for i in before] + [
        snapshot(i, ratings=dict.fromkeys(SLIDING, v)) for i, v in zip(at, levels, strict=True)
    ]


def test_items_falling_half_a_point_are_a_watch_on_their_own_before_the_rubric_score_moves():
    # 4.0→3.75→3.5 is exactly the 12.5 points an item must lose; the rubric score loses only 6.
    finding = by_rule(evaluate(sliding(3.75, 3.5), titles=TITLES), "rubric_decline")

    assert (finding.severity, finding.items) == (
        "watch",
        ("characteristics.flexibility", "characteristics.quality", "characteristics.trust"),
    )
    assert finding.explanation == (
        "In Characteristics, 3 items fell in each of the last 2 quarters: "
        "Flexibility 4.0→3.8→3.5, Quality 4.0→3.8→3.5, Trust 4.0→3.8→3.5."
    )
    assert finding.evidence.scores == ()
    # A fall of a hair less than 12.5 points, or a fifth of a point, is nothing.
    assert by_rule(evaluate(sliding(3.76, 3.51)), "rubric_decline") is None
    assert by_rule(evaluate(sliding(3.9, 3.8)), "rubric_decline") is None


def test_an_item_missing_from_a_quarter_is_skipped_and_the_items_after_it_still_count():
    series = sliding(3.75, 3.5)
    # Client first (listed first) was not asked in 2023-Q3.
    items = {k: v for k, v in series[6].items.items() if k != "characteristics.client_first"}
    series[6] = dataclasses.replace(series[6], items=items)

    finding = by_rule(evaluate(series, titles=TITLES), "rubric_decline")

    assert finding.explanation.startswith("In Characteristics, 3 items fell in each of the last 2 quarters:")


def test_a_rubric_watch_lists_both_the_items_that_moved_and_those_that_fell_every_quarter():
    series = flat(6) + [
        snapshot(6, ratings=dict.fromkeys(SLIDING, 3.5)),
        snapshot(7, ratings=dict.fromkeys(SLIDING, 3.0) | {"characteristics.client_first": 2.0}),
    ]

    finding = by_rule(evaluate(series, titles=TITLES), "rubric_decline")

    assert finding.severity == "watch"
    assert finding.items == (
        "characteristics.client_first",
        "characteristics.flexibility",
        "characteristics.quality",
        "characteristics.trust",
    )


def test_two_rubrics_sentences_are_joined_in_one_explanation():
    ratings = theme_at(1.0) | {"traits.caring": 2.0, "traits.honesty": 2.0, "traits.homework": 2.0}
    series = flat(6) + [snapshot(6, ratings=theme_at(1.0)), snapshot(7, ratings=ratings)]

    assert by_rule(evaluate(series, titles=TITLES), "rubric_decline").explanation == (
        "Characteristics score fell from 75 to 25 over 2 quarters (baseline 75): Flexibility 4.0→1.0, "
        "Quality 4.0→1.0, Service team 4.0→1.0, Trust 4.0→1.0. Traits score fell from 75 to 54 over 1 quarter "
        "(baseline 75): Caring 4.0→2.0, Homework 4.0→2.0, Honesty 4.0→2.0."
    )


def test_an_items_before_value_is_the_median_of_the_eight_quarters_before_the_window_only():
    # Trust was 3.0 for nine quarters long ago, then 4.0 for eight: its "before" is 4.0.
    trust = "characteristics.trust"
    series = [snapshot(i, ratings={trust: 3.0}) for i in range(9)] + [snapshot(i) for i in range(9, 17)]
    series += [snapshot(i, ratings={trust: 1.0}) for i in (17, 18)]

    finding = by_rule(evaluate(series, titles=TITLES), "rubric_decline")

    assert (finding.severity, finding.explanation) == (
        "warning",
        "Characteristics score fell from 75 to 63 over 2 quarters (baseline 75): Trust 4.0→1.0.",
    )


def test_items_falling_need_enough_history_and_a_fresh_baseline():
    # Three quarters are enough by default, not when four are asked for.
    assert verdicts(evaluate(sliding(3.75, 3.5, at=(1, 2), before=(0,)))) == [("rubric_decline", "watch")]
    assert evaluate(sliding(3.75, 3.5, at=(1, 2), before=(0,)), config=TrendConfig(min_history=4)) == []
    # Baseline quarters ending seven quarters before the last are too old to compare with.
    assert evaluate(sliding(4.0, 3.75, 3.5, at=(3, 10, 11), before=(0, 1, 2))) == []


def test_with_three_confirming_quarters_the_sentences_name_the_last_quarter():
    three = TrendConfig(confirm_quarters=3)
    sliding = flat(6) + [snapshot(6 + i, ratings=theme_at(v)) for i, v in enumerate((2.0, 1.5, 1.0))]
    dip = flat(8) + [snapshot(8, level=2.0)]

    confirmed = by_rule(evaluate(sliding, config=three, titles=TITLES), "health_decline")
    watch = by_rule(evaluate(dip, config=three, titles=TITLES), "health_decline")

    assert confirmed.explanation.startswith(
        "Overall health fell from 75 to 50 over 3 quarters (2023-Q3: 58, 2023-Q4: 54, 2024-Q1: 50; "
        "baseline 75, the median of 6 quarters before)."
    )
    assert (watch.severity, watch.explanation.split(" Biggest")[0]) == (
        "watch",
        "Overall health dipped to 25 in 2024-Q1, 50 points below its baseline of 75 (median of 6 quarters); "
        "not yet a confirmed decline.",
    )


def test_a_decline_confirmed_over_three_quarters_names_the_last_quarters_score():
    series = flat(6) + [snapshot(6 + i, ratings=theme_at(v)) for i, v in enumerate((2.0, 1.5, 1.0))]

    findings = evaluate(series, config=TrendConfig(confirm_quarters=3), titles=TITLES)

    assert by_rule(findings, "rubric_decline").explanation.startswith(
        "Characteristics score fell from 75 to 25 over 3 quarters (baseline 75):"
    )


def test_a_themed_collapse_confirms_its_rubric_in_its_second_quarter_but_not_the_other_rubric():
    series = flat(6) + [snapshot(6, ratings=theme_at(1.0)), snapshot(7, ratings=theme_at(1.0))]

    finding = by_rule(evaluate(series, titles=TITLES), "rubric_decline")

    assert finding.severity == "critical"
    assert finding.explanation.startswith("Characteristics score fell from 75 to 25 over 2 quarters (baseline 75):")
    assert [s.key for s in finding.evidence.scores] == ["characteristics"]


def test_the_symptom_rubric_is_only_ever_a_watch():
    series = flat(6) + [snapshot(i, symptoms=dict.fromkeys(SYMPTOM_ITEMS, 1.0)) for i in (6, 7)]

    finding = by_rule(evaluate(series), "rubric_decline")

    assert finding.severity == "watch"
    assert finding.explanation == (
        "Symptoms score fell from 100 to 67 over 2 quarters (baseline 100): Chasing rainbows 0.0→1.0, "
        "Little interaction 0.0→1.0, Misrepresented solution 0.0→1.0, No mutual respect 0.0→1.0."
    )


def test_rubrics_are_reported_worst_first_and_their_items_once():
    # Characteristics collapses and holds (critical), traits dips in the last quarter only (a watch).
    ratings = theme_at(1.0) | {"traits.caring": 2.0, "traits.honesty": 2.0, "traits.homework": 2.0}
    series = flat(6) + [snapshot(6, ratings=theme_at(1.0)), snapshot(7, ratings=ratings)]

    finding = by_rule(evaluate(series), "rubric_decline")

    assert finding.severity == "critical"
    assert finding.explanation.index("Characteristics score") < finding.explanation.index("Traits score")
    assert len(finding.items) == len(set(finding.items)) == 7


# --------------------------------------------------------------------------- #
# Rule 3: bands


def bands(*pairs: tuple[float, str]) -> list[SnapshotPoint]:
    return [point(i, health, band=band) for i, (health, band) in enumerate(pairs)]


def test_a_fresh_band_downgrade_with_five_points_lost_is_a_watch():
    series = bands((78, "healthy"), (78, "healthy"), (78, "healthy"), (73, "watch"))

    finding = by_rule(evaluate(series), "band_downgrade")

    assert finding.severity == "watch"
    assert finding.explanation == (
        "Band fell from Healthy (2022-Q3) to Watch (2022-Q4); health 78→73. One quarter is not yet a trend."
    )
    assert [(r.period, r.value, r.band) for r in finding.evidence.scores[0].window] == [
        ("2022-Q3", 78, "healthy"),
        ("2022-Q4", 73, "watch"),
    ]


def test_a_band_change_with_under_five_points_lost_is_nothing():
    assert (
        by_rule(evaluate(bands((76, "healthy"), (76, "healthy"), (76, "healthy"), (71.01, "watch"))), "band_downgrade")
        is None
    )


def test_a_held_downgrade_is_a_warning_and_two_bands_down_critical():
    held = bands(*[(80, "healthy")] * 6, (66, "watch"), (66, "watch"))
    two_down = bands(*[(80, "healthy")] * 6, (58, "at_risk"), (58, "at_risk"))

    finding = by_rule(evaluate(held), "band_downgrade")
    assert finding.severity == "warning"
    assert finding.explanation == (
        "Band fell from Healthy to Watch and has stayed below Healthy for 2 quarters (2023-Q3: Watch, 2023-Q4: Watch)."
    )
    assert by_rule(evaluate(two_down), "band_downgrade").severity == "critical"


def test_landing_in_critical_is_critical():
    series = bands(*[(45, "at_risk")] * 6, (30, "critical"), (30, "critical"))

    assert by_rule(evaluate(series), "band_downgrade").severity == "critical"


def test_a_band_that_recovered_within_the_window_is_not_held():
    series = bands(*[(80, "healthy")] * 6, (66, "watch"), (66, "healthy"))

    assert by_rule(evaluate(series), "band_downgrade") is None


def test_a_fresh_downgrade_compares_with_the_quarter_just_before():
    series = bands((78, "healthy"), (78, "healthy"), (90, "healthy"), (78, "healthy"), (73, "watch"))

    assert by_rule(evaluate(series), "band_downgrade").explanation == (
        "Band fell from Healthy (2022-Q4) to Watch (2023-Q1); health 78→73. One quarter is not yet a trend."
    )


def test_a_band_downgrade_needs_enough_history():
    series = bands((78, "healthy"), (78, "healthy"), (73, "watch"))

    assert by_rule(evaluate(series), "band_downgrade").severity == "watch"
    assert by_rule(evaluate(series, config=TrendConfig(min_history=4)), "band_downgrade") is None


def test_one_band_down_from_watch_to_at_risk_held_is_a_warning():
    series = bands(*[(70, "watch")] * 6, (50, "at_risk"), (50, "at_risk"))

    finding = by_rule(evaluate(series), "band_downgrade")

    assert (finding.severity, finding.explanation) == (
        "warning",
        "Band fell from Watch to At risk and has stayed below Watch for 2 quarters (2023-Q3: At risk, 2023-Q4: At risk).",
    )


def test_a_band_downgrade_names_the_items_that_fell_and_its_baseline():
    series = flat(6) + [snapshot(6, ratings=theme_at(2.0)), snapshot(7, ratings=theme_at(2.0))]

    finding = by_rule(evaluate(series, titles=TITLES), "band_downgrade")

    assert finding.severity == "critical"
    assert finding.explanation.endswith(
        "Biggest drops: Flexibility 4.0→2.0, Quality 4.0→2.0, Service team 4.0→2.0, Trust 4.0→2.0."
    )
    fell = (
        "characteristics.flexibility",
        "characteristics.quality",
        "characteristics.service_team",
        "characteristics.trust",
    )
    assert finding.items == fell
    assert [(i.address, i.before, i.after) for i in finding.evidence.items] == [(a, 4.0, 2.0) for a in fell]
    (score,) = finding.evidence.scores
    assert (score.baseline.value, score.baseline.band, len(score.baseline.periods)) == (75.0, "healthy", 6)


# --------------------------------------------------------------------------- #
# Rule 4: symptoms


def symptom(values: Sequence[float], address: str = "symptoms.chasing_rainbows", start: int = 0) -> list[SnapshotPoint]:
    return [snapshot(start + i, symptoms={address: v}) for i, v in enumerate(values)]


def test_moderate_two_quarters_running_is_a_warning_naming_the_quarters():
    finding = by_rule(evaluate(symptom([0, 0, 0, 0, 2, 2]), titles=TITLES), "symptom_persistent")

    assert (finding.severity, finding.items) == ("warning", ("symptoms.chasing_rainbows",))
    assert (
        finding.explanation
        == "Chasing rainbows has been moderate or worse for 2 quarters in a row (2023-Q1: 2.0, 2023-Q2: 2.0)."
    )
    assert [(r.period, r.value) for r in finding.evidence.items[0].path] == [("2023-Q1", 2.0), ("2023-Q2", 2.0)]


def test_moderate_four_quarters_running_or_severe_two_is_critical():
    assert by_rule(evaluate(symptom([0, 0, 2, 2, 2, 2])), "symptom_persistent").severity == "critical"
    assert by_rule(evaluate(symptom([0, 0, 0, 2, 2, 2])), "symptom_persistent").severity == "warning"
    assert by_rule(evaluate(symptom([0, 0, 0, 0, 2.5, 2.5])), "symptom_persistent").severity == "critical"
    assert by_rule(evaluate(symptom([0, 0, 0, 0, 2.5, 2.49])), "symptom_persistent").severity == "warning"


def test_one_and_a_half_counts_as_moderate_and_a_hair_less_does_not():
    assert by_rule(evaluate(symptom([0, 0, 0, 0, 1.5, 1.5])), "symptom_persistent").severity == "warning"
    assert by_rule(evaluate(symptom([0, 0, 0, 0, 1.5, 1.49])), "symptom_persistent") is None


def test_a_long_run_at_exactly_one_and_a_half_stays_out_of_the_usual_level():
    # Four quarters at 1.5 after three at 0: the usual level is 0, so the run is critical.
    finding = by_rule(evaluate(symptom([0, 0, 0, 1.5, 1.5, 1.5, 1.5]), titles=TITLES), "symptom_persistent")

    assert finding.severity == "critical"
    assert finding.explanation.startswith("Chasing rainbows has been moderate or worse for 4 quarters")


def test_moderate_needs_two_and_a_half_times_the_pooled_symptom_noise_above_the_usual_level():
    # Usually 1.2; the noise pools every symptom's readings with the 0.45 prior: 0.188, so the bar is 0.47 above.
    assert by_rule(evaluate(symptom([1.2] * 6 + [1.6, 1.6])), "symptom_persistent") is None
    finding = by_rule(evaluate(symptom([1.2] * 6 + [1.7, 1.7]), titles=TITLES), "symptom_persistent")
    assert (finding.severity, finding.explanation) == (
        "warning",
        "Chasing rainbows has been moderate or worse for 2 quarters in a row (2023-Q3: 1.7, 2023-Q4: 1.7).",
    )
    # Readings spread around the usual 1.2 (1.0 to 1.4) add their squared distances: the bar rises to 0.49.
    spread = [1.0, 1.2, 1.2, 1.2, 1.4, 1.4]
    assert by_rule(evaluate(symptom([*spread, 1.68, 1.68])), "symptom_persistent") is None
    assert by_rule(evaluate(symptom([*spread, 1.7, 1.7])), "symptom_persistent").severity == "warning"


def test_below_one_and_a_half_is_never_moderate_however_quiet_the_symptom_was():
    # With no noise prior, 1.0 stands out from a usual 0 but is still below moderate: twice running
    # it is no run, three times in four quarters no recurrence.
    quiet = TrendConfig(symptom_noise_prior=0.0)

    assert by_rule(evaluate(symptom([0, 0, 0, 0, 1.0, 1.0]), config=quiet), "symptom_persistent") is None
    assert by_rule(evaluate(symptom([0, 0, 0, 0, 1, 0, 1, 1]), config=quiet), "symptom_persistent") is None


def test_a_symptom_moderate_since_the_first_check_up_is_measured_from_zero():
    # No calm quarter gives it a usual level: it counts from 0, so 1.5 six quarters running is critical.
    finding = by_rule(evaluate(symptom([1.5] * 6), titles=TITLES), "symptom_persistent")

    assert finding.severity == "critical"
    assert finding.explanation == (
        "Chasing rainbows has been moderate or worse for 6 quarters in a row (2022-Q1: 1.5, 2022-Q2: 1.5, "
        "2022-Q3: 1.5, 2022-Q4: 1.5, 2023-Q1: 1.5, 2023-Q2: 1.5)."
    )


def swinging(last: Sequence[float]) -> list[SnapshotPoint]:
    """Raters whose answers swing from none to moderate on every symptom, then ``last`` for one."""
    calm = [snapshot(i, symptoms={a: (i + k) % 3 for k, a in enumerate(SYMPTOM_ITEMS)}) for i in range(8)]
    return calm + [snapshot(8 + i, symptoms={"symptoms.chasing_rainbows": v}) for i, v in enumerate(last)]


def test_moderate_is_measured_against_the_symptoms_usual_level_and_noise():
    # Symptom answers that swing from none to moderate make two more "moderate"s no news.
    assert by_rule(evaluate(symptom([0, 0, 0, 0, 0, 0, 0, 0, 2, 2])), "symptom_persistent").severity == "warning"
    assert by_rule(evaluate(swinging([2, 2])), "symptom_persistent") is None
    assert by_rule(evaluate(swinging([3, 3])), "symptom_persistent").severity == "critical"


def test_a_missed_check_up_does_not_break_a_run_but_a_long_gap_does():
    series = symptom([0, 0, 0, 0]) + [snapshot(6, symptoms={"symptoms.chasing_rainbows": 2})]
    series += [snapshot(9, symptoms={"symptoms.chasing_rainbows": 2})]
    assert by_rule(evaluate(series), "symptom_persistent").severity == "warning"

    far = symptom([0, 0, 0, 0]) + [snapshot(6, symptoms={"symptoms.chasing_rainbows": 2})]
    far += [snapshot(13, symptoms={"symptoms.chasing_rainbows": 2})]
    assert by_rule(evaluate(far), "symptom_persistent") is None


def test_a_symptom_that_keeps_coming_back_is_a_warning():
    finding = by_rule(evaluate(symptom([0, 0, 0, 0, 2, 2, 0, 2]), titles=TITLES), "symptom_persistent")

    assert finding.severity == "warning"
    assert finding.explanation == (
        "Chasing rainbows keeps recurring: moderate or worse in 3 of the last 4 quarters "
        "(2023-Q1: 2.0, 2023-Q2: 2.0, 2023-Q4: 2.0)."
    )
    assert [r.period for r in finding.evidence.items[0].path] == ["2023-Q1", "2023-Q2", "2023-Q4"]
    assert by_rule(evaluate(symptom([0, 0, 0, 0, 2, 0, 2, 0])), "symptom_persistent") is None
    assert by_rule(evaluate(symptom([0, 0, 0, 0, 2, 0, 0, 2])), "symptom_persistent") is None


def test_a_rise_over_at_least_two_quarters_of_a_whole_point_is_a_watch():
    finding = by_rule(evaluate(symptom([0.5, 0.5, 0.5, 0.75, 1.0, 1.5]), titles=TITLES), "symptom_persistent")

    assert finding.severity == "watch"
    assert finding.explanation == "Chasing rainbows has risen for 3 quarters in a row (0.5→0.8→1.0→1.5)."
    assert by_rule(evaluate(symptom([0.5, 0.5, 0.5, 0.75, 1.0, 1.49])), "symptom_persistent") is None
    assert by_rule(evaluate(symptom([0, 0, 0, 0, 0, 1.25])), "symptom_persistent") is None


def test_three_moderate_quarters_from_the_first_check_up_are_a_warning_naming_all_three():
    finding = by_rule(evaluate(symptom([2, 2, 2]), titles=TITLES), "symptom_persistent")

    assert finding.severity == "warning"
    assert finding.explanation == (
        "Chasing rainbows has been moderate or worse for 3 quarters in a row (2022-Q1: 2.0, 2022-Q2: 2.0, 2022-Q3: 2.0)."
    )


def test_a_quarter_without_the_symptom_is_skipped_not_taken_as_calm():
    series = symptom([0, 0, 0, 0, 2, 2, 2])
    # 2023-Q2 did not ask about it.
    items = {k: v for k, v in series[5].items.items() if k != "symptoms.chasing_rainbows"}
    series[5] = dataclasses.replace(series[5], items=items)

    finding = by_rule(evaluate(series, titles=TITLES), "symptom_persistent")

    assert finding.explanation == (
        "Chasing rainbows has been moderate or worse for 2 quarters in a row (2023-Q1: 2.0, 2023-Q3: 2.0)."
    )


def test_a_gap_of_exactly_six_quarters_still_joins_a_run():
    series = symptom([0, 0, 0, 0, 2]) + symptom([2], start=10)

    finding = by_rule(evaluate(series, titles=TITLES), "symptom_persistent")

    assert finding.explanation == (
        "Chasing rainbows has been moderate or worse for 2 quarters in a row (2023-Q1: 2.0, 2024-Q3: 2.0)."
    )


def test_recurrence_is_measured_against_the_symptoms_usual_level():
    # Usually 1.4: readings of 1.6 are no news, so 3.0 in the last quarter recurs only once.
    assert by_rule(evaluate(symptom([1.4, 1.4, 1.4, 1.4, 1.6, 1.6, 1.4, 3])), "symptom_persistent") is None
    # Back to 1.6, near its usual 1.4, after three quarters at 3.0: not moderate now, so not recurring.
    assert by_rule(evaluate(symptom([1.4, 1.4, 1.4, 1.4, 3, 3, 3, 1.6])), "symptom_persistent") is None


def test_a_rise_over_one_quarter_counts_when_the_config_asks_for_two_points():
    two = TrendConfig(symptom_rise_points=2)

    finding = by_rule(evaluate(symptom([0, 0, 0, 0, 0, 1.25]), config=two, titles=TITLES), "symptom_persistent")

    assert (finding.severity, finding.explanation) == (
        "watch",
        "Chasing rainbows has risen for 1 quarter in a row (0.0→1.3).",
    )


def test_worked_example_two_symptoms_growing_together_warn_in_their_second_quarter():
    growing = ("symptoms.chasing_rainbows", "symptoms.little_interaction")
    series = flat(4) + [
        snapshot(4, symptoms=dict.fromkeys(growing, 1.0)),
        snapshot(5, symptoms=dict.fromkeys(growing, 2.0)),
    ]

    finding = by_rule(evaluate(series, titles=TITLES), "symptom_persistent")

    assert (finding.severity, finding.items) == ("warning", growing)
    assert finding.explanation == (
        "2 symptoms grew to moderate or worse together in 2023-Q2 "
        "(usual level, then each quarter: Chasing rainbows 0.0→1.0→2.0; Little interaction 0.0→1.0→2.0). "
        "Chasing rainbows has risen for 2 quarters in a row (0.0→1.0→2.0). "
        "Little interaction has risen for 2 quarters in a row (0.0→1.0→2.0)."
    )
    assert [r.value for r in finding.evidence.items[0].path] == [1.0, 2.0]


def test_one_growing_symptom_or_two_that_were_calm_the_quarter_before_wait():
    pencil = "symptoms.one_sided_pencil"
    one = flat(4) + [snapshot(4, symptoms={pencil: 1.0}), snapshot(5, symptoms={pencil: 2.0})]
    spike = flat(5) + [snapshot(5, symptoms={"symptoms.chasing_rainbows": 2.0, "symptoms.little_interaction": 2.0})]

    assert by_rule(evaluate(one), "symptom_persistent").severity == "watch"
    assert by_rule(evaluate(spike), "symptom_persistent") is None


def test_two_symptoms_moderate_after_a_missed_check_up_warn_at_once():
    growing = {"symptoms.chasing_rainbows": 2.0, "symptoms.little_interaction": 2.0}
    series = flat(4) + [snapshot(6, symptoms=growing)]

    assert by_rule(evaluate(series), "symptom_persistent").severity == "warning"


def together(
    levels: Sequence[float],
    addresses: Sequence[str] = ("symptoms.chasing_rainbows", "symptoms.little_interaction"),
    start: int = 0,
):
    """Two symptoms (Chasing rainbows and Little interaction unless told) at the same ``levels``."""
    return [snapshot(start + i, symptoms=dict.fromkeys(addresses, v)) for i, v in enumerate(levels)]


def test_symptoms_growing_together_are_shown_from_their_own_usual_level():
    finding = by_rule(evaluate(together([1, 1, 1, 1, 2, 3]), titles=TITLES), "symptom_persistent")

    assert "(usual level, then each quarter: Chasing rainbows 1.0→2.0→3.0; Little interaction 1.0→2.0→3.0)" in (
        finding.explanation
    )
    # Moderate since the first check-up: no usual level, so they are shown from 0.
    first = by_rule(evaluate(together([2, 2]), titles=TITLES), "symptom_persistent")
    assert "(usual level, then each quarter: Chasing rainbows 0.0→2.0→2.0; Little interaction 0.0→2.0→2.0)" in (
        first.explanation
    )


def test_symptoms_at_their_usual_level_the_quarter_before_or_back_near_it_now_do_not_grow_together():
    # Usually 1.0, still 1.0 the quarter before: a one-quarter spike to 3.0 waits.
    assert by_rule(evaluate(together([1, 1, 1, 1, 1, 3])), "symptom_persistent") is None
    # Usually 1.4, 3.0 the quarter before, back to 1.6 now: not moderate for them, so nothing.
    assert by_rule(evaluate(together([1.4, 1.4, 1.4, 1.4, 3, 1.6])), "symptom_persistent") is None


def test_symptoms_growing_together_are_found_after_a_calm_one():
    # Chasing rainbows (first in order) stays calm; the two after it grow together.
    growing = ("symptoms.little_interaction", "symptoms.no_mutual_respect")

    finding = by_rule(evaluate(together([0, 0, 0, 0, 1, 2], growing), titles=TITLES), "symptom_persistent")

    assert (finding.severity, finding.items) == ("warning", growing)
    assert finding.explanation.startswith("2 symptoms grew to moderate or worse together in 2023-Q2")


def test_one_missed_check_up_before_two_moderate_symptoms_warns_at_once():
    series = together([0, 0, 0, 0, 0]) + together([2], start=6)

    finding = by_rule(evaluate(series, titles=TITLES), "symptom_persistent")

    assert (finding.severity, finding.explanation) == (
        "warning",
        "2 symptoms grew to moderate or worse together in 2023-Q3 "
        "(usual level, then each quarter: Chasing rainbows 0.0→0.0→2.0; Little interaction 0.0→0.0→2.0).",
    )


def test_symptom_sentences_are_ordered_worst_first_then_by_symptom_with_a_group_placed_at_its_first():
    recur, grow = [0, 0, 2, 2, 0, 2], [0, 0, 0, 0, 1, 2]
    series = [
        snapshot(
            i,
            symptoms={
                "symptoms.chasing_rainbows": recur[i],
                "symptoms.misrepresented_solution": recur[i],
                "symptoms.little_interaction": grow[i],
                "symptoms.no_mutual_respect": grow[i],
            },
        )
        for i in range(6)
    ]

    finding = by_rule(evaluate(series, titles=TITLES), "symptom_persistent")

    assert (finding.severity, finding.period) == ("warning", "2023-Q2")
    assert finding.explanation == (
        "Chasing rainbows keeps recurring: moderate or worse in 3 of the last 4 quarters "
        "(2022-Q3: 2.0, 2022-Q4: 2.0, 2023-Q2: 2.0). "
        "2 symptoms grew to moderate or worse together in 2023-Q2 (usual level, then each quarter: "
        "Little interaction 0.0→1.0→2.0; No mutual respect 0.0→1.0→2.0). "
        "Misrepresented solution keeps recurring: moderate or worse in 3 of the last 4 quarters "
        "(2022-Q3: 2.0, 2022-Q4: 2.0, 2023-Q2: 2.0). "
        "Little interaction has risen for 2 quarters in a row (0.0→1.0→2.0). "
        "No mutual respect has risen for 2 quarters in a row (0.0→1.0→2.0)."
    )


def test_a_persistent_symptom_is_named_before_a_rising_one_and_the_worst_first():
    series = [
        snapshot(i, symptoms={"symptoms.no_mutual_respect": v, "symptoms.chasing_rainbows": r})
        for i, (v, r) in enumerate([(0, 0), (0, 0), (0, 0), (0, 0.25), (3, 0.75), (3, 1.25)])
    ]

    finding = by_rule(evaluate(series, titles=TITLES), "symptom_persistent")

    assert finding.severity == "critical"
    assert finding.items == ("symptoms.no_mutual_respect", "symptoms.chasing_rainbows")
    assert finding.explanation == (
        "Chasing rainbows has risen for 2 quarters in a row (0.2→0.8→1.2). "
        "No mutual respect has been moderate or worse for 2 quarters in a row (2023-Q1: 3.0, 2023-Q2: 3.0)."
    ) or finding.explanation.startswith("No mutual respect")


# --------------------------------------------------------------------------- #
# Rule 5: red flags


@pytest.mark.parametrize(
    ("days", "severity"),
    [
        (15, None),
        (16, "watch"),
        (30, "watch"),
        (31, "warning"),
        (90, "warning"),
        (91, "critical"),
        (None, None),
        (True, None),
    ],
)
def test_late_payment_is_graded_at_exactly_15_30_and_90_days_beyond_terms(days, severity):
    finding = by_rule(evaluate([point(0, 75, red_flags={"days_late": days})]), "red_flag")

    assert (finding.severity if finding else None) == severity


def test_every_red_flag_is_named_worst_first_in_one_sentence():
    flags = {"days_late": 97, "info_withheld": True, "abusive": True}

    finding = by_rule(evaluate([point(0, 75, red_flags=flags)]), "red_flag")

    assert finding.severity == "critical"
    assert finding.explanation == (
        "Red flags in 2022-Q1: the partner paid 97 days beyond the agreed terms; "
        "rude or abusive towards our people; withholds information about its problems."
    )
    assert finding.items == ("red_flags.days_late", "red_flags.abusive", "red_flags.info_withheld")
    assert [(f.key, f.value) for f in finding.evidence.flags] == [
        ("red_flags.days_late", 97),
        ("red_flags.abusive", True),
        ("red_flags.info_withheld", True),
    ]


def test_withheld_information_alone_is_a_warning_and_no_flag_is_nothing():
    finding = by_rule(evaluate([point(0, 75, red_flags={"info_withheld": True})]), "red_flag")

    assert finding.severity == "warning"
    assert finding.explanation == "Red flags in 2022-Q1: the partner withholds information about its problems."
    assert by_rule(evaluate([point(0, 75, red_flags={"info_withheld": False, "abusive": False})]), "red_flag") is None


# --------------------------------------------------------------------------- #
# Words


def test_an_item_without_a_title_is_written_out_in_words():
    series = flat(6) + [
        snapshot(6, ratings={"characteristics.client_first": 1.0, "characteristics.leadership_access": 1.0})
    ]

    finding = by_rule(evaluate(series), "rubric_decline")

    assert "Client first 4.0→1.0, Leadership access 4.0→1.0" in finding.explanation


def test_at_most_four_items_are_named_and_a_half_point_is_enough_to_be_named():
    ratings = dict.fromkeys(("characteristics.quality", "characteristics.trust"), 3.5)
    ratings |= dict.fromkeys(("traits.caring", "traits.honesty", "traits.homework"), 2.0)
    series = flat(6) + [snapshot(6, ratings=ratings)]

    finding = by_rule(evaluate(series, config=TrendConfig(health_watch_drop=1.0)), "health_decline")

    assert finding.items == ("traits.caring", "traits.homework", "traits.honesty", "characteristics.quality")


def test_a_symptom_is_named_once_it_moved_three_quarters_of_a_point():
    symptoms = {"symptoms.chasing_rainbows": 0.75, "symptoms.little_interaction": 0.74}
    series = flat(6) + [snapshot(6, level=3.5, symptoms=symptoms)]

    finding = by_rule(evaluate(series, titles=TITLES), "health_decline")

    assert finding.items[0] == "symptoms.chasing_rainbows"
    assert finding.explanation.endswith("Symptoms up: Chasing rainbows 0.0→0.8.")
    assert "symptoms.little_interaction" not in finding.items


# --------------------------------------------------------------------------- #
# Edges the mutation run found untested


def test_replay_judges_the_first_quarter_and_each_quarter_once_with_the_titles_and_config_given():
    first_flag = [point(0, 75, red_flags={"info_withheld": True})]
    assert [(f.period, f.rule.value) for f in replay(first_flag)] == [("2022-Q1", "red_flag")]

    ends_on_a_watch = healths(80, 80, 80, 80, 71)
    assert [(f.period, f.severity.value) for f in replay(ends_on_a_watch)] == [("2023-Q1", "watch")]

    series = flat(6) + [snapshot(i, ratings=theme_at(1.0)) for i in (6, 7)]
    titles = {"characteristics.trust": "Trust between the organisations"}
    assert any("Trust between the organisations 4.0→1.0" in f.explanation for f in replay(series, titles=titles))
    quiet = TrendConfig(health_watch_drop=99.0, rubric_watch_drop=99.0, band_min_drop=99.0)
    assert [f for f in replay(series, quiet) if f.rule != "symptom_persistent"] == []


def test_a_watch_on_a_one_quarter_baseline_says_one_quarter():
    finding = by_rule(evaluate(healths(80, 80, 60)), "health_decline")

    assert finding.explanation == (
        "Overall health dipped to 60 in 2022-Q3, 20 points below its baseline of 80 (median of 1 quarter); "
        "not yet a confirmed decline."
    )


def test_a_rubric_finding_keeps_its_baseline_and_each_item_its_scale():
    series = flat(6) + [snapshot(i, ratings=theme_at(1.0)) for i in (6, 7)]

    finding = by_rule(evaluate(series), "rubric_decline")

    assert [(s.key, s.baseline.value) for s in finding.evidence.scores] == [("characteristics", 75.0)]
    assert {i.scale for i in finding.evidence.items} == {"rating"}


def test_with_no_noise_a_quarter_exactly_at_baseline_then_one_down_is_a_decline_deepening_from_nothing():
    # The earlier quarter is 0 noise units down (>= 1 x 0) and "clearly down" (>= 2.5 x 0): the jump is allowed.
    finding = by_rule(evaluate(healths(80, 80, 80, 80, 80, 68), config=EXACT), "health_decline")

    assert finding.severity == "warning"

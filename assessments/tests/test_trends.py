"""Decline detection (assessments.trends): pure functions, no database.

Snapshots are built by scoring synthetic raters' answers with the real engine
(``trend_builders``), so health, bands and rubric scores are the ones
production would see. The exact figures of every rule are in test_trend_rules.py.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.tests.trend_builders import (
    RATING_ITEMS,
    START,
    SYMPTOM_ITEMS,
    THEME,
    TITLES,
    flat,
    snapshot,
    theme_at,
)
from assessments.trends import (
    DEFAULT_CONFIG,
    Finding,
    PriorAlert,
    SnapshotPoint,
    TrendConfig,
    evaluate,
    replay,
)
from assessments.vocabulary import Severity


def worst(findings: Sequence[Finding]) -> str | None:
    return max((f.severity for f in findings), key=lambda s: s.rank, default=None)


def alerts(findings: Sequence[Finding]) -> list[Finding]:
    """Warning or worse: what would notify someone."""
    return [f for f in findings if f.severity.rank >= Severity.WARNING.rank]


def by_rule(findings: Sequence[Finding], rule: str) -> Finding | None:
    return next((f for f in findings if f.rule == rule), None)


# --------------------------------------------------------------------------- #
# Steady partners and one-quarter dips


def test_a_steady_partner_raises_nothing() -> None:
    assert replay(flat(10)) == []


def test_a_one_quarter_dip_is_only_a_watch_and_then_recovers() -> None:
    # Four items two points down: the mean rating falls 0.6 points, under 5 times its noise.
    series = flat(6) + [snapshot(6, ratings=theme_at(2.0))] + [snapshot(i) for i in (7, 8, 9)]

    findings = replay(series)

    dip = [f for f in findings if f.period == series[6].period]
    assert {f.rule for f in dip} >= {"health_decline", "rubric_decline", "band_downgrade"}
    assert worst(dip) == "watch"
    assert [f for f in findings if f.period != series[6].period] == []


def test_a_dip_right_after_a_slightly_low_quarter_still_waits_a_quarter() -> None:
    # The quarter before is a little low (within noise), then the dip: the
    # window rests on the dip alone, so it is not a confirmed decline.
    series = flat(6) + [snapshot(6, level=3.7), snapshot(7, ratings=theme_at(2.0))]

    assert worst(evaluate(series)) == "watch"


@settings(max_examples=40, deadline=None)
@given(
    depth=st.floats(min_value=0.0, max_value=3.0),
    hit=st.sets(st.sampled_from(RATING_ITEMS), min_size=1),
    at=st.integers(min_value=3, max_value=8),
    wobble=st.lists(st.floats(min_value=-0.1, max_value=0.1), min_size=10, max_size=10),
)
def test_no_single_quarter_dip_is_ever_an_alert(depth: float, hit: set[str], at: int, wobble: list[float]) -> None:
    # However deep: one quarter is never more than a watch.
    series = []
    for i in range(10):
        level = 4.0 + wobble[i]
        ratings = {a: max(1.0, level - depth) for a in hit} if i == at else {}
        series.append(snapshot(i, level=level, ratings=ratings))

    assert alerts(replay(series)) == []


def test_a_drop_five_times_the_noise_is_confirmed_in_its_second_quarter() -> None:
    series = flat(6) + [snapshot(i, ratings=theme_at(1.0)) for i in (6, 7)]

    assert worst(evaluate(series[:7])) == "watch"
    finding = by_rule(evaluate(series), "health_decline")
    assert finding is not None and finding.severity == "critical"
    assert "fell from 75 to 50 over 2 quarters" in finding.explanation


# --------------------------------------------------------------------------- #
# Declines


def gradual(onset: int = 6, length: int = 10, slope: float = 0.5) -> list[SnapshotPoint]:
    return [snapshot(i, ratings=theme_at(4.0 - slope * (i - onset + 1)) if i >= onset else {}) for i in range(length)]


def test_a_gradual_decline_warns_within_two_quarters_of_onset() -> None:
    series = gradual(onset=6)
    index = {p.period: i for i, p in enumerate(series)}

    first = min(index[f.period] for f in alerts(replay(series)))

    assert 6 <= first <= 8


def test_a_gradual_decline_names_the_items_that_dropped_with_before_and_after() -> None:
    series = gradual(onset=6, length=9)

    finding = by_rule(evaluate(series, titles=TITLES), "rubric_decline")

    assert finding is not None and finding.severity in {"warning", "critical"}
    assert set(finding.items) == set(THEME)
    assert "Trust 4.0→2.5" in finding.explanation
    assert "Characteristics score fell from" in finding.explanation
    assert "over 2 quarters" in finding.explanation


def test_titles_can_come_from_the_config() -> None:
    config = TrendConfig(titles=TITLES)

    finding = by_rule(evaluate(gradual(onset=6, length=9), config=config), "rubric_decline")

    assert finding is not None and "Quality 4.0→2.5" in finding.explanation


def test_a_sudden_drop_is_a_watch_at_first_and_a_warning_or_worse_once_it_holds() -> None:
    series = flat(6) + [snapshot(i, ratings=theme_at(1.5)) for i in (6, 7)]

    assert worst(evaluate(series[:7])) == "watch"
    held = evaluate(series)
    health = by_rule(held, "health_decline")
    assert health is not None and health.severity in {"warning", "critical"}
    assert "over 2 quarters" in health.explanation
    assert "Trust 4.0→1.5" in health.explanation


def test_a_collapse_that_holds_is_critical() -> None:
    series = flat(6) + [snapshot(i, level=1.5) for i in (6, 7)]

    findings = evaluate(series)

    assert by_rule(findings, "health_decline").severity == "critical"  # type: ignore[union-attr]
    assert by_rule(findings, "band_downgrade").severity == "critical"  # type: ignore[union-attr]


def test_a_noisy_partner_needs_a_deeper_drop_than_a_calm_one() -> None:
    calm = flat(6)
    noisy = [snapshot(i, level=4.0 + (0.45 if i % 2 else -0.45)) for i in range(6)]
    drop = [snapshot(i, level=3.35) for i in (6, 7)]

    assert by_rule(evaluate(calm + drop), "health_decline").severity == "warning"  # type: ignore[union-attr]
    assert by_rule(evaluate(noisy + drop), "health_decline").severity == "watch"  # type: ignore[union-attr]


def test_missed_check_ups_do_not_reset_a_decline_while_the_baseline_is_recent() -> None:
    # The example: down in quarter 0, nothing until quarter 3, still down.
    drop = theme_at(2.0)
    series = flat(6) + [snapshot(6, ratings=drop), snapshot(9, ratings=drop)]

    assert by_rule(evaluate(series), "health_decline").severity == "warning"  # type: ignore[union-attr]


def test_a_baseline_older_than_six_quarters_confirms_nothing() -> None:
    drop = theme_at(2.0)
    series = flat(6) + [snapshot(6, ratings=drop), snapshot(12, ratings=drop)]

    assert worst(evaluate(series)) == "watch"


def test_items_sliding_quarter_after_quarter_are_named_before_the_rubric_crosses_its_bar() -> None:
    # Three items lose half a point a quarter: too little for the rubric score
    # to count as a confirmed decline, but the same items falling twice running.
    sliding = ("characteristics.trust", "characteristics.quality", "characteristics.flexibility")
    series = flat(6) + [
        snapshot(6, ratings=dict.fromkeys(sliding, 3.5)),
        snapshot(7, ratings=dict.fromkeys(sliding, 3.0)),
    ]

    finding = by_rule(evaluate(series), "rubric_decline")

    assert finding is not None and finding.severity == "watch"
    assert set(finding.items) == set(sliding)
    assert "fell in each of the last 2 quarters" in finding.explanation
    assert "Trust 4.0→3.5→3.0" in finding.explanation


def test_a_broad_rise_in_mild_symptoms_is_only_a_watch_for_the_rubric_rule() -> None:
    mild = dict.fromkeys(SYMPTOM_ITEMS, 1.0)
    series = flat(6) + [snapshot(i, symptoms=mild) for i in (6, 7)]

    finding = by_rule(evaluate(series), "rubric_decline")

    assert finding is not None and finding.severity == "watch"
    assert "Symptoms score fell from 100 to 67" in finding.explanation


# --------------------------------------------------------------------------- #
# Band downgrade


def test_a_fresh_band_downgrade_is_a_watch_and_a_held_one_a_warning() -> None:
    healthy = flat(6, level=4.2)
    assert {p.band for p in healthy} == {"healthy"}
    lower = [snapshot(i, level=3.5) for i in (6, 7)]
    assert {p.band for p in lower} == {"watch"}

    fresh = by_rule(evaluate(healthy + lower[:1]), "band_downgrade")
    held = by_rule(evaluate(healthy + lower), "band_downgrade")

    assert fresh is not None and fresh.severity == "watch"
    assert "from Healthy" in fresh.explanation and "to Watch" in fresh.explanation
    assert held is not None and held.severity == "warning"
    assert "stayed below Healthy for 2 quarters" in held.explanation


def test_wobbling_across_a_band_threshold_is_not_a_downgrade() -> None:
    # Health sits at the healthy/watch boundary and moves by a point or two.
    series = [snapshot(i, level=4.0 + (0.02 if i % 2 else -0.02)) for i in range(8)]
    assert len({p.band for p in series}) == 2

    assert [f for f in replay(series) if f.rule == "band_downgrade"] == []


# --------------------------------------------------------------------------- #
# Symptoms


def test_a_symptom_at_moderate_two_quarters_running_is_persistent() -> None:
    series = flat(4) + [snapshot(i, symptoms={"symptoms.chasing_rainbows": 2.0}) for i in (4, 5)]

    finding = by_rule(evaluate(series, titles=TITLES), "symptom_persistent")

    assert finding is not None and finding.severity == "warning"
    assert finding.items == ("symptoms.chasing_rainbows",)
    assert "Chasing rainbows has been moderate or worse" in finding.explanation
    assert "2 quarters in a row" in finding.explanation


def test_rater_averaging_counts_a_mean_of_one_and_a_half_as_moderate() -> None:
    series = flat(4) + [snapshot(i, symptoms={"symptoms.one_sided_pencil": 1.5}) for i in (4, 5)]

    assert by_rule(evaluate(series), "symptom_persistent") is not None


def test_a_single_moderate_quarter_is_not_persistent() -> None:
    series = flat(4) + [snapshot(4, symptoms={"symptoms.little_interaction": 2.0}), snapshot(5)]

    assert [f for f in replay(series) if f.rule == "symptom_persistent"] == []


def test_a_symptom_severe_two_quarters_running_is_critical() -> None:
    series = flat(4) + [snapshot(i, symptoms={"symptoms.no_mutual_respect": 3.0}) for i in (4, 5)]

    assert by_rule(evaluate(series), "symptom_persistent").severity == "critical"  # type: ignore[union-attr]


def test_a_symptom_that_keeps_coming_back_is_persistent() -> None:
    # Seed 002: what counts is how often a symptom recurs, not only runs.
    on = {"symptoms.misrepresented_solution": 2.0}
    series = flat(3) + [snapshot(3, symptoms=on), snapshot(4), snapshot(5, symptoms=on), snapshot(6, symptoms=on)]

    finding = by_rule(evaluate(series), "symptom_persistent")

    assert finding is not None and finding.severity in {"warning", "critical"}


def test_a_rising_symptom_is_only_a_watch_however_long_it_rises() -> None:
    steps = [0.0, 0.5, 1.0, 1.25]
    series = flat(3) + [snapshot(3 + i, symptoms={"symptoms.chasing_rainbows": v}) for i, v in enumerate(steps)]

    early = by_rule(evaluate(series[:6]), "symptom_persistent")
    later = by_rule(evaluate(series), "symptom_persistent")

    assert early is not None and early.severity == "watch"
    assert "risen for 2 quarters in a row (0.0→0.5→1.0)" in early.explanation
    assert later is not None and later.severity == "watch"
    assert "risen for 3 quarters in a row (0.0→0.5→1.0→1.3)" in later.explanation


# --------------------------------------------------------------------------- #
# Red flags (seed 001)


def test_abuse_is_critical_straight_away() -> None:
    series = flat(5) + [snapshot(5, red_flags={"abusive": True})]

    finding = by_rule(evaluate(series), "red_flag")

    assert finding is not None and finding.severity == "critical"
    assert finding.items == ("red_flags.abusive",)


def test_late_payment_is_graded_by_days_beyond_terms() -> None:
    def severity(days: int | None) -> str | None:
        finding = by_rule(evaluate(flat(3) + [snapshot(3, red_flags={"days_late": days})]), "red_flag")
        return finding.severity if finding else None

    # Seed 001's example: terms net 30, paid after 127 days (97 days late).
    assert severity(97) == "critical"
    assert severity(45) == "warning"
    assert severity(20) == "watch"
    assert severity(10) is None
    assert severity(None) is None


def test_withheld_information_is_a_warning_and_flags_combine() -> None:
    flags = {"info_withheld": True, "days_late": 40}

    finding = by_rule(evaluate(flat(3) + [snapshot(3, red_flags=flags)]), "red_flag")

    assert finding is not None and finding.severity == "warning"
    assert set(finding.items) == {"red_flags.info_withheld", "red_flags.days_late"}
    assert "40 days" in finding.explanation


def test_too_little_history_gives_no_decline_verdict_but_still_reports_red_flags() -> None:
    series = [snapshot(0), snapshot(1, level=1.5, red_flags={"abusive": True})]

    findings = evaluate(series)

    assert {f.rule for f in findings} == {"red_flag"}
    assert len(series) < DEFAULT_CONFIG.min_history


# --------------------------------------------------------------------------- #
# Cooldown


def sudden(length: int = 9, onset: int = 6, to: float = 1.5) -> list[SnapshotPoint]:
    return flat(onset) + [snapshot(i, ratings=theme_at(to)) for i in range(onset, length)]


def test_cooldown_suppresses_a_repeat_of_the_same_rule() -> None:
    series = sudden()[:8]
    prior = [PriorAlert("health_decline", series[6].period, "warning")]

    assert by_rule(evaluate(series), "health_decline").severity == "warning"  # type: ignore[union-attr]
    assert by_rule(evaluate(series, prior=prior), "health_decline") is None
    # Other rules are not held back by it.
    assert by_rule(evaluate(series, prior=prior), "rubric_decline") is not None


def test_cooldown_lets_an_escalation_through() -> None:
    series = flat(6) + [snapshot(i, level=1.5) for i in (6, 7)]
    prior = [PriorAlert("health_decline", series[6].period, "warning")]

    assert by_rule(evaluate(series, prior=prior), "health_decline").severity == "critical"  # type: ignore[union-attr]


def test_cooldown_expires() -> None:
    series = sudden()[:8]
    expired = [PriorAlert("health_decline", START.shift(7 - DEFAULT_CONFIG.cooldown_quarters - 1).code, "critical")]

    assert by_rule(evaluate(series, prior=expired), "health_decline") is not None


def test_replay_raises_a_sustained_decline_once_per_cooldown() -> None:
    series = sudden(length=12)

    raised = [f.period for f in alerts(replay(series)) if f.rule == "health_decline"]

    assert raised == [series[7].period, series[10].period]


# --------------------------------------------------------------------------- #
# Replay and the shape of the output


def test_replay_is_deterministic_and_matches_a_quarterly_scan() -> None:
    series = gradual(onset=5, length=10)

    first, second = replay(series), replay(series)

    assert first == second
    assert {f.period for f in first} <= {p.period for p in series}
    assert [f for f in first if f.period == series[3].period] == evaluate(series[:4])


def test_findings_come_one_per_rule_worst_first() -> None:
    series = flat(6) + [snapshot(i, level=1.5, red_flags={"info_withheld": True}) for i in (6, 7)]

    findings = evaluate(series)

    assert len({f.rule for f in findings}) == len(findings)
    assert [f.severity.rank for f in findings] == sorted((f.severity.rank for f in findings), reverse=True)


def test_an_unsorted_series_is_refused() -> None:
    series = flat(4)

    with pytest.raises(ValueError, match="sorted"):
        evaluate([series[1], series[0]])

"""The scoring engine's edges, each pinned by what a user or an admin would see. Pure, no database.

Written against the mutants ``scripts/mutation scoring`` found alive: every
bound, message and fallback below is one a changed rule would get wrong.
"""

from __future__ import annotations

import pytest

from assessments.scoring import (
    Band,
    BandThresholds,
    ItemSpec,
    RubricSpec,
    Scale,
    Score,
    ScoringError,
    ScoringModel,
    health_effects,
    movements,
    score,
)


def rating(key: str, *items: str | tuple[str, float], weight: float = 1.0) -> RubricSpec:
    specs = tuple(ItemSpec(i) if isinstance(i, str) else ItemSpec(*i) for i in items)
    return RubricSpec(key, Scale.RATING, specs, weight=weight)


def symptoms(*items: str) -> RubricSpec:
    return RubricSpec("symptoms", Scale.INTENSITY, tuple(ItemSpec(i) for i in items))


TWO = ScoringModel(rubrics=(rating("care", "trust", "honesty"), symptoms("rainbows", "pencil")))
TWO_ANSWERS = {"care.trust": 5, "care.honesty": 5, "symptoms.rainbows": 0, "symptoms.pencil": 0}


# --------------------------------------------------------------------------- #
# What a scoring model accepts


@pytest.mark.parametrize(
    ("healthy", "watch", "at_risk"),
    [(100.5, 60, 40), (60, 60, 40), (75, 40, 40), (75, 60, -0.5)],
)
def test_band_thresholds_must_fall_strictly_from_100_to_0(healthy, watch, at_risk):
    with pytest.raises(ValueError, match=r"^band thresholds must satisfy 100 >= healthy > watch > at_risk >= 0$"):
        BandThresholds(healthy=healthy, watch=watch, at_risk=at_risk)


def test_band_thresholds_may_touch_100_and_0():
    thresholds = BandThresholds(healthy=100, watch=50, at_risk=0)

    assert thresholds.band_for(100) is Band.HEALTHY
    assert thresholds.band_for(0) is Band.AT_RISK
    assert BandThresholds(healthy=90, watch=50, at_risk=0.5).band_for(0.4) is Band.CRITICAL


def test_a_rubric_needs_items():
    with pytest.raises(ScoringError, match=r"^rubric care has no items$"):
        RubricSpec("care", Scale.RATING, ())


@pytest.mark.parametrize(("item_weight", "rubric_weight"), [(0, 1), (1, 0), (-1, 1)])
def test_every_weight_must_be_positive(item_weight, rubric_weight):
    with pytest.raises(ScoringError, match=r"^rubric care: weights must be positive$"):
        RubricSpec("care", Scale.RATING, (ItemSpec("trust", item_weight),), weight=rubric_weight)


def test_a_model_of_symptoms_alone_is_refused_and_one_of_ratings_alone_is_fine():
    with pytest.raises(ScoringError, match=r"^a scoring model needs at least one rating rubric$"):
        ScoringModel(rubrics=(symptoms("rainbows"),))

    assert ScoringModel(rubrics=(rating("care", "trust"),)).item_keys() == ["care.trust"]


@pytest.mark.parametrize("penalty", [-0.1, 1.5])
def test_the_symptom_penalty_lies_in_0_to_1(penalty):
    with pytest.raises(ScoringError, match=r"^symptom_penalty must lie in 0\.\.1$"):
        ScoringModel(rubrics=TWO.rubrics, symptom_penalty=penalty)


@pytest.mark.parametrize("penalty", [0, 1])
def test_a_symptom_penalty_of_0_or_1_is_allowed(penalty):
    result = score(ScoringModel(rubrics=TWO.rubrics, symptom_penalty=penalty), [TWO_ANSWERS | {"symptoms.pencil": 3}])

    # One severe symptom of two: the load is 0.5, so the base of 100 loses half the penalty.
    assert result.health == 100 - 50 * penalty


# --------------------------------------------------------------------------- #
# What a check-up may answer


def test_an_unknown_item_of_a_known_rubric_is_refused_not_ignored():
    with pytest.raises(ScoringError, match=r"^unknown item 'care\.loyalty'$"):
        score(TWO, [TWO_ANSWERS | {"care.loyalty": 4}])


def test_an_unknown_rubric_is_refused_with_its_address():
    with pytest.raises(ScoringError, match=r"^unknown item 'nope\.x'$"):
        TWO.bounds("nope.x")


def test_each_item_has_the_bounds_of_its_rubric():
    assert TWO.bounds("care.trust") == (1, 5)
    assert TWO.bounds("symptoms.pencil") == (0, 3)


@pytest.mark.parametrize(("address", "value", "bounds"), [("care.trust", 5.5, "1..5"), ("symptoms.pencil", -1, "0..3")])
def test_an_answer_outside_its_scale_is_refused_with_the_scale(address, value, bounds):
    with pytest.raises(ScoringError, match=rf"^{address.replace('.', '[.]')}={value} is outside {bounds}$"):
        score(TWO, [TWO_ANSWERS | {address: value}])


def test_a_missing_number_is_refused():
    with pytest.raises(ScoringError, match=r"^care\.trust=nan is outside 1\.\.5$"):
        score(TWO, [TWO_ANSWERS | {"care.trust": float("nan")}])


def test_a_fractional_answer_within_the_scale_is_scored():
    result = score(TWO, [TWO_ANSWERS | {"care.trust": 2.5, "symptoms.pencil": 1.5}])

    assert result.item_means["care.trust"] == 2.5
    assert result.rubric_scores["symptoms"] == 75


@pytest.mark.parametrize("raters", [[], [{}], [{}, {}]])
def test_nothing_to_score_is_an_error(raters):
    with pytest.raises(ScoringError, match=r"^no answers to score$"):
        score(TWO, raters)


# --------------------------------------------------------------------------- #
# Scores


def test_a_model_without_a_symptom_rubric_scores_the_ratings_alone():
    model = ScoringModel(rubrics=(rating("care", "trust", "honesty"),))

    result = score(model, [{"care.trust": 4, "care.honesty": 2}])

    assert result.health == 50 and result.rubric_scores == {"care": 50}
    assert result.contributions == {"care.trust": 37.5, "care.honesty": 12.5}


def test_perfect_answers_score_exactly_100_whatever_the_weights():
    # These weights make the weighted mean 100.00000000000001 in floating point.
    model = ScoringModel(
        rubrics=(
            rating("a", ("i0", 1 / 3), ("i1", 0.45), ("i2", 0.45), weight=0.1),
            rating("b", ("x", 0.7), weight=0.7),
        )
    )

    result = score(model, [{"a.i0": 5, "a.i1": 5, "a.i2": 5, "b.x": 5}])

    assert result.health == 100.0 and result.band is Band.HEALTHY


def one_rubric(heavy: float, light: float) -> ScoringModel:
    return ScoringModel(rubrics=(rating("care", ("good", heavy), ("fair", light)),))


def test_the_band_is_read_from_health_as_printed_to_one_decimal():
    # 74.96 prints as 75.0: healthy. 74.6 prints as 74.6: still watch.
    printed_75 = score(one_rubric(624, 1), [{"care.good": 4, "care.fair": 3}])
    printed_74_6 = score(one_rubric(123, 2), [{"care.good": 4, "care.fair": 3}])

    assert printed_75.health == pytest.approx(74.96) and printed_75.band is Band.HEALTHY
    assert printed_74_6.health == pytest.approx(74.6) and printed_74_6.band is Band.WATCH


def test_raters_who_disagree_on_a_symptom_show_its_spread_in_health_points():
    model = ScoringModel(rubrics=(rating("care", "trust"), symptoms("rainbows")))

    result = score(model, [{"care.trust": 4, "symptoms.rainbows": 0}, {"care.trust": 4, "symptoms.rainbows": 3}])

    assert result.item_spread == {"care.trust": 0.0, "symptoms.rainbows": 50.0}
    assert result.disagreement == 25.0


# --------------------------------------------------------------------------- #
# What moved health


def quarter(contributions: dict[str, float], health: float | None = None) -> Score:
    """A stored snapshot's numbers, as health_effects reads them."""
    return Score(
        health=sum(contributions.values()) if health is None else health,
        band=Band.WATCH,
        rubric_scores={},
        contributions=contributions,
        item_means=dict.fromkeys(contributions, 3.0),
        item_spread=dict.fromkeys(contributions, 0.0),
        disagreement=0.0,
        rater_count=1,
    )


def test_when_the_ratings_fall_to_nothing_the_symptoms_are_not_blamed():
    # Base 50 with a symptom taking 10; then every rating poor: base 0, health 0.
    before = quarter({"care.trust": 50.0, "symptoms.rainbows": -10.0})
    after = quarter({"care.trust": 0.0, "symptoms.rainbows": -0.0}, health=0.0)

    effects = health_effects(before, after)

    assert effects == {"care.trust": pytest.approx(-40.0), "symptoms.rainbows": 0.0}


def test_when_the_ratings_recover_from_nothing_the_symptoms_are_not_credited():
    before = quarter({"care.trust": 0.0, "symptoms.rainbows": -0.0}, health=0.0)
    after = quarter({"care.trust": 50.0, "symptoms.rainbows": -10.0})

    assert health_effects(before, after) == {"care.trust": pytest.approx(40.0), "symptoms.rainbows": 0.0}


def test_a_base_under_one_point_still_shares_the_change_between_ratings_and_symptoms():
    # Base 0.5 and 0.8 points: the symptom's share of the multiplier is read from each quarter.
    before = quarter({"care.trust": 0.5, "symptoms.rainbows": -0.25})
    after = quarter({"care.trust": 0.8, "symptoms.rainbows": -0.2})

    effects = health_effects(before, after)

    assert effects["symptoms.rainbows"] == pytest.approx(0.65 * 0.25)
    assert effects["care.trust"] == pytest.approx(0.3 * 0.625)
    assert sum(effects.values()) == pytest.approx(after.health - before.health)


def test_an_item_answered_in_one_quarter_only_takes_the_reweighting_of_its_unchanged_neighbours():
    # loyalty was "not applicable" before (or is new to the rubric): trust's answer did not move
    # (item means 3.0 both times), it only weighs less now that loyalty counts beside it.
    before = quarter({"care.trust": 40.0, "other.x": 5.0})
    after = quarter({"care.loyalty": 10.0, "care.trust": 30.0, "other.x": 5.0})

    assert health_effects(before, after) == {"care.trust": 0.0, "care.loyalty": 0.0, "other.x": 0.0}


def test_an_answer_that_moved_keeps_its_own_effect_beside_a_not_applicable_one():
    before = quarter({"care.trust": 40.0, "care.honesty": 20.0})
    after = quarter({"care.trust": 25.0})
    after.item_means["care.trust"] = 2.0  # trust moved; honesty became "not applicable"

    effects = health_effects(before, after)

    assert effects == {"care.trust": -15.0, "care.honesty": -20.0}
    assert sum(effects.values()) == after.health - before.health


def test_two_items_switching_share_the_reweighting_evenly():
    before = quarter({"care.a": 30.0, "care.b": 10.0, "care.c": 10.0})
    after = quarter({"care.a": 50.0, "care.d": 6.0})

    effects = health_effects(before, after)

    # a's +20 is reweighting (its mean stayed 3.0): b, c and d share it evenly, on top of their own.
    assert effects == pytest.approx(
        {"care.a": 0.0, "care.b": -10 + 20 / 3, "care.c": -10 + 20 / 3, "care.d": 6 + 20 / 3}
    )
    assert sum(effects.values()) == pytest.approx(after.health - before.health)


def test_movements_list_every_item_that_moved_at_all_largest_first_up_to_the_limit():
    # care.c moves by 1e-9 points: nothing anyone would see.
    before = quarter({"care.a": 10.0, "care.b": 10.0, "care.c": 0.0, "care.d": 10.0})
    after = quarter({"care.a": 10.5, "care.b": 7.0, "care.c": 1e-9, "care.d": 10.0})

    assert [(m.address, m.effect) for m in movements(before, after)] == [
        ("care.b", -3.0),
        ("care.a", 0.5),
    ]
    assert [m.address for m in movements(before, after, limit=1)] == ["care.b"]
    assert movements(before, after, limit=0) == []

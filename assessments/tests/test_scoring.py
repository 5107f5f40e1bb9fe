"""The scoring engine is pure: these tests need no database."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.scoring import (
    Band,
    BandThresholds,
    ItemSpec,
    RubricSpec,
    Scale,
    ScoringError,
    ScoringModel,
    health_effects,
    movements,
    score,
)

CHARACTERISTICS = ["quality", "flexibility", "trust", "service_team", "leadership_access", "client_first"]
TRAITS = ["caring", "homework", "attention", "proactivity", "honesty", "goal_direction", "face_to_face"]
SYMPTOMS = [
    "chasing_rainbows",
    "one_sided_pencil",
    "little_interaction",
    "no_mutual_respect",
    "misrepresented_solution",
]

MODEL = ScoringModel(
    rubrics=(
        RubricSpec("characteristics", Scale.RATING, tuple(ItemSpec(k) for k in CHARACTERISTICS)),
        RubricSpec("traits", Scale.RATING, tuple(ItemSpec(k) for k in TRAITS)),
        RubricSpec("symptoms", Scale.INTENSITY, tuple(ItemSpec(k) for k in SYMPTOMS)),
    )
)
ADDRESSES = MODEL.item_keys()


def answers(characteristics, traits, symptoms):
    return {
        **{f"characteristics.{k}": v for k, v in zip(CHARACTERISTICS, characteristics, strict=True)},
        **{f"traits.{k}": v for k, v in zip(TRAITS, traits, strict=True)},
        **{f"symptoms.{k}": v for k, v in zip(SYMPTOMS, symptoms, strict=True)},
    }


def test_the_worked_example_in_docs_scoring_md():
    rater_a = answers([4, 3, 5, 4, 2, 4], [4, 3, 4, 3, 5, 4, 2], [2, 0, 1, 0, 0])
    rater_b = answers([4, 3, 3, 4, 2, 4], [4, 3, 4, 3, 5, 4, 2], [2, 0, 1, 0, 0])

    result = score(MODEL, [rater_a, rater_b])

    assert result.rubric_scores["characteristics"] == pytest.approx(62.5)
    assert result.rubric_scores["traits"] == pytest.approx(64.2857, abs=1e-4)
    assert result.rubric_scores["symptoms"] == pytest.approx(80.0)
    assert result.health == pytest.approx(57.0536, abs=1e-4)
    assert result.band is Band.AT_RISK
    assert result.item_means["characteristics.trust"] == 4.0
    assert result.item_spread["characteristics.trust"] == pytest.approx(25.0)
    assert result.disagreement == pytest.approx(25 / 18)
    assert result.rater_count == 2
    assert result.contributions["characteristics.quality"] == pytest.approx(6.25)
    assert result.contributions["characteristics.flexibility"] == pytest.approx(4.1667, abs=1e-4)
    assert result.contributions["traits.honesty"] == pytest.approx(7.1429, abs=1e-4)
    assert result.contributions["symptoms.chasing_rainbows"] == pytest.approx(-4.2262, abs=1e-4)
    assert result.contributions["symptoms.little_interaction"] == pytest.approx(-2.1131, abs=1e-4)
    assert sum(result.contributions.values()) == pytest.approx(result.health)


def test_perfect_answers_score_100_and_worst_answers_score_0():
    best = score(MODEL, [answers([5] * 6, [5] * 7, [0] * 5)])
    worst = score(MODEL, [answers([1] * 6, [1] * 7, [3] * 5)])
    assert best.health == 100 and best.band is Band.HEALTHY
    assert worst.health == 0 and worst.band is Band.CRITICAL


def test_severe_symptoms_everywhere_halve_the_base():
    result = score(MODEL, [answers([5] * 6, [5] * 7, [3] * 5)])
    assert result.health == pytest.approx(50.0)
    assert result.rubric_scores["symptoms"] == 0


def test_band_thresholds_are_configurable_and_inclusive():
    thresholds = BandThresholds(healthy=80, watch=50, at_risk=20)
    assert thresholds.band_for(80) is Band.HEALTHY
    assert thresholds.band_for(79.9) is Band.WATCH
    assert thresholds.band_for(50) is Band.WATCH
    assert thresholds.band_for(20) is Band.AT_RISK
    assert thresholds.band_for(19.9) is Band.CRITICAL
    with pytest.raises(ValueError):
        BandThresholds(healthy=50, watch=60, at_risk=20)


def test_a_rater_who_skips_an_item_is_averaged_over_those_who_answered():
    full = answers([4] * 6, [4] * 7, [0] * 5)
    partial = {k: v for k, v in answers([2] * 6, [4] * 7, [0] * 5).items() if k != "characteristics.trust"}
    result = score(MODEL, [full, partial])
    assert result.item_means["characteristics.trust"] == 4
    assert result.item_means["characteristics.quality"] == 3


def test_an_item_nobody_answered_is_an_error():
    incomplete = {k: v for k, v in answers([4] * 6, [4] * 7, [0] * 5).items() if k != "traits.honesty"}
    with pytest.raises(ScoringError, match=r"traits\.honesty has no answer"):
        score(MODEL, [incomplete])


@pytest.mark.parametrize(
    ("address", "value"),
    [("characteristics.trust", 0), ("characteristics.trust", 6), ("symptoms.chasing_rainbows", 4), ("nope.x", 1)],
)
def test_out_of_range_or_unknown_answers_are_rejected(address, value):
    with pytest.raises(ScoringError):
        score(MODEL, [{**answers([4] * 6, [4] * 7, [0] * 5), address: value}])


def test_movements_name_the_items_that_moved_most_first():
    before = score(MODEL, [answers([4] * 6, [4] * 7, [0] * 5)])
    after = score(MODEL, [answers([4, 4, 2, 4, 4, 4], [4, 4, 4, 4, 4, 4, 3], [0, 0, 0, 2, 0])])
    moved = movements(before, after)
    assert [m.address for m in moved] == ["symptoms.no_mutual_respect", "characteristics.trust", "traits.face_to_face"]
    assert moved[1].before == 4 and moved[1].after == 2
    assert sum(m.effect for m in moved) == pytest.approx(after.health - before.health)


def test_a_symptom_that_worsened_while_the_ratings_fell_shows_a_loss_of_health_not_a_gain():
    before = score(MODEL, [answers([5] * 6, [5] * 7, [0, 0, 1, 0, 0])])
    after = score(MODEL, [answers([2] * 6, [2] * 7, [0, 0, 2, 0, 0])])

    effects = health_effects(before, after)

    # Its raw contribution went from -3.33 to -1.67 (the base it bites on fell from 100 to 25),
    # which read as "+1.7". Its part in the fall: the load rose by 1/3, a share of
    # 0.5 x (1/3) / 5 of the multiplier, at the mean base of 62.5 points.
    assert after.contributions["symptoms.little_interaction"] - before.contributions[
        "symptoms.little_interaction"
    ] == pytest.approx(1.6667, abs=1e-4)
    assert effects["symptoms.little_interaction"] == pytest.approx(-2.0833, abs=1e-4)
    # Each characteristic fell 6.25 points of base, at the mean multiplier 0.95.
    assert effects["characteristics.trust"] == pytest.approx(-5.9375)
    assert effects["traits.caring"] == pytest.approx(-5.0893, abs=1e-4)
    assert effects["symptoms.chasing_rainbows"] == 0
    assert before.health == pytest.approx(96.6667, abs=1e-4) and after.health == pytest.approx(23.3333, abs=1e-4)
    assert sum(effects.values()) == pytest.approx(after.health - before.health)


def test_when_every_rating_is_poor_the_whole_change_is_put_down_to_the_ratings():
    before = score(MODEL, [answers([1] * 6, [1] * 7, [3] * 5)])
    after = score(MODEL, [answers([3] * 6, [3] * 7, [1] * 5)])

    effects = health_effects(before, after)

    assert before.health == 0
    assert all(effects[f"symptoms.{key}"] == 0 for key in SYMPTOMS)
    assert sum(effects.values()) == pytest.approx(after.health)


# -- properties ---------------------------------------------------------------

ratings = st.integers(min_value=1, max_value=5)
intensities = st.integers(min_value=0, max_value=3)
one_rater = st.builds(
    answers,
    st.lists(ratings, min_size=6, max_size=6),
    st.lists(ratings, min_size=7, max_size=7),
    st.lists(intensities, min_size=5, max_size=5),
)
weights = st.floats(min_value=0.1, max_value=5, allow_nan=False)


@st.composite
def weighted_models(draw):
    def rubric(key, scale, keys):
        return RubricSpec(key, scale, tuple(ItemSpec(k, draw(weights)) for k in keys), draw(weights))

    return ScoringModel(
        rubrics=(
            rubric("characteristics", Scale.RATING, CHARACTERISTICS),
            rubric("traits", Scale.RATING, TRAITS),
            rubric("symptoms", Scale.INTENSITY, SYMPTOMS),
        )
    )


@settings(max_examples=300, deadline=None)
@given(model=weighted_models(), raters=st.lists(one_rater, min_size=1, max_size=4))
def test_every_score_stays_within_0_and_100_and_decomposes_exactly(model, raters):
    result = score(model, raters)
    assert 0 <= result.health <= 100
    assert all(0 <= s <= 100 + 1e-9 for s in result.rubric_scores.values())
    assert 0 <= result.disagreement <= 50
    assert math.isclose(sum(result.contributions.values()), result.health, abs_tol=1e-6)


@settings(max_examples=300, deadline=None)
@given(model=weighted_models(), rater=one_rater, address=st.sampled_from(ADDRESSES), data=st.data())
def test_a_better_rating_never_lowers_and_a_worse_symptom_never_raises_the_score(model, rater, address, data):
    _, high = model.bounds(address)
    if rater[address] == high:
        return
    raised = {**rater, address: data.draw(st.integers(min_value=rater[address] + 1, max_value=high))}
    before, after = score(model, [rater]), score(model, [raised])
    if address.startswith("symptoms."):
        assert after.health <= before.health + 1e-9
        assert after.rubric_scores["symptoms"] <= before.rubric_scores["symptoms"] + 1e-9
    else:
        assert after.health >= before.health - 1e-9
        rubric = address.partition(".")[0]
        assert after.rubric_scores[rubric] >= before.rubric_scores[rubric] - 1e-9


@settings(max_examples=300, deadline=None)
@given(model=weighted_models(), before=one_rater, after=one_rater)
def test_health_effects_add_up_to_the_change_and_read_from_healths_side(model, before, after):
    first, second = score(model, [before]), score(model, [after])
    effects = health_effects(first, second)
    assert math.isclose(sum(effects.values()), second.health - first.health, abs_tol=1e-6)
    for address, effect in effects.items():
        worse = (
            after[address] > before[address] if address.startswith("symptoms.") else after[address] < before[address]
        )
        better = (
            after[address] < before[address] if address.startswith("symptoms.") else after[address] > before[address]
        )
        if worse:
            assert effect <= 1e-9, address
        if better:
            assert effect >= -1e-9, address
        if after[address] == before[address]:
            assert abs(effect) <= 1e-9, address

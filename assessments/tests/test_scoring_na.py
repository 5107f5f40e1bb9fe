"""'Not applicable / don't know' answers in the scoring engine. Pure, no database.

Every figure is exact: a changed threshold or a changed renormalisation fails here.
"""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.scoring import (
    MIN_RUBRIC_COVERAGE,
    Band,
    NotScored,
    NotScoredReason,
    ScoringError,
    ScoringModel,
    big_moves,
    coverage,
    score,
)
from assessments.tests.test_scoring import ADDRESSES, MODEL, answers, one_rater, weighted_models

NA = None

# docs/SCORING.md, "Worked example with not-applicable answers".
NA_EXAMPLE = answers([4, 3, NA, 4, NA, 4], [4, NA, NA, NA, 5, 4, 2], [2, 0, NA, 0, NA])


def test_the_not_applicable_worked_example_in_docs_scoring_md():
    result = score(MODEL, [NA_EXAMPLE])

    assert result.rubric_coverage == pytest.approx({"characteristics": 4 / 6, "traits": 4 / 7, "symptoms": 3 / 5})
    assert result.coverage == pytest.approx(11 / 18)
    assert round(result.coverage * 100, 1) == 61.1
    # Traits (4 of 7 answered, 57%) has not enough answers: absent, not 0.
    assert set(result.rubric_scores) == {"characteristics", "symptoms"}
    assert result.rubric_scores["characteristics"] == pytest.approx(68.75)
    assert result.rubric_scores["symptoms"] == pytest.approx(77.7778, abs=1e-4)
    assert result.health == pytest.approx(61.1111, abs=1e-4)
    assert result.band is Band.WATCH
    assert result.contributions == pytest.approx(
        {
            "characteristics.quality": 18.75,
            "characteristics.flexibility": 12.5,
            "characteristics.service_team": 18.75,
            "characteristics.client_first": 18.75,
            "symptoms.chasing_rainbows": -7.638889,
            "symptoms.one_sided_pencil": 0.0,
            "symptoms.no_mutual_respect": 0.0,
        },
        abs=1e-6,
    )
    assert sum(result.contributions.values()) == pytest.approx(result.health)
    # What the raters said is kept, even for the rubric that does not count.
    assert result.item_means["traits.honesty"] == 5
    assert "characteristics.trust" not in result.item_means
    assert result.weights["characteristics.quality"] == pytest.approx(0.25)
    assert result.weights["symptoms.chasing_rainbows"] == pytest.approx(1 / 3)


def test_one_more_not_applicable_answer_in_the_example_and_it_is_not_scored():
    thinner = NA_EXAMPLE | {"traits.face_to_face": NA}

    with pytest.raises(NotScored, match=r"^not scored \(low_coverage\): 56% of the weight answered, 60% needed") as e:
        score(MODEL, [thinner])

    assert e.value.coverage.overall == pytest.approx(10 / 18)
    assert e.value.coverage.reason is NotScoredReason.LOW_COVERAGE
    assert e.value.coverage.short == ("traits",)


def test_the_default_minimum_is_60_percent_and_a_rubric_exactly_at_it_counts():
    assert MIN_RUBRIC_COVERAGE == 0.6
    # symptoms: 3 of 5 answered, exactly 60%.
    assert "symptoms" in score(MODEL, [NA_EXAMPLE]).rubric_scores


def test_a_stricter_minimum_drops_the_symptoms_and_the_example_scores_the_characteristics_alone():
    strict = ScoringModel(rubrics=MODEL.rubrics, min_coverage=0.61)

    result = score(strict, [NA_EXAMPLE])

    assert set(result.rubric_scores) == {"characteristics"}
    assert result.health == pytest.approx(68.75)


def test_a_check_up_exactly_at_the_minimum_overall_is_scored_and_one_just_under_it_is_not():
    # The example covers 11/18 = 61.1% overall; traits (57%) and symptoms (60%) fall under either minimum.
    at = score(ScoringModel(rubrics=MODEL.rubrics, min_coverage=11 / 18), [NA_EXAMPLE])

    assert set(at.rubric_scores) == {"characteristics"} and at.health == pytest.approx(68.75)
    with pytest.raises(NotScored, match=r"^not scored \(low_coverage\): 61% of the weight answered, 62% needed"):
        score(ScoringModel(rubrics=MODEL.rubrics, min_coverage=0.62), [NA_EXAMPLE])


def test_a_looser_minimum_keeps_the_traits_renormalised_over_their_four_answers():
    loose = ScoringModel(rubrics=MODEL.rubrics, min_coverage=0.5)

    result = score(loose, [NA_EXAMPLE])

    # (75 + 100 + 75 + 25) / 4
    assert result.rubric_scores["traits"] == pytest.approx(68.75)
    assert result.health == pytest.approx(68.75 * 8 / 9)


def test_enough_answers_overall_but_no_rating_rubric_is_not_scored():
    # 3 of 6 and 4 of 7 ratings, every symptom: 12 of 18 is 67% overall.
    thin = answers([4, 4, 4, NA, NA, NA], [4, 4, 4, 4, NA, NA, NA], [0, 0, 0, 0, 0])

    found = coverage(MODEL, [thin])

    assert found.overall == pytest.approx(12 / 18)
    assert found.reason is NotScoredReason.NO_RATING_RUBRIC
    assert not found.scored
    with pytest.raises(NotScored, match=r"no_rating_rubric"):
        score(MODEL, [thin])


def test_an_item_one_rater_did_not_know_is_the_other_raters_answer():
    knows = answers([4] * 6, [4] * 7, [0] * 5)
    unsure = knows | {"characteristics.trust": NA}

    result = score(MODEL, [knows | {"characteristics.trust": 2}, unsure])

    assert result.item_means["characteristics.trust"] == 2
    assert result.item_spread["characteristics.trust"] == 0
    assert result.coverage == 1


def test_every_answer_not_applicable_is_not_scored_with_zero_coverage():
    with pytest.raises(NotScored) as e:
        score(MODEL, [dict.fromkeys(ADDRESSES)])
    assert e.value.coverage.overall == 0


def test_an_item_nobody_addressed_is_still_an_error_not_a_silent_not_applicable():
    rater = answers([4] * 6, [4] * 7, [0] * 5)
    del rater["traits.honesty"]
    with pytest.raises(ScoringError, match=r"traits\.honesty has no answer"):
        score(MODEL, [rater])


# -- properties ---------------------------------------------------------------


def _try(model, raters):
    try:
        return score(model, raters)
    except NotScored:
        return None


@settings(max_examples=300, deadline=None)
@given(model=weighted_models(), rater=one_rater, dropped=st.sets(st.sampled_from(ADDRESSES), max_size=8))
def test_not_applicable_answers_never_move_a_score_outside_0_to_100(model, rater, dropped):
    result = _try(model, [rater | dict.fromkeys(dropped)])
    if result is None:
        return
    assert 0 <= result.health <= 100
    assert all(-1e-9 <= s <= 100 + 1e-9 for s in result.rubric_scores.values())
    assert math.isclose(sum(result.contributions.values()), result.health, abs_tol=1e-6)
    assert 0 < result.coverage <= 1


@settings(max_examples=300, deadline=None)
@given(
    model=weighted_models(),
    rater=one_rater,
    dropped=st.sets(st.sampled_from(ADDRESSES), max_size=4),
    address=st.sampled_from(ADDRESSES),
)
def test_turning_an_answer_not_applicable_never_changes_the_relative_weights_of_the_others(
    model, rater, dropped, address
):
    before = _try(model, [rater | dict.fromkeys(dropped)])
    after = _try(model, [rater | dict.fromkeys(dropped | {address})])
    if before is None or after is None:
        return
    assert address not in after.weights
    rubric_of = {a: a.partition(".")[0] for a in ADDRESSES}
    spec = {r.key: r for r in model.rubrics}
    item_weight = {f"{r.key}.{i.key}": i.weight for r in model.rubrics for i in r.items}
    kept = [a for a in after.weights if a in before.weights]
    for a in kept:
        for b in kept:
            same = rubric_of[a] == rubric_of[b]
            untouched = rubric_of[address] not in (rubric_of[a], rubric_of[b])
            if same or (untouched and not a.startswith("symptoms.") and not b.startswith("symptoms.")):
                assert math.isclose(
                    after.weights[a] / after.weights[b], before.weights[a] / before.weights[b], rel_tol=1e-9
                ), (a, b)
            if same:
                # Within a rubric the ratio is exactly the items' own weights.
                assert math.isclose(after.weights[a] / after.weights[b], item_weight[a] / item_weight[b], rel_tol=1e-9)
    # Each counted rating rubric keeps its own weight's share of the base.
    rating = [k for k in after.rubric_scores if spec[k].scale.value == "rating"]
    total = sum(spec[k].weight for k in rating)
    for key in rating:
        share = sum(w for a, w in after.weights.items() if rubric_of[a] == key)
        assert math.isclose(share, spec[key].weight / total, rel_tol=1e-9)


@settings(max_examples=200, deadline=None)
@given(model=weighted_models(), rater=one_rater)
def test_a_check_up_with_every_item_answered_scores_as_before_with_full_coverage(model, rater):
    result = score(model, [rater])
    assert result.coverage == 1
    assert set(result.rubric_scores) == {r.key for r in model.rubrics}
    assert set(result.weights) == set(ADDRESSES)


@settings(max_examples=300, deadline=None)
@given(
    model=weighted_models(),
    before=one_rater,
    after=one_rater,
    dropped_before=st.sets(st.sampled_from(ADDRESSES), max_size=4),
    dropped_after=st.sets(st.sampled_from(ADDRESSES), max_size=4),
)
def test_with_not_applicable_answers_the_effects_still_add_up_and_an_unmoved_answer_moves_nothing(
    model, before, after, dropped_before, dropped_after
):
    from assessments.scoring import health_effects

    first = _try(model, [before | dict.fromkeys(dropped_before)])
    second = _try(model, [after | dict.fromkeys(dropped_after)])
    if first is None or second is None:
        return
    effects = health_effects(first, second)
    assert math.isclose(sum(effects.values()), second.health - first.health, abs_tol=1e-6)
    switched = {a for a in effects if (a in first.contributions) != (a in second.contributions)}
    for address in effects:
        rubric = address.partition(".")[0]
        unmoved = before[address] == after[address] and address not in dropped_before | dropped_after | switched
        if unmoved and any(a.partition(".")[0] == rubric for a in switched):
            assert effects[address] == 0, address


def test_the_result_of_answering_not_applicable_is_put_down_to_that_item_not_its_unchanged_neighbours():
    from assessments.scoring import movements

    all_good = answers([4] * 6, [4] * 7, [0] * 5)
    first = score(MODEL, [all_good])
    second = score(MODEL, [all_good | {"characteristics.leadership_access": NA, "characteristics.trust": 2}])

    moved = movements(first, second)

    # Health 75 -> 70. Trust's fall of 50 points weighs 1/2 x 1/5 now: -5 at this quarter's weights,
    # less its old contribution's share: 2.5 - 6.25 = -3.75. Leadership access left (-6.25), and the
    # four unchanged characteristics gained 1.25 each by the reweighting, handed to it: -1.25.
    assert second.health == pytest.approx(70.0)
    assert [(m.address, m.before, m.after, round(m.effect, 4)) for m in moved] == [
        ("characteristics.trust", 4, 2, -3.75),
        ("characteristics.leadership_access", 4, None, -1.25),
    ]


# --------------------------------------------------------------------------- #
# Edges pinned against the mutants ``scripts/mutation scoring`` found alive.


@pytest.mark.parametrize("minimum", [0, -0.1, 1.01, 1.5])
def test_a_minimum_coverage_outside_0_exclusive_to_1_is_refused_with_its_rule(minimum):
    with pytest.raises(ScoringError, match=r"^min_coverage must lie in 0 \(exclusive\) \.\. 1$"):
        ScoringModel(rubrics=MODEL.rubrics, min_coverage=minimum)


def test_a_minimum_coverage_of_1_asks_for_every_answer():
    strict = ScoringModel(rubrics=MODEL.rubrics, min_coverage=1)

    full = answers([4] * 6, [4] * 7, [0] * 5)

    assert score(strict, [full]).health == 75
    with pytest.raises(NotScored, match=r"^not scored \(low_coverage\): 94% of the weight answered, 100% needed"):
        score(strict, [full | {"characteristics.trust": NA}])


def test_an_answer_out_of_range_after_a_not_applicable_one_is_still_refused():
    rater = dict.fromkeys(ADDRESSES, NA) | {"symptoms.misrepresented_solution": 4}
    assert list(rater)[-1] == "symptoms.misrepresented_solution"  # the bad value comes after the not-applicable ones

    for check in (score, coverage):
        with pytest.raises(ScoringError, match=r"^symptoms\.misrepresented_solution=4 is outside 0\.\.3$"):
            check(MODEL, [rater])


@pytest.mark.parametrize("raters", [[], [{}], [{}, {}]])
def test_coverage_of_nothing_is_an_error(raters):
    with pytest.raises(ScoringError, match=r"^no answers to score$"):
        coverage(MODEL, raters)


def test_a_move_of_two_points_or_more_needs_a_comment_and_not_applicable_is_no_move():
    previous = {"a.up": 2, "a.down": 5, "a.one": 3, "a.was_na": NA, "a.now_na": 1, "a.same": 4}
    current = {"a.up": 4, "a.down": 2, "a.one": 4, "a.was_na": 5, "a.now_na": NA, "a.same": 4, "a.new": 1}

    assert big_moves(previous, current) == ["a.up", "a.down"]
    assert big_moves({}, current) == []

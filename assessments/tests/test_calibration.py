"""Rater calibration (docs/CALIBRATION.md): the worked example, shrinkage, ordering and the calibrated score."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.calibration import Rating, calibrated_answers, estimate
from assessments.scoring import ItemSpec, RubricSpec, Scale, ScoringModel, score


def ratings(rater, partner, period, trust, honesty):
    return [
        Rating(rater, partner, period, "characteristics.trust", trust),
        Rating(rater, partner, period, "characteristics.honesty", honesty),
    ]


# The worked example of docs/CALIBRATION.md.
EXAMPLE = [
    *ratings("Ann", "Acme", "2026-Q1", 5, 4),
    *ratings("Ben", "Acme", "2026-Q1", 4, 3),
    *ratings("Ann", "Acme", "2026-Q2", 5, 5),
    *ratings("Ben", "Acme", "2026-Q2", 4, 4),
    *ratings("Ann", "Birch", "2026-Q2", 4, 4),
    *ratings("Cho", "Birch", "2026-Q2", 4, 3),
    *ratings("Cho", "Birch", "2026-Q1", 2, 2),
    *ratings("Ben", "Cedar", "2026-Q2", 3, 3),
    *ratings("Cho", "Cedar", "2026-Q2", 4, 3),
    *ratings("Dee", "Delta", "2026-Q2", 5, 5),
]
MODEL = ScoringModel(rubrics=(RubricSpec("characteristics", Scale.RATING, (ItemSpec("trust"), ItemSpec("honesty"))),))


def test_the_worked_example_gives_the_documented_figures():
    calibration = estimate(EXAMPLE)
    assert calibration.spread == pytest.approx(math.sqrt(1 / 6))
    ann, ben, cho, dee = (calibration.of(name) for name in ("Ann", "Ben", "Cho", "Dee"))
    assert (ann.shared, ann.items, ann.raw, ann.weight) == (3, 6, pytest.approx(5 / 6), pytest.approx(0.6))
    assert ann.value == pytest.approx(0.5)
    assert ann.standard_error == pytest.approx(0.18257, abs=1e-5)
    assert (round(ann.low, 3), round(ann.high, 3)) == (0.142, 0.858)
    assert ben.value == pytest.approx(-0.5)
    assert (cho.shared, cho.raw, cho.value) == (2, pytest.approx(0.0), pytest.approx(0.0))
    assert cho.standard_error == pytest.approx(0.20412, abs=1e-5)
    assert (dee.shared, dee.items, dee.raw, dee.value) == (0, 0, None, 0.0)
    assert dee.standard_error == pytest.approx(0.28868, abs=1e-5)
    assert ann.phrase == "rates 0.5 points more generously than colleagues"
    assert ben.phrase == "rates 0.5 points more harshly than colleagues"
    assert cho.phrase == "rates in line with colleagues"
    assert dee.phrase == "no colleague has scored the same partner in the same quarter yet"


def test_the_worked_examples_calibrated_score_moves_cedar_from_at_risk_to_watch():
    calibration = estimate(EXAMPLE)
    ben = {"characteristics.trust": 3, "characteristics.honesty": 3}
    cho = {"characteristics.trust": 4, "characteristics.honesty": 3}
    as_scored = score(MODEL, [ben, cho])
    calibrated = score(
        MODEL,
        [
            calibrated_answers(MODEL, ben, calibration.of("Ben").value),
            calibrated_answers(MODEL, cho, calibration.of("Cho").value),
        ],
    )
    assert (round(as_scored.health, 2), as_scored.band.value) == (56.25, "at_risk")
    assert (round(calibrated.health, 2), calibrated.band.value) == (62.5, "watch")


def test_ranking_puts_the_most_generous_first():
    assert [x.rater for x in estimate(EXAMPLE).ranked()] == ["Ann", "Cho", "Dee", "Ben"]


def test_no_shared_quarter_means_no_leniency_at_all():
    calibration = estimate(ratings("Ann", "Acme", "2026-Q1", 5, 5) + ratings("Ben", "Birch", "2026-Q1", 1, 1))
    assert [(x.rater, x.shared, x.value, x.standard_error) for x in calibration.ranked()] == [
        ("Ann", 0, 0.0, None),
        ("Ben", 0, 0.0, None),
    ]
    assert calibration.of("Nobody").value == 0.0


def test_one_shared_quarter_is_shrunk_to_a_third():
    calibration = estimate(ratings("Ann", "Acme", "2026-Q1", 5, 5) + ratings("Ben", "Acme", "2026-Q1", 2, 2))
    ann = calibration.of("Ann")
    # 3 steps apart: Ann's raw difference is +3; one quarter against k = 2 keeps 1/3 of it.
    assert (ann.shared, ann.raw, ann.weight, ann.value) == (1, 3.0, pytest.approx(1 / 3), pytest.approx(1.0))
    assert ann.phrase == "rates 1.0 point more generously than colleagues"
    # A single quarter each leaves no degree of freedom for the spread: the uncertainty is unknown.
    assert ann.standard_error is None


def test_many_shared_quarters_keep_almost_all_of_the_difference():
    many = []
    for q in range(1, 41):
        many += ratings("Ann", f"P{q}", "2026-Q1", 5, 4) + ratings("Ben", f"P{q}", "2026-Q1", 4, 3 + q % 2)
    ann = estimate(many).of("Ann")
    assert ann.shared == 40
    assert ann.raw == pytest.approx(0.75)
    assert ann.value == pytest.approx(0.75 * 40 / 42)
    assert ann.standard_error == pytest.approx(0.25 / math.sqrt(42) * math.sqrt(80 / 78), rel=1e-9)


def test_a_larger_prior_shrinks_harder_and_a_negative_one_is_refused():
    assert estimate(EXAMPLE, prior_quarters=6).of("Ann").value == pytest.approx(5 / 6 * 3 / 9)
    with pytest.raises(ValueError, match="prior_quarters must not be negative"):
        estimate(EXAMPLE, prior_quarters=-1)


def test_calibrated_answers_stay_within_the_scale_and_leave_symptoms_alone():
    model = ScoringModel(
        rubrics=(
            RubricSpec("characteristics", Scale.RATING, (ItemSpec("trust"),)),
            RubricSpec("symptoms", Scale.INTENSITY, (ItemSpec("chasing_rainbows"),)),
        )
    )
    answers = {"characteristics.trust": 5, "symptoms.chasing_rainbows": 2}
    assert calibrated_answers(model, answers, -0.7) == {"characteristics.trust": 5, "symptoms.chasing_rainbows": 2}
    assert calibrated_answers(model, answers, 0.7) == {
        "characteristics.trust": pytest.approx(4.3),
        "symptoms.chasing_rainbows": 2,
    }
    assert calibrated_answers(model, {"characteristics.trust": 1}, 0.7) == {"characteristics.trust": 1}
    # "Not applicable" stays not applicable.
    assert calibrated_answers(model, {"characteristics.trust": None}, 0.7) == {"characteristics.trust": None}


def test_a_not_applicable_answer_stays_not_applicable_and_out_of_the_calibrated_score():
    items = (ItemSpec("trust"), ItemSpec("honesty"), ItemSpec("homework"))
    model = ScoringModel(rubrics=(RubricSpec("characteristics", Scale.RATING, items),))
    answers = {"characteristics.trust": None, "characteristics.honesty": 4, "characteristics.homework": 3}
    calibrated = calibrated_answers(model, answers, 0.5)
    assert calibrated == {
        "characteristics.trust": None,
        "characteristics.honesty": pytest.approx(3.5),
        "characteristics.homework": pytest.approx(2.5),
    }
    # Renormalised over the two answered items: a mean of 3.0 on 1-5 is 50.0.
    assert score(model, [calibrated]).health == pytest.approx(50.0)


# --- properties --------------------------------------------------------------------------

quarters = st.lists(
    st.tuples(st.integers(1, 5), st.integers(1, 5), st.integers(1, 5), st.integers(1, 5)), min_size=0, max_size=12
)


def pair_ratings(rows) -> list[Rating]:
    found = []
    for q, (ann_trust, ann_honesty, ben_trust, ben_honesty) in enumerate(rows):
        found += ratings("Ann", f"P{q}", "2026-Q1", ann_trust, ann_honesty)
        found += ratings("Ben", f"P{q}", "2026-Q1", ben_trust, ben_honesty)
    return found


@settings(max_examples=200, deadline=None)
@given(quarters)
def test_two_raters_lean_by_the_same_amount_in_opposite_directions_and_shrinkage_never_overshoots(rows):
    calibration = estimate(pair_ratings(rows))
    ann, ben = calibration.of("Ann"), calibration.of("Ben")
    assert ann.shared == ben.shared == len(rows)
    assert ann.value == pytest.approx(-ben.value, abs=1e-12)
    for leniency in (ann, ben):
        assert abs(leniency.value) <= abs(leniency.raw or 0) + 1e-12
        assert -4 <= leniency.value <= 4
        if leniency.standard_error is not None:
            assert leniency.low <= leniency.value <= leniency.high


@settings(max_examples=200, deadline=None)
@given(quarters, st.integers(1, 3))
def test_answering_higher_on_a_shared_quarter_never_lowers_a_raters_leniency(rows, step):
    if not rows:
        return
    before = estimate(pair_ratings(rows)).of("Ann").value
    first = rows[0]
    raised = [(min(5, first[0] + step), first[1], first[2], first[3]), *rows[1:]]
    assert estimate(pair_ratings(raised)).of("Ann").value >= before - 1e-12

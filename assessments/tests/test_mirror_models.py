import pytest
from django.db import IntegrityError, transaction

from assessments.models import PartnerSnapshot, RubricItem, RubricVersion, RubricVersionFrozen, SurveyResponse
from assessments.selectors.mirror import partner_view_series
from assessments.selectors.rubrics import rubric_version_current, rubric_version_partner_current
from assessments.services.rubrics import rubric_version_publish
from assessments.services.snapshots import partner_views_recompute, snapshots_recompute
from assessments.tests.factories import PartnerFactory, PeriodFactory, answers_for, submitted_checkup
from assessments.tests.mirror_factories import (
    ContactFactory,
    SurveyInvitationFactory,
    partner_answers,
    submitted_response,
)

pytestmark = pytest.mark.django_db


def keys(version, rubric):
    return list(
        RubricItem.objects.filter(rubric__version=version, rubric__key=rubric)
        .order_by("position")
        .values_list("key", flat=True)
    )


def test_the_mirror_survey_is_a_partner_version_with_our_trait_and_symptom_keys(rubric_version):
    mirror = rubric_version_partner_current()
    assert str(mirror) == "partner v1"
    assert not mirror.is_current
    assert rubric_version_current() == rubric_version
    assert list(mirror.rubrics.order_by("position").values_list("key", "scale")) == [
        ("traits", "rating"),
        ("symptoms", "intensity"),
    ]
    assert (
        keys(mirror, "traits")
        == keys(rubric_version, "traits")
        == [
            "caring",
            "homework",
            "attention",
            "proactivity",
            "honesty",
            "goal_direction",
            "face_to_face",
        ]
    )
    assert keys(mirror, "symptoms") == keys(rubric_version, "symptoms")
    assert mirror.free_text_question == "What is one thing we should do differently?"
    caring = RubricItem.objects.get(rubric__version=mirror, rubric__key="traits", key="caring")
    assert caring.question == "Do we care enough about your problems to find out what they are?"


def test_a_partner_version_can_never_be_current(rubric_version):
    with pytest.raises(IntegrityError), transaction.atomic():
        RubricVersion.objects.create(audience="partner", number=2, is_current=True)


def test_publishing_from_the_mirror_survey_starts_its_next_version_and_leaves_ours_current(rubric_version):
    published = rubric_version_publish(based_on=rubric_version_partner_current(), notes="Reworded")
    assert (published.audience, published.number, published.is_current) == ("partner", 2, False)
    assert rubric_version_partner_current() == published
    assert rubric_version_current() == rubric_version
    assert published.free_text_question == "What is one thing we should do differently?"


def test_a_partner_version_with_a_response_is_frozen(rubric_version):
    submitted_response(answers=partner_answers())
    item = RubricItem.objects.get(rubric__version__audience="partner", rubric__key="traits", key="caring")
    item.title = "Kindness"
    with pytest.raises(RubricVersionFrozen, match="v1 is used by check-ups"):
        item.save()


def test_a_submitted_response_is_scored_by_our_engine_into_the_quarters_snapshot(items):
    partner = PartnerFactory()
    period = PeriodFactory.of("2026-Q3")
    submitted_checkup(items=items, answers=answers_for(items, rating=4), partner=partner, period=period)
    with transaction.atomic():
        snapshots_recompute(pairs=[(partner.id, period.id)])
    assert PartnerSnapshot.objects.get().partner_view is None

    submitted_response(answers=partner_answers(rating=5), contact__partner=partner, period=period)
    submitted_response(
        answers=partner_answers(rating=3, symptoms__little_interaction=3), contact__partner=partner, period=period
    )
    # A draft is not counted.
    SurveyResponse.objects.create(
        invitation=SurveyInvitationFactory(contact__partner=partner, period=period),
        rubric_version=rubric_version_partner_current(),
        answers=partner_answers(rating=1),
    )
    with transaction.atomic():
        assert partner_views_recompute(pairs=[(partner.id, period.id)]) == 1

    view = PartnerSnapshot.objects.get().partner_view
    # Traits all 4 on average -> 75; little interaction averages 1.5 of 3 (load 0.5) over five
    # symptoms -> load 0.1 -> 75 * (1 - 0.5 * 0.1) = 71.25.
    assert view == {
        "health": 71.25,
        "band": "watch",
        "rubric_scores": {"traits": 75.0, "symptoms": 90.0},
        "item_means": {
            **{k: float(v) for k, v in partner_answers(rating=4).items()},
            "symptoms.little_interaction": 1.5,
        },
        "responses": 2,
    }
    # Our own snapshot is untouched by theirs, and their view survives a recompute of ours.
    with transaction.atomic():
        snapshots_recompute(pairs=[(partner.id, period.id)])
    snapshot = PartnerSnapshot.objects.get()
    assert snapshot.health == 75.0
    assert snapshot.partner_view["health"] == 71.25


def test_the_partner_view_series_runs_oldest_first_and_includes_quarters_we_did_not_score(items):
    partner = PartnerFactory()
    q2, q3 = PeriodFactory.of("2026-Q2"), PeriodFactory.of("2026-Q3")
    submitted_checkup(items=items, answers=answers_for(items), partner=partner, period=q3)
    contact = ContactFactory(partner=partner)
    submitted_response(answers=partner_answers(rating=2), contact=contact, period=q3)
    submitted_response(answers=partner_answers(rating=5), contact=contact, period=q2)
    with transaction.atomic():
        snapshots_recompute(pairs=[(partner.id, q3.id)])
    # Another partner's responses stay out.
    submitted_response(answers=partner_answers(rating=1), period=q3)

    series = partner_view_series(partner.id)

    assert [(code, view["health"], view["responses"]) for code, view in series] == [
        ("2026-Q2", 100.0, 1),
        ("2026-Q3", 25.0, 1),
    ]

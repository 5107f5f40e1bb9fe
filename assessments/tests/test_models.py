"""Database constraints hold even when the service layer is bypassed."""

import pytest
from django.db import IntegrityError, transaction

from assessments.models import Answer, Checkup, PartnerSnapshot, RubricVersion
from assessments.tests.factories import CheckupFactory, PartnerFactory, PeriodFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_data_migration_loads_the_three_rubrics_with_their_fixed_keys(items):
    assert list(items) == [
        "characteristics.quality",
        "characteristics.flexibility",
        "characteristics.trust",
        "characteristics.service_team",
        "characteristics.leadership_access",
        "characteristics.client_first",
        "traits.caring",
        "traits.homework",
        "traits.attention",
        "traits.proactivity",
        "traits.honesty",
        "traits.goal_direction",
        "traits.face_to_face",
        "symptoms.chasing_rainbows",
        "symptoms.one_sided_pencil",
        "symptoms.little_interaction",
        "symptoms.no_mutual_respect",
        "symptoms.misrepresented_solution",
    ]
    for item in items.values():
        assert item.title and item.question and item.guidance_low and item.guidance_high


def test_only_one_rubric_version_can_be_current(rubric_version):
    with pytest.raises(IntegrityError), transaction.atomic():
        RubricVersion.objects.create(number=2, is_current=True)


@pytest.mark.parametrize(
    ("address", "value"), [("characteristics.trust", 0), ("characteristics.trust", 6), ("symptoms.chasing_rainbows", 4)]
)
def test_the_database_refuses_an_answer_outside_its_scale(items, address, value):
    checkup = CheckupFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Answer.objects.create(
            checkup=checkup, item=items[address], scale=items[address].rubric.scale, value=value
        )


def test_the_database_accepts_the_ends_of_each_scale(items):
    checkup = CheckupFactory()
    for address, value in [
        ("characteristics.trust", 1),
        ("traits.honesty", 5),
        ("symptoms.chasing_rainbows", 0),
        ("symptoms.one_sided_pencil", 3),
    ]:
        Answer.objects.create(
            checkup=checkup, item=items[address], scale=items[address].rubric.scale, value=value
        )
    assert checkup.answers.count() == 4


def test_one_check_up_per_partner_period_and_rater(rubric_version):
    checkup = CheckupFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        CheckupFactory(partner=checkup.partner, period=checkup.period, rater=checkup.rater)
    CheckupFactory(partner=checkup.partner, period=checkup.period, rater=UserFactory())
    assert Checkup.objects.filter(partner=checkup.partner).count() == 2


def test_a_submitted_check_up_must_carry_its_submission_time(rubric_version):
    with pytest.raises(IntegrityError), transaction.atomic():
        CheckupFactory(status=Checkup.Status.SUBMITTED, submitted_at=None)


def test_one_answer_per_item(items):
    checkup = CheckupFactory()
    item = items["traits.caring"]
    Answer.objects.create(checkup=checkup, item=item, scale=item.rubric.scale, value=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        Answer.objects.create(checkup=checkup, item=item, scale=item.rubric.scale, value=4)


def test_partner_names_are_unique_and_snapshots_one_per_period(rubric_version):
    partner = PartnerFactory(name="Northwind")
    with pytest.raises(IntegrityError), transaction.atomic():
        PartnerFactory(name="Northwind")
    period = PeriodFactory.of("2026-Q2")
    fields = dict(
        partner=partner,
        period=period,
        rubric_version=rubric_version,
        health=50,
        band="at_risk",
        rubric_scores={},
        item_means={},
        item_spread={},
        contributions={},
        rater_count=1,
        disagreement=0,
    )
    PartnerSnapshot.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        PartnerSnapshot.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        PartnerSnapshot.objects.create(**{**fields, "period": PeriodFactory.of("2026-Q3"), "health": 101})

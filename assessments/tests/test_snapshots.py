import pytest
from django.db import transaction

from assessments.models import Checkup, PartnerSnapshot
from assessments.selectors.rubrics import rubric_item_index
from assessments.services.rubrics import rubric_version_publish
from assessments.services.snapshots import snapshots_recompute
from assessments.tests.factories import (
    CheckupFactory,
    PartnerFactory,
    PeriodFactory,
    answers_for,
    submitted_checkup,
)

pytestmark = pytest.mark.django_db


def recompute(*pairs):
    with transaction.atomic():
        return snapshots_recompute(pairs=pairs)


def test_a_snapshot_combines_every_submitted_rater_and_ignores_drafts(items):
    partner = PartnerFactory(payment_terms_days=30)
    period = PeriodFactory.of("2026-Q3")
    submitted_checkup(
        items=items, answers=answers_for(items, rating=5), partner=partner, period=period, days_to_pay=45
    )
    submitted_checkup(
        items=items, answers=answers_for(items, rating=3), partner=partner, period=period, abusive_behaviour=True
    )
    draft = CheckupFactory(partner=partner, period=period)
    draft.answers.create(item=items["characteristics.trust"], scale="rating", value=1)

    assert recompute((partner.id, period.id)) == 1

    snapshot = PartnerSnapshot.objects.get(partner=partner, period=period)
    assert snapshot.rater_count == 2
    assert snapshot.health == 75.0  # mean rating 4 -> 75, no symptoms
    assert snapshot.band == "healthy"
    assert snapshot.item_means["characteristics.trust"] == 4.0
    assert snapshot.item_spread["characteristics.trust"] == 25.0
    assert snapshot.disagreement == pytest.approx(25 * 13 / 18, abs=0.01)
    assert snapshot.red_flags == {"days_late": 15, "info_withheld": False, "abusive": True}
    assert snapshot.health_delta is None


def test_health_delta_follows_the_previous_snapshot_even_when_history_arrives_late(items):
    partner = PartnerFactory()
    q2, q3 = PeriodFactory.of("2026-Q2"), PeriodFactory.of("2026-Q3")
    submitted_checkup(items=items, answers=answers_for(items, rating=3), partner=partner, period=q3)
    recompute((partner.id, q3.id))
    assert PartnerSnapshot.objects.get(period=q3).health_delta is None

    submitted_checkup(items=items, answers=answers_for(items, rating=4), partner=partner, period=q2)
    recompute((partner.id, q2.id))

    assert PartnerSnapshot.objects.get(period=q2).health_delta is None
    assert PartnerSnapshot.objects.get(period=q3).health_delta == -25.0


def test_a_period_with_no_submitted_check_up_loses_its_snapshot(items):
    checkup = submitted_checkup(items=items, answers=answers_for(items))
    pair = (checkup.partner_id, checkup.period_id)
    recompute(pair)
    Checkup.objects.filter(pk=checkup.pk).update(status=Checkup.Status.DRAFT)
    recompute(pair)
    assert not PartnerSnapshot.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_recompute_refuses_to_run_outside_the_writing_transaction():
    with pytest.raises(RuntimeError, match="inside the writing transaction"):
        snapshots_recompute(pairs={(1, 1)})


def test_a_new_rubric_version_scores_the_period_and_old_answers_still_count(items, rubric_version):
    partner, period = PartnerFactory(), PeriodFactory.of("2026-Q1")
    old_rater = submitted_checkup(
        items=items, answers=answers_for(items, rating=4, characteristics__trust=1), partner=partner, period=period
    )
    recompute((partner.id, period.id))
    # trust is (1-1)/4 = 0 of six equal characteristics: 5*75/6 = 62.5; traits 75; base 68.75
    assert PartnerSnapshot.objects.get().health == 68.75

    v2 = rubric_version_publish(based_on=rubric_version, weights={"characteristics.trust": 4})
    submitted_checkup(
        items=rubric_item_index(version_id=v2.id),
        answers=answers_for(items, rating=4, characteristics__trust=1),
        partner=partner,
        period=period,
        rubric_version=v2,
    )
    recompute((partner.id, period.id))

    snapshot = PartnerSnapshot.objects.get()
    assert snapshot.rubric_version == v2 and snapshot.rater_count == 2
    assert old_rater.rubric_version == rubric_version
    # trust now weighs 4 of 9: characteristics = 5*75/9 = 41.67; base = (41.67 + 75) / 2
    assert snapshot.health == pytest.approx(58.33, abs=0.01)

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from assessments.models import Checkup, Engagement, Interaction, Partner, PartnerSnapshot
from assessments.services.demo import DEMO_PASSWORD, HISTORY_QUARTERS

pytestmark = pytest.mark.django_db


def counts():
    return (
        get_user_model().objects.count(),
        Partner.objects.count(),
        Checkup.objects.count(),
        PartnerSnapshot.objects.count(),
        Engagement.objects.count(),
        Interaction.objects.count(),
    )


def test_seed_demo_builds_a_realistic_portfolio_and_is_idempotent(rubric_version):
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    first = counts()
    call_command("seed_demo", stdout=io.StringIO())

    assert counts() == first
    assert "ana" in out.getvalue() and DEMO_PASSWORD in out.getvalue()
    assert Partner.objects.count() >= 40
    assert set(Partner.objects.values_list("kind", flat=True)) == set(Partner.Kind.values)
    assert set(Partner.objects.values_list("segment", flat=True)) == set(Partner.Segment.values)
    periods = PartnerSnapshot.objects.order_by().values_list("period__code", flat=True).distinct()
    assert len(periods) == HISTORY_QUARTERS
    # Every band shows up somewhere in the history, so dashboards have something to say.
    assert set(PartnerSnapshot.objects.values_list("band", flat=True)) == {"healthy", "watch", "at_risk", "critical"}


def test_every_demo_account_manager_has_open_check_ups_for_the_current_quarter(rubric_version):
    call_command("seed_demo", stdout=io.StringIO())
    for username in ["ana", "ben", "chloe"]:
        user = get_user_model().objects.get(username=username)
        assert user.check_password(DEMO_PASSWORD)
        open_now = Checkup.objects.filter(rater=user, status="draft", last_saved_at__isnull=True)
        assert open_now.count() >= 10
        assert {a.partner_id for a in open_now} == set(user.owned_partners.values_list("id", flat=True))


def test_the_demo_has_declines_and_a_one_quarter_dip(rubric_version):
    from assessments.services.demo import demo_plan

    call_command("seed_demo", stdout=io.StringIO())
    plan = {p.name: p.pattern for p in demo_plan()}
    latest = {
        s.partner.name: s
        for s in PartnerSnapshot.objects.select_related("partner").order_by("period__year", "period__quarter")
    }
    for name, pattern in plan.items():
        if pattern in {"gradual_decline", "sudden_drop"}:
            assert latest[name].band in {"at_risk", "critical"}, name

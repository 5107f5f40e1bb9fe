import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from assessments.models import Contact, Partner, SurveyInvitation, SurveyResponse
from assessments.selectors.mirror import partner_view_series
from assessments.services.demo import demo_plan, demo_seed
from assessments.services.demo_mirror import falling_partner

pytestmark = pytest.mark.django_db

TODAY = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)


def test_the_demo_has_contacts_partner_responses_and_one_partner_whose_view_of_us_falls(rubric_version):
    with time_machine.travel(TODAY, tick=False):
        demo_seed()
        again = SurveyResponse.objects.count()
        demo_seed()  # idempotent
    assert SurveyResponse.objects.count() == again
    assert Contact.objects.filter(works_at="shared_client").exists()

    falling = Partner.objects.get(name=falling_partner(demo_plan()))
    series = partner_view_series(falling.pk)
    assert [code for code, _ in series] == ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]
    healths = [view["health"] for _, view in series]
    assert healths == sorted(healths, reverse=True) and healths[0] - healths[-1] > 30, healths
    assert [view["item_means"]["symptoms.little_interaction"] for _, view in series] == [0.0, 1.0, 2.0, 3.0]
    assert all(view["responses"] == 2 for _, view in series)
    # Our own view of the same partner stays steady: it is one of the demo's stable partners.
    ours = list(falling.snapshots.order_by("period__year", "period__quarter").values_list("health", flat=True))
    assert max(ours[-4:]) - min(ours[-4:]) < 15

    # This quarter's progress page shows every state.
    owner = falling.owners.order_by("username").first()
    client = Client()
    with time_machine.travel(TODAY, tick=False):
        client.force_login(owner)
        page = client.get(reverse("partner_contacts", args=[falling.pk])).content.decode()
    for state in ("Opened", "Started", "Opted out"):
        assert f"> {state}" in " ".join(page.split()), state
    assert SurveyInvitation.objects.filter(period__code="2026-Q4", contact__partner=falling).count() == 2

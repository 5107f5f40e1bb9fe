"""Leadership reviews, snoozes and acknowledges an alert in headless Debian chromium."""

import datetime as dt

import pytest
from django.utils import timezone
from django.utils.timezone import localdate

from assessments.models import Alert
from assessments.periods import current_quarter
from assessments.services import dispatch
from assessments.services.alerts import partner_evaluate
from assessments.tests.alerting import DECLINING, ensure_rubric_v1, leader, manager, partner_with_history
from assessments.tests.browser.conftest import axe_violations, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


@pytest.fixture
def rubric_v1():
    ensure_rubric_v1()


def test_leadership_reviews_snoozes_and_acknowledges_an_alert_in_a_browser(page, rubric_v1, items, monkeypatch):
    # No worker here: keep the outbox kick out of whatever broker the environment names.
    monkeypatch.setattr(dispatch, "publish", lambda *args, **kwargs: False)
    leader("lena", first_name="Lena", last_name="Fischer")
    ana = manager("ana", first_name="Ana", last_name="Alvarez")
    partner = partner_with_history(
        items=items, name="Oakline Logistics", owners=[ana], levels=DECLINING, last=current_quarter(today=localdate()).previous()
    )
    partner_evaluate(partner_id=partner.id)
    alert = Alert.objects.get(partner=partner, rule="health_decline", severity="critical")

    login(page, "lena", PASSWORD)
    page.goto(f"/alerts/{alert.pk}/")  # an alert's own page, linked from its case
    assert page.get_by_text("Overall health fell from 75 to 25").is_visible()
    assert axe_violations(page) == []
    screenshot(page, "alert-detail")

    # Snoozing without a reason keeps the date typed and says what is missing.
    until = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    page.get_by_label("Snooze until").fill(until)
    page.get_by_role("button", name="Snooze").click()
    assert page.get_by_text("Say why you are snoozing this alert.").is_visible()
    assert page.get_by_label("Snooze until").input_value() == until
    assert axe_violations(page) == []
    screenshot(page, "alert-snooze-error")

    page.get_by_label("Note (optional)").fill("Met their COO; a joint recovery plan is agreed")
    page.get_by_role("button", name="Acknowledge").click()
    assert page.get_by_text("Acknowledged: Oakline Logistics").is_visible()
    page.goto(f"/alerts/{alert.pk}/")
    assert page.get_by_text("acknowledged by Lena Fischer").first.is_visible()
    screenshot(page, "alerts-acknowledged")

"""A manager triages a case in headless Debian chromium: the inbox (on a laptop and a phone), the case, acknowledge."""

import pytest
from django.utils import timezone

from assessments.models import Case
from assessments.periods import current_quarter
from assessments.services import dispatch
from assessments.services.alerts import partner_evaluate
from assessments.tests.alerting import DECLINING, SLIPPING, ensure_rubric_v1, leader, manager, partner_with_history
from assessments.tests.browser.conftest import axe_violations, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
# Wider than anything a line of the page should need: the page must not scroll sideways at 390 px.
SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture
def rubric_v1():
    ensure_rubric_v1()


def test_a_manager_triages_a_case_from_the_inbox_in_a_browser(page, rubric_v1, items, monkeypatch):
    monkeypatch.setattr(dispatch, "publish", lambda *args, **kwargs: False)
    leader("lena", first_name="Lena", last_name="Fischer")
    ana = manager("ana", first_name="Ana", last_name="Alvarez")
    last = current_quarter(today=timezone.localdate()).previous()
    for name, levels in (("Oakline Logistics", DECLINING), ("Cedar Digital With A Rather Long Name", SLIPPING)):
        partner = partner_with_history(items=items, name=name, owners=[ana], levels=levels, last=last)
        partner_evaluate(partner_id=partner.id)
    case = Case.objects.get(partner__name="Oakline Logistics")

    login(page, "ana", PASSWORD)
    page.get_by_role("link", name="Cases", exact=True).click()
    assert page.get_by_role("row", name="Oakline Logistics").first.is_visible()
    assert page.get_by_role("columnheader", name="Owners").is_visible()
    assert axe_violations(page) == []
    screenshot(page, "cases-inbox")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate(SIDEWAYS) <= 0, "the inbox scrolls sideways on a phone"
    for column in ("Partner", "Severity", "State"):
        assert page.get_by_role("columnheader", name=column, exact=True).is_visible(), column
    assert not page.get_by_role("columnheader", name="Owners").is_visible()
    assert axe_violations(page) == []
    screenshot(page, "cases-inbox-phone")
    page.set_viewport_size({"width": 1366, "height": 900})

    page.get_by_role("link", name="Oakline Logistics").click()
    assert page.get_by_text("Overall health fell from 75 to 25").first.is_visible()
    assert axe_violations(page) == []
    screenshot(page, "case-detail")

    page.locator("#ack-note").fill("Met their COO; a joint recovery plan is agreed")
    page.get_by_role("button", name="Acknowledge").click()
    assert page.get_by_text("Acknowledged: Oakline Logistics.").is_visible()
    assert page.get_by_role("button", name="Acknowledge").count() == 0, "not offered twice"
    assert axe_violations(page) == []
    screenshot(page, "case-acknowledged")
    assert Case.objects.get(pk=case.pk).state == "acknowledged"

    # The rest of the inbox, together: tick, snooze without a reason, then with one.
    page.goto("/cases/")
    page.get_by_label("Select Cedar Digital With A Rather Long Name").check()
    page.get_by_label("Action").select_option("acknowledge")
    page.get_by_role("button", name="Apply").click()
    assert page.get_by_text("Acknowledged 1 case: Cedar Digital With A Rather Long Name.").is_visible()
    screenshot(page, "cases-bulk")

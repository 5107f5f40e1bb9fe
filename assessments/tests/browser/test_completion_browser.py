"""Leadership, in a real browser: from the completion tile to a nudge, and why a partner declined."""

import re

import pytest
from django.core import mail

from assessments.models import CheckupNudge, Partner
from assessments.services.alerts import trends_scan
from assessments.services.demo import DEMO_PASSWORD, demo_seed
from assessments.services.outbox import outbox_send_due
from assessments.tests.alerting import ensure_rubric_v1
from assessments.tests.browser.conftest import axe_violations, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo():
    ensure_rubric_v1()
    demo_seed()
    trends_scan(all_periods=True)
    mail.outbox = []


def test_a_leader_follows_the_completion_tile_nudges_a_check_up_once_and_the_page_fits_a_phone(demo, page):
    login(page, "lena", DEMO_PASSWORD)
    page.goto("/dashboard/")
    page.get_by_role("link", name="Who is missing, and nudge them").click()
    page.wait_for_load_state("networkidle")

    assert page.url.endswith("/completion/")
    assert page.get_by_role("heading", name="Check-up completion").is_visible()
    assert axe_violations(page) == []
    first = page.locator("tbody tr").first
    partner = first.locator("th a").inner_text()
    first.get_by_role("button", name=re.compile("^Nudge")).click()
    page.wait_for_load_state("networkidle")

    assert page.get_by_role("status").filter(has_text=f"about {partner}").is_visible()
    row = page.locator("tbody tr", has=page.get_by_role("link", name=partner, exact=True)).first
    assert "Already nudged today" in row.inner_text()
    outbox_send_due()
    (message,) = [m for m in mail.outbox if m.extra_headers["Message-ID"].startswith("<checkup-nudge-")]
    assert f"check-up of {partner}" in message.subject
    assert CheckupNudge.objects.get().status == "sent"
    screenshot(page, "completion-nudged")

    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "completion-phone")


def test_the_partner_page_of_a_declining_partner_opens_with_why_it_declined(demo, page):
    partner = Partner.objects.get(name="Bluepeak Digital")
    login(page, "lena", DEMO_PASSWORD)
    page.goto(f"/partners/{partner.pk}/")

    summary = page.locator("#decline")
    assert summary.get_by_role("heading", name=re.compile("^Why it declined: ")).is_visible()
    assert "Little to no interaction: mild → severe, \u22123.2 health" in summary.inner_text()
    assert axe_violations(page) == []
    screenshot(page, "partner-why-it-declined")

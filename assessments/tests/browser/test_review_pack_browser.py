"""The quarterly review pack in a real browser: its chart is drawn, axe finds nothing serious, and
printing leaves the site's navigation out."""

import datetime as dt

import pytest

from assessments.models import Case
from assessments.services.alerts import trends_scan
from assessments.services.demo import DEMO_PASSWORD, demo_seed
from assessments.tests.alerting import ensure_rubric_v1
from assessments.tests.browser.conftest import axe_violations, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_review_pack_prints_without_the_navigation_and_passes_axe(page):
    ensure_rubric_v1()
    demo_seed(today=dt.date(2026, 11, 22))
    trends_scan(all_periods=True)
    case = Case.objects.exclude(state="resolved").select_related("partner").order_by("partner__name").first()
    partner = case.partner
    owner = partner.owners.order_by("username").first()

    login(page, owner.username, DEMO_PASSWORD)
    page.goto(f"/partners/{partner.pk}/")
    page.get_by_role("link", name="Quarterly review pack").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", level=1).inner_text() == partner.name
    assert page.locator("svg.ph-svg-chart polyline").count() >= 1
    assert page.get_by_text("No response from the partner yet.").is_visible() or page.locator("#pack-gap").count()
    assert page.locator(".navbar").is_visible()
    assert axe_violations(page) == []
    screenshot(page, "review-pack-screen")

    page.emulate_media(media="print")
    assert not page.locator(".navbar").is_visible()
    assert not page.get_by_role("link", name="Download the PDF").is_visible()
    assert page.get_by_role("heading", name="Open case and action plan").is_visible()
    screenshot(page, "review-pack-print")

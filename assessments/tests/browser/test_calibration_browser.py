"""Leadership reads rater calibration and stale scores in a real browser, on the seed_demo portfolio."""

import datetime as dt
import re

import pytest
import time_machine
from django.core.cache import cache

from assessments.models import Partner
from assessments.services.demo import DEMO_PASSWORD, demo_plan, demo_seed
from assessments.tests.alerting import ensure_rubric_v1
from assessments.tests.browser.conftest import axe_violations, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo():
    ensure_rubric_v1()
    cache.clear()
    with time_machine.travel(dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.UTC), tick=True):
        yield demo_seed(today=dt.date(2026, 11, 22))


def names(pattern: str) -> list[str]:
    return [p.name for p in demo_plan() if p.pattern == pattern]


def test_leadership_reads_the_raters_page_the_leniencies_in_the_spread_and_the_calibrated_health(page, demo):
    login(page, "lena", DEMO_PASSWORD)
    page.goto("/dashboard/")
    assert page.get_by_role("heading", name="Stale scores").is_visible()
    assert page.locator("#tile-stale .tile-figure").inner_text() == "2"
    page.get_by_role("link", name="Raters").click()
    page.wait_for_load_state("networkidle")
    rows = page.locator("#raters-table tbody tr")
    assert rows.count() == 3
    assert re.search(r"Ben Okafor\s+Rates 0\.5 points more generously than colleagues", rows.nth(0).inner_text())
    assert re.search(r"Chloe Dubois\s+Rates 0\.5 points more harshly than colleagues", rows.nth(2).inner_text())
    assert axe_violations(page) == []
    screenshot(page, "calibration-raters")

    partner = Partner.objects.get(name=names("co_rated")[0])
    page.goto(f"/partners/{partner.pk}/")
    calibrated = page.get_by_test_id("calibrated-health")
    assert calibrated.is_visible() and calibrated.inner_text().startswith("Calibrated: ")
    assert page.get_by_test_id("latest-health").is_visible()
    leniency = page.get_by_test_id("rater-leniency")
    assert "Ben Okafor rates 0.5 points more generously than colleagues" in leniency.inner_text()
    assert axe_violations(page) == []
    page.locator("#spread").scroll_into_view_if_needed()
    screenshot(page, "calibration-partner")


def test_a_stale_partner_reads_as_stale_on_its_page_and_in_the_partners_list(page, demo):
    login(page, "lena", DEMO_PASSWORD)
    page.goto("/dashboard/")
    page.get_by_role("link", name="Show the stale partners").click()
    page.wait_for_load_state("networkidle")
    rows = page.locator(".partner-table tbody tr")
    assert rows.count() == 2
    assert sorted(rows.locator("th a").all_inner_texts()) == sorted(names("stale"))
    assert "Stale — last check-up 2025-Q4" in page.locator(".partner-table").inner_text()
    assert axe_violations(page) == []
    screenshot(page, "stale-partners-list")

    rows.locator("th a").first.click()
    page.wait_for_load_state("networkidle")
    stale = page.get_by_test_id("stale")
    assert stale.is_visible() and re.search(
        r"Stale — last check-up 2025-Q4|Stale — last check-up 2026-Q1", stale.inner_text()
    )
    assert page.get_by_test_id("latest-health").count() == 0
    assert axe_violations(page) == []
    screenshot(page, "stale-partner")

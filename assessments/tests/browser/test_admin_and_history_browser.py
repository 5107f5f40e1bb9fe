"""The admin's rubric page shows each item's weight without scrolling sideways on a laptop screen,
and leadership reads a partner's history of changes (issue 12: onboarding, audit trail)."""

import pytest

from assessments.models import Rubric
from assessments.services.checkups import CheckupInput, checkup_amend, checkup_submit
from assessments.tests.alerting import ensure_rubric_v1
from assessments.tests.browser.conftest import axe_violations, login, screenshot
from assessments.tests.factories import CheckupFactory, PartnerFactory, PeriodFactory, UserFactory, answers_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def test_the_rubric_items_weight_is_on_screen_without_scrolling_sideways(browser, live_server):
    ensure_rubric_v1()
    UserFactory(username="root", is_staff=True, is_superuser=True)
    rubric = Rubric.objects.get(version__is_current=True, key="characteristics")
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=live_server.url)
    page = context.new_page()
    try:
        login(page, "root", PASSWORD)
        page.goto(f"/admin/assessments/rubric/{rubric.pk}/change/")
        header = page.locator("th.column-weight").first
        box = header.bounding_box()
        assert box is not None
        assert box["x"] + box["width"] <= 1280, f"the weight column ends at {box['x'] + box['width']:.0f}px"
        first_weight = page.locator("td.field-weight input").first
        assert first_weight.input_value() == "1.00"
        assert first_weight.bounding_box()["x"] + first_weight.bounding_box()["width"] <= 1280
        assert page.locator("link[rel=icon]").get_attribute("href") == "/static/img/favicon.svg"
        screenshot(page, "admin-rubric-items")
    finally:
        context.close()


def test_leadership_reads_a_partners_history_of_changes(page):
    ensure_rubric_v1()
    from assessments.selectors.rubrics import rubric_item_index, rubric_version_current

    items = rubric_item_index(version_id=rubric_version_current().id)
    ana = UserFactory(username="ana", first_name="Ana", last_name="Alvarez", role="account_manager")
    UserFactory(username="lena", first_name="Lena", last_name="Ortiz", role="leadership")
    partner = PartnerFactory(name="Globex", owners=[ana])
    checkup = CheckupFactory(partner=partner, rater=ana, period=PeriodFactory.of("2026-Q3"))
    checkup_submit(user=ana, checkup_id=checkup.pk, data=CheckupInput(answers=answers_for(items)))
    checkup_amend(user=ana, checkup_id=checkup.pk,
                     data=CheckupInput(answers=answers_for(items, characteristics__trust=2)))

    login(page, "lena", PASSWORD)
    page.goto(f"/partners/{partner.pk}/")
    page.get_by_role("link", name="History of changes").click()
    page.wait_for_load_state("networkidle")

    table = page.get_by_test_id("history")
    assert "Trust between the organisations: 4 · Good → 2 · Weak" in table.inner_text()
    assert "Amended (revision 1)" in table.inner_text()
    assert axe_violations(page) == []
    screenshot(page, "partner-history")

"""'Not applicable / don't know' in a real browser: answered on the form, recorded on the result page
with the coverage beside the health (docs/SCORING.md). The "please check" notes are tested elsewhere."""

import pytest
from django.db import transaction
from django.utils.timezone import localdate

from assessments.models import Answer
from assessments.periods import current_quarter
from assessments.selectors.rubrics import rubric_item_index, rubric_items, rubric_version_current
from assessments.services.periods import period_get_or_create
from assessments.services.snapshots import snapshots_recompute
from assessments.tests.alerting import ensure_rubric_v1
from assessments.tests.browser.conftest import axe_violations, login, screenshot
from assessments.tests.factories import CheckupFactory, PartnerFactory, UserFactory, answers_for, submitted_checkup

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
LEADERSHIP = "Access to leadership for escalation"


@pytest.fixture
def checkup():
    ensure_rubric_v1()
    ana = UserFactory(username="ana", first_name="Ana", last_name="Alvarez", role="account_manager")
    partner = PartnerFactory(name="Northwind Systems", owners=[ana], payment_terms_days=30)
    items = rubric_item_index(version_id=rubric_version_current().id)
    quarter = current_quarter(today=localdate())
    last = period_get_or_create(quarter=quarter.previous())
    submitted_checkup(items=items, answers=answers_for(items, rating=4), partner=partner, period=last, rater=ana)
    with transaction.atomic():
        snapshots_recompute(pairs={(partner.id, last.id)})
    return CheckupFactory(partner=partner, rater=ana, period=period_get_or_create(quarter=quarter))


def test_a_manager_answers_not_applicable_and_the_result_page_records_it_with_the_coverage(page, checkup):
    login(page, "ana", PASSWORD)
    page.goto(f"/checkups/{checkup.pk}/")
    page.wait_for_load_state("networkidle")
    leadership = page.get_by_role("group", name=LEADERSHIP, exact=True)
    # Last quarter's own answer is a hint beside the item, not a pre-filled answer.
    assert leadership.get_by_text("Last quarter: Good (4)").is_visible()
    assert leadership.locator("input:checked").count() == 0

    leadership.locator("label", has_text="Not applicable / don't know").click()
    for item in rubric_items(version_id=checkup.rubric_version_id):
        group = page.get_by_role("group", name=item.title, exact=True)
        if group.locator("input:checked").count() == 0:
            label = "0 · None" if item.rubric.scale == "intensity" else "4 · Good"
            group.locator("label", has_text=label).click()
    assert page.locator("#checkup-progress").inner_text() == "18 of 18 items answered"
    form_violations = axe_violations(page)
    leadership.scroll_into_view_if_needed()
    screenshot(page, "not-applicable-form")

    page.get_by_role("button", name="Submit", exact=True).click()
    page.wait_for_load_state("networkidle")

    assert "/result/" in page.url
    assert Answer.objects.get(checkup=checkup, item__key="leadership_access").value is None
    # 17 of 18 items answered: characteristics renormalised over 5 items, still all Good, so 75.0.
    assert page.get_by_test_id("health").inner_text().startswith("75.0")
    assert page.get_by_test_id("coverage").inner_text() == (
        'Coverage: 94% answered (the rest "not applicable / don\'t know")'
    )
    # What moved: the switch is listed, and since every answer was Good before it moved nothing.
    moved = page.locator("table", has=page.get_by_role("columnheader", name="Effect on health"))
    assert moved.get_by_role("row", name=LEADERSHIP).inner_text().split("\t") == [
        LEADERSHIP,
        "4 · Good",
        "Not applicable / don't know",
        "0.0 points",
    ]
    answers = page.locator("table", has=page.get_by_role("columnheader", name="Comment")).first
    row = answers.get_by_role("row", name=LEADERSHIP)
    assert row.get_by_role("cell").first.inner_text() == "Not applicable / don't know"
    result_violations = axe_violations(page)
    page.get_by_test_id("coverage").scroll_into_view_if_needed()
    screenshot(page, "not-applicable-result")
    row.scroll_into_view_if_needed()
    screenshot(page, "not-applicable-result-answers")

    assert {"form": form_violations, "result": result_violations} == {"form": [], "result": []}

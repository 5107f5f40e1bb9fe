"""An account manager's answers contradict the evidence: she sees "please check" before submitting, and
can still submit (docs/EVIDENCE.md). Headless Debian chromium."""

import datetime as dt

import pytest
from django.utils.timezone import localdate

from assessments.models import Checkup
from assessments.periods import current_quarter
from assessments.selectors.rubrics import rubric_items, rubric_version_current
from assessments.services.periods import period_get_or_create
from assessments.tests.alerting import ensure_rubric_v1
from assessments.tests.browser.conftest import axe_violations, login, screenshot
from assessments.tests.factories import CheckupFactory, InteractionFactory, PartnerFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


@pytest.fixture
def quiet_partner():
    """Northwind: one phone call 200 days ago and nothing since; Ana's check-up of this quarter is open."""
    ensure_rubric_v1()
    ana = UserFactory(username="ana", first_name="Ana", last_name="Alvarez", role="account_manager")
    partner = PartnerFactory(name="Northwind Systems", owners=[ana], payment_terms_days=30)
    InteractionFactory(
        partner=partner, occurred_on=localdate() - dt.timedelta(days=200), kind="call", face_to_face=False
    )
    checkup = CheckupFactory(
        partner=partner, rater=ana, period=period_get_or_create(quarter=current_quarter(today=localdate()))
    )
    return {"checkup": checkup, "items": rubric_items(version_id=rubric_version_current().id)}


def choose(page, title: str, label: str) -> None:
    page.get_by_role("group", name=title, exact=True).locator("label", has_text=label).click()


def test_a_manager_sees_please_check_before_submitting_answers_the_evidence_contradicts_and_still_submits(
    page, quiet_partner
):
    checkup = quiet_partner["checkup"]
    login(page, "ana", PASSWORD)
    page.get_by_role("link", name="Start the check-up of Northwind Systems").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_test_id("crosschecks").count() == 0

    # A glowing check-up of a partner nobody has spoken to for 200 days.
    for item in quiet_partner["items"]:
        choose(page, item.title, "0 · None" if item.rubric.scale == "intensity" else "5 · Excellent")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Draft saved: 18 of 18 items answered.").is_visible()

    notes = page.get_by_test_id("crosschecks")
    assert notes.get_by_role("heading", name="Please check: 2 answers the records contradict").is_visible()
    text = " ".join(notes.inner_text().split())
    assert (
        "Rated close, but no contact on record. Trust between the organisations rated 5 · Excellent and Meeting face "
        "to face rated 5 · Excellent, but no interaction has been logged for 200 days" in text
    )
    assert "(the check looks for one within 120 days); no meeting in person is logged at all." in text
    assert "No lack of interaction, but none logged this quarter. Little to no interaction rated 0 · None" in text
    assert (
        "From “Seven things it takes to be a partner” and “Five symptoms that a partnership is under the weather”."
        in text
    )
    assert "These notes never stop you submitting" in text
    # The sticky bar beside Submit says there is something to check, and takes her there.
    assert page.locator("#checkup-progress").inner_text() == "18 of 18 items answered · 2 to check"
    violations = axe_violations(page)
    screenshot(page, "crosschecks-checkup-form")

    # She knows better (the meetings were never logged) and submits anyway: nothing blocks her.
    page.get_by_role("button", name="Submit", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert "/result/" in page.url
    assert page.get_by_text("Check-up submitted.").is_visible()
    assert Checkup.objects.get(pk=checkup.pk).is_submitted
    assert page.get_by_test_id("crosschecks").get_by_text("Rated close, but no contact on record.").is_visible()
    result_violations = axe_violations(page)
    screenshot(page, "crosschecks-result")

    # My check-ups counts it, and the count leads to the list with the notes.
    quarter = current_quarter(today=localdate()).code
    page.get_by_role("link", name="My check-ups").first.click()
    page.wait_for_load_state("networkidle")
    page.get_by_role("link", name=f"1 check-up in {quarter} contradicts the evidence").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text(
        f"1 of 1 submitted check-up of your partners in {quarter} contradicts the evidence."
    ).is_visible()
    assert page.locator("#crosscheck-table").get_by_text("Rated close, but no contact on record.").is_visible()
    list_violations = axe_violations(page)
    screenshot(page, "crosschecks-list")

    assert {"form": violations, "result": result_violations, "list": list_violations} == {
        "form": [],
        "result": [],
        "list": [],
    }

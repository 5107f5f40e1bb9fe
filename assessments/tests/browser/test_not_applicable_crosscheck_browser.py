"""Issue 14's "Done when" in one browser test: a manager answers "not applicable / don't know", sees a
"please check" note (docs/EVIDENCE.md) naming the contradiction with its figures, keeps her answers, submits
anyway, and the result page shows the coverage (docs/SCORING.md) and the note. Headless Debian chromium."""

import datetime as dt

import pytest
from django.utils.timezone import localdate

from assessments.models import Answer, Checkup
from assessments.periods import current_quarter
from assessments.selectors.rubrics import rubric_items, rubric_version_current
from assessments.services.periods import period_get_or_create
from assessments.tests.alerting import ensure_rubric_v1
from assessments.tests.browser.conftest import axe_violations, login, screenshot
from assessments.tests.factories import CheckupFactory, InteractionFactory, PartnerFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
LEADERSHIP = "Access to leadership for escalation"
TRUST = "Trust between the organisations"
NOT_APPLICABLE = "Not applicable / don't know"


@pytest.fixture
def quiet_partner():
    """Northwind: one phone call 130 days ago and nothing since; Ana's check-up of this quarter is open."""
    ensure_rubric_v1()
    ana = UserFactory(username="ana", first_name="Ana", last_name="Alvarez", role="account_manager")
    partner = PartnerFactory(name="Northwind Systems", owners=[ana], payment_terms_days=30)
    InteractionFactory(
        partner=partner, occurred_on=localdate() - dt.timedelta(days=130), kind="call", face_to_face=False
    )
    checkup = CheckupFactory(
        partner=partner, rater=ana, period=period_get_or_create(quarter=current_quarter(today=localdate()))
    )
    return {"checkup": checkup, "items": rubric_items(version_id=rubric_version_current().id)}


def group(page, title: str):
    return page.get_by_role("group", name=title, exact=True)


def both_widths(page, name: str) -> None:
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"{name}-{width}")
    page.set_viewport_size({"width": 1366, "height": 900})


def test_a_manager_answers_not_applicable_sees_please_check_keeps_her_answers_and_submits(page, quiet_partner):
    checkup = quiet_partner["checkup"]
    login(page, "ana", PASSWORD)
    page.goto(f"/checkups/{checkup.pk}/")
    page.wait_for_load_state("networkidle")
    assert page.get_by_test_id("crosschecks").count() == 0

    # She cannot judge access to leadership, trusts Northwind fully, and rates the rest Good / None.
    group(page, LEADERSHIP).locator("label", has_text=NOT_APPLICABLE).click()
    group(page, TRUST).locator("label", has_text="5 · Excellent").click()
    for item in quiet_partner["items"]:
        if group(page, item.title).locator("input:checked").count() == 0:
            label = "0 · None" if item.rubric.scale == "intensity" else "4 · Good"
            group(page, item.title).locator("label", has_text=label).click()
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Draft saved: 18 of 18 items answered.").is_visible()

    # The draft kept the not-applicable answer (checked again on the reloaded form) and trust 5.
    assert group(page, LEADERSHIP).get_by_label(NOT_APPLICABLE).is_checked()
    assert group(page, TRUST).get_by_label("5 · Excellent").is_checked()
    saved = Answer.objects.get(checkup=checkup, item__key="leadership_access")
    assert (saved.value, saved.not_applicable) == (None, True)

    notes = page.get_by_test_id("crosschecks")
    assert notes.get_by_role("heading", name="Please check: 2 answers the records contradict").is_visible()
    text = " ".join(notes.inner_text().split())
    since = (localdate() - dt.timedelta(days=130)).strftime("%-d %b %Y")
    assert (
        "Rated close, but no contact on record. Trust between the organisations rated 5 · Excellent and Meeting face "
        f"to face rated 4 · Good, but no interaction has been logged for 130 days, since {since} (the check looks for "
        "one within 120 days); no meeting in person is logged at all." in text
    )
    assert "No lack of interaction, but none logged this quarter. Little to no interaction rated 0 · None" in text
    assert "These notes never stop you submitting" in text
    assert page.locator("#checkup-progress").inner_text() == "18 of 18 items answered · 2 to check"
    form_violations = axe_violations(page)
    notes.scroll_into_view_if_needed()
    both_widths(page, "na-crosscheck-form")

    # She knows better and submits anyway: nothing blocks her.
    page.get_by_role("button", name="Submit", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert "/result/" in page.url
    assert page.get_by_text("Check-up submitted.").is_visible()
    assert Checkup.objects.get(pk=checkup.pk).is_submitted
    # Characteristics over their 5 answered items (4, 4, 5, 4, 4: 80.0) and traits all Good (75.0): 77.5.
    assert page.get_by_test_id("health").inner_text().startswith("77.5")
    # 17 of 18 items answered: 94%.
    assert page.get_by_test_id("coverage").inner_text() == (
        'Coverage: 94% answered (the rest "not applicable / don\'t know")'
    )
    result_notes = " ".join(page.get_by_test_id("crosschecks").inner_text().split())
    assert "Rated close, but no contact on record." in result_notes
    assert f"no interaction has been logged for 130 days, since {since}" in result_notes
    answers = page.locator("table", has=page.get_by_role("columnheader", name="Comment")).first
    assert answers.get_by_role("row", name=LEADERSHIP).get_by_role("cell").first.inner_text() == NOT_APPLICABLE
    result_violations = axe_violations(page)
    both_widths(page, "na-crosscheck-result")

    assert {"form": form_violations, "result": result_violations} == {"form": [], "result": []}

"""An account manager's quarterly check-up, end to end in headless Debian chromium."""

import time

import pytest
from django.db import transaction
from django.utils.timezone import localdate

from assessments.models import Checkup, PartnerSnapshot
from assessments.periods import current_quarter
from assessments.selectors.rubrics import rubric_item_index, rubric_items, rubric_version_current
from assessments.services.periods import period_get_or_create
from assessments.services.snapshots import snapshots_recompute
from assessments.tests.alerting import ensure_rubric_v1
from assessments.tests.browser.conftest import axe_violations, login, screenshot
from assessments.tests.factories import (
    CheckupFactory,
    PartnerFactory,
    UserFactory,
    answers_for,
    submitted_checkup,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
# Ana rated trust last quarter, so a move of 2 points or more needs this comment.
TRUST_COMMENT = "Comment on trust between the organisations (needed if your answer moves 2 points or more)"


@pytest.fixture
def portfolio():
    ensure_rubric_v1()
    ana = UserFactory(username="ana", first_name="Ana", last_name="Alvarez", role="account_manager")
    ben = UserFactory(username="ben", first_name="Ben", last_name="Okafor", role="account_manager")
    mine = PartnerFactory(name="Northwind Systems", owners=[ana], payment_terms_days=30)
    theirs = PartnerFactory(name="Bluepeak Digital", owners=[ben])
    version = rubric_version_current()
    items = rubric_item_index(version_id=version.id)
    quarter = current_quarter(today=localdate())
    last = period_get_or_create(quarter=quarter.previous())
    submitted_checkup(items=items, answers=answers_for(items, rating=4), partner=mine, period=last, rater=ana)
    with transaction.atomic():
        snapshots_recompute(pairs={(mine.id, last.id)})
    checkup = CheckupFactory(partner=mine, rater=ana, period=period_get_or_create(quarter=quarter))
    return {"mine": mine, "theirs": theirs, "checkup": checkup, "items": rubric_items(version_id=version.id)}


def choose(page, title: str, label: str) -> None:
    """Pick an answer the way a mouse user does: click the visible label of the radio."""
    page.get_by_role("group", name=title, exact=True).locator("label", has_text=label).click()


def test_an_account_manager_fills_in_saves_resumes_and_submits_a_checkup(page, portfolio, capsys):
    items = portfolio["items"]
    started = time.perf_counter()

    login(page, "ana", PASSWORD)
    assert page.get_by_role("heading", name="My check-ups").is_visible()
    # (A phone's copy of the status, under the partner's name, is hidden at this width.)
    assert page.get_by_text("Not started").filter(visible=True).first.is_visible()

    page.get_by_role("link", name="Start the check-up of Northwind Systems").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Quarterly check-up: Northwind Systems").is_visible()
    form_violations = axe_violations(page)

    # Part of it by mouse...
    choose(page, "Quality of product or service", "4 · Good")
    choose(page, "Trust between the organisations", "2 · Weak")
    choose(page, "Chasing rainbows", "1 · Mild")
    page.get_by_label(TRUST_COMMENT).fill("They went around us once")
    # ...and one item with the keyboard alone: Tab into the next radio group, Space picks, arrows move.
    quality = page.get_by_role("group", name="Quality of product or service", exact=True)
    quality.get_by_label("4 · Good").focus()
    page.keyboard.press("Tab")  # the quality comment
    page.keyboard.press("Tab")  # first radio of "Flexible engagement structures"
    page.keyboard.press("Space")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    flexibility = page.get_by_role("group", name="Flexible engagement structures", exact=True)
    assert flexibility.get_by_label("3 · Adequate").is_checked()
    assert page.locator("#checkup-progress").inner_text() == "4 of 18 items answered"

    page.get_by_role("button", name="Save draft").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Draft saved: 4 of 18 items answered.").is_visible()

    # Away and back: the draft is listed and every answer is still there.
    page.get_by_role("link", name="My check-ups").first.click()
    assert page.get_by_text("Draft", exact=True).filter(visible=True).is_visible()
    page.get_by_role("link", name="Continue the check-up of Northwind Systems").click()
    page.wait_for_load_state("networkidle")
    trust = page.get_by_role("group", name="Trust between the organisations", exact=True)
    assert trust.get_by_label("2 · Weak").is_checked()
    assert flexibility.get_by_label("3 · Adequate").is_checked()
    assert page.get_by_label(TRUST_COMMENT).input_value() == ("They went around us once")
    screenshot(page, "checkup-form-resumed")

    # Submitting early is refused, with a list of what is missing, and nothing typed is lost.
    page.get_by_role("button", name="Submit", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("14 of 18 items still need an answer before you can submit.").is_visible()
    assert trust.get_by_label("2 · Weak").is_checked()

    for item in items:
        group = page.get_by_role("group", name=item.title, exact=True)
        if group.locator("input:checked").count() == 0:
            choose(page, item.title, "0 · None" if item.rubric.scale == "intensity" else "4 · Good")
    page.get_by_label("Days this partner actually takes to pay").fill("52")
    slot = page.get_by_role("group", name="Action item 1")
    slot.get_by_label("What will be done").fill("Hold the next QBR at their office")
    slot.get_by_label("Owner").select_option(label="Ana Alvarez")
    slot.get_by_label("Due date").fill(f"{current_quarter(today=localdate()).next().ends_on:%Y-%m-%d}")
    page.get_by_label("Overall notes").fill("Solid quarter; trust dented by one escalation.")
    screenshot(page, "checkup-form")

    page.get_by_role("button", name="Submit", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert "/result/" in page.url
    assert page.get_by_text("Check-up submitted.").is_visible()
    snapshot = PartnerSnapshot.objects.get(partner=portfolio["mine"], period=portfolio["checkup"].period)
    assert page.get_by_test_id("health").inner_text().startswith(f"{snapshot.health:.1f}")
    assert page.get_by_text(f"points since {current_quarter(today=localdate()).previous().code} (75.0)").is_visible()
    assert page.get_by_role(
        "heading", name=f"What moved most since {current_quarter(today=localdate()).previous().code}"
    ).is_visible()
    assert page.get_by_text("22 days late").is_visible()
    screenshot(page, "checkup-result")
    result_violations = axe_violations(page)

    page.get_by_role("link", name="Northwind Systems").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Northwind Systems").is_visible()
    assert page.locator("#health-chart").is_visible()
    partner_violations = axe_violations(page)
    screenshot(page, "partner-page")

    response = page.goto(f"/partners/{portfolio['theirs'].pk}/")
    assert response.status == 404
    assert "Bluepeak" not in page.content()
    elapsed = time.perf_counter() - started

    assert Checkup.objects.get(pk=portfolio["checkup"].pk).is_submitted
    assert {"form": form_violations, "result": result_violations, "partner": partner_violations} == {
        "form": [],
        "result": [],
        "partner": [],
    }
    with capsys.disabled():
        print(f"\ncheck-up walk-through: {elapsed:.1f} s; axe serious/critical violations: form 0, result 0, partner 0")


def test_the_my_checkups_page_is_accessible(page, portfolio):
    login(page, "ana", PASSWORD)
    assert page.get_by_role("heading", name="My check-ups").is_visible()
    assert axe_violations(page) == []

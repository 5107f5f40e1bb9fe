"""An account manager on a phone adds an action linked to trust, marks it done and reopens it: axe-clean pages."""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from assessments.models import ActionItem
from assessments.periods import current_quarter
from assessments.selectors.rubrics import rubric_item_index, rubric_version_current
from assessments.services.snapshots import snapshots_recompute
from assessments.tests.alerting import ensure_rubric_v1
from assessments.tests.browser.conftest import SCREENSHOTS, axe_violations, login, screenshot
from assessments.tests.factories import PartnerFactory, PeriodFactory, UserFactory, answers_for, submitted_checkup

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
# How far anything inside a section reaches past the right edge of the screen.
PAST_EDGE = """(selector) => { const edge = document.documentElement.clientWidth;
  const inside = [...document.querySelectorAll(selector + ', ' + selector + ' *')];
  return Math.max(0, ...inside.map((el) => el.getBoundingClientRect().right - edge)); }"""


def axe_in(page, selector: str) -> list[dict]:
    """Serious or critical axe violations inside one part of the page."""
    page.add_script_tag(url="/static/vendor/axe-core/axe.min.js")
    result = page.evaluate("async (selector) => await axe.run(selector, {resultTypes: ['violations']})", selector)
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture
def partner():
    ensure_rubric_v1()
    ana = UserFactory(username="ana", first_name="Ana", last_name="Alvarez", role="account_manager")
    UserFactory(username="lena", first_name="Lena", last_name="Fischer", role="leadership")
    partner = PartnerFactory(name="Northwind Systems", owners=[ana])
    items = rubric_item_index(version_id=rubric_version_current().id)
    last = current_quarter(today=timezone.localdate()).previous()
    period = PeriodFactory(quarter_value=last)
    submitted_checkup(
        items=items, answers=answers_for(items, characteristics__trust=2), partner=partner, period=period, rater=ana
    )
    with transaction.atomic():
        snapshots_recompute(pairs={(partner.id, period.id)})
    return partner


def test_a_manager_on_a_phone_adds_an_action_linked_to_trust_and_closes_it(page, partner):
    page.set_viewport_size(PHONE)
    login(page, "ana", "correct horse battery staple")
    page.goto(f"/partners/{partner.pk}/#actions")
    page.get_by_role("link", name="Add an action").click()
    page.wait_for_load_state("networkidle")

    assert page.get_by_role("heading", name="Add an action: Northwind Systems").is_visible()
    assert page.get_by_label("Owner").input_value() == str(partner.owners.get().pk)
    page.get_by_label("What will be done").fill("Rebuild trust with their new COO")
    page.get_by_label("Due date").fill(f"{timezone.localdate() + dt.timedelta(days=10):%Y-%m-%d}")
    page.get_by_text("Link to rubric items").click()
    page.get_by_label("Trust between the organisations").check()
    assert page.evaluate(SIDEWAYS) <= 0
    form_violations = axe_violations(page)
    screenshot(page, "action-form-phone")

    page.get_by_role("button", name="Add the action").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Action added: Rebuild trust with their new COO").is_visible()
    action = ActionItem.objects.get()
    row = page.locator(f"#action-{action.pk}")
    assert row.get_by_text("Trust between the organisations: 2.0 when the plan started; no check-up since").is_visible()
    # (Elsewhere on the partner page, as on My check-ups, a table is wider than a phone: not this section.)
    assert page.evaluate(PAST_EDGE, "#actions") <= 0
    screenshot(page, "action-on-partner-page-phone")
    page.locator("#actions").screenshot(path=str(SCREENSHOTS / "action-section-phone.png"))
    # Only this section: the partner page's wide tables have findings of their own at phone width.
    page_violations = axe_in(page, "#actions")

    row.get_by_role("button", name="Mark done").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(f"#action-{action.pk}").get_by_text("Done").first.is_visible()
    page.locator(f"#action-{action.pk}").get_by_role("button", name="Reopen").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Reopened: Rebuild trust with their new COO").is_visible()

    page.goto("/checkups/")
    assert page.locator("#my-actions").get_by_text("Rebuild trust with their new COO").first.is_visible()
    assert page.evaluate(PAST_EDGE, "#my-actions") <= 0
    screenshot(page, "my-open-actions-phone")
    list_violations = axe_violations(page)

    assert (form_violations, page_violations, list_violations) == ([], [], [])
    action.refresh_from_db()
    assert action.done_at is None and action.owner.username == "ana"

"""An account manager's pages on a phone (390 px) and a laptop (1440 px), refused forms that keep
their place, and chart labels that never cover the data, in headless Debian chromium on the demo data.

Screenshots of every page at both widths land in artifacts/screenshots/usability-*.png.
"""

from __future__ import annotations

import datetime as dt

import pytest

from assessments.models import ActionItem, Checkup, Partner
from assessments.services.alerts import trends_scan
from assessments.services.demo import DEMO_PASSWORD, demo_seed
from assessments.tests.alerting import ensure_rubric_v1
from assessments.tests.browser.conftest import SCREENSHOTS, axe_violations, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1440, "height": 900}

# Everything a page's main content holds that sticks out of the viewport sideways, except what sits
# in a box that scrolls on its own (a wide data table; positioned, so it holds its hidden text too).
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  return {
    document: document.documentElement.scrollWidth,
    viewport: width,
    outside: [...document.querySelectorAll("main *")].filter((el) => {
      const box = el.getBoundingClientRect();
      if (!box.width || (box.right <= width + 0.5 && box.left >= -0.5)) { return false; }
      return !el.closest(".table-responsive");
    }).map((el) => el.tagName + " " + (el.textContent || "").trim().slice(0, 40)),
  };
}"""

# Every visible button and button-like link of the main content: its text and its box.
BUTTONS = """() => [...document.querySelectorAll("main button, main a.btn, main input[type=submit]")]
  .filter((el) => el.offsetParent !== null)
  .map((el) => { const b = el.getBoundingClientRect();
                 return {text: el.textContent.trim().replace(/\\s+/g, " "), left: b.left, right: b.right}; })"""

IN_VIEW = """(selector) => {
  const el = document.querySelector(selector);
  const box = el.getBoundingClientRect();
  return {top: box.top, bottom: box.bottom, height: window.innerHeight, focused: document.activeElement === el,
          text: el.innerText};
}"""


@pytest.fixture
def demo():
    ensure_rubric_v1()
    demo_seed(today=dt.date(2026, 11, 22))
    trends_scan()  # the cases inbox has the demo's declines in it
    ana = Partner.objects.filter(owners__username="ana")
    return {
        "open": Checkup.objects.filter(rater__username="ana", status="draft").order_by("partner__name").first(),
        "submitted": Checkup.objects.filter(rater__username="ana", status="submitted")
        .order_by("-period__year", "-period__quarter", "partner__name")
        .first(),
        "partner": ana.filter(cases__isnull=False).order_by("name").first() or ana.order_by("name").first(),
        "action": ActionItem.objects.filter(partner__owners__username="ana", done_at__isnull=True)
        .order_by("id")
        .first(),
    }


def pages(demo) -> dict[str, str]:
    return {
        "my-checkups": "/checkups/",
        "checkup-form": f"/checkups/{demo['open'].pk}/",
        "checkup-result": f"/checkups/{demo['submitted'].pk}/result/",
        "partner": f"/partners/{demo['partner'].pk}/",
        "partners": "/partners/",
        "cases": "/cases/",
        "action-add": f"/partners/{demo['partner'].pk}/actions/new/",
        "action-edit": f"/action-items/{demo['action'].pk}/edit/",
        "crosschecks": "/checkups/contradictions/",
    }


def test_every_page_an_account_manager_uses_fits_a_phone_with_each_rows_action_on_screen(page, demo):
    page.set_viewport_size(PHONE)
    login(page, "ana", DEMO_PASSWORD)
    problems = {}
    for name, url in pages(demo).items():
        page.goto(url)
        page.wait_for_load_state("networkidle")
        screenshot(page, f"usability-390-{name}")
        layout = page.evaluate(OVERFLOW)
        buttons = page.evaluate(BUTTONS)
        assert buttons, f"{name}: no button found"
        off_screen = [b["text"] for b in buttons if b["right"] > layout["viewport"] + 0.5 or b["left"] < -0.5]
        if layout["document"] > layout["viewport"] or layout["outside"] or off_screen:
            problems[name] = {**layout, "buttons off screen": off_screen}
    assert problems == {}

    # The main action of each row: Start or Continue on My check-ups, Mark done on the partner page.
    page.goto("/checkups/")
    starts = (
        page.locator("main table")
        .first.get_by_role("button", name="Start")
        .or_(page.locator("main table").first.get_by_role("link", name="Start"))
    )
    assert starts.count() > 1
    for index in range(starts.count()):
        box = starts.nth(index).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]

    # The same pages at a laptop's width, for a person to compare.
    page.set_viewport_size(LAPTOP)
    for name, url in pages(demo).items():
        page.goto(url)
        page.wait_for_load_state("networkidle")
        screenshot(page, f"usability-1440-{name}")
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_the_leadership_dashboard_fits_a_phone_its_wide_tables_scrolling_in_their_own_box(page, demo):
    page.set_viewport_size(PHONE)
    login(page, "lena", DEMO_PASSWORD)
    page.goto("/dashboard/")
    page.wait_for_load_state("networkidle")
    screenshot(page, "usability-390-dashboard")
    layout = page.evaluate(OVERFLOW)
    # The page itself never scrolls sideways (it was 462 px wide: the account-manager table stuck out).
    assert layout["document"] <= PHONE["width"], layout
    assert layout["outside"] == [], layout
    # The tables too wide for a phone scroll inside their own box, the rest of the tile stays put.
    for table in ("#candidates-table", "#managers-table", "#segment-table"):
        assert page.locator(table).evaluate("t => t.parentElement.classList.contains('table-responsive')"), table
    assert page.locator("#managers-table tbody tr").first.inner_text().startswith("Ben Okafor")
    assert axe_violations(page) == []


def test_a_refused_form_brings_its_error_into_view_with_the_focus_on_it(page, demo):
    page.set_viewport_size(PHONE)
    login(page, "ana", DEMO_PASSWORD)
    partner = demo["partner"]

    # The interaction form sits screens below the top of the partner page.
    page.goto(f"/partners/{partner.pk}/")
    form = page.locator("#interaction-form")
    form.get_by_label("Date").fill("2099-01-01")
    form.get_by_label("Summary").fill("Planning lunch")
    form.get_by_role("button", name="Add to log").click()
    page.wait_for_load_state("networkidle")
    shown = page.evaluate(IN_VIEW, "#interaction-errors")
    assert shown["focused"] and shown["top"] >= 0 and shown["bottom"] <= shown["height"], shown
    assert "Date: Log an interaction once it has happened: this date is in the future." in shown["text"]
    assert page.evaluate("window.scrollY") > 2000  # not the top of the page
    assert form.get_by_label("Summary").input_value() == "Planning lunch"
    screenshot(page, "usability-390-interaction-refused")

    # An action item without a due date.
    page.goto(f"/partners/{partner.pk}/actions/new/")
    page.get_by_label("What will be done").fill("Joint roadmap workshop")
    page.get_by_role("button", name="Add the action").click()
    page.wait_for_load_state("networkidle")
    shown = page.evaluate(IN_VIEW, "#form-errors")
    assert shown["focused"] and shown["top"] >= 0 and shown["bottom"] <= shown["height"], shown
    assert "Due date: Give it a due date." in shown["text"]

    # The check-up form: its buttons are at the bottom, the second action item has no owner.
    page.goto(f"/checkups/{demo['open'].pk}/")
    page.locator("#id_action_2_description").fill("Visit their new CTO")
    page.locator("#id_action_2_due_on").fill("2026-12-15")
    page.locator("#id_days_to_pay").fill("-4")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_load_state("networkidle")
    shown = page.evaluate(IN_VIEW, "#form-errors")
    assert shown["focused"] and shown["top"] >= 0 and shown["bottom"] <= shown["height"], shown
    assert "Action item 2, owner: Choose who will do it." in shown["text"]
    assert "Days to pay cannot be negative" in shown["text"]
    screenshot(page, "usability-390-checkup-refused")


def test_the_health_charts_band_labels_sit_beside_the_plot_for_three_demo_partners(page, demo):
    login(page, "lena", DEMO_PASSWORD)
    # A steady healthy partner, the steepest decliner, and one that crossed the watch line on the way up.
    names = ["Harbor Digital", "Lumen Logistics", "Ironbridge Digital"]
    for width in (PHONE, LAPTOP):
        page.set_viewport_size(width)
        for name in names:
            partner = Partner.objects.get(name=name)
            page.goto(f"/partners/{partner.pk}/")
            page.wait_for_load_state("networkidle")
            chart = page.evaluate(
                """() => { const c = Chart.getChart(document.getElementById("health-chart"));
                   const bands = c.scales.bands;
                   return {plotRight: c.chartArea.right, left: bands && bands.left,
                           labels: bands ? bands.ticks.map((t) => t.label) : []}; }"""
            )
            assert chart["labels"] == ["at risk ≥ 40", "watch ≥ 60", "healthy ≥ 75"], name
            assert chart["left"] >= chart["plotRight"], (name, chart)
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.locator("#health").screenshot(
                path=str(SCREENSHOTS / f"usability-{width['width']}-chart-{name.lower().replace(' ', '-')}.png")
            )

"""Leadership uses the portfolio dashboard in a real browser, on the seed_demo portfolio."""

import datetime as dt
import re

import pytest
from django.core.cache import cache

from assessments.selectors.dashboard.heatmap import PAGE_SIZE
from assessments.services.demo import DEMO_PASSWORD, demo_plan, demo_seed
from assessments.tests.alerting import ensure_rubric_v1
from assessments.tests.browser.conftest import PAINTED, SCREENSHOTS, axe_violations, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The heatmap's first page: the quarter's scored partners, one page of them (one demo partner was
# answered too thinly to be scored; the stale ones are listed after the scored ones).
SCORED = sum(p.pattern != "stale" for p in demo_plan()) - 1
STALE = sum(p.pattern == "stale" for p in demo_plan())
ROWS = min(SCORED, PAGE_SIZE)


@pytest.fixture
def demo():
    ensure_rubric_v1()
    cache.clear()
    return demo_seed(today=dt.date(2026, 11, 22))


def test_leadership_filters_to_declining_partners_and_opens_one_with_its_charts_drawn(page, demo):
    # A Content-Security-Policy violation or a script error shows up as a console error.
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    login(page, "lena", DEMO_PASSWORD)
    page.get_by_role("link", name="Dashboard").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name=re.compile(r"Portfolio health 2026-Q3")).is_visible()
    for heading in (
        "Partners by band",
        "Declining now",
        "Average health",
        "Check-up completion, 2026-Q4",
        "Revenue at risk",
        "Concentration risk",
        "Health by segment",
        "Candidates to become trusted partners",
        "Concentration per account manager",
    ):
        assert page.get_by_role("heading", name=heading).is_visible(), heading

    # The segment chart and every row's sparkline are drawn from their json_script data.
    page.wait_for_function("document.getElementById('segment-chart').dataset.drawn === 'true'")
    assert page.evaluate(PAINTED, "#segment-chart") > 1000
    assert page.evaluate("JSON.parse(document.getElementById('segment-chart-data').textContent).labels.length") == 3
    rows = page.locator("#heatmap-table tbody tr")
    # One demo partner's latest check-up covers too little to score: named above the tiles.
    assert rows.count() == ROWS
    assert (
        page.locator("#not-scored-note").get_by_text("Not scored: only 55% of the check-up was answered").is_visible()
    )
    page.locator("#not-scored-note").screenshot(path=str(SCREENSHOTS / "dashboard-not-scored-note.png"))
    assert page.evaluate(PAINTED, "canvas.sparkline") > 20
    assert page.locator("canvas.sparkline[data-drawn=true]").count() == ROWS
    # The numbers stay in the page for screen readers once the line is drawn.
    first_text = page.locator(".sparkline-text").first
    assert re.search(r"\d+ → \d+", first_text.text_content())
    assert "visually-hidden" in first_text.get_attribute("class")
    assert axe_violations(page) == []
    screenshot(page, "dashboard-portfolio")

    declining_tile = page.locator("#tile-declining .tile-figure").inner_text()
    page.get_by_label("Declining only").check()
    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state("networkidle")
    assert "declining=on" in page.url
    declining_rows = page.locator("#heatmap-table tbody tr")
    assert declining_rows.count() == int(declining_tile) > 0
    assert page.locator("#heatmap-table tbody tr .badge", has_text="Declining").count() == declining_rows.count()
    assert page.get_by_label("Declining only").is_checked()
    assert axe_violations(page) == []
    screenshot(page, "dashboard-declining")

    first = declining_rows.first.locator("th a")
    name = first.inner_text()
    first.click()
    page.wait_for_load_state("networkidle")
    assert re.search(r"/partners/\d+/$", page.url)
    assert page.get_by_role("heading", name=name, level=1).is_visible()
    page.wait_for_function("document.querySelector('#health-chart') !== null")
    page.wait_for_function(f"({PAINTED})('#health-chart') > 500")
    assert page.evaluate("JSON.parse(document.getElementById('health-chart-data').textContent).labels.length") >= 2
    screenshot(page, "dashboard-partner-drilldown")
    assert errors == []


def test_the_dashboard_fits_a_laptop_screen_and_reads_without_javascript(browser, live_server, demo):
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, base_url=live_server.url, java_script_enabled=False
    )
    page = context.new_page()
    try:
        login(page, "lena", DEMO_PASSWORD)
        page.goto("/dashboard/?sort=name")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        # Without JavaScript the sparkline numbers are shown as text and the tables carry every figure.
        sparkline = page.locator(".sparkline-text").first
        assert sparkline.is_visible()
        assert re.search(r"\d+ → \d+ → \d+", sparkline.inner_text())
        assert page.locator("#segment-table tbody tr").count() == 3
        assert page.locator("#heatmap-table tbody tr").count() == ROWS
        screenshot(page, "dashboard-no-javascript-1280")
    finally:
        context.close()


def test_the_stale_partners_close_the_default_heatmap_greyed_with_their_last_check_up(page, demo):
    login(page, "lena", DEMO_PASSWORD)
    page.goto("/dashboard/?page=2")
    page.wait_for_load_state("networkidle")
    total = SCORED + STALE
    assert (
        page.locator("#heatmap-count")
        .inner_text()
        .startswith(f"Showing {PAGE_SIZE + 1}\u2013{total} of {total} partners, the last {STALE} stale")
    )
    rows = page.locator("#heatmap-table tbody tr")
    assert rows.count() == total - PAGE_SIZE
    stale = page.locator("#heatmap-table tbody tr.stale-row")
    assert stale.count() == STALE
    assert [rows.nth(i).get_attribute("class") for i in range(rows.count())][-STALE:] == ["stale-row"] * STALE
    for i in range(STALE):
        assert re.fullmatch(r"Stale — last check-up \d{4}-Q[1-4]", stale.nth(i).get_by_test_id("stale").inner_text())
    # Greyed: the row's cells are painted grey, not in a band's colour.
    grey = stale.first.locator("td").first.evaluate("cell => getComputedStyle(cell).backgroundColor")
    assert "233, 236, 239" in grey
    violations = axe_violations(page)
    stale.first.scroll_into_view_if_needed()
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"dashboard-stale-rows-{width}")
    assert violations == []

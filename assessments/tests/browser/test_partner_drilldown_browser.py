"""Leadership drills into a declining partner in a real browser: every chart drawn, every table readable."""

import datetime as dt
import json
import re

import pytest
from django.db import transaction

from assessments.display import number as tenths
from assessments.models import Alert, Answer, Partner, PartnerSnapshot, Period
from assessments.selectors.rubrics import rubric_item_index, rubric_version_current
from assessments.services.demo import DEMO_PASSWORD, demo_seed
from assessments.services.snapshots import snapshots_recompute
from assessments.tests.alerting import ensure_rubric_v1
from assessments.tests.browser.conftest import PAINTED, SCREENSHOTS, axe_violations, login, screenshot
from assessments.tests.factories import UserFactory, submitted_checkup

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHARTS = ("#health-chart", "#rubric-chart", "#radar-chart")
RUBRICS = ("characteristics", "traits", "symptoms")


@pytest.fixture
def declining():
    """The demo portfolio, plus a second rater on its steepest decliner who disagrees on trust and quality."""
    ensure_rubric_v1()
    demo_seed(today=dt.date(2026, 11, 22))
    last = Period.objects.get(code="2026-Q3")
    snapshot = PartnerSnapshot.objects.filter(period=last).order_by("health_delta").select_related("partner").first()
    partner = snapshot.partner
    assert snapshot.health_delta < 0 and snapshot.rater_count == 1

    first = partner.checkups.get(period=last, status="submitted")
    theirs = {
        f"{rubric}.{key}": value
        for rubric, key, value in Answer.objects.filter(checkup=first).values_list(
            "item__rubric__key", "item__key", "value"
        )
    }
    # Three steps apart on trust (a spread of 37.5 points), two on quality (25): both over the threshold.
    answers = dict(theirs)
    trust, quality = theirs["characteristics.trust"], theirs["characteristics.quality"]
    answers["characteristics.trust"] = trust + 3 if trust <= 2 else trust - 3
    answers["characteristics.quality"] = quality + 2 if quality <= 3 else quality - 2
    second = UserFactory(username="dora", first_name="Dora", last_name="Mensah", role="account_manager")
    partner.owners.add(second)
    items = rubric_item_index(version_id=rubric_version_current().id)
    submitted_checkup(items=items, answers=answers, partner=partner, period=last, rater=second)
    with transaction.atomic():
        snapshots_recompute(pairs={(partner.id, last.id)})
    Alert.objects.create(
        partner=partner,
        period=last,
        rule="health_decline",
        severity="critical",
        explanation="Health fell well below its usual level for the fourth quarter running.",
    )
    return {"partner": partner, "first": first, "theirs": theirs, "answers": answers}


def test_leadership_opens_a_declining_partner_and_sees_every_chart_drawn_with_its_data(page, declining):
    partner: Partner = declining["partner"]
    # A script error, or anything the Content-Security-Policy blocks, would show up here.
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.set_viewport_size({"width": 1280, "height": 900})
    login(page, "lena", DEMO_PASSWORD)
    page.goto("/partners/")
    page.get_by_role("link", name=partner.name, exact=True).click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name=partner.name, level=1).is_visible()

    # Every canvas is shown and painted, not blank.
    for selector in CHARTS:
        page.wait_for_function(f"document.querySelector('{selector}').dataset.drawn === 'true'")
        assert page.locator(selector).is_visible(), selector
        assert page.evaluate(PAINTED, selector) > 2000, selector

    # The data behind the charts is in the page, and agrees with the tables beside them.
    rubric = page.evaluate("JSON.parse(document.getElementById('rubric-chart-data').textContent)")
    assert rubric["labels"] == ["2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]
    assert [s["key"] for s in rubric["series"]] == ["characteristics", "traits", "symptoms"]
    snapshot = PartnerSnapshot.objects.get(partner=partner, period__code="2026-Q3")
    assert rubric["series"][0]["values"][-1] == snapshot.rubric_scores["characteristics"]
    last_row = page.locator("#rubric-table tbody tr").last.inner_text()
    assert last_row.split() == ["2026-Q3"] + [tenths(snapshot.rubric_scores[k]) for k in RUBRICS]

    radar = page.evaluate("JSON.parse(document.getElementById('radar-chart-data').textContent)")
    assert len(radar["labels"]) == 6 and radar["latest"]["code"] == "2026-Q3" and radar["previous"]["code"] == "2026-Q2"
    assert radar["latest"]["values"][2] == snapshot.item_means["characteristics.trust"]
    trust = page.locator("#radar-table tr", has_text="Trust between the organisations").inner_text()
    assert trust.split("\t")[-1].strip().startswith(f"{snapshot.item_means['characteristics.trust']:g}")

    # Rater spread: both raters named, trust listed with each rater's own answer.
    spread = page.locator("#spread")
    assert "2 raters scored 2026-Q3" in spread.inner_text()
    header = page.locator("#spread-table thead th").all_inner_texts()
    first_rater = declining["first"].rater
    # Leadership reads each rater's leniency under their name (docs/CALIBRATION.md).
    assert [h.splitlines()[0] for h in header[1:3]] == [first_rater.get_full_name(), "Dora Mensah"]
    assert all(re.fullmatch(r"leniency (\+|\u2212)?\d\.\d", h.splitlines()[1]) for h in header[1:3]), header
    cells = page.locator("#spread-table tr", has_text="Trust between the organisations").locator("td").all_inner_texts()
    assert cells[0].startswith(f"{declining['theirs']['characteristics.trust']} · ")
    assert cells[1].startswith(f"{declining['answers']['characteristics.trust']} · ")
    assert cells[2] == tenths(snapshot.item_spread["characteristics.trust"])
    assert page.get_by_test_id("disagreement").inner_text() == tenths(snapshot.disagreement)

    # Symptom timeline with its legend, the win rate and the alert.
    assert page.locator("#symptom-legend").get_by_text("3 · Severe").is_visible()
    assert page.locator("#symptom-table tbody tr").count() == 5
    assert re.fullmatch(r"\d+%|n/a", page.get_by_test_id("win-rate").inner_text())
    assert page.locator("#alerts").get_by_text("Overall health declining").is_visible()

    # Nothing spills sideways on a 1280 px laptop screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert axe_violations(page) == []
    screenshot(page, "partner-drilldown-1280")

    page.locator("#radar").screenshot(path=str(SCREENSHOTS / "partner-drilldown-radar.png"))
    page.locator("#spread").screenshot(path=str(SCREENSHOTS / "partner-drilldown-spread.png"))
    page.locator("#symptoms").screenshot(path=str(SCREENSHOTS / "partner-drilldown-symptoms.png"))
    assert errors == []


def test_the_drilldown_reads_without_javascript(browser, live_server, declining):
    partner = declining["partner"]
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, base_url=live_server.url, java_script_enabled=False
    )
    page = context.new_page()
    try:
        login(page, "lena", DEMO_PASSWORD)
        page.goto(f"/partners/{partner.pk}/")
        assert page.get_by_role("heading", name=partner.name, level=1).is_visible()
        # The chart boxes stay hidden; the tables carry every figure.
        for selector in CHARTS:
            assert not page.locator(selector).is_visible(), selector
        assert page.locator("#health-table tbody tr").count() == 8
        assert page.locator("#rubric-table tbody tr").count() == 8
        assert page.locator("#spread-table").is_visible()
        data = json.loads(page.locator("#radar-chart-data").text_content())
        assert data["latest"]["code"] == "2026-Q3"
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        screenshot(page, "partner-drilldown-no-javascript-1280")
    finally:
        context.close()

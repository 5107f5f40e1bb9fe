"""Why it declined: the slide from the pre-decline baseline quarter to now, item by item."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from django.urls import reverse

from assessments.decline import decline_baseline
from assessments.models import Alert, Case
from assessments.selectors.decline import decline_summary
from assessments.services.snapshots import snapshots_recompute
from assessments.tests.factories import PartnerFactory, PeriodFactory, UserFactory, answers_for, submitted_checkup

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_q4_2026():
    with time_machine.travel(dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def manager():
    return UserFactory(username="ana", first_name="Ana", last_name="Alvarez", role="account_manager")


@pytest.fixture
def lena():
    return UserFactory(username="lena", first_name="Lena", last_name="Fischer", role="leadership")


def score_quarter(items, partner, rater, code: str, **overrides) -> None:
    period = PeriodFactory.of(code)
    submitted_checkup(
        items=items, answers=answers_for(items, **overrides), partner=partner, period=period, rater=rater
    )
    with transaction.atomic():
        snapshots_recompute(pairs={(partner.id, period.id)})


def finding(partner, code: str, severity: str, rule: str = "health_decline") -> None:
    Alert.objects.create(
        partner=partner, period=PeriodFactory.of(code), rule=rule, severity=severity, explanation="Health fell."
    )


@pytest.fixture
def sliding(manager, items):
    """Steady at 75, a mild symptom in 2026-Q1, then two quarters of slide: a watch, then a warning."""
    partner = PartnerFactory(name="Oakline Analytics", owners=[manager])
    score_quarter(items, partner, manager, "2025-Q4")
    score_quarter(items, partner, manager, "2026-Q1", symptoms__little_interaction=1)
    score_quarter(
        items,
        partner,
        manager,
        "2026-Q2",
        characteristics__trust=2,
        characteristics__leadership_access=3,
        symptoms__little_interaction=2,
    )
    score_quarter(
        items,
        partner,
        manager,
        "2026-Q3",
        characteristics__trust=1,
        characteristics__leadership_access=2,
        traits__face_to_face=2,
        traits__caring=5,
        symptoms__little_interaction=3,
        symptoms__chasing_rainbows=1,
    )
    finding(partner, "2025-Q3", "warning")  # an earlier, separate episode: not part of this run
    finding(partner, "2026-Q2", "watch")
    finding(partner, "2026-Q3", "warning")
    finding(partner, "2026-Q3", "watch", rule="rubric_decline")
    # The summary shows while the partner's case is open.
    q3 = PeriodFactory.of("2026-Q3")
    Case.objects.create(
        partner=partner, severity="warning", opened_period=q3, episode_period=q3, last_finding_period=q3
    )
    return partner


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def section(html: str, element_id: str) -> str:
    start = html.index(f'<section id="{element_id}"')
    return text(html[start : html.index("</section>", start)])


# --- the baseline, until cases land -------------------------------------------------------


def test_the_baseline_is_the_scored_quarter_before_the_run_of_findings_that_holds_a_recent_warning():
    scored = ["2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]

    assert decline_baseline(scored=scored, alerted={"2026-Q3"}, watched={"2026-Q2"}) == "2026-Q1"
    # A watch finding alone opens nothing, however recent.
    assert decline_baseline(scored=scored, alerted=set(), watched={"2026-Q3"}) is None
    # A warning older than the latest four scored quarters is not an open decline.
    assert decline_baseline(scored=scored, alerted={"2025-Q2"}) is None
    # The run goes back through every quarter with a finding, even past the recent window.
    alerted = {"2025-Q3", "2025-Q4", "2026-Q1", "2026-Q3"}
    assert decline_baseline(scored=scored, alerted=alerted, watched={"2026-Q2"}) == "2025-Q2"
    # A quarter with no finding ends the run.
    assert decline_baseline(scored=scored, alerted={"2025-Q3", "2026-Q3"}) == "2026-Q2"
    # A quarter nobody scored is not in ``scored``: it neither breaks nor ends a run.
    assert decline_baseline(scored=["2025-Q1", "2025-Q3", "2025-Q4"], alerted={"2025-Q3", "2025-Q4"}) == "2025-Q1"
    # A run from the partner's first scored quarter has no baseline.
    assert decline_baseline(scored=["2026-Q2", "2026-Q3"], alerted={"2026-Q2", "2026-Q3"}) is None


# --- the summary ------------------------------------------------------------------------------


def test_the_summary_covers_the_whole_slide_and_ranks_the_items_by_their_part_in_the_fall(sliding):
    summary = decline_summary(partner_id=sliding.id)

    assert (summary.baseline_code, summary.current_code) == ("2026-Q1", "2026-Q3")
    assert (summary.health_before, summary.band_before) == (72.5, "watch")
    assert (summary.health_after, summary.band_after) == (54.42, "at_risk")
    # Mean multiplier over the two quarters 0.9167, mean base 68.90: trust fell 75 points on a
    # 1/12 share of the base, 6.25 x 0.9167 = 5.73; little interaction's load rose by 2/3, a
    # 0.5 x (2/3) / 5 share of the multiplier, 0.0667 x 68.90 = 4.59.
    assert [row.line for row in summary.items] == [
        "Trust between the organisations: 4 · Good → 1 · Poor, \u22125.7 health",
        "Access to leadership for escalation: 4 · Good → 2 · Weak, \u22123.8 health",
        "Meeting face to face: 4 · Good → 2 · Weak, \u22123.3 health",
    ]
    assert [row.line for row in summary.symptoms] == [
        "Little to no interaction: mild → severe, \u22124.6 health",
        "Chasing rainbows: none → mild, \u22122.3 health",
    ]
    # Caring rose (5 · Excellent): it is among the ten other ratings, which together gained.
    assert (summary.other_items, round(summary.other_effect, 2)) == (10, 1.64)
    assert (round(summary.ratings_effect, 2), round(summary.symptoms_effect, 2)) == (-11.19, -6.89)
    # The parts add up to the change (to the rounding of the stored health, two decimals).
    assert summary.ratings_effect + summary.symptoms_effect == pytest.approx(summary.change, abs=0.01)


def test_there_is_no_summary_without_a_warning_or_critical_finding_in_the_latest_four_quarters(manager, items):
    partner = PartnerFactory(owners=[manager])
    for code in ("2025-Q4", "2026-Q1", "2026-Q2"):
        score_quarter(items, partner, manager, code)
    finding(partner, "2026-Q2", "watch")

    assert decline_summary(partner_id=partner.id) is None


def test_a_case_passes_its_own_baseline_quarter(sliding):
    summary = decline_summary(partner_id=sliding.id, baseline_period="2025-Q4")

    assert (summary.baseline_code, summary.current_code, summary.health_before) == ("2025-Q4", "2026-Q3", 75.0)


def test_a_baseline_nobody_scored_gives_no_summary(sliding):
    assert decline_summary(partner_id=sliding.id, baseline_period="2024-Q1") is None


# --- on the partner page ----------------------------------------------------------------------


def test_the_partner_page_opens_with_why_it_declined(sliding, lena):
    client = Client()
    client.force_login(lena)
    html = client.get(reverse("partner_detail", args=[sliding.pk])).content.decode()

    assert html.index('id="decline"') < html.index('id="health"')
    assert section(html, "decline") == (
        "Why it declined: 2026-Q1 to 2026-Q3 "
        "Health 72.5 Watch in 2026-Q1, before the decline, → 54.4 At risk in 2026-Q3: \u221218.1 points . "
        "Ratings that pulled health down most "
        "Trust between the organisations: 4 · Good → 1 · Poor, \u22125.7 health "
        "Access to leadership for escalation: 4 · Good → 2 · Weak, \u22123.8 health "
        "Meeting face to face: 4 · Good → 2 · Weak, \u22123.3 health "
        "The other 10 ratings together: +1.6 health. "
        "Symptoms Little to no interaction: mild → severe, \u22124.6 health Chasing rainbows: none → mild, \u22122.3 health "
        "Each figure is that item's part in the change of health, in points: ratings \u221211.2, symptoms \u22126.9. "
        "A loss is negative."
    )


def test_a_partner_without_an_open_decline_shows_no_summary(manager, lena, items):
    partner = PartnerFactory(owners=[manager])
    score_quarter(items, partner, manager, "2026-Q3")
    client = Client()
    client.force_login(lena)

    assert 'id="decline"' not in client.get(reverse("partner_detail", args=[partner.pk])).content.decode()


def test_item_by_item_a_symptom_that_worsened_while_the_ratings_fell_reads_as_a_loss(manager, lena, items):
    partner = PartnerFactory(owners=[manager])
    score_quarter(items, partner, manager, "2026-Q2", rating=5, symptoms__little_interaction=1)
    score_quarter(items, partner, manager, "2026-Q3", rating=2, symptoms__little_interaction=2)
    client = Client()
    client.force_login(lena)

    comparison = section(client.get(reverse("partner_detail", args=[partner.pk])).content.decode(), "comparison")

    # Its raw contribution rose from -3.3 to -1.7 points as the base fell, which read "+1.7".
    assert "Little to no interaction 1 · Mild 2 · Moderate +1.0 \u22122.1" in comparison
    assert "Trust between the organisations 5 · Excellent 2 · Weak \u22123.0 \u22125.9" in comparison

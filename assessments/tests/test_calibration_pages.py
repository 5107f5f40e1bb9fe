"""Rater calibration and stale scores as leadership and account managers see them (docs/CALIBRATION.md,
docs/DASHBOARD.md "Stale scores")."""

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from assessments.tests.factories import PartnerFactory, UserFactory
from assessments.tests.test_partner_page import client_for, page, score_quarter, section, text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_q4_2026():
    cache.clear()
    with time_machine.travel(dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def people():
    return {
        "ana": UserFactory(username="ana", first_name="Ana", last_name="Alvarez", role="account_manager"),
        "ben": UserFactory(username="ben", first_name="Ben", last_name="Okafor", role="account_manager"),
        "lena": UserFactory(username="lena", first_name="Lena", last_name="Fischer", role="leadership"),
    }


@pytest.fixture
def co_rated(people, items):
    """Ana rates 2 steps above Ben on one partner and 1 step on another (2026-Q2), then scores a third alone."""
    ana, ben = people["ana"], people["ben"]
    first = PartnerFactory(name="Alder Systems", owners=[ana, ben])
    second = PartnerFactory(name="Birch Partners", owners=[ana, ben])
    alone = PartnerFactory(name="Cedar Analytics", owners=[ana])
    score_quarter(items, first, "2026-Q2", {ana: {"rating": 5}, ben: {"rating": 3}})
    score_quarter(items, second, "2026-Q2", {ana: {"rating": 4}, ben: {"rating": 3}})
    score_quarter(items, alone, "2026-Q3", {ana: {"rating": 5}})
    return {"first": first, "second": second, "alone": alone}


def test_leadership_reads_each_raters_leniency_with_its_evidence_and_uncertainty(people, co_rated):
    response = client_for(people["lena"]).get(reverse("raters"))
    assert response.status_code == 200
    shown = text(response.content.decode())
    # Ana: +2 and +1 over two shared quarters, a raw +1.5 kept at 2/(2+2): +0.75. The pooled standard
    # deviation is 0.71, so the standard error is 0.71 / 2 = 0.35 and the interval +0.75 ± 0.69.
    assert "Ana Alvarez Rates 0.8 points more generously than colleagues +0.75 +0.06 to +1.44 2 3" in shown
    assert "Ben Okafor Rates 0.8 points more harshly than colleagues \u22120.75 \u22121.44 to \u22120.06 2 2" in shown
    assert "2 of 2 raters shared at least one partner-quarter with a colleague." in shown
    assert "varies by 0.71 points" in shown


def the_same(left, right) -> bool:
    keys = set(left.leniencies) | set(right.leniencies)
    return (left.spread == pytest.approx(right.spread)) and all(
        (left.of(k).shared, left.of(k).items) == (right.of(k).shared, right.of(k).items)
        and left.of(k).value == pytest.approx(right.of(k).value, abs=1e-9)
        and left.of(k).standard_error == pytest.approx(right.of(k).standard_error, abs=1e-9)
        for k in keys
    )


def test_the_database_aggregate_gives_the_pure_estimators_figures(people, co_rated, items):
    from assessments.calibration import estimate, from_quarters
    from assessments.selectors.calibration import co_rated_ratings, quarter_statistics

    # A third rater on one partner, so that means of two others are compared too.
    lena = people["lena"]
    score_quarter(items, co_rated["first"], "2026-Q3", {people["ana"]: {"rating": 3}, lena: {"rating": 5}})
    score_quarter(
        items,
        co_rated["second"],
        "2026-Q3",
        {people["ana"]: {"rating": 2}, people["ben"]: {"characteristics__trust": 1}, lena: {"rating": 5}},
    )
    by_database = from_quarters(quarter_statistics())
    by_python = estimate(co_rated_ratings())
    assert by_database.of(people["ana"].pk).shared == 4
    assert the_same(by_database, by_python)


def test_an_account_manager_may_not_open_the_raters_page(people, co_rated):
    assert client_for(people["ana"]).get(reverse("raters")).status_code == 403


def test_the_partner_page_offers_the_calibrated_health_beside_the_health_as_scored(people, co_rated):
    html = page(people["lena"], co_rated["alone"])
    header = text(html[: html.index('aria-label="On this page"')])
    # Ana alone scored 5 on every rating: 100 as scored; less her +0.75, 4.25 everywhere is 81.25.
    assert "Health, 2026-Q3 100.0 Healthy" in header
    assert "Calibrated: 81.3 Healthy (\u221218.8 once each rater's leniency is taken off; raters" in header


def test_an_account_manager_sees_neither_the_calibrated_health_nor_leniencies(people, co_rated):
    html = page(people["ana"], co_rated["first"])
    assert "Calibrated" not in html
    assert 'data-testid="rater-leniency"' not in html


def test_the_rater_spread_shows_each_raters_leniency_beside_their_answers(people, co_rated):
    shown = section(page(people["lena"], co_rated["first"]), "spread")
    assert "Item Ana Alvarez leniency +0.8 Ben Okafor leniency \u22120.8 Spread (points)" in shown
    assert (
        "Ana Alvarez rates 0.8 points more generously than colleagues (+0.8 points, ±0.7; over 2 shared partner-quarters)."
        in shown
    )
    assert (
        "Ben Okafor rates 0.8 points more harshly than colleagues (\u22120.8 points, ±0.7; over 2 shared partner-quarters)."
        in shown
    )


def test_a_partner_last_scored_three_quarters_ago_is_shown_as_stale_not_as_its_health(people, items):
    partner = PartnerFactory(name="Dormant Ltd", owners=[people["ana"]])
    score_quarter(items, partner, "2026-Q1", {people["ana"]: {}})
    html = page(people["ana"], partner)
    header = text(html[: html.index('aria-label="On this page"')])
    assert "Stale — last check-up 2026-Q1" in header
    assert (
        "No check-up since 2026-Q1: older than 2 quarters, so it no longer stands for the partner's health now."
        in header
    )
    assert 'data-testid="latest-health"' not in html


def test_two_quarters_old_is_not_yet_stale_and_the_setting_moves_the_line(people, items, settings):
    partner = PartnerFactory(name="Recent Ltd", owners=[people["ana"]])
    score_quarter(items, partner, "2026-Q2", {people["ana"]: {}})
    assert "Stale" not in page(people["ana"], partner)
    settings.STALE_AFTER_QUARTERS = 1
    assert "Stale — last check-up 2026-Q2" in text(page(people["ana"], partner))


def test_the_demo_has_a_generous_rater_a_harsh_one_and_two_stale_partners(rubric_version):
    import io

    from django.core.management import call_command
    from django.utils import timezone

    from assessments.selectors.calibration import raters_overview
    from assessments.selectors.dashboard.tiles import _stale

    call_command("seed_demo", "--i-know-this-is-not-production", stdout=io.StringIO())

    rows = {row.name: row.leniency for row in raters_overview()["rows"]}
    assert rows["Ben Okafor"].value > 0.3 and rows["Ben Okafor"].low > 0
    assert rows["Chloe Dubois"].value < -0.3 and rows["Chloe Dubois"].high < 0
    assert abs(rows["Ana Alvarez"].value) < 0.1
    assert min(leniency.shared for leniency in rows.values()) >= 24
    assert _stale(today=timezone.localdate()).partners == 2

    from assessments.calibration import estimate, from_quarters
    from assessments.selectors.calibration import co_rated_ratings, quarter_statistics

    assert the_same(from_quarters(quarter_statistics()), estimate(co_rated_ratings()))


def test_a_not_applicable_answer_counts_for_no_leniency_and_the_calibrated_health_still_shows(people, co_rated, items):
    from assessments.calibration import estimate, from_quarters
    from assessments.selectors.calibration import co_rated_ratings, quarter_statistics

    ana, ben = people["ana"], people["ben"]
    third = PartnerFactory(name="Dogwood Digital", owners=[ana, ben])
    # Ana 5 everywhere but "not applicable" on trust; Ben 3 everywhere: +2 on the items both answered.
    score_quarter(items, third, "2026-Q3", {ana: {"rating": 5, "characteristics__trust": None}, ben: {"rating": 3}})

    by_python, by_database = estimate(co_rated_ratings()), from_quarters(quarter_statistics())
    assert the_same(by_database, by_python)
    # Three shared quarters (+2, +1, +2): a raw +1.67 kept at 3/(3+2): +1.0; trust was compared on two.
    assert by_python.of(ana.pk).shared == 3
    assert by_python.of(ana.pk).value == pytest.approx(1.0)
    assert by_python.of(ana.pk).items == 13 + 13 + 12
    header = text(page(people["lena"], third))
    assert "Calibrated:" in header

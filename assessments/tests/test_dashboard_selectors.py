"""Every tile of the portfolio dashboard, on the hand-built portfolio of dashboard_data.py.

The expected numbers are worked out by hand in the comments; none is computed
by the code under test.
"""

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import transaction

from assessments.models import Alert, PartnerSnapshot
from assessments.selectors.dashboard.export import csv_safe
from assessments.selectors.dashboard.frame import HeatmapFilters
from assessments.selectors.dashboard.heatmap import portfolio_heatmap
from assessments.selectors.dashboard.page import portfolio_summary_rollup
from assessments.selectors.dashboard.periods import dashboard_periods, resolve_period
from assessments.selectors.dashboard.tiles import portfolio_summary
from assessments.services.snapshots import snapshots_recompute
from assessments.tests.dashboard_data import PREV, TODAY, P, build_portfolio, snapshot
from assessments.tests.factories import PartnerFactory, UserFactory, answers_for, submitted_checkup

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


@pytest.fixture
def portfolio():
    return build_portfolio()


@pytest.fixture
def summary(portfolio):
    periods = dashboard_periods()
    return portfolio_summary(period=resolve_period(periods=periods, code=P), periods=periods, today=TODAY)


def names(page):
    return [row.name for row in page.rows]


def heatmap(**filters):
    periods = dashboard_periods()
    period = resolve_period(periods=periods, code=filters.pop("period", P))
    return portfolio_heatmap(period=period, periods=periods, filters=HeatmapFilters(**filters))


def test_the_period_picker_offers_every_scored_period_newest_first_and_defaults_to_the_best_covered_newest(
    portfolio,
):
    # 2026-Q4 has check-ups but no snapshot yet, so it is not offered. Active partners scored:
    # 2026-Q3 six, 2026-Q2 six, 2026-Q1 three (Alpha, Bravo, Charlie), 2025-Q4 four (and Golf).
    periods = dashboard_periods()
    assert [p.code for p in periods] == ["2026-Q3", "2026-Q2", "2026-Q1", "2025-Q4"]
    assert [p.scored for p in periods] == [6, 6, 3, 4]
    assert [p.is_default for p in periods] == [True, False, False, False]
    assert not any(p.in_progress for p in periods)
    assert resolve_period(periods=periods, code="").code == "2026-Q3"
    assert resolve_period(periods=periods, code="2026-Q2").code == "2026-Q2"
    assert resolve_period(periods=periods, code="2019-Q1").code == "2026-Q3"
    assert resolve_period(periods=periods, code="nonsense").code == "2026-Q3"


def test_partners_per_band_count_active_partners_scored_in_the_period(summary):
    # Alpha 80 and Echo 78 healthy; Charlie 70 and Golf 65 watch; Bravo 55 at risk;
    # Delta 35 critical. Foxtrot (20) is inactive and Hotel has no 2026-Q3 snapshot.
    assert summary.partners == 6
    assert summary.bands == {"healthy": 2, "watch": 2, "at_risk": 1, "critical": 1}


def test_declining_counts_warning_alerts_and_two_falling_quarters_of_ten_points(summary):
    # Bravo fell 5 (66 -> 61) then 6 (61 -> 55): 11 points in two falling quarters.
    # Echo has a warning alert. Alpha fell only 1 + 2 = 3; Golf's alert is a mere
    # "watch" and it has no 2026-Q2 snapshot; Foxtrot's critical alert is for an inactive partner.
    assert summary.declining == 2
    assert summary.declining_by_alert == 1
    assert summary.declining_by_fall == 1


def test_a_fall_of_exactly_ten_points_over_two_falling_quarters_is_declining_in_the_tiles_and_the_table(portfolio):
    # India falls 4 then 6 (70 -> 66 -> 60): 10 points, declining. Juliet falls 4 then 5: 9, not.
    # The tiles count with written SQL and the table filters with the ORM: both must draw the line here.
    for name, history in (("India", (70, 66, 60)), ("Juliet", (70, 66, 61))):
        partner = PartnerFactory(name=name, segment="regular", kind="client", owners=[portfolio.ana])
        previous = None
        for code, health in zip(("2026-Q1", PREV, P), history, strict=True):
            snapshot(partner=partner, period=portfolio.periods[code], health=health,
                     delta=None if previous is None else health - previous)
            previous = health
    periods = dashboard_periods()
    summary = portfolio_summary(period=resolve_period(periods=periods, code=P), periods=periods, today=TODAY)
    assert (summary.declining, summary.declining_by_fall) == (3, 2)  # Bravo and India by the fall, Echo by alert
    assert names(heatmap(declining=True)) == ["Bravo", "India", "Echo"]


def test_the_tiles_and_the_table_agree_on_who_is_declining_in_every_period(portfolio):
    # 2025-Q4 has no quarter before it: only alerts could flag a partner there.
    periods = dashboard_periods()
    for period in periods:
        summary = portfolio_summary(period=period, periods=periods, today=TODAY)
        page = heatmap(period=period.code, declining=True)
        assert summary.declining == len(page.rows), period.code
        assert summary.declining_by_alert == sum(row.alerted for row in page.rows), period.code


def test_average_health_and_its_change_over_partners_scored_in_both_quarters(summary):
    # Average over the six: (80 + 55 + 70 + 35 + 78 + 65) / 6 = 383 / 6 = 63.83.
    assert summary.avg_health == pytest.approx(383 / 6)
    # Scored in both 2026-Q2 and 2026-Q3: Alpha -2, Bravo -6, Charlie +10, Delta +1, Echo 0
    # (Golf has no 2026-Q2 snapshot): 3 / 5 = +0.6.
    assert summary.previous_code == PREV
    assert summary.paired == 5
    assert summary.avg_change == pytest.approx(0.6)


def test_completion_counts_submitted_check_ups_by_owners_of_active_partners_this_quarter(summary):
    # Expected, one per owner per active partner: Alpha(Ana) Bravo(Ana) Charlie(Ben) Delta(Ben)
    # Echo(Ana, Ben) Golf(Ana) Hotel(Ana) = 8. Submitted: Alpha by Ana, Echo by Ben = 2.
    # Not counted: Charlie's draft, Delta by Chloe (not an owner), Foxtrot (inactive).
    assert summary.completion.period_code == "2026-Q4"
    assert (summary.completion.submitted, summary.completion.expected) == (2, 8)
    assert summary.completion.rate == pytest.approx(25.0)


def test_revenue_at_risk_sums_active_partners_at_risk_critical_or_declining_once_each(summary):
    # Bravo 400,000 (at risk and declining, counted once) + Delta 200,000 (critical)
    # + Echo 100,000 (declining) = 700,000; Foxtrot's 500,000 is inactive.
    assert summary.revenue_at_risk == Decimal("700000")
    assert summary.partners_at_risk == 3
    # Active revenue 1,000,000 + 400,000 + 300,000 + 200,000 + 100,000 + 0 + 50,000 = 2,050,000.
    assert summary.revenue_at_risk_share == pytest.approx(700_000 / 2_050_000 * 100)


def test_concentration_is_the_largest_partners_share_of_active_revenue(summary):
    # Alpha carries 1,000,000 of 2,050,000 = 48.78%.
    concentration = summary.concentration
    assert concentration.largest_name == "Alpha"
    assert concentration.total_revenue == Decimal("2050000")
    assert concentration.share == pytest.approx(48.780, abs=0.001)


def test_concentration_per_account_manager_lists_the_riskiest_book_first(summary):
    # Ana: Alpha 1,000,000 of (1,000,000 + 400,000 + 100,000 + 0 + 50,000) = 1,550,000 -> 64.52%.
    # Ben: Charlie 300,000 of (300,000 + 200,000 + 100,000) = 600,000 -> 50% (Foxtrot inactive).
    assert [(m.name, m.partners, m.largest_name) for m in summary.managers] == [
        ("Ana Alvarez", 5, "Alpha"),
        ("Ben Okafor", 3, "Charlie"),
    ]
    assert summary.managers[0].share == pytest.approx(64.516, abs=0.001)
    assert summary.managers[1].share == pytest.approx(50.0)
    assert summary.managers_total == 2


def test_the_riskiest_book_ranks_only_managers_with_at_least_three_active_partners(portfolio, settings):
    # Zoe owns one active partner: 100% of her book is in it, which says nothing about concentration.
    zoe = UserFactory(username="zoe", first_name="Zoe", last_name="Ng", role="account_manager")
    PartnerFactory(name="Solo", owners=[zoe], annual_revenue=10_000)
    periods = dashboard_periods()
    period = resolve_period(periods=periods, code=P)

    summary = portfolio_summary(period=period, periods=periods, today=TODAY)
    assert [m.name for m in summary.managers] == ["Ana Alvarez", "Ben Okafor"]
    assert (summary.managers_total, summary.managers_min_partners) == (2, 3)
    # Completion still expects her check-up: every owner's book counts there.
    assert summary.completion.expected == 9

    settings.RISKIEST_BOOK_MIN_PARTNERS = 1
    summary = portfolio_summary(period=period, periods=periods, today=TODAY)
    assert (summary.managers[0].name, summary.managers[0].share) == ("Zoe Ng", 100.0)


def test_segmentation_gives_the_band_distribution_of_each_segment(summary):
    counts = {row.segment: row.counts for row in summary.segments}
    # Strategic: Alpha healthy. Developing: Bravo at risk, Charlie and Golf watch.
    # Regular: Echo healthy, Delta critical (Foxtrot inactive, Hotel unscored).
    assert counts["strategic"] == {"healthy": 1, "watch": 0, "at_risk": 0, "critical": 0}
    assert counts["developing"] == {"healthy": 0, "watch": 2, "at_risk": 1, "critical": 0}
    assert counts["regular"] == {"healthy": 1, "watch": 0, "at_risk": 0, "critical": 1}


def test_trusted_partner_candidates_are_developing_partners_with_the_best_gain_since_p_minus_3(summary):
    # Since 2025-Q4: Charlie 45 -> 70 = +25, Bravo 50 -> 55 = +5; Golf 70 -> 65 lost ground.
    assert summary.trend_from_code == "2025-Q4"
    assert [(c.name, c.gain) for c in summary.candidates] == [("Charlie", 25), ("Bravo", 5)]


def test_the_heatmap_sorts_by_health_worst_first_by_default(portfolio):
    page = heatmap()
    assert names(page) == ["Delta", "Bravo", "Golf", "Charlie", "Echo", "Alpha"]
    delta = page.rows[0]
    assert (delta.health, delta.band, delta.change) == (35, "critical", 1)
    assert delta.owners == ["Ben Okafor"]
    echo = page.rows[4]
    assert echo.declining and echo.alerted and echo.owners == ["Ana Alvarez", "Ben Okafor"]


def test_heatmap_cells_show_each_item_mean_coloured_by_the_band_it_would_earn(portfolio):
    page = heatmap()
    columns = [c.key for c in page.columns]
    assert columns[:3] == ["characteristics.quality", "characteristics.flexibility", "characteristics.trust"]
    assert columns[-1] == "symptoms" and len(columns) == 14
    delta = page.rows[0]
    trust = delta.cells[2]
    # 1.5 normalises to (1.5 - 1) / 4 * 100 = 12.5 points: critical.
    assert (trust.text, trust.band) == ("1.5", "critical")
    # 4.0 normalises to 75: healthy. The symptom score 40 is at risk (40 <= x < 60).
    assert (delta.cells[0].text, delta.cells[0].band) == ("4.0", "healthy")
    assert (delta.symptoms.text, delta.symptoms.band) == ("40", "at_risk")


def test_heatmap_rows_carry_eight_quarters_of_health_for_the_sparkline(portfolio):
    bravo = next(r for r in heatmap().rows if r.name == "Bravo")
    # 2024-Q4 .. 2026-Q3: nothing before 2025-Q4.
    assert bravo.sparkline == [None, None, None, None, 50, 66, 61, 55]
    assert bravo.sparkline_text == "\u2013 → \u2013 → \u2013 → \u2013 → 50 → 66 → 61 → 55"


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"segment": "developing"}, ["Bravo", "Golf", "Charlie"]),
        ({"kind": "alliance"}, ["Echo", "Alpha"]),
        ({"band": "watch"}, ["Golf", "Charlie"]),
        ({"declining": True}, ["Bravo", "Echo"]),
        ({"q": "ARL"}, ["Charlie"]),
        ({"sort": "name"}, ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Golf"]),
        ({"sort": "-change"}, ["Charlie", "Delta", "Echo", "Alpha", "Golf", "Bravo"]),
        ({"sort": "-characteristics.trust"}, ["Echo", "Alpha", "Golf", "Charlie", "Bravo", "Delta"]),
        ({"sort": "symptoms"}, ["Delta", "Bravo", "Charlie", "Golf", "Alpha", "Echo"]),
        ({"sort": "-revenue", "declining": True}, ["Bravo", "Echo"]),
    ],
)
def test_heatmap_filters_and_sorts(portfolio, filters, expected):
    assert names(heatmap(**filters)) == expected


def test_the_owner_filter_shows_only_that_account_managers_partners(portfolio):
    assert names(heatmap(owner=portfolio.ben.id)) == ["Delta", "Charlie", "Echo"]


def test_a_past_period_shows_that_quarters_scores(portfolio):
    page = heatmap(period="2026-Q2")
    # Hotel was scored in 2026-Q2 only; Golf was not scored then.
    assert names(page) == ["Delta", "Charlie", "Bravo", "Echo", "Alpha", "Hotel"]


def test_heatmap_pages_hold_page_size_rows(portfolio, monkeypatch):
    monkeypatch.setattr("assessments.selectors.dashboard.heatmap.PAGE_SIZE", 4)
    periods = dashboard_periods()
    period = resolve_period(periods=periods, code=P)
    second = portfolio_heatmap(period=period, periods=periods, filters=HeatmapFilters(), page=2)
    assert names(second) == ["Echo", "Alpha"]
    assert second.page.paginator.num_pages == 2


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Acme, Inc.", "Acme, Inc."),
        (-4.5, "-4.5"),
        (None, ""),
        (True, "yes"),
    ],
)
def test_csv_safe_quotes_text_that_a_spreadsheet_would_run_but_keeps_numbers(value, expected):
    assert csv_safe(value) == expected


def test_the_cached_roll_up_is_replaced_when_a_check_up_changes_a_snapshot(portfolio, items):
    periods = dashboard_periods()
    period = resolve_period(periods=periods, code=P)
    before = portfolio_summary_rollup(period=period, periods=periods, today=TODAY).value
    assert before.partners == 6

    # Hotel gets a 2026-Q3 check-up: all ratings 5 and no symptoms is health 100.
    hotel = portfolio.partners["Hotel"]
    submitted_checkup(
        items=items, answers=answers_for(items, rating=5), partner=hotel, period=portfolio.periods[P],
        rater=portfolio.ana,
    )
    with transaction.atomic():
        snapshots_recompute(pairs={(hotel.id, portfolio.periods[P].id)})

    after = portfolio_summary_rollup(period=period, periods=periods, today=TODAY).value
    assert after.partners == 7
    assert after.bands["healthy"] == 3
    assert after.avg_health == pytest.approx((383 + 100) / 7)


def test_the_cached_roll_up_sees_a_new_decline_alert_without_any_invalidation_call(portfolio):
    periods = dashboard_periods()
    period = resolve_period(periods=periods, code=P)
    assert portfolio_summary_rollup(period=period, periods=periods, today=TODAY).value.declining == 2

    # The decline scan (another process, perhaps) raises a critical alert for Charlie.
    Alert.objects.create(
        partner=portfolio.partners["Charlie"], period=portfolio.periods[P], rule="band_downgrade",
        severity="critical", explanation="test",
    )
    assert portfolio_summary_rollup(period=period, periods=periods, today=TODAY).value.declining == 3


def test_the_cached_roll_up_is_served_while_nothing_changes(portfolio, django_assert_num_queries):
    periods = dashboard_periods()
    period = resolve_period(periods=periods, code=P)
    portfolio_summary_rollup(period=period, periods=periods, today=TODAY)
    # A raw update bypasses every write path, so only the fingerprint query runs and the old number stays.
    PartnerSnapshot.objects.filter(partner=portfolio.partners["Delta"], period__code=P).update(band="healthy")
    with django_assert_num_queries(1):
        cached = portfolio_summary_rollup(period=period, periods=periods, today=TODAY).value
    assert cached.bands["critical"] == 1

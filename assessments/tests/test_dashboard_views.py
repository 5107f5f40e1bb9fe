"""The portfolio dashboard page as leadership sees it: tiles, filters, sorting, paging, periods, access."""

import json
import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from assessments.tests.dashboard_data import build_portfolio
from assessments.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


@pytest.fixture
def portfolio(time_machine):
    time_machine.move_to("2026-11-22 10:00:00+00:00", tick=False)
    return build_portfolio()


@pytest.fixture
def leader(client, portfolio):
    client.force_login(portfolio.lena)
    return client


def text(response) -> str:
    """The page's visible text, tags stripped and whitespace collapsed."""
    body = response.content.decode()
    body = re.sub(r"<script.*?</script>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def heatmap_names(response) -> list[str]:
    return [row.name for row in response.context["data"].heatmap.rows]


def tile(response, tile_id: str) -> str:
    body = response.content.decode()
    start = body.index(f'id="{tile_id}"')
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body[start : body.index("</div></div></div>", start)]))


def test_an_account_manager_is_refused_the_leadership_dashboard_and_its_export(client, portfolio):
    client.force_login(portfolio.ana)
    assert client.get(reverse("dashboard")).status_code == 403
    assert client.get(reverse("dashboard_export")).status_code == 403


def test_an_anonymous_visitor_is_sent_to_log_in(client, portfolio):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_nav_shows_the_dashboard_link_to_leadership_only(client, portfolio):
    client.force_login(portfolio.lena)
    assert 'href="/dashboard/">Dashboard</a>' in client.get(reverse("dashboard")).content.decode()
    client.force_login(portfolio.ana)
    page = client.get(reverse("partner_list")).content.decode()
    assert ">Dashboard</a>" not in page


def test_an_admin_sees_the_dashboard(client, portfolio):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    assert client.get(reverse("dashboard")).status_code == 200


def test_leadership_sees_every_tile_with_its_number(leader):
    response = leader.get(reverse("dashboard"))
    assert response.status_code == 200
    assert "Portfolio health 2026-Q3" in text(response)
    assert "6 scored in 2026-Q3" in tile(response, "tile-bands")
    assert "Healthy 2" in tile(response, "tile-bands") and "Critical 1" in tile(response, "tile-bands")
    declining = tile(response, "tile-declining")
    assert "Declining now 2 " in declining and "1 with a warning or critical alert" in declining
    health = tile(response, "tile-health")
    assert "63.8" in health and "+0.6 since 2026-Q2, over the 5 partners scored in both quarters" in health
    completion = tile(response, "tile-completion")
    assert "25%" in completion and "2 of 8 expected check-ups submitted" in completion
    revenue = tile(response, "tile-revenue")
    assert "€700,000" in revenue and "34% of €2,050,000" in revenue and "3 partners" in revenue
    concentration = tile(response, "tile-concentration")
    assert "48.8%" in concentration and "Alpha (€1,000,000)" in concentration
    assert "Ana Alvarez has 65% of their revenue in Alpha (among account managers with at least 3 active partners)" in concentration


def test_the_riskiest_book_tile_says_which_account_managers_it_ranks(leader, settings):
    settings.RISKIEST_BOOK_MIN_PARTNERS = 6  # Ana owns 5 active partners, Ben 3
    response = leader.get(reverse("dashboard"))
    assert (
        "No account manager owns enough active partners to rank their book "
        "(among account managers with at least 6 active partners)." in tile(response, "tile-concentration")
    )
    assert "No account manager owns 6 or more active partners." in text(response)


def test_the_segmentation_and_candidates_are_tables_readable_without_javascript(leader):
    page = text(leader.get(reverse("dashboard")))
    assert "Developing (could become trusted) 0 2 1 0 3" in page
    assert "Charlie 70.0 Watch +25.0 €300,000" in page
    assert "Bravo 55.0 At risk +5.0 €400,000" in page
    assert "Ana Alvarez 5 €1,550,000 Alpha 65%" in page


def test_heatmap_rows_link_to_the_partner_page_and_show_numbers_with_colour(leader, portfolio):
    body = leader.get(reverse("dashboard")).content.decode()
    delta = portfolio.partners["Delta"]
    assert f'href="{reverse("partner_detail", args=[delta.pk])}">Delta</a>' in body
    # The cell shows 1.5 and is coloured by its band; colour is never the only signal.
    assert '<td class="text-end band-critical">1.5</td>' in body
    assert '<td class="text-end band-critical"><span class="fw-semibold">35.0</span>' in body


def test_sparkline_data_reaches_the_page_as_json_and_as_text(leader, portfolio):
    response = leader.get(reverse("dashboard"))
    body = response.content.decode()
    data = json.loads(re.search(r'<script id="sparkline-data" type="application/json">(.*?)</script>', body).group(1))
    bravo = str(portfolio.partners["Bravo"].pk)
    assert data["rows"][bravo] == [None, None, None, None, 50, 66, 61, 55]
    assert data["codes"][0] == "2024-Q4" and data["codes"][-1] == "2026-Q3"
    assert "Health 2024-Q4 to 2026-Q3: \u2013 → \u2013 → \u2013 → \u2013 → 50 → 66 → 61 → 55" in text(response)
    # No inline script code: data travels as JSON, drawing happens in static/js/dashboard.js.
    assert "js/dashboard.js" in body
    assert re.search(r"<script>(?!\s*</script>)", body) is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("segment=developing", ["Bravo", "Golf", "Charlie"]),
        ("kind=alliance", ["Echo", "Alpha"]),
        ("band=watch", ["Golf", "Charlie"]),
        ("declining=on", ["Bravo", "Echo"]),
        ("q=arl", ["Charlie"]),
        ("sort=-characteristics.trust", ["Echo", "Alpha", "Golf", "Charlie", "Bravo", "Delta"]),
        ("sort=name&declining=on", ["Bravo", "Echo"]),
        ("period=2026-Q2", ["Delta", "Charlie", "Bravo", "Echo", "Alpha", "Hotel"]),
    ],
)
def test_filters_sort_and_period_come_from_the_query_string(leader, query, expected):
    response = leader.get(f"{reverse('dashboard')}?{query}")
    assert heatmap_names(response) == expected
    assert f"Showing 1\u2013{len(expected)} of {len(expected)} partner" in text(response)


def test_the_owner_filter_lists_account_managers_and_filters_by_one(leader, portfolio):
    response = leader.get(f"{reverse('dashboard')}?owner={portfolio.ben.id}")
    assert heatmap_names(response) == ["Delta", "Charlie", "Echo"]
    body = response.content.decode()
    assert f'<option value="{portfolio.ben.id}" selected>Ben Okafor</option>' in body
    assert "Chloe Dubois</option>" not in body  # owns no partner


def test_a_past_period_changes_the_tiles_too(leader):
    response = leader.get(f"{reverse('dashboard')}?period=2026-Q2")
    assert "Portfolio health 2026-Q2" in text(response)
    # Active partners scored in 2026-Q2: Alpha 82, Bravo 61, Charlie 60, Delta 34, Echo 78, Hotel 90.
    assert "6 scored in 2026-Q2" in tile(response, "tile-bands")
    assert "Healthy 3" in tile(response, "tile-bands")
    assert '<option value="2026-Q2" selected>2026-Q2</option>' in response.content.decode()


def test_an_unknown_period_is_explained_beside_the_picker_and_the_default_is_shown(leader):
    response = leader.get(f"{reverse('dashboard')}?period=2019-Q1&segment=developing")
    page = text(response)
    assert "2019-Q1 has no scored check-ups; pick one of the listed periods." in page
    assert "Showing 2026-Q3 instead." in page
    # The other filters the user chose still apply.
    assert heatmap_names(response) == ["Bravo", "Golf", "Charlie"]


def test_a_bad_filter_value_shows_an_error_beside_it_and_keeps_the_search(leader):
    response = leader.get(f"{reverse('dashboard')}?band=excellent&q=ch")
    assert "Select a valid choice. excellent is not one of the available choices." in text(response)
    assert 'name="q" value="ch"' in response.content.decode()
    assert heatmap_names(response) == ["Charlie", "Echo"]


def test_pagination_keeps_the_filters_in_its_links(leader, monkeypatch):
    monkeypatch.setattr("assessments.selectors.dashboard.heatmap.PAGE_SIZE", 2)
    response = leader.get(f"{reverse('dashboard')}?sort=name")
    assert heatmap_names(response) == ["Alpha", "Bravo"]
    assert "Page 1 of 3" in text(response)
    assert 'href="?sort=name&amp;page=2#heatmap"' in response.content.decode()
    second = leader.get(f"{reverse('dashboard')}?sort=name&page=2")
    assert heatmap_names(second) == ["Charlie", "Delta"]
    assert leader.get(f"{reverse('dashboard')}?sort=name&page=99").context["data"].heatmap.page.number == 3


def test_column_headers_sort_and_toggle_direction(leader):
    body = leader.get(f"{reverse('dashboard')}?sort=characteristics.trust&band=watch").content.decode()
    header = re.search(r'<th scope="col"[^>]*aria-sort="ascending"[^>]*>(.*?)</th>', body, flags=re.S).group(1)
    assert "Trust" in header
    assert 'href="?sort=-characteristics.trust&amp;band=watch#heatmap"' in header


def test_the_export_link_carries_the_current_filters(leader):
    body = leader.get(f"{reverse('dashboard')}?declining=on&sort=name").content.decode()
    assert f'href="{reverse("dashboard_export")}?declining=on&amp;sort=name"' in body


def test_an_empty_portfolio_says_so(client):
    client.force_login(UserFactory(username="lena", role="leadership"))
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    assert "No partner has been scored yet" in text(response)


def _score_in_q4(portfolio, items, names):
    from django.db import transaction

    from assessments.services.snapshots import snapshots_recompute
    from assessments.tests.factories import PeriodFactory, answers_for, submitted_checkup

    q4 = PeriodFactory.of("2026-Q4")
    rater = UserFactory(username="zoe", role="account_manager")  # not a check-up the portfolio already has
    for name in names:
        partner = portfolio.partners[name]
        submitted_checkup(items=items, answers=answers_for(items, rating=4), partner=partner, period=q4,
                             rater=rater)
        with transaction.atomic():
            snapshots_recompute(pairs={(partner.id, q4.id)})


def test_a_quarter_still_being_filled_in_is_offered_but_the_last_well_covered_one_is_shown(leader, portfolio, items):
    # One of the six partners scored in 2026-Q3 has its 2026-Q4 check-up in: 1 < 6 / 2.
    _score_in_q4(portfolio, items, ["Alpha"])

    response = leader.get(reverse("dashboard"))

    assert "Portfolio health 2026-Q3" in text(response)
    assert "6 scored in 2026-Q3" in tile(response, "tile-bands")
    html = response.content.decode()
    assert '<option value="2026-Q4">2026-Q4 (in progress: 1 scored)</option>' in html
    assert '<option value="2026-Q3" selected>2026-Q3</option>' in html
    picked = leader.get(f"{reverse('dashboard')}?period=2026-Q4")
    assert "1 scored in 2026-Q4" in tile(picked, "tile-bands")


def test_once_half_the_partners_are_scored_the_new_quarter_is_the_default(leader, portfolio, items):
    _score_in_q4(portfolio, items, ["Alpha", "Bravo", "Charlie"])

    response = leader.get(reverse("dashboard"))

    assert "Portfolio health 2026-Q4" in text(response)
    assert "3 scored in 2026-Q4" in tile(response, "tile-bands")
    assert '<option value="2026-Q4" selected>2026-Q4</option>' in response.content.decode()

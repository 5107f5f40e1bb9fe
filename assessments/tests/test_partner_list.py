"""The partners list: each partner's latest health, search, sorting, filters, paging, scoping and a
constant number of queries."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from assessments.tests.dashboard_data import snapshot
from assessments.tests.factories import PartnerFactory, PeriodFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return {
        "ana": UserFactory(username="ana", first_name="Ana", last_name="Alvarez", role="account_manager"),
        "ben": UserFactory(username="ben", first_name="Ben", last_name="Okafor", role="account_manager"),
        "lena": UserFactory(username="lena", first_name="Lena", last_name="Fischer", role="leadership"),
    }


@pytest.fixture
def partners(people):
    ana, ben = people["ana"], people["ben"]
    # Quarters created out of order, so that "latest" can only come from the calendar, never the id.
    q3, q2, q1_2025 = PeriodFactory.of("2026-Q3"), PeriodFactory.of("2026-Q2"), PeriodFactory.of("2025-Q1")
    q4_2024 = PeriodFactory.of("2024-Q4")
    alpha = PartnerFactory(name="Alpha Systems", owners=[ana], kind="vendor", segment="strategic", annual_revenue=500_000)
    bravo = PartnerFactory(name="Bravo Digital", owners=[ana], kind="client", segment="developing", annual_revenue=2_000_000)
    charlie = PartnerFactory(name="Charlie Logistics", owners=[ben], kind="vendor", segment="regular", annual_revenue=50_000)
    delta = PartnerFactory(name="Delta Analytics", owners=[ben], kind="reseller", segment="regular", annual_revenue=900_000)
    PartnerFactory(name="Echo Archived", owners=[ana], is_active=False)
    snapshot(partner=alpha, period=q2, health=70, delta=None)
    snapshot(partner=alpha, period=q3, health=45, delta=-25)  # at risk, the newest quarter
    snapshot(partner=bravo, period=q2, health=80, delta=+3)  # healthy, scored only in the quarter before
    snapshot(partner=charlie, period=q1_2025, health=30, delta=-5)  # critical, lapsed since 2025-Q1
    snapshot(partner=charlie, period=q4_2024, health=90, delta=None)  # older, though its period's id is larger
    return {"alpha": alpha, "bravo": bravo, "charlie": charlie, "delta": delta}


def rows(client, query: str = "") -> list[tuple]:
    response = client.get(reverse("partner_list") + query)
    assert response.status_code == 200
    return [(r.name, r.period_code, r.health, r.band_label) for r in response.context["listing"].rows]


def names(client, query: str = "") -> list[str]:
    return [row[0] for row in rows(client, query)]


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_each_partner_shows_its_own_latest_quarter_even_when_it_lapsed(client, people, partners):
    client.force_login(people["lena"])
    assert rows(client) == [
        ("Alpha Systems", "2026-Q3", 45.0, "At risk"),
        ("Bravo Digital", "2026-Q2", 80.0, "Healthy"),
        ("Charlie Logistics", "2025-Q1", 30.0, "Critical"),
        ("Delta Analytics", None, None, "—"),
    ]
    page = text(client.get(reverse("partner_list")))
    assert "4 partners" in page
    assert "Alpha Systems Vendor · Strategic · 2026-Q3" in page
    assert "45.0 At risk \u221225.0 €500,000" in page
    assert "Delta Analytics" in page and "not scored — €900,000" in page


def test_an_account_manager_lists_only_her_own_active_partners_and_gets_no_owner_filter(client, people, partners):
    client.force_login(people["ana"])
    response = client.get(reverse("partner_list"))
    assert names(client) == ["Alpha Systems", "Bravo Digital"]
    assert 'name="owner"' not in response.content.decode()


def test_search_finds_partners_by_any_part_of_the_name_in_any_case(client, people, partners):
    client.force_login(people["lena"])
    assert names(client, "?q=LOGIST") == ["Charlie Logistics"]
    assert names(client, "?q=%20digital%20") == ["Bravo Digital"]
    response = client.get(reverse("partner_list") + "?q=zzz")
    assert "0 partners match" in text(response) and "No partner matches." in text(response)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["Alpha Systems", "Bravo Digital", "Charlie Logistics", "Delta Analytics"]),
        ("-name", ["Delta Analytics", "Charlie Logistics", "Bravo Digital", "Alpha Systems"]),
        # Lowest health first; never-scored partners last either way.
        ("health", ["Charlie Logistics", "Alpha Systems", "Bravo Digital", "Delta Analytics"]),
        ("-health", ["Bravo Digital", "Alpha Systems", "Charlie Logistics", "Delta Analytics"]),
        ("change", ["Alpha Systems", "Charlie Logistics", "Bravo Digital", "Delta Analytics"]),
        ("-change", ["Bravo Digital", "Charlie Logistics", "Alpha Systems", "Delta Analytics"]),
        ("-revenue", ["Bravo Digital", "Delta Analytics", "Alpha Systems", "Charlie Logistics"]),
        ("revenue", ["Charlie Logistics", "Alpha Systems", "Delta Analytics", "Bravo Digital"]),
        ("nonsense", ["Alpha Systems", "Bravo Digital", "Charlie Logistics", "Delta Analytics"]),
    ],
)
def test_the_list_sorts_by_name_health_change_and_revenue(client, people, partners, sort, expected):
    client.force_login(people["lena"])
    assert names(client, f"?sort={sort}") == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?kind=vendor", ["Alpha Systems", "Charlie Logistics"]),
        ("?segment=regular", ["Charlie Logistics", "Delta Analytics"]),
        ("?band=healthy", ["Bravo Digital"]),
        ("?band=critical", ["Charlie Logistics"]),
        ("?band=none", ["Delta Analytics"]),
        ("?kind=vendor&band=at_risk", ["Alpha Systems"]),
        ("?kind=spaceship", ["Alpha Systems", "Bravo Digital", "Charlie Logistics", "Delta Analytics"]),
    ],
)
def test_the_list_filters_by_kind_segment_and_latest_band(client, people, partners, query, expected):
    client.force_login(people["lena"])
    assert names(client, query) == expected


def test_leadership_filters_by_owner(client, people, partners):
    client.force_login(people["lena"])
    response = client.get(reverse("partner_list"))
    assert '<option value="{}">Ben Okafor</option>'.format(people["ben"].pk) in response.content.decode()
    assert names(client, f"?owner={people['ben'].pk}") == ["Charlie Logistics", "Delta Analytics"]
    assert names(client, f"?owner={people['ana'].pk}&sort=-revenue") == ["Bravo Digital", "Alpha Systems"]


def test_pages_keep_the_search_filters_and_sort(client, people, partners, monkeypatch):
    monkeypatch.setattr("assessments.selectors.partner_list.PAGE_SIZE", 1)
    client.force_login(people["lena"])
    response = client.get(reverse("partner_list") + "?segment=regular&sort=-revenue")
    assert [r.name for r in response.context["listing"].rows] == ["Delta Analytics"]
    body = response.content.decode()
    assert "Page 1 of 2" in body
    assert 'href="?segment=regular&amp;sort=-revenue&amp;page=2#partners"' in body
    assert names(client, "?segment=regular&sort=-revenue&page=2") == ["Charlie Logistics"]
    assert names(client, "?segment=regular&sort=-revenue&page=99") == ["Charlie Logistics"]


def test_column_headers_sort_and_say_which_way(client, people, partners):
    client.force_login(people["lena"])
    body = client.get(reverse("partner_list") + "?sort=health&kind=vendor").content.decode()
    assert (
        '<th scope="col" class="text-end" aria-sort="ascending">'
        '<a class="sort-link" href="?sort=-health&amp;kind=vendor#partners">Health' in body
    )
    assert '<a class="sort-link" href="?sort=revenue&amp;kind=vendor#partners">Revenue</a>' in body


def test_the_list_costs_the_same_queries_for_four_partners_and_for_forty(client, people, partners, django_assert_num_queries):
    client.force_login(people["lena"])
    url = reverse("partner_list") + "?sort=-health"
    client.get(url)  # the session and the user's roles, as on every page
    # Session, user, roles; the owner choices; scored quarters, count, the page, its owners, its
    # check-ups with no score ("Not scored in 2026-Q4: too few answers"): 9.
    with django_assert_num_queries(9):
        client.get(url)
    q3 = PeriodFactory.of("2026-Q3")
    for n in range(36):
        partner = PartnerFactory(name=f"Extra {n:02d}", owners=[people["ana"], people["ben"]])
        snapshot(partner=partner, period=q3, health=50 + n, delta=1)
    with django_assert_num_queries(9):
        response = client.get(url)
    assert len(response.context["listing"].rows) == 40

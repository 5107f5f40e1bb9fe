"""Reading the portfolio: partners with their latest health, snapshots per quarter, cases with their
timeline, one's own check-ups, filtered, paged by cursor, tagged for If-None-Match."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.tests.conftest import api_client
from assessments.models import CaseEvent, Engagement, Interaction
from assessments.services.snapshots import snapshots_recompute
from assessments.tests.factories import (
    ActionItemFactory,
    CaseFactory,
    CheckupFactory,
    PartnerFactory,
    PeriodFactory,
    answers_for,
    submitted_checkup,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(manager, other_manager, items):
    """Acme (Ana's) healthy in 2026-Q2 and at risk in 2026-Q3; Bolt (Ben's) healthy in 2026-Q3."""
    q2, q3 = PeriodFactory.of("2026-Q2"), PeriodFactory.of("2026-Q3")
    acme = PartnerFactory(name="Acme", owners=[manager], kind="vendor")
    bolt = PartnerFactory(name="Bolt", owners=[other_manager], kind="reseller")
    submitted_checkup(items=items, answers=answers_for(items, rating=5), partner=acme, period=q2, rater=manager)
    submitted_checkup(
        items=items, answers=answers_for(items, rating=2, intensity=2), partner=acme, period=q3, rater=manager
    )
    submitted_checkup(items=items, answers=answers_for(items, rating=5), partner=bolt, period=q3, rater=other_manager)
    snapshots_recompute(pairs={(acme.pk, q2.pk), (acme.pk, q3.pk), (bolt.pk, q3.pk)})
    return acme, bolt


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_a_manager_reads_only_her_partners_each_with_its_latest_health(scored, manager):
    rows = results(api_client(manager).get("/api/partners/"))
    assert [r["name"] for r in rows] == ["Acme"]
    latest = rows[0]["latest"]
    assert latest["period"] == "2026-Q3"
    assert latest["band"] in {"at_risk", "critical"}
    assert latest["health_delta"] < 0
    assert rows[0]["owners"] == [{"id": manager.pk, "username": "ana", "name": "Ana Alvarez"}]
    assert rows[0]["annual_revenue"] == "100000.00"


def test_leadership_filters_partners_by_band_kind_and_owner(scored, leader, other_manager):
    client = api_client(leader)
    assert [r["name"] for r in results(client.get("/api/partners/"))] == ["Acme", "Bolt"]
    assert [r["name"] for r in results(client.get("/api/partners/?band=healthy"))] == ["Bolt"]
    assert [r["name"] for r in results(client.get("/api/partners/?kind=vendor"))] == ["Acme"]
    assert [r["name"] for r in results(client.get(f"/api/partners/?owner={other_manager.pk}"))] == ["Bolt"]


def test_a_filter_value_the_schema_forbids_is_a_400_that_says_why(scored, leader):
    client = api_client(leader)
    response = client.get("/api/partners/?band=purple")
    assert response.status_code == 400
    assert response.json() == {"errors": {"band": ['"purple" is not a valid choice.']}}
    unknown = client.get("/api/partners/?colour=red")
    assert unknown.json() == {"errors": {"colour": ["Not a filter of this list."]}}
    period = client.get("/api/snapshots/?period=2026-3")
    assert period.status_code == 400
    assert "2026-3" in period.json()["errors"]["period"][0]
    assert client.get("/api/partners/?page_size=0").json() == {
        "errors": {"page_size": ["Give a whole number from 1 to 200."]}
    }


def test_snapshots_per_period_carry_rubric_scores_item_means_and_band_with_keys(scored, leader, items):
    rows = results(api_client(leader).get("/api/snapshots/?period=2026-Q3"))
    assert [(r["period"], r["band"]) for r in rows][1] == ("2026-Q3", "healthy")
    acme = rows[0]
    assert set(acme["rubric_scores"]) == {address.split(".")[0] for address in items}
    assert set(acme["item_means"]) == set(items)  # every item as rubric.item
    assert acme["rater_count"] == 1
    assert acme["coverage"] == 1.0 and set(acme["rubric_coverage"].values()) == {1.0}
    assert acme["partner_view"] is None  # no contact has answered the mirror survey


def test_a_snapshot_says_how_much_was_answered_and_carries_the_partners_view(scored, leader):
    from assessments.models import PartnerSnapshot

    snapshot = PartnerSnapshot.objects.filter(period__code="2026-Q3").order_by("id").first()
    view = {
        "health": 65.6,
        "band": "watch",
        "rubric_scores": {"traits": 70.0},
        "item_means": {"traits.caring": 2.0},
        "responses": 2,
    }
    PartnerSnapshot.objects.filter(pk=snapshot.pk).update(
        coverage=0.6111, rubric_coverage={"characteristics": 0.6667, "traits": 0.5714}, partner_view=view
    )

    (row,) = [r for r in results(api_client(leader).get("/api/snapshots/?period=2026-Q3")) if r["id"] == snapshot.pk]
    assert (row["coverage"], row["rubric_coverage"]) == (0.6111, {"characteristics": 0.6667, "traits": 0.5714})
    assert row["partner_view"] == view


def test_cursor_pages_walk_every_row_once(manager):
    for n in range(5):
        PartnerFactory(name=f"P{n}", owners=[manager])
    client = api_client(manager)
    seen, url = [], "/api/partners/?page_size=2"
    while url:
        body = client.get(url).json()
        seen += [r["name"] for r in body["results"]]
        url = body["next"]
    assert seen == ["P0", "P1", "P2", "P3", "P4"]


def test_a_read_carries_an_etag_and_the_same_etag_gets_304_until_the_data_changes(scored, manager):
    client = api_client(manager)
    first = client.get("/api/partners/")
    etag = first["ETag"]
    again = client.get("/api/partners/", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    acme, _ = scored
    acme.annual_revenue = 5
    acme.save()
    changed = client.get("/api/partners/", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag


@pytest.mark.parametrize(
    "url",
    [
        "/api/partners/",
        "/api/snapshots/",
        "/api/cases/",
        "/api/checkups/",
        "/api/action-items/",
        "/api/interactions/",
        "/api/engagements/",
    ],
)
def test_a_list_costs_the_same_queries_at_any_page_size(url, manager, leader, items, django_assert_num_queries):
    q3 = PeriodFactory.of("2026-Q3")
    for n in range(12):
        partner = PartnerFactory(name=f"P{n:02}", owners=[manager])
        submitted_checkup(items=items, answers=answers_for(items), partner=partner, period=q3, rater=manager)
        snapshots_recompute(pairs={(partner.pk, q3.pk)})
        CaseFactory(partner=partner, opened_period=q3)
        Interaction.objects.create(partner=partner, occurred_on="2026-10-01", kind="call")
        Engagement.objects.create(partner=partner, client="C", title="T")
        ActionItemFactory(partner=partner, period=q3, items=[items[next(iter(items))]])
    client = api_client(manager)
    client.get(url)  # the token's last use is written once a minute: not part of the count

    def count(page_size: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"{url}?page_size={page_size}")
        assert len(response.json()["results"]) == min(page_size, 12)
        return len(captured.captured_queries)

    small = count(2)
    with django_assert_num_queries(small):
        client.get(f"{url}?page_size=12")


def test_a_case_reads_with_its_timeline_oldest_first(manager):
    q3 = PeriodFactory.of("2026-Q3")
    case = CaseFactory(partner=PartnerFactory(owners=[manager]), opened_period=q3)
    CaseEvent.objects.create(case=case, kind="opened", to_state="open")
    client = api_client(manager)
    client.post(f"/api/cases/{case.pk}/acknowledge/", {"note": "On it"}, content_type="application/json")
    body = client.get(f"/api/cases/{case.pk}/").json()
    assert body["state"] == "acknowledged"
    assert body["opened_period"] == "2026-Q3"
    assert [(e["kind"], e["to_state"], e["note"]) for e in body["timeline"]] == [
        ("opened", "open", ""),
        ("acknowledged", "acknowledged", "On it"),
    ]
    assert body["timeline"][1]["user"] == manager.pk


def test_my_checkups_are_mine_only_with_answers_keyed_rubric_item(manager, other_manager, items):
    q3 = PeriodFactory.of("2026-Q3")
    partner = PartnerFactory(owners=[manager, other_manager])
    mine = submitted_checkup(
        items=items, answers=answers_for(items, rating=3), partner=partner, period=q3, rater=manager
    )
    CheckupFactory(partner=partner, period=q3, rater=other_manager)
    rows = results(api_client(manager).get("/api/checkups/?period=2026-Q3"))
    assert [r["id"] for r in rows] == [mine.pk]
    assert rows[0]["status"] == "submitted"
    first = next(iter(items))
    assert rows[0]["answers"][first] == {"value": 3 if items[first].rubric.scale == "rating" else 0, "comment": ""}


@pytest.mark.parametrize("band", ["healthy", "watch", "at_risk", "critical", "none"])
def test_the_band_filter_finds_exactly_the_partners_page_s_band(band, manager, leader, items):
    """The API's band filter agrees with the partners page's (selectors.partner_list.partner_list),
    a partner scored only in an older quarter included."""
    from assessments.selectors.partner_list import PartnerListFilters, partner_list, scored_periods

    q1, q2, q3 = (PeriodFactory.of(code) for code in ("2026-Q1", "2026-Q2", "2026-Q3"))
    scores = {"A": (q3, 5, 0), "B": (q3, 2, 2), "C": (q2, 1, 3), "D": (q1, 3, 1), "E": (q2, 4, 0)}
    for name, (period, rating, intensity) in scores.items():
        partner = PartnerFactory(name=name, owners=[manager])
        submitted_checkup(
            items=items,
            answers=answers_for(items, rating=rating, intensity=intensity),
            partner=partner,
            period=period,
            rater=manager,
        )
        snapshots_recompute(pairs={(partner.pk, period.pk)})
    PartnerFactory(name="F", owners=[manager])  # never scored
    expected = sorted(
        p.name for p in partner_list(user=leader, filters=PartnerListFilters(band=band), periods=scored_periods())
    )
    found = sorted(r["name"] for r in results(api_client(leader).get(f"/api/partners/?band={band}")))
    assert found == expected
    if band == "none":
        assert found == ["F"]

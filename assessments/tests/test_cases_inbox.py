"""The Cases inbox: scope, filters, counts, paging, bulk actions with refused rows, constant queries."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments.models import Case, Partner
from assessments.tests.alerting import leader, manager
from assessments.tests.factories import CaseFactory, PartnerFactory, PeriodFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    ana = manager("ana", first_name="Ana", last_name="Alvarez")
    ben = manager("ben", first_name="Ben", last_name="Berg")
    lena = leader("lena", first_name="Lena", last_name="Lund")
    q2, q3 = PeriodFactory.of("2026-Q2"), PeriodFactory.of("2026-Q3")
    cases = {
        "oakline": CaseFactory(
            partner=PartnerFactory(name="Oakline Logistics", owners=[ana], segment=Partner.Segment.STRATEGIC),
            severity="critical",
            opened_period=q2,
        ),
        "cedar": CaseFactory(
            partner=PartnerFactory(name="Cedar Digital", owners=[ana], kind=Partner.Kind.VENDOR), opened_period=q3
        ),
        "granite": CaseFactory(
            partner=PartnerFactory(name="Granite Systems", owners=[ana]), opened_period=q3, assignee=lena
        ),
        "redwood": CaseFactory(partner=PartnerFactory(name="Redwood Analytics", owners=[ben]), opened_period=q3),
    }
    return {"ana": ana, "ben": ben, "lena": lena, **cases}


def rows(page: str) -> list[str]:
    """Partner names in the inbox table, in order."""
    return re.findall(r'<th scope="row" class="text-break"><a href="/cases/\d+/">([^<]+)</a>', page)


def inbox(client, user, query: str = "") -> str:
    client.force_login(user)
    response = client.get(f"/cases/{query}")
    assert response.status_code == 200
    return response.content.decode()


def test_a_manager_sees_her_own_partners_cases_and_anyone_elses_case_is_a_404(client, world):
    page = inbox(client, world["ana"])

    assert rows(page) == ["Oakline Logistics", "Cedar Digital", "Granite Systems"], "worst first, then by name"
    assert client.get(f"/cases/{world['redwood'].pk}/").status_code == 404
    assert client.post(f"/cases/{world['redwood'].pk}/acknowledge/", {"note": "x"}).status_code == 404
    assert client.post(f"/cases/{world['redwood'].pk}/resolve/", {"resolution": "false_alarm"}).status_code == 404
    assert Case.objects.get(pk=world["redwood"].pk).state == "open"


def test_leadership_sees_every_case(client, world):
    assert sorted(rows(inbox(client, world["lena"]))) == [
        "Cedar Digital",
        "Granite Systems",
        "Oakline Logistics",
        "Redwood Analytics",
    ]


def test_each_filter_narrows_the_list_and_the_state_counts_follow_the_other_filters(client, world):
    lena = world["lena"]
    Case.objects.filter(pk=world["cedar"].pk).update(state="acknowledged")

    assert rows(inbox(client, lena, "?severity=critical")) == ["Oakline Logistics"]
    assert rows(inbox(client, lena, "?segment=strategic")) == ["Oakline Logistics"]
    assert rows(inbox(client, lena, "?state=acknowledged&kind=vendor")) == ["Cedar Digital"]
    assert rows(inbox(client, lena, "?opened=2026-Q2")) == ["Oakline Logistics"]
    assert rows(inbox(client, lena, "?q=redw")) == ["Redwood Analytics"]
    assert rows(inbox(client, lena, "?mine=on")) == ["Granite Systems"], "assigned to me"
    assert sorted(rows(inbox(client, lena, f"?person={world['ana'].pk}"))) == ["Granite Systems", "Oakline Logistics"]
    assert rows(inbox(client, lena, f"?person={lena.pk}")) == ["Granite Systems"], "owner or assignee"
    assert rows(inbox(client, lena, "?state=all&sort=partner")) == [
        "Cedar Digital",
        "Granite Systems",
        "Oakline Logistics",
        "Redwood Analytics",
    ]
    page = inbox(client, lena, f"?person={world['ana'].pk}")
    assert re.search(r'Open <span class="badge text-bg-light">2</span>', page)
    assert re.search(r'Acknowledged <span class="badge text-bg-light">1</span>', page)
    assert f"person={world['ana'].pk}" in re.search(r'href="\?([^"]*state=acknowledged[^"]*)"', page).group(1), (
        "a tab keeps the other filters"
    )


def test_a_filter_value_that_does_not_parse_is_ignored_not_an_error(client, world):
    page = inbox(client, world["lena"], "?severity=bogus&state=nope&person=abc&sort=evil")

    assert len(rows(page)) == 4


def test_a_snooze_that_ran_out_is_back_in_its_earlier_state_in_the_inbox_at_once(client, world):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    Case.objects.filter(pk=world["cedar"].pk).update(
        state="snoozed", snoozed_until=yesterday, state_before_snooze="acknowledged"
    )
    Case.objects.filter(pk=world["granite"].pk).update(
        state="snoozed", snoozed_until=yesterday + dt.timedelta(days=30), state_before_snooze="open"
    )

    assert rows(inbox(client, world["ana"], "?state=acknowledged")) == ["Cedar Digital"]
    assert rows(inbox(client, world["ana"], "?state=snoozed")) == ["Granite Systems"]


def test_the_inbox_pages_through_many_cases(client, world):
    for n in range(30):
        CaseFactory(partner=PartnerFactory(name=f"Zeta {n:02d}", owners=[world["ana"]]))

    first = inbox(client, world["ana"], "?sort=partner")
    second = inbox(client, world["ana"], "?sort=partner&page=2")

    assert len(rows(first)) == 25 and len(rows(second)) == 8
    assert "Page 1 of 2" in first and 'href="?sort=partner&amp;page=2"' in first


def test_each_row_names_every_owner_of_its_partner_in_first_name_order(client, world):
    ben = world["ben"]
    Partner.objects.get(name="Oakline Logistics").owners.add(ben, manager("zed", first_name="Abe", last_name="<Zed>"))

    page = inbox(client, world["ana"])

    row = re.search(r"Oakline Logistics</a>.*?</tr>", page, re.S).group(0)
    owners = re.findall(r'<td class="d-none d-lg-table-cell small">([^<]*)</td>', row)
    assert owners == ["Abe &lt;Zed&gt;, Ana Alvarez, Ben Berg"]


def test_the_people_menus_list_everyone_who_may_own_or_take_a_case_with_the_chosen_one_selected(client, world):
    manager("mo", first_name="Mo", last_name='"Quoted" & <b>', is_active=True)
    manager("gone", first_name="Gone", is_active=False)

    page = inbox(client, world["lena"], f"?person={world['ben'].pk}")

    person = re.search(r'<select name="person"[^>]*>(.*?)</select>', page, re.S).group(1)
    options = re.findall(r'<option value="(\d*)"( selected)?>([^<]*)</option>', person)
    assert [label for _, _, label in options] == [
        "Anyone",
        "Ana Alvarez",
        "Ben Berg",
        "Lena Lund",
        "Mo &quot;Quoted&quot; &amp; &lt;b&gt;",
    ], "active account managers and leadership, by name, escaped; nobody inactive"
    assert [value for value, chosen, _ in options if chosen] == [str(world["ben"].pk)]
    assign = re.search(r'<select name="assignee"[^>]*id="bulk-assignee"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert "Nobody" in assign and "Mo &quot;Quoted&quot;" in assign


def test_the_main_columns_fit_a_phone_and_the_others_hide_below_a_tablet(client, world):
    page = inbox(client, world["ana"])
    head = re.search(r"<thead>(.*?)</thead>", page, re.S).group(1)

    shown = re.findall(r'<th scope="col">([^<]*(?:<span[^>]*>[^<]*</span>)?)</th>', head)
    hidden = re.findall(r'<th scope="col" class="d-none d-(?:md|lg)-table-cell">([^<]+)</th>', head)
    assert [re.sub("<[^>]+>", "", h) for h in shown] == ["Select", "Partner", "Severity", "State"]
    assert hidden == ["Opened", "Assigned to", "Owners"]
    assert "table-responsive" not in page, "no sideways scrolling box"
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page


def test_bulk_acknowledge_changes_her_own_cases_and_refuses_a_tampered_id_by_name(client, world):
    client.force_login(world["ana"])
    ids = [world["oakline"].pk, world["cedar"].pk, world["redwood"].pk, 999999]

    response = client.post(
        "/cases/bulk/",
        {
            "case": [str(i) for i in ids],
            "action": "acknowledge",
            "note": "Reviewed at Monday's meeting",
            "return_query": "state=open&q=o&page=1&next=https://evil.example/",
        },
        follow=True,
    )

    page = response.content.decode()
    assert response.redirect_chain == [("/cases/?state=open&q=o&page=1", 302)], "back to the same filters, only"
    assert "Acknowledged 2 cases: Oakline Logistics, Cedar Digital." in page
    assert (
        f"Refused 2 cases, left unchanged: Case {world['redwood'].pk}: not one of the cases you can act on. "
        "Case 999999: not one of the cases you can act on." in page
    )
    states = dict(Case.objects.values_list("partner__name", "state"))
    assert states == {
        "Oakline Logistics": "acknowledged",
        "Cedar Digital": "acknowledged",
        "Granite Systems": "open",
        "Redwood Analytics": "open",
    }
    assert not world["redwood"].events.exists()
    assert Case.objects.get(pk=world["oakline"].pk).acknowledged_note == "Reviewed at Monday's meeting"


def test_bulk_acknowledge_refuses_a_case_already_acknowledged_and_says_so(client, world):
    client.force_login(world["lena"])
    client.post("/cases/bulk/", {"case": [world["cedar"].pk], "action": "acknowledge"})

    response = client.post(
        "/cases/bulk/", {"case": [world["cedar"].pk, world["redwood"].pk], "action": "acknowledge"}, follow=True
    )

    page = response.content.decode()
    assert "Acknowledged 1 case: Redwood Analytics." in page
    assert "Refused 1 case, left unchanged: Cedar Digital: already acknowledged by Lena Lund." in page


def test_bulk_snooze_needs_a_date_and_a_reason_and_changes_nothing_without_them(client, world):
    client.force_login(world["ana"])

    response = client.post("/cases/bulk/", {"case": [world["cedar"].pk], "action": "snooze"}, follow=True)

    page = response.content.decode()
    assert "Choose the date the cases may wait until." in page and "Say why these cases can wait." in page
    assert Case.objects.get(pk=world["cedar"].pk).state == "open"
    until = timezone.localdate() + dt.timedelta(days=10)
    client.post(
        "/cases/bulk/",
        {"case": [world["cedar"].pk], "action": "snooze", "until": until.isoformat(), "note": "QBR on the 5th"},
    )
    assert Case.objects.get(pk=world["cedar"].pk).snoozed_until == until


def test_bulk_assign_gives_cases_to_leadership_but_not_to_a_manager_who_does_not_own_them(client, world):
    client.force_login(world["ana"])

    client.post("/cases/bulk/", {"case": [world["oakline"].pk], "action": "assign", "assignee": world["lena"].pk})
    response = client.post(
        "/cases/bulk/", {"case": [world["cedar"].pk], "action": "assign", "assignee": world["ben"].pk}, follow=True
    )

    assert Case.objects.get(pk=world["oakline"].pk).assignee == world["lena"]
    assert Case.objects.get(pk=world["cedar"].pk).assignee is None
    assert "Cedar Digital: Ben Berg is neither an owner of this partner nor in leadership." in response.content.decode()


def test_nothing_ticked_is_a_clear_error(client, world):
    client.force_login(world["ana"])

    page = client.post("/cases/bulk/", {"action": "acknowledge"}, follow=True).content.decode()

    assert "Tick at least one case." in page


def _inbox_queries(client, user) -> list[str]:
    client.force_login(user)
    client.get("/cases/")
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/cases/?state=all")
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries]


@pytest.mark.parametrize("viewer", ["ana", "lena"])
def test_the_inbox_costs_the_same_queries_for_5_and_50_cases(client, world, viewer):
    for n in range(1):
        CaseFactory(partner=PartnerFactory(name=f"Few {n}", owners=[world["ana"]]))
    few = _inbox_queries(client, world[viewer])
    assert Case.objects.count() == 5
    for n in range(45):
        owners = [world["ana"], world["ben"]] if n % 3 else [world["ana"]]
        CaseFactory(partner=PartnerFactory(name=f"Many {n:02d}", owners=owners), assignee=world["lena"])
    many = _inbox_queries(client, world[viewer])

    assert len(few) == len(many), "\n".join(many)
    # Session, user, roles; people and quarters for the filters; the counts per state (which give
    # the paginator its count) and the page with its owners; leadership also reads the false alarms.
    assert len(many) == {"ana": 8, "lena": 9}[viewer], "\n".join(many)


def test_leadership_sees_false_alarms_per_rule_and_a_manager_does_not(client, world):
    from assessments.services.case_triage import case_resolve

    case_resolve(case_id=world["cedar"].pk, user=world["lena"], resolution="false_alarm")
    case_resolve(case_id=world["redwood"].pk, user=world["lena"], resolution="false_alarm")
    case_resolve(case_id=world["granite"].pk, user=world["lena"], resolution="recovered")

    page = inbox(client, world["lena"])
    section = page.split('id="false-alarms-heading"')[1]
    assert re.search(r'Overall health declining</th><td class="text-end">2</td>', section)
    assert "False alarms by rule" not in inbox(client, world["ana"])

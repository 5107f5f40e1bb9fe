"""A case's action plan: which actions belong to a case, the plan and "did it work" on the case page, and the
resolution's summary of the linked items that recovered (its note, the case page, the e-mail)."""

from __future__ import annotations

import datetime as dt
import re
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments.models import ActionItem, Alert, Case, CaseEvent
from assessments.periods import Quarter
from assessments.services.actions import ActionItemData, ActionItemInvalid, action_item_create
from assessments.services.alerts import partner_evaluate
from assessments.services.case_triage import case_resolve
from assessments.services.checkups import ActionItemInput, CheckupInput, checkup_save_draft
from assessments.services.outbox import outbox_send_due
from assessments.tests.alerting import DECLINING, STABLE, history, leader, manager, partner_with_history
from assessments.tests.factories import ActionItemFactory, CheckupFactory, PeriodFactory

pytestmark = pytest.mark.django_db

LAST = Quarter(2026, 3)  # the case opens here; its decline started in 2026-Q2, so 2026-Q1 is before it
TODAY = dt.date(2026, 11, 2)
TRUST = "characteristics.trust"
FACE = "traits.face_to_face"
# Trust comes back; meeting face to face does not.
BETTER = {"rating": 4, "characteristics__trust": 3, "traits__face_to_face": 2}
RECOVERED = {"rating": 4, "traits__face_to_face": 2}


@pytest.fixture
def declining(items):
    ana = manager("ana", first_name="Ana", last_name="Alvarez")
    ben = manager("ben", first_name="Ben", last_name="Berg")
    lena = leader("lena", first_name="Lena", last_name="Lund")
    partner = partner_with_history(items=items, name="Oakline Logistics", owners=[ana], levels=DECLINING, last=LAST)
    other = partner_with_history(items=items, name="Cedar Digital", owners=[ana], levels=DECLINING, last=LAST)
    partner_evaluate(partner_id=partner.id)
    partner_evaluate(partner_id=other.id)
    return {
        "ana": ana,
        "ben": ben,
        "lena": lena,
        "partner": partner,
        "case": Case.objects.get(partner=partner),
        "other_case": Case.objects.get(partner=other),
    }


def add(declining, items, *, linked=(TRUST, FACE), description="Rebuild trust with their new COO", **kwargs):
    data = ActionItemData(
        description=description,
        owner_id=declining["ana"].pk,
        due_on=dt.date(2027, 1, 31),
        item_ids=tuple(items[address].pk for address in linked),
    )
    return action_item_create(
        user=declining["ana"], partner_id=declining["partner"].pk, data=data, today=TODAY, **kwargs
    )


def checkups(declining, items, *levels) -> None:
    """The next quarters' check-ups, each evaluated as the evaluate_checkup task would."""
    for offset, level in enumerate(levels, start=1):
        history(items=items, partner=declining["partner"], raters=[declining["ana"]], levels=[level], last=LAST.shift(offset))
        partner_evaluate(partner_id=declining["partner"].pk)


def section(page: str, heading_id: str) -> str:
    """The text of the page's section with this heading, tags removed and spaces collapsed."""
    html = page.split(f'id="{heading_id}">')[1].split("</section>")[0]
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def case_page(client, user, case) -> str:
    client.force_login(user)
    response = client.get(f"/cases/{case.pk}/")
    assert response.status_code == 200
    return response.content.decode()


# --- which actions belong to a case ---------------------------------------------------


def test_an_action_added_from_the_case_page_is_part_of_the_case_and_the_form_returns_to_it(client, declining, items):
    case, partner = declining["case"], declining["partner"]
    client.force_login(declining["ana"])
    page = case_page(client, declining["ana"], case)
    link = re.search(r'href="(/partners/\d+/actions/new/\?case=\d+&amp;next=[^"]+)"', page).group(1).replace("&amp;", "&")

    form = client.get(link).content.decode()
    assert f'For <a href="/cases/{case.pk}/">the case opened in {LAST.code}</a>' in form
    assert f'<input type="hidden" name="case" value="{case.pk}">' in form
    assert f'<input type="hidden" name="next" value="/cases/{case.pk}/#action-plan">' in form
    due = timezone.localdate() + dt.timedelta(days=30)
    response = client.post(
        link,
        {"description": "Rebuild trust with their new COO", "owner": declining["ana"].pk, "due_on": due.isoformat(),
         "items": [items[TRUST].pk], "case": case.pk, "next": f"/cases/{case.pk}/#action-plan"},
    )

    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/#action-plan"
    action = ActionItem.objects.get(partner=partner)
    assert action.case == case
    plan = section(case_page(client, declining["ana"], case), "action-plan-heading")
    assert f"Rebuild trust with their new COO Ana Alvarez · due {due.day} {due:%b %Y}" in plan


def test_an_action_added_on_the_partner_page_joins_the_open_case_but_not_one_that_is_resolved(
    client, declining, items
):
    joined = add(declining, items)
    assert joined.case == declining["case"]
    client.force_login(declining["ana"])
    partner_page = client.get(f"/partners/{declining['partner'].pk}/").content.decode()
    row = partner_page.split(f'id="action-{joined.pk}"')[1].split("</li>")[0]
    assert f'agreed 2026-Q4 · <a href="/cases/{declining["case"].pk}/">part of the case</a>' in row

    case_resolve(case_id=declining["case"].pk, user=declining["ana"], resolution="false_alarm")
    later = add(declining, items, description="Send them the new price list")

    assert later.case is None, "no case is unresolved: the action belongs to none"


def test_an_action_is_never_added_to_another_partners_case_or_to_a_resolved_one(client, declining, items):
    with pytest.raises(ActionItemInvalid, match=r"^Add the action from this partner's own case\.$"):
        add(declining, items, case_id=declining["other_case"].pk)
    case_resolve(case_id=declining["case"].pk, user=declining["ana"], resolution="false_alarm")
    with pytest.raises(
        ActionItemInvalid, match=rf"^This case was resolved in {LAST.code}: add the action on the partner page instead\.$"
    ):
        add(declining, items, case_id=declining["case"].pk)
    assert not ActionItem.objects.exists()

    client.force_login(declining["ana"])
    partner = declining["partner"]
    assert client.get(f"/partners/{partner.pk}/actions/new/?case={declining['other_case'].pk}").status_code == 404
    client.force_login(declining["ben"])
    assert client.get(f"/partners/{partner.pk}/actions/new/?case={declining['case'].pk}").status_code == 404


def test_an_action_agreed_in_the_checkup_that_opens_a_case_joins_it_when_the_case_opens(items):
    ana = manager("ana")
    partner = partner_with_history(items=items, name="Oakline Logistics", owners=[ana], levels=DECLINING, last=LAST)
    periods = {q.code: PeriodFactory(quarter_value=q) for q in (LAST, LAST.shift(-2))}
    in_the_checkup = ActionItemFactory(partner=partner, period=periods[LAST.code], owner=ana)
    long_before = ActionItemFactory(partner=partner, period=periods[LAST.shift(-2).code], owner=ana)

    partner_evaluate(partner_id=partner.id)

    case = Case.objects.get(partner=partner)
    assert ActionItem.objects.get(pk=in_the_checkup.pk).case == case
    assert ActionItem.objects.get(pk=long_before.pk).case is None, "agreed before the decline: not part of it"


def test_an_action_written_in_a_checkup_while_the_case_is_unresolved_joins_it(declining, items):
    checkup = CheckupFactory(
        partner=declining["partner"], rater=declining["ana"], period=PeriodFactory(quarter_value=LAST.next())
    )
    data = CheckupInput(action_items=[ActionItemInput("Hold the QBR at their office", declining["ana"].pk, TODAY)])

    checkup_save_draft(user=declining["ana"], checkup_id=checkup.pk, data=data)

    assert checkup.action_items.get().case == declining["case"]


def test_existing_actions_join_the_case_their_partner_had_unresolved_in_the_quarter_they_were_agreed(declining):
    migration = import_module("assessments.migrations.0014_action_item_case")
    case, partner, ana = declining["case"], declining["partner"], declining["ana"]
    Case.objects.filter(pk=case.pk).update(
        state="resolved", resolution="recovered", resolved_at=timezone.now(), resolved_period=PeriodFactory(quarter_value=LAST.shift(2))
    )
    agreed = {n: ActionItemFactory(partner=partner, owner=ana, period=PeriodFactory(quarter_value=LAST.shift(n))) for n in (-1, 0, 2, 3)}

    migration.action_items_join_cases(django_apps, None)

    assert {n: ActionItem.objects.get(pk=a.pk).case_id for n, a in agreed.items()} == {
        -1: None,
        0: case.pk,
        2: case.pk,
        3: None,
    }


# --- the case page --------------------------------------------------------------------


def test_the_case_page_shows_the_plan_and_whether_each_linked_item_came_back_to_where_it_was_before(
    client, declining, items
):
    action = add(declining, items)
    add(declining, items, linked=(), description="Send them the new price list")
    checkups(declining, items, BETTER)

    page = case_page(client, declining["ana"], declining["case"])

    plan = section(page, "action-plan-heading")
    assert "Rebuild trust with their new COO Ana Alvarez · due 31 Jan 2027" in plan
    assert "Send them the new price list Ana Alvarez · due 31 Jan 2027" in plan
    assert f'href="/action-items/{action.pk}/edit/?next=/cases/{declining["case"].pk}/%23action-plan"' in page
    worked = section(page, "did-it-work-heading")
    assert worked == (
        "Did it work? An item has recovered when its latest value is back within half a point of its value before the "
        "decline (2026-Q1), or a full point better than when the plan started. "
        "Rebuild trust with their new COO "
        "Trust between the organisations: 2.0 when the plan started → 3.0 in 2026-Q4. Before the decline: 4.0. recovered "
        "Meeting face to face: 2.0 when the plan started → 2.0 in 2026-Q4. Before the decline: 4.0. not yet "
        "Recovered: Trust between the organisations. Not yet: Meeting face to face."
    )


def test_the_plan_is_written_from_the_case_page_and_every_button_comes_back_to_it(client, declining, items):
    action = add(declining, items)
    case = declining["case"]
    back = f"/cases/{case.pk}/#action-plan"
    client.force_login(declining["ana"])

    done = client.post(f"/action-items/{action.pk}/done/", {"next": back})
    reopened = client.post(f"/action-items/{action.pk}/reopen/", {"next": back})
    edit = client.get(f"/action-items/{action.pk}/edit/?next={back.replace('#', '%23')}").content.decode()
    deleted = client.post(f"/action-items/{action.pk}/delete/", {"next": back})

    assert [r["Location"] for r in (done, reopened, deleted)] == [back, back, back]
    assert f'Part of <a href="/cases/{case.pk}/">the case opened in {LAST.code}</a>' in edit
    assert f'<input type="hidden" name="next" value="{back}">' in edit
    assert not ActionItem.objects.exists()


def test_a_leader_sees_the_plan_and_may_mark_her_own_action_done_but_not_add_one(client, declining, items):
    lena = declining["lena"]
    data = ActionItemData(description="Call their CEO", owner_id=lena.pk, due_on=dt.date(2027, 1, 31))
    mine = action_item_create(user=declining["ana"], partner_id=declining["partner"].pk, data=data, today=TODAY)

    page = case_page(client, lena, declining["case"])

    assert "Add an action" not in page
    assert f'action="/action-items/{mine.pk}/done/"' in page
    assert f"/action-items/{mine.pk}/edit/" not in page


# --- the resolution summary -------------------------------------------------------------

SUMMARY = (
    "Linked items that recovered: Trust between the organisations, 2.0 when the plan started → 4.0 in 2027-Q1 "
    "(4.0 before the decline, in 2026-Q1).\n"
    "Linked items that did not recover: Meeting face to face, 2.0 when the plan started → 2.0 in 2027-Q1 "
    "(4.0 before the decline, in 2026-Q1)."
)


def test_a_case_that_resolves_by_itself_says_which_linked_items_recovered_on_its_page_and_in_the_email(
    client, declining, items
):
    add(declining, items)
    checkups(declining, items, BETTER, RECOVERED)

    case = Case.objects.get(pk=declining["case"].pk)
    assert case.state == "resolved" and case.resolution == "recovered"
    note = case.events.get(kind=CaseEvent.Kind.RESOLVED).note
    assert note == (
        "Recovered: health 71 in 2027-Q1 is back within its noise (4.4) of 75 before the decline, and no warning or "
        "critical finding for 2 quarters with data.\n" + SUMMARY
    )
    page = case_page(client, declining["ana"], case)
    resolved = page.split('id="resolution-note">')[1].split("</span>")[0]
    assert resolved == note.replace("\n", "<br>")
    assert section(page, "did-it-work-heading").endswith(
        "Recovered: Trust between the organisations. Not yet: Meeting face to face."
    )

    outbox_send_due()
    (email,) = [m for m in mail.outbox if m.subject == "[Partner Health] Resolved: Oakline Logistics — Recovered"]
    assert SUMMARY in email.body
    html = next(content for content, mimetype in email.alternatives if mimetype == "text/html")
    assert SUMMARY.replace("\n", "<br>") in html


def test_resolving_by_hand_keeps_the_reason_and_adds_the_linked_items_as_they_stand(declining, items):
    add(declining, items)
    checkups(declining, items, BETTER)

    case_resolve(case_id=declining["case"].pk, user=declining["ana"], resolution="partnership_ended", note="They were acquired.")

    note = CaseEvent.objects.get(case=declining["case"], kind=CaseEvent.Kind.RESOLVED).note
    assert note == (
        "They were acquired.\n"
        "Linked items that recovered: Trust between the organisations, 2.0 when the plan started → 3.0 in 2026-Q4 "
        "(4.0 before the decline, in 2026-Q1).\n"
        "Linked items that did not recover: Meeting face to face, 2.0 when the plan started → 2.0 in 2026-Q4 "
        "(4.0 before the decline, in 2026-Q1)."
    )
    outbox_send_due()
    (email,) = mail.outbox[-1:]
    assert email.subject == "[Partner Health] Resolved: Oakline Logistics — Partnership ended"
    assert "They were acquired.\nLinked items that recovered: Trust between the organisations" in email.body


def test_a_resolution_without_linked_actions_says_nothing_about_them(declining, items):
    add(declining, items, linked=())

    case_resolve(case_id=declining["case"].pk, user=declining["ana"], resolution="false_alarm", note="Data error.")

    assert CaseEvent.objects.get(case=declining["case"], kind=CaseEvent.Kind.RESOLVED).note == "Data error."


def test_a_linked_item_with_no_checkup_since_the_plan_started_is_named_as_such(declining, items):
    add(declining, items, linked=(TRUST,))

    case_resolve(case_id=declining["case"].pk, user=declining["ana"], resolution="false_alarm")

    assert CaseEvent.objects.get(case=declining["case"], kind=CaseEvent.Kind.RESOLVED).note == (
        "Linked items with no check-up since the plan started: Trust between the organisations, "
        "2.0 when the plan started (4.0 before the decline, in 2026-Q1)."
    )


# --- queries ------------------------------------------------------------------------------


def _grow(declining, items, *, findings: int, events: int, actions: int) -> None:
    case = declining["case"]
    periods = [PeriodFactory(quarter_value=Quarter(2015, 1).shift(n)) for n in range(findings)]
    Alert.objects.bulk_create(
        Alert(partner=case.partner, period=p, rule="health_decline", severity="warning", explanation="x", case=case)
        for p in periods
    )
    CaseEvent.objects.bulk_create(
        CaseEvent(case=case, kind="assigned", user=declining["lena"], assignee=declining["ana"], note=f"#{n}")
        for n in range(events)
    )
    for n in range(actions):
        add(declining, items, description=f"Step {n}", linked=(TRUST, FACE) if n % 2 == 0 else (TRUST,))


def _queries(client, user, case) -> int:
    client.force_login(user)
    client.get(f"/cases/{case.pk}/")
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"/cases/{case.pk}/").status_code == 200
    return len(captured.captured_queries)


def test_the_case_page_costs_the_same_queries_for_one_finding_event_and_action_or_dozens(
    client, declining, items, django_assert_num_queries
):
    case = declining["case"]
    _grow(declining, items, findings=0, events=1, actions=1)
    checkups(declining, items, BETTER)
    few = _queries(client, declining["ana"], case)

    _grow(declining, items, findings=30, events=60, actions=15)

    with django_assert_num_queries(few):
        assert client.get(f"/cases/{case.pk}/").status_code == 200


def test_the_pages_of_an_ordinary_partner_are_unaffected(client, items):
    ana = manager("ana")
    partner = partner_with_history(items=items, name="Steady Co", owners=[ana], levels=STABLE, last=LAST)
    partner_evaluate(partner_id=partner.id)
    data = ActionItemData(description="Keep it up", owner_id=ana.pk, due_on=dt.date(2027, 1, 31))

    assert action_item_create(user=ana, partner_id=partner.pk, data=data, today=TODAY).case is None

"""The action plan as its users see it: the partner page, the action form, My check-ups; scoping and query counts."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
import time_machine
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import ActionItem
from assessments.services.snapshots import snapshots_recompute
from assessments.tests.factories import (
    ActionItemFactory,
    CheckupFactory,
    PartnerFactory,
    PeriodFactory,
    UserFactory,
    answers_for,
    submitted_checkup,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_q4_2026():
    with time_machine.travel(dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def ana():
    return UserFactory(username="ana", first_name="Ana", last_name="Alvarez", role="account_manager")


@pytest.fixture
def lena():
    return UserFactory(username="lena", first_name="Lena", last_name="Fischer", role="leadership")


@pytest.fixture
def partner(ana, items):
    """Trust 4 in 2026-Q2, 2 in Q3 and 3 in Q4 (scored already)."""
    partner = PartnerFactory(name="Northwind Systems", owners=[ana])
    for code, trust in (("2026-Q2", 4), ("2026-Q3", 2), ("2026-Q4", 3)):
        period = PeriodFactory.of(code)
        submitted_checkup(
            items=items,
            answers=answers_for(items, characteristics__trust=trust),
            partner=partner,
            period=period,
            rater=ana,
        )
        with transaction.atomic():
            snapshots_recompute(pairs={(partner.id, period.id)})
    return partner


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip())


def section(html: str, element_id: str) -> str:
    start = html.index(">", html.index(f'id="{element_id}"')) + 1
    return text(html[start : html.index("</section>", start)])


def partner_page(user, partner) -> str:
    response = client_for(user).get(reverse("partner_detail", args=[partner.pk]))
    assert response.status_code == 200
    return response.content.decode()


# --- add, edit, complete, reopen, delete from the partner page ---------------------------


def test_an_owner_adds_an_action_linked_to_trust_from_the_partner_page(ana, lena, partner, items):
    html = partner_page(ana, partner)
    add_url = reverse("action_item_add", args=[partner.pk])
    assert f'href="{add_url}"' in html and "Add an action" in html

    form = client_for(ana).get(add_url).content.decode()
    assert f'<option value="{ana.pk}" selected>Ana Alvarez</option>' in form
    assert f'<option value="{lena.pk}">Lena Fischer</option>' in form
    assert '<optgroup label="Leadership">' in form
    assert "Trust between the organisations" in form and "characteristics.trust" not in text(form)

    response = client_for(ana).post(
        add_url,
        {
            "description": "Run a joint workshop on the renewal",
            "owner": ana.pk,
            "due_on": "2026-12-15",
            "items": [items["characteristics.trust"].pk],
            "note": "Bring their CTO",
        },
        follow=True,
    )

    action = ActionItem.objects.get()
    assert response.redirect_chain[-1][0] == reverse("partner_detail", args=[partner.pk]) + f"#action-{action.pk}"
    page = response.content.decode()
    assert "Action added: Run a joint workshop on the renewal" in page
    actions = section(page, "actions")
    assert (
        "Agreed this quarter (2026-Q4) Run a joint workshop on the renewal Ana Alvarez · due 15 Dec 2026 · "
        "agreed 2026-Q4 Bring their CTO Trust between the organisations: 3.0 when the plan started; no check-up since"
    ) in actions


def test_bad_input_says_what_to_change_in_one_line_and_keeps_everything_typed(ana, partner, items):
    client = client_for(ana)
    url = reverse("action_item_add", args=[partner.pk])
    typed = {"description": "Run a joint workshop", "owner": ana.pk, "items": [items["traits.face_to_face"].pk]}

    missing = client.post(url, {**typed, "due_on": ""})
    past = client.post(url, {**typed, "due_on": "2026-11-02", "note": "Before the board meeting"})

    assert missing.status_code == past.status_code == 400
    lost = "Nothing was saved, and nothing you entered was lost. Please fix:"
    assert f"{lost} Due date : Give it a due date." in text(missing.content.decode())
    html = past.content.decode()
    assert f"{lost} Due date : Pick a due date from today (20 Nov 2026) on." in text(html)
    # The summary links to the field, and the page returns to the form when it is refused.
    assert '<a href="#id_due_on" class="alert-link">Due date</a>' in html
    assert f'action="{url}#action-form"' in html
    assert (
        'value="Run a joint workshop"' in html and 'value="2026-11-02"' in html and "Before the board meeting" in html
    )
    assert re.search(rf'value="{items["traits.face_to_face"].pk}"[^>]*checked', html)
    stranger = UserFactory(username="zoe", role="account_manager")
    tampered = client.post(url, {**typed, "owner": stranger.pk, "due_on": "2026-12-01"})
    assert tampered.status_code == 400
    assert "lost. Please fix: Owner : Choose the owner from the partner's owners or leadership." in text(
        tampered.content.decode()
    )
    assert not ActionItem.objects.exists()


def test_a_form_posted_from_another_page_returns_there_but_never_to_another_site(ana, partner):
    client = client_for(ana)
    url = reverse("action_item_add", args=[partner.pk])
    fields = {"description": "Call their CFO", "owner": ana.pk, "due_on": "2026-12-01"}

    back = client.post(url, {**fields, "next": "/cases/7/"})
    away = client.post(url, {**fields, "next": "https://evil.example/"})

    assert back["Location"] == "/cases/7/"
    assert away["Location"].startswith(reverse("partner_detail", args=[partner.pk]) + "#action-")
    form = client.get(url + "?next=/cases/7/").content.decode()
    assert '<input type="hidden" name="next" value="/cases/7/">' in form


def test_an_owner_edits_an_action_and_sees_its_progress_on_the_form(ana, lena, partner, items):
    action = ActionItemFactory(
        partner=partner,
        period=PeriodFactory.of("2026-Q3"),
        owner=ana,
        description="Rebuild trust with their new COO",
        due_on=dt.date(2026, 12, 31),
        items=[items["characteristics.trust"]],
    )
    client = client_for(ana)
    url = reverse("action_item_edit", args=[action.pk])

    form = client.get(url).content.decode()
    assert "Trust between the organisations: 2.0 when the plan started → 3.0 in 2026-Q4" in text(form)
    assert 'value="Rebuild trust with their new COO"' in form and 'value="2026-12-31"' in form

    response = client.post(
        url, {"description": "Rebuild trust with their COO", "owner": lena.pk, "due_on": "2027-01-15"}, follow=True
    )

    assert "Action saved: Rebuild trust with their COO" in response.content.decode()
    action.refresh_from_db()
    assert (action.description, action.owner, action.due_on) == (
        "Rebuild trust with their COO",
        lena,
        dt.date(2027, 1, 15),
    )
    assert list(action.items.all()) == []


def test_an_owner_marks_an_action_done_reopens_it_and_deletes_it(ana, partner):
    action = ActionItemFactory(
        partner=partner, period=PeriodFactory.of("2026-Q3"), owner=ana, description="Share the pipeline"
    )
    client = client_for(ana)

    done = client.post(reverse("action_item_done", args=[action.pk]), follow=True).content.decode()
    assert "Marked done: Share the pipeline" in done
    assert "Done 20 Nov by Ana Alvarez" in section(done, "actions") and "Reopen" in section(done, "actions")

    reopened = client.post(reverse("action_item_reopen", args=[action.pk]), follow=True).content.decode()
    assert "Reopened: Share the pipeline" in reopened
    assert "Mark done" in section(reopened, "actions") and "Done 20 Nov" not in reopened

    confirm = client.get(reverse("action_item_delete", args=[action.pk])).content.decode()
    assert "Delete this action? Share the pipeline Northwind Systems · Ana Alvarez · due 30 Sep 2026" in text(confirm)
    deleted = client.post(reverse("action_item_delete", args=[action.pk]), follow=True)
    assert deleted.redirect_chain[-1][0].endswith("#actions")
    assert "Deleted: Share the pipeline" in deleted.content.decode()
    assert not ActionItem.objects.exists()


def test_the_partner_page_flags_an_overdue_action_and_shows_whether_the_plan_worked(ana, partner, items):
    ActionItemFactory(
        partner=partner,
        period=PeriodFactory.of("2026-Q3"),
        owner=ana,
        description="Rebuild trust with their new COO",
        due_on=dt.date(2026, 11, 10),
        items=[items["characteristics.trust"], items["traits.face_to_face"]],
    )
    actions = section(partner_page(ana, partner), "actions")

    assert "Rebuild trust with their new COO Overdue Ana Alvarez · due 10 Nov 2026 · agreed 2026-Q3" in actions
    assert "Trust between the organisations: 2.0 when the plan started → 3.0 in 2026-Q4 recovered" in actions
    assert "Meeting face to face: 4.0 when the plan started → 4.0 in 2026-Q4 Mark done" in actions
    assert "characteristics.trust" not in actions and "face_to_face" not in actions


# --- who may do what ---------------------------------------------------------------------


def test_another_managers_action_is_a_404_everywhere_and_stays_as_it_was(ana, partner):
    action = ActionItemFactory(partner=partner, owner=ana, description="Share the pipeline")
    ben = client_for(UserFactory(username="ben", role="account_manager"))

    assert ben.get(reverse("action_item_add", args=[partner.pk])).status_code == 404
    assert ben.post(reverse("action_item_add", args=[partner.pk]), {"description": "x"}).status_code == 404
    for name in ("action_item_edit", "action_item_delete"):
        assert ben.get(reverse(name, args=[action.pk])).status_code == 404
    for name in ("action_item_edit", "action_item_done", "action_item_reopen", "action_item_delete"):
        assert ben.post(reverse(name, args=[action.pk]), {"description": "Hijacked"}).status_code == 404
    assert ben.get(reverse("action_item_edit", args=[999999])).status_code == 404

    action.refresh_from_db()
    assert (action.description, action.done_at) == ("Share the pipeline", None)


def test_a_leader_who_owns_an_action_may_mark_it_done_but_not_edit_it(ana, lena, partner):
    action = ActionItemFactory(
        partner=partner,
        period=PeriodFactory.of("2026-Q3"),
        owner=lena,
        description="Call their CEO",
        due_on=dt.date(2026, 12, 1),
    )
    html = section(partner_page(lena, partner), "actions")
    assert "Call their CEO Lena Fischer · due 1 Dec 2026 · agreed 2026-Q3 Mark done" in html
    assert "Edit" not in html and "Delete" not in html and "Add an action" not in html

    client = client_for(lena)
    assert client.get(reverse("action_item_edit", args=[action.pk])).status_code == 404
    assert client.post(reverse("action_item_done", args=[action.pk])).status_code == 302
    action.refresh_from_db()
    assert action.done_by == lena

    other = ActionItemFactory(partner=partner, period=PeriodFactory.of("2026-Q3"), owner=ana, description="Not hers")
    assert "Mark done" not in section(partner_page(lena, PartnerFactory(name="Empty")), "actions")
    assert client.post(reverse("action_item_done", args=[other.pk])).status_code == 404


# --- My check-ups ------------------------------------------------------------------------


def test_my_checkups_lists_my_open_actions_soonest_first_with_the_overdue_flagged(ana, lena, partner):
    q3 = PeriodFactory.of("2026-Q3")
    cedar = PartnerFactory(name="Cedar Analytics", owners=[ana])
    ActionItemFactory(
        partner=cedar, period=q3, owner=ana, description="Agree a joint plan", due_on=dt.date(2026, 12, 4)
    )
    ActionItemFactory(
        partner=partner, period=q3, owner=ana, description="Share the pipeline", due_on=dt.date(2026, 11, 10)
    )
    ActionItemFactory(
        partner=partner, period=q3, owner=ana, description="Already done", done_at=dt.datetime.now(dt.UTC)
    )
    ActionItemFactory(partner=partner, period=q3, owner=lena, description="Lena's own")
    draft = CheckupFactory(partner=cedar, period=PeriodFactory.of("2026-Q4"), rater=ana)
    ActionItemFactory(partner=cedar, period=q3, owner=ana, checkup=draft, description="Still a draft")

    html = client_for(ana).get(reverse("my_checkups")).content.decode()

    mine = section(html, "my-actions")
    assert mine.startswith("My open action items (2)")
    assert (
        "Share the pipeline Overdue Northwind Systems · due 10 Nov 2026, 10 days ago Mark done : Share the pipeline "
        "Agree a joint plan Cedar Analytics · due 4 Dec 2026 Mark done : Agree a joint plan"
    ) in mine
    for absent in ("Already done", "Lena's own", "Still a draft"):
        assert absent not in mine

    action = ActionItem.objects.get(description="Share the pipeline")
    response = client_for(ana).post(
        reverse("action_item_done", args=[action.pk]), {"next": reverse("my_checkups") + "#my-actions"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("my_checkups") + "#my-actions"
    assert "My open action items (1)" in text(response.content.decode())


def test_a_leader_sees_her_own_open_actions_on_my_checkups(lena, partner):
    ActionItemFactory(
        partner=partner,
        period=PeriodFactory.of("2026-Q3"),
        owner=lena,
        description="Call their CEO",
        due_on=dt.date(2026, 12, 1),
    )
    assert "Call their CEO Northwind Systems · due 1 Dec 2026" in section(
        client_for(lena).get(reverse("my_checkups")).content.decode(), "my-actions"
    )


# --- query counts ------------------------------------------------------------------------


def queries(user, url) -> int:
    client = client_for(user)
    client.get(url)  # warm the session and per-process caches
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_the_partner_page_and_my_checkups_cost_the_same_queries_for_one_action_or_twelve(ana, lena, partner, items):
    linked = [items["characteristics.trust"], items["traits.face_to_face"], items["symptoms.one_sided_pencil"]]
    q3 = PeriodFactory.of("2026-Q3")
    other = PartnerFactory(name="Cedar Analytics", owners=[ana])
    first = ActionItemFactory(partner=partner, period=q3, owner=ana, items=linked[:1])
    urls = [reverse("partner_detail", args=[partner.pk]), reverse("my_checkups")]
    one = {(user.username, url): queries(user, url) for user in (ana, lena) for url in urls}

    for n in range(11):
        ActionItemFactory(
            partner=[partner, other][n % 2], period=q3, owner=[ana, lena][n % 3 == 0], items=linked[: 1 + n % 3]
        )
    twelve = {(user.username, url): queries(user, url) for user in (ana, lena) for url in urls}

    assert twelve == one
    assert first.pk and ActionItem.objects.count() == 12

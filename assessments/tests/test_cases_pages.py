"""The case page and the partner page's case: findings, history, the four actions, and watch findings."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments.models import Alert, Case, CaseEvent
from assessments.periods import Quarter
from assessments.services.alerts import partner_evaluate, trends_scan
from assessments.tests.alerting import DECLINING, ONE_DIP, leader, manager, partner_with_history

pytestmark = pytest.mark.django_db

LAST = Quarter(2026, 3)


@pytest.fixture
def declining(items):
    ana = manager("ana", first_name="Ana", last_name="Alvarez")
    lena = leader("lena", first_name="Lena", last_name="Lund")
    partner = partner_with_history(items=items, name="Oakline Logistics", owners=[ana], levels=DECLINING, last=LAST)
    partner_evaluate(partner_id=partner.id)
    return {"ana": ana, "lena": lena, "partner": partner, "case": Case.objects.get(partner=partner)}


def page_of(client, user, case) -> str:
    client.force_login(user)
    response = client.get(f"/cases/{case.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_case_page_shows_the_partner_state_owners_findings_with_explanations_and_the_history(client, declining):
    case = declining["case"]

    page = page_of(client, declining["ana"], case)

    assert "Oakline Logistics" in page and f"case {case.pk}" in page
    assert '<span class="badge text-bg-danger">Critical</span>' in page and "<strong>Open</strong>" in page
    assert "Ana Alvarez" in page and "Nobody yet" in page
    assert "Health before the decline</dt>" in page and "75 (its usual swing ±" in page
    findings = page.split('id="findings-heading"')[1].split("</section>")[0]
    assert f"{LAST.code} · <a href=" in findings and "Overall health declining" in findings
    assert "Overall health fell from 75 to 25" in findings
    history = page.split('id="history-heading"')[1]
    assert "<strong>Opened</strong> by Partner Health" in history
    assert "<strong>Finding joined</strong>" in history
    for action in ("acknowledge", "snooze", "assign", "resolve"):
        assert f'action="/cases/{case.pk}/{action}/#' in page
    plan = page.split('id="action-plan-heading"')[1].split("</section>")[0]
    assert "No action yet." in plan and f'href="/partners/{declining["partner"].pk}/actions/new/?case={case.pk}' in plan
    worked = page.split('id="did-it-work-heading"')[1].split("</section>")[0]
    assert "Once an action is linked to rubric items" in worked


def test_acknowledging_on_the_case_page_records_the_note_and_the_button_goes_away(client, declining):
    case = declining["case"]
    client.force_login(declining["ana"])

    response = client.post(f"/cases/{case.pk}/acknowledge/", {"note": "Met their COO"}, follow=True)

    page = response.content.decode()
    assert "Acknowledged: Oakline Logistics." in page
    assert f'action="/cases/{case.pk}/acknowledge/#ack-heading"' not in page, (
        "an acknowledged case is not acknowledged again"
    )
    assert "by Ana Alvarez on" in page and "“Met their COO”" in page
    assert "<strong>Acknowledged</strong> by Ana Alvarez (open → acknowledged)" in page


def test_a_bad_snooze_shows_the_page_again_with_a_one_line_error_and_keeps_what_was_typed(client, declining):
    case = declining["case"]
    client.force_login(declining["ana"])

    response = client.post(f"/cases/{case.pk}/snooze/", {"until": "2020-01-01", "note": "QBR booked"})

    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose a date after today." in page and "QBR booked" in page
    assert Case.objects.get(pk=case.pk).state == "open"


def test_resolving_on_the_case_page_needs_a_reason_and_then_shows_it(client, declining):
    case = declining["case"]
    client.force_login(declining["lena"])

    missing = client.post(f"/cases/{case.pk}/resolve/", {"note": "?"})
    done = client.post(
        f"/cases/{case.pk}/resolve/", {"resolution": "false_alarm", "note": "Data entry error"}, follow=True
    )

    assert missing.status_code == 400 and "Choose why the case is resolved." in missing.content.decode()
    page = done.content.decode()
    assert "Resolved (false alarm): Oakline Logistics." in page
    assert "False alarm, by Lena Lund on" in page
    assert 'action="/cases/' not in page, "a resolved case offers no actions"


def test_assigning_on_the_case_page_offers_the_owners_and_leadership_only(client, declining):
    case = declining["case"]
    manager("ben", first_name="Ben", last_name="Berg")

    page = page_of(client, declining["ana"], case)
    options = re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', page.split('id="assign-heading"')[1])
    assert options == ["Ana Alvarez", "Lena Lund"]

    client.post(f"/cases/{case.pk}/assign/", {"assignee": declining["lena"].pk, "note": "Needs their CEO"})
    assert Case.objects.get(pk=case.pk).assignee == declining["lena"]
    assert "<strong>Assigned</strong> by Ana Alvarez to Lena Lund" in page_of(client, declining["ana"], case)


def _case_page_queries(client, user, case) -> int:
    client.force_login(user)
    client.get(f"/cases/{case.pk}/")
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"/cases/{case.pk}/").status_code == 200
    return len(captured.captured_queries)


def test_the_case_page_costs_the_same_queries_however_long_its_history(client, declining):
    case = declining["case"]
    short = _case_page_queries(client, declining["ana"], case)
    CaseEvent.objects.bulk_create(
        CaseEvent(case=case, kind="assigned", user=declining["lena"], assignee=declining["ana"], note=f"#{n}")
        for n in range(50)
    )

    assert _case_page_queries(client, declining["ana"], case) == short


def test_the_partner_page_shows_its_open_case_and_links_to_it(client, declining):
    client.force_login(declining["ana"])

    page = client.get(f"/partners/{declining['partner'].pk}/").content.decode()

    assert "Critical case, Open" in page and f'href="/cases/{declining["case"].pk}/">Open the case</a>' in page


def test_a_watch_finding_shows_on_the_partner_page_as_on_watch_and_opens_no_case(client, items):
    ana = manager("ana")
    # The dip is in the latest quarter: one bad quarter, not yet a trend.
    partner = partner_with_history(items=items, name="Quartz", owners=[ana], levels=ONE_DIP[:-1], last=LAST)
    trends_scan(all_periods=True)
    watch = Alert.objects.filter(partner=partner, period__code=LAST.code, severity="watch").order_by("rule").first()
    assert watch is not None and not Case.objects.exists()
    client.force_login(ana)

    page = client.get(f"/partners/{partner.pk}/").content.decode()

    section = page.split('id="on-watch-heading"')[1].split("</section>")[0]
    assert "these findings open no case and nobody is e-mailed" in section
    assert watch.explanation in section
    assert "Open the case" not in page
    assert 'href="/cases/' not in page.split("</nav>", 1)[1].split('id="alerts"')[0]


def test_a_snoozed_case_reads_as_back_the_day_after_its_date(client, declining):
    case = declining["case"]
    Case.objects.filter(pk=case.pk).update(
        state="snoozed", snoozed_until=timezone.localdate() - dt.timedelta(days=1), state_before_snooze="open"
    )

    page = page_of(client, declining["ana"], case)

    assert "<strong>Open</strong>" in page and f'action="/cases/{case.pk}/acknowledge/#ack-heading"' in page


def test_every_triage_form_returns_to_itself_so_a_refused_one_shows_its_error_in_view(client, declining):
    """Each form posts to its own anchor: a refusal (400) re-renders the page scrolled to that form."""
    case = declining["case"]
    page = page_of(client, declining["ana"], case)
    for action, anchor in [
        ("acknowledge", "ack-heading"),
        ("assign", "assign-heading"),
        ("snooze", "snooze-heading"),
        ("resolve", "resolve-heading"),
    ]:
        assert f'action="/cases/{case.pk}/{action}/#{anchor}"' in page and f'id="{anchor}"' in page
    refused = client.post(f"/cases/{case.pk}/snooze/", {"until": "", "note": ""})
    assert refused.status_code == 400
    assert 'id="snooze-heading"' in refused.content.decode()

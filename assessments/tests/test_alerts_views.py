"""Alert pages: who sees which, acknowledging with a note, snoozing with a reason, the partner's history.

The inbox is Cases now (test_cases_inbox.py); the old list address leads there.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from assessments.models import Alert, AlertAction
from assessments.periods import Quarter
from assessments.selectors.alerts import alert_is_open, alerts_for_partner
from assessments.services.alerts import partner_evaluate
from assessments.tests.alerting import DECLINING, leader, manager, partner_with_history

pytestmark = pytest.mark.django_db

LAST = Quarter(2026, 3)


@pytest.fixture
def portfolio(items):
    ana, ben = manager("ana", first_name="Ana", last_name="Alvarez"), manager("ben")
    lena = leader("lena", last_name="Fischer")
    mine = partner_with_history(items=items, name="Oakline Logistics", owners=[ana], levels=DECLINING, last=LAST)
    theirs = partner_with_history(items=items, name="Redwood Digital", owners=[ben], levels=DECLINING, last=LAST)
    partner_evaluate(partner_id=mine.id)
    partner_evaluate(partner_id=theirs.id)
    alert = Alert.objects.get(partner=mine, rule="health_decline", period__code=LAST.code)
    return {"ana": ana, "ben": ben, "lena": lena, "mine": mine, "theirs": theirs, "alert": alert}


def test_a_manager_sees_the_alerts_of_partners_they_own_and_nobody_elses(client, portfolio):
    client.force_login(portfolio["ana"])

    page = client.get(f"/alerts/{portfolio['alert'].pk}/").content.decode()

    assert "Oakline Logistics" in page and "Overall health declining" in page and "Critical" in page
    other = Alert.objects.filter(partner=portfolio["theirs"]).first()
    assert client.get(f"/alerts/{other.pk}/").status_code == 404
    assert client.post(f"/alerts/{other.pk}/acknowledge/", {"note": "x"}).status_code == 404
    assert Alert.objects.get(pk=other.pk).status == "open"


def test_the_old_alert_list_address_leads_to_the_cases_inbox(client, portfolio):
    client.force_login(portfolio["lena"])

    response = client.get("/alerts/", follow=True)

    assert response.redirect_chain == [("/cases/", 302)]
    page = response.content.decode()
    assert "Oakline Logistics" in page and "Redwood Digital" in page


def test_the_alert_page_shows_how_it_moved_the_items_that_dropped_and_the_next_step(client, portfolio):
    client.force_login(portfolio["ana"])

    page = client.get(f"/alerts/{portfolio['alert'].pk}/").content.decode()

    assert "Overall health fell from 75 to 25" in page
    assert "Quality of product or service" in page and "Their work is consistently excellent" in page
    assert f'href="{settings.SITE_URL}/partners/{portfolio["mine"].pk}/"' in page
    for field in ("note", "reason", "until"):
        assert re.search(rf'<label\s+for="id_{field}"', page), f"the {field} field has a label"


def test_acknowledging_with_a_note_closes_the_alert_and_keeps_it_in_the_partners_history(client, portfolio):
    alert = portfolio["alert"]
    client.force_login(portfolio["ana"])

    response = client.post(
        f"/alerts/{alert.pk}/acknowledge/", {"note": "Met their COO; joint plan agreed"}, follow=True
    )

    page = response.content.decode()
    assert "Acknowledged: Oakline Logistics, 2026-Q3" in page
    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_by, alert.note) == (
        "acknowledged",
        portfolio["ana"],
        "Met their COO; joint plan agreed",
    )
    history = client.get(f"/alerts/{alert.pk}/").content.decode()
    assert "acknowledged by Ana Alvarez" in history and "Met their COO" in history


def test_snoozing_needs_a_reason_and_a_future_date_and_keeps_what_was_typed(client, portfolio):
    alert = portfolio["alert"]
    client.force_login(portfolio["lena"])
    tomorrow = timezone.localdate() + dt.timedelta(days=1)

    missing_reason = client.post(f"/alerts/{alert.pk}/snooze/", {"reason": "", "until": tomorrow.isoformat()})
    past_date = client.post(f"/alerts/{alert.pk}/snooze/", {"reason": "QBR booked", "until": "2020-01-01"})

    assert missing_reason.status_code == 400
    assert "Say why you are snoozing this alert." in missing_reason.content.decode()
    assert f'value="{tomorrow.isoformat()}"' in missing_reason.content.decode(), "the date typed is kept"
    assert past_date.status_code == 400
    page = past_date.content.decode()
    assert "Choose a date after today." in page and "QBR booked" in page
    alert.refresh_from_db()
    assert alert.status == "open"


def test_a_snoozed_alert_hides_until_its_date_and_reopens_the_day_after(client, portfolio):
    alert = portfolio["alert"]
    client.force_login(portfolio["ana"])
    until = timezone.localdate() + dt.timedelta(days=14)

    client.post(f"/alerts/{alert.pk}/snooze/", {"reason": "QBR booked for next week", "until": until.isoformat()})

    alert.refresh_from_db()
    assert (alert.status, alert.snoozed_until) == ("snoozed", until)
    assert not alert_is_open(alert)
    assert until.strftime("%-d %B %Y") in client.get(f"/alerts/{alert.pk}/").content.decode()
    Alert.objects.filter(pk=alert.pk).update(snoozed_until=timezone.localdate() - dt.timedelta(days=1))
    alert.refresh_from_db()
    assert alert_is_open(alert)
    assert AlertAction.objects.get(alert=alert).note == "QBR booked for next week"


def test_the_partner_partial_lists_its_alerts_with_who_dealt_with_them(client, portfolio):
    alert = portfolio["alert"]
    client.force_login(portfolio["ana"])
    client.post(f"/alerts/{alert.pk}/acknowledge/", {"note": "Joint plan agreed"})

    rows = alerts_for_partner(user=portfolio["ana"], partner_id=portfolio["mine"].pk)
    html = render_to_string("alerts/_partner_alerts.html", {"partner_alerts": rows})

    assert rows[0].period.code == LAST.code, "newest quarter first"
    assert "Acknowledged by Ana Alvarez" in html and "Joint plan agreed" in html
    assert "Overall health declining" in html
    assert alerts_for_partner(user=portfolio["ben"], partner_id=portfolio["mine"].pk) == []


def test_the_navigation_links_to_cases_not_alerts(client, portfolio):
    client.force_login(portfolio["ana"])

    page = client.get("/cases/").content.decode()

    assert '<a class="nav-link" href="/cases/">Cases</a>' in page
    assert 'href="/alerts/"' not in page

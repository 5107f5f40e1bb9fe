"""One set of numbers per alert: the explanation, the alert page and the e-mail read the detector's stored numbers."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.utils import timezone

from assessments.evidence import Evidence, ItemEvidence
from assessments.models import Alert, Checkup
from assessments.periods import Quarter
from assessments.services.alerts import partner_evaluate
from assessments.services.outbox import outbox_send_due
from assessments.tests.alerting import leader, manager, partner_with_history
from assessments.tests.factories import PartnerFactory, PeriodFactory

LAST = Quarter(2026, 3)
# The client-service team was excellent for a year, good for half a year, then weak: the
# detector's baseline (median of the 6 quarters before the window) is 5.0, while a median
# of the 4 quarters before the alert's quarter would say 4.0. "Little to no interaction"
# sits at moderate all along: a persistent symptom whose change from baseline is 0.0.
STEADY_HIGH = {"rating": 4, "characteristics__service_team": 5, "symptoms__little_interaction": 2}
STEADY_LOWER = {"rating": 4, "characteristics__service_team": 4, "symptoms__little_interaction": 2}
CRASH = {"rating": 2, "characteristics__service_team": 2, "symptoms__little_interaction": 2}
HISTORY = [STEADY_HIGH] * 4 + [STEADY_LOWER] * 2 + [CRASH] * 2


def _table(page: str, table_id: str) -> str:
    match = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.S)
    return match.group(0) if match else ""


def _row(table: str, title: str) -> list[str]:
    """The cells of the table row whose heading starts with ``title``, as text."""
    for row in re.findall(r"<tr>.*?</tr>", table, re.S):
        if f">{title} <" in row:
            cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
            return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in cells]
    return []


def _block(body: str, heading: str) -> str:
    """The lines of a plain-text e-mail section, from its heading to the next blank line."""
    start = body.index(heading)
    end = body.find("\n\n", start)
    return body[start : end if end != -1 else None]


@pytest.fixture
def declined(items):
    ana = manager("ana", first_name="Ana")
    leader("lena")
    partner = partner_with_history(items=items, name="Oakline Logistics", owners=[ana], levels=HISTORY, last=LAST)
    # The history is already on record (imported, say): today's scan judges the latest quarter only,
    # so every rule, the persistent symptom's included, speaks about the same quarter and e-mail.
    Checkup.objects.filter(partner=partner).update(evaluated_at=timezone.now())
    partner_evaluate(partner_id=partner.id)
    alerts = {a.rule: a for a in Alert.objects.filter(partner=partner, period__code=LAST.code)}
    return {"ana": ana, "partner": partner, "alerts": alerts}


@pytest.mark.django_db
def test_the_explanation_the_alert_page_and_the_email_show_the_same_numbers(client, declined):
    alert = declined["alerts"]["health_decline"]
    client.force_login(declined["ana"])

    page = client.get(f"/alerts/{alert.pk}/").content.decode()
    outbox_send_due()
    (email,) = [m for m in mail.outbox if m.to == ["ana@example.com"]]

    # The explanation: the detector's baseline of 5.0, not a 4-quarter median's 4.0.
    assert "Client-service team 5.0→2.0" in alert.explanation
    health = re.search(r"Overall health fell from (\d+) to (\d+)", alert.explanation)
    assert health is not None
    baseline, now = health.groups()
    # The page: the same health figures and the same item move, with its change.
    health_table = re.search(r"<caption>Overall health against its baseline.*?</table>", page, re.S).group(0)
    assert f'Baseline</th><td class="text-end">{baseline}</td>' in health_table
    assert f'{LAST.code}</th><td class="text-end">{now}</td>' in health_table
    assert _row(_table(page, "items-worse"), "Client-service team")[:3] == ["5.0", "2.0", "\u22123.0"]
    # The e-mail: the same again, in words and in its tables.
    assert alert.explanation in email.body
    assert f"  Baseline  {baseline:>5}  Watch" in email.body
    assert f"  {LAST.code}   {now:>5}  " in email.body
    assert "Client-service team (rating 1-5): 5.0 → 2.0 (\u22123.0)" in email.body
    assert "Client-service team (rating 1-5): 4.0" not in email.body


@pytest.mark.django_db
def test_an_item_whose_change_is_zero_is_never_listed_as_a_drop(client, declined):
    alert = declined["alerts"]["symptom_persistent"]
    client.force_login(declined["ana"])

    page = client.get(f"/alerts/{alert.pk}/").content.decode()
    outbox_send_due()
    (email,) = [m for m in mail.outbox if m.to == ["ana@example.com"]]

    assert "Little to no interaction has been moderate or worse for 8 quarters in a row" in alert.explanation
    (item,) = Evidence.from_json(alert.evidence).items
    assert (item.before, item.after, item.change, item.worse) == (2.0, 2.0, 0, False)
    assert "Little to no interaction" not in _table(page, "items-worse")
    assert _row(_table(page, "items-named"), "Little to no interaction")[:3] == ["2.0", "2.0", "0.0"]
    assert "Little to no interaction" not in _block(email.body, "Items that got worse")
    named = _block(email.body, "Also named")
    assert "Little to no interaction (symptom 0-3, higher is worse): 2.0 → 2.0 (0.0)" in named


@pytest.mark.django_db
def test_an_alert_stores_the_detectors_baseline_window_and_items(declined):
    evidence = declined["alerts"]["health_decline"].evidence

    (health,) = evidence["scores"]
    assert health["key"] == "health" and health["baseline"]["band"] == "watch"
    assert health["baseline"]["periods"] == [q.code for q in LAST.shift(-2).window(6)]
    assert [r["period"] for r in health["window"]] == [LAST.previous().code, LAST.code]
    service = next(i for i in evidence["items"] if i["address"] == "characteristics.service_team")
    assert service == {
        "address": "characteristics.service_team",
        "scale": "rating",
        "before": 5.0,
        "after": 2.0,
        "before_points": 100.0,
        "after_points": 25.0,
    }


@pytest.mark.django_db
def test_an_alert_recorded_before_numbers_were_stored_still_shows_its_page(client, rubric_version):
    lena = leader("lena")
    alert = Alert.objects.create(
        partner=PartnerFactory(name="Old Partner"),
        period=PeriodFactory(quarter_value=LAST),
        rule="health_decline",
        severity="warning",
        explanation="Health fell 12 points below its usual level.",
    )
    client.force_login(lena)

    response = client.get(f"/alerts/{alert.pk}/")

    page = response.content.decode()
    assert response.status_code == 200 and alert.evidence == {}
    assert "Health fell 12 points below its usual level." in page
    assert "recorded before the numbers behind it were kept" in page
    assert 'id="items-worse"' not in page


def test_evidence_survives_its_json_form_and_an_empty_one_is_empty():
    item = ItemEvidence("symptoms.little_interaction", "intensity", after=2.0, after_points=100 / 3, before=1.0)
    evidence = Evidence(items=(item,))

    assert Evidence.from_json(evidence.to_json()) == evidence
    assert item.worse, "a symptom up is worse"
    assert not Evidence.from_json({}) and Evidence.from_json(None) == Evidence()

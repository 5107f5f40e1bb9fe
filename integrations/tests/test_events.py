"""Events become delivery rows in the writing transaction, one per subscribed endpoint, in plain words."""

from __future__ import annotations

import re

import pytest
from django.db import transaction

from assessments.models import Case
from assessments.periods import Quarter
from assessments.services.alerts import partner_evaluate
from assessments.services.case_triage import case_resolve
from assessments.services.checkups import CheckupInput, checkup_submit
from assessments.tests.alerting import CRASH, SLIP, SLIPPING, history, leader, manager, partner_with_history
from assessments.tests.factories import CheckupFactory, PartnerFactory, PeriodFactory, answers_for
from integrations.events import Event
from integrations.models import Delivery, Endpoint

pytestmark = pytest.mark.django_db

LAST = Quarter(2026, 3)
ALL_CASE = [Event.CASE_OPENED.value, Event.CASE_ESCALATED.value, Event.CASE_RESOLVED.value]
SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")


@pytest.fixture
def people(db):
    return leader("lena"), manager("ana", first_name="Ana", last_name="Silva")


def endpoint(kind="webhook", events=ALL_CASE, **kwargs) -> Endpoint:
    return Endpoint.objects.create(
        name=f"{kind} endpoint", kind=kind, url="https://hooks.example.com/in", secret="s" * 20, events=events, **kwargs
    )


def test_a_case_opened_by_decline_detection_records_one_delivery_per_subscribed_endpoint(items, people):
    _, ana = people
    hook, slack, teams = endpoint(), endpoint("slack"), endpoint("teams")
    endpoint(events=[Event.CHECKUP_SUBMITTED.value])  # not subscribed to cases
    endpoint(enabled=False)  # switched off: nothing recorded
    partner = partner_with_history(items=items, name="Cedar Logistics", owners=[ana], levels=SLIPPING, last=LAST)

    partner_evaluate(partner_id=partner.id)

    case = Case.objects.get(partner=partner)
    rows = {d.endpoint_id: d for d in Delivery.objects.all()}
    assert set(rows) == {hook.pk, slack.pk, teams.pk}
    assert {d.event for d in rows.values()} == {"case.opened"}
    body = rows[hook.pk].payload
    assert body["id"] == str(rows[hook.pk].event_id)
    assert body["type"] == "case.opened"
    assert body["url"] == f"http://testserver/cases/{case.pk}/" or body["url"].endswith(f"/cases/{case.pk}/")
    assert body["summary"].startswith("Cedar Logistics is declining: a warning case opened in 2026-Q3. Findings: ")
    assert body["data"]["case"] == {
        "id": case.pk,
        "state": "open",
        "severity": "warning",
        "episode": 1,
        "opened_period": "2026-Q3",
        "resolution": None,
        "resolved_period": None,
    }
    assert body["data"]["partner"] == {"id": partner.pk, "name": "Cedar Logistics"}
    assert body["data"]["findings"] and all(f["period"] == "2026-Q3" for f in body["data"]["findings"])
    assert {f["rule"] for f in body["data"]["findings"]} <= {
        "health_decline",
        "rubric_decline",
        "band_downgrade",
        "symptom_persistent",
        "red_flag",
    }


def test_deliveries_roll_back_with_the_transaction_that_made_the_event(items, people):
    _, ana = people
    endpoint()
    partner = partner_with_history(items=items, name="Cedar", owners=[ana], levels=SLIPPING, last=LAST)
    with pytest.raises(RuntimeError), transaction.atomic():
        partner_evaluate(partner_id=partner.id)
        assert Delivery.objects.count() == 1
        raise RuntimeError("the evaluation failed after the case opened")
    assert not Case.objects.exists()
    assert not Delivery.objects.exists()


def test_escalation_and_a_resolution_by_hand_are_events_too(items, people):
    lena, ana = people
    hook = endpoint()
    partner = partner_with_history(items=items, name="Cedar", owners=[ana], levels=SLIPPING, last=LAST)
    partner_evaluate(partner_id=partner.id)
    history(items=items, partner=partner, raters=[ana], levels=[SLIP, CRASH], last=LAST.shift(2))
    partner_evaluate(partner_id=partner.id)
    case = Case.objects.get(partner=partner)
    assert case.severity == "critical"

    case_resolve(case_id=case.pk, user=lena, resolution="false_alarm", note="Wrong figures.")

    events = list(Delivery.objects.filter(endpoint=hook).order_by("id").values_list("event", "summary"))
    assert [e for e, _ in events] == ["case.opened", "case.escalated", "case.resolved"]
    assert events[1][1].startswith("Cedar's case became critical. Findings: ")
    assert events[2][1] == "Cedar's case is resolved (false alarm)."


def test_a_submitted_checkup_is_an_event_with_the_quarters_new_health(items, people):
    _, ana = people
    hook = endpoint(events=[Event.CHECKUP_SUBMITTED.value])
    endpoint("slack", events=ALL_CASE)
    partner = PartnerFactory(name="Birch & Co", owners=[ana])
    checkup = CheckupFactory(partner=partner, rater=ana, period=PeriodFactory.of("2026-Q3"))

    checkup_submit(user=ana, checkup_id=checkup.pk, data=CheckupInput(answers=answers_for(items)))

    (row,) = Delivery.objects.all()
    assert row.endpoint_id == hook.pk and row.event == "checkup.submitted"
    assert row.payload["summary"] == (
        "Ana Silva submitted the 2026-Q3 check-up of Birch & Co. The quarter's health is now 75 (Healthy)."
    )
    assert row.payload["data"]["checkup"]["amended"] is False
    assert row.payload["data"]["snapshot"] == {"health": 75.0, "band": "healthy"}
    assert row.payload["url"].endswith(f"/checkups/{checkup.pk}/result/") or "checkup" in row.payload["url"]


def test_slack_gets_block_kit_in_plain_words_with_a_link_to_the_case(items, people):
    _, ana = people
    slack = endpoint("slack")
    partner = partner_with_history(items=items, name="Cedar <Logistics>", owners=[ana], levels=SLIPPING, last=LAST)
    partner_evaluate(partner_id=partner.id)
    case = Case.objects.get(partner=partner)

    body = Delivery.objects.get(endpoint=slack).payload

    assert body["text"].startswith("Case opened: Cedar <Logistics>. Cedar <Logistics> is declining")
    header, summary, fields, actions = body["blocks"]
    assert header == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Case opened: Cedar <Logistics>", "emoji": False},
    }
    # mrkdwn escapes <, > and & so a partner's name cannot become a link or a mention.
    assert summary["text"]["text"].startswith("Cedar &lt;Logistics&gt; is declining: a warning case opened in 2026-Q3.")
    labels = [f["text"].split("\n")[0] for f in fields["fields"]]
    assert labels == ["*Partner*", "*Severity*", "*Findings*", "*Quarter*"]
    assert fields["fields"][1]["text"] == "*Severity*\nWarning"
    assert (
        "Overall health declining" in fields["fields"][2]["text"] or "Rubric declining" in fields["fields"][2]["text"]
    )
    (button,) = actions["elements"]
    assert button["url"].endswith(f"/cases/{case.pk}/") and button["text"]["text"] == "Open the case"
    words = " ".join([body["text"], summary["text"]["text"], *[f["text"] for f in fields["fields"]]])
    assert not SNAKE.findall(words), "no keys like health_decline or at_risk in a chat message"


def test_teams_gets_an_adaptive_card_in_the_incoming_webhook_envelope(items, people):
    _, ana = people
    teams = endpoint("teams")
    partner = partner_with_history(items=items, name="Cedar", owners=[ana], levels=SLIPPING, last=LAST)
    partner_evaluate(partner_id=partner.id)
    case = Case.objects.get(partner=partner)

    body = Delivery.objects.get(endpoint=teams).payload

    assert body["type"] == "message"
    (attachment,) = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    title, summary, facts = card["body"]
    assert title["text"] == "Case opened: Cedar" and title["weight"] == "Bolder"
    assert summary["text"].startswith("Cedar is declining: a warning case opened in 2026-Q3. Findings: ")
    assert [f["title"] for f in facts["facts"]] == ["Partner", "Severity", "Findings", "Quarter"]
    assert facts["facts"][1]["value"] == "Warning"
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Open the case", "url": body_url(case)}]
    words = " ".join([title["text"], summary["text"], *[f["value"] for f in facts["facts"]]])
    assert not SNAKE.findall(words)


def body_url(case) -> str:
    from django.conf import settings

    return f"{settings.SITE_URL}/cases/{case.pk}/"


def test_a_replayed_history_sends_nothing(items, people):
    _, ana = people
    endpoint()
    partner = partner_with_history(items=items, name="Cedar", owners=[ana], levels=SLIPPING, last=LAST)
    partner_evaluate(partner_id=partner.id, notify=False)
    assert Case.objects.filter(partner=partner).exists()
    assert not Delivery.objects.exists()


def test_an_amended_checkup_says_so(items, people):
    from assessments.services.checkups import checkup_amend

    _, ana = people
    endpoint(events=[Event.CHECKUP_SUBMITTED.value])
    partner = PartnerFactory(name="Birch", owners=[ana])
    checkup = CheckupFactory(partner=partner, rater=ana, period=PeriodFactory.of("2026-Q3"))
    checkup_submit(user=ana, checkup_id=checkup.pk, data=CheckupInput(answers=answers_for(items)))
    checkup_amend(user=ana, checkup_id=checkup.pk, data=CheckupInput(answers=answers_for(items, rating=3)))

    first, second = Delivery.objects.order_by("id")
    assert second.payload["summary"].startswith("Ana Silva amended the 2026-Q3 check-up of Birch.")
    assert (second.payload["data"]["checkup"]["amended"], second.payload["data"]["checkup"]["revision"]) == (True, 1)
    assert first.event_id != second.event_id


def test_the_partner_survey_can_announce_a_response_with_its_own_words_and_keys(db):
    from assessments.signals import survey_responded

    hook = endpoint(events=[Event.SURVEY_RESPONDED.value])
    endpoint("slack")  # chat channels hear of cases only

    survey_responded.send(
        sender=object,
        response=None,
        title="Survey answered: Cedar",
        summary="Cedar answered the 2026-Q3 partner survey.",
        url="https://health.example.com/partners/3/",
        data={"survey": {"id": 7, "period": "2026-Q3"}, "partner": {"id": 3, "name": "Cedar"}},
    )

    (row,) = Delivery.objects.all()
    assert row.endpoint_id == hook.pk and row.event == "survey.responded"
    assert row.payload["type"] == "survey.responded"
    assert row.payload["summary"] == "Cedar answered the 2026-Q3 partner survey."
    assert row.payload["data"]["survey"] == {"id": 7, "period": "2026-Q3"}

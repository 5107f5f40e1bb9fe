"""Case e-mails: opened to the owners, critical to leadership, resolved to the owners; once each, after commit."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import mail
from django.db import transaction

from assessments.models import AlertDelivery, Case, CaseDelivery
from assessments.periods import Quarter
from assessments.services import dispatch
from assessments.services.alerts import partner_evaluate, trends_scan
from assessments.services.case_triage import case_resolve
from assessments.services.outbox import outbox_send_due
from assessments.task_names import TaskName
from assessments.tests.alerting import CRASH, SLIP, STEADY, history, leader, manager, partner_with_history

pytestmark = pytest.mark.django_db

LAST = Quarter(2026, 3)


def sent() -> list[tuple[str, str]]:
    """(recipient, subject) of every e-mail so far, in order."""
    return [(m.to[0].split("@")[0], m.subject) for m in mail.outbox]


def _html(message) -> str:
    return next(content for content, mimetype in message.alternatives if mimetype == "text/html")


@pytest.fixture
def people():
    return {
        "ana": manager("ana", first_name="Ana", last_name="Alvarez"),
        "ben": manager("ben", first_name="Ben"),
        "lena": leader("lena", first_name="Lena", last_name="Lund"),
        "leo": leader("leo", first_name="Leo"),
    }


def test_a_decline_from_warning_to_critical_to_recovery_sends_three_emails_each_once_to_the_right_people(items, people):
    ana, ben = people["ana"], people["ben"]
    partner = partner_with_history(
        items=items, name="Cedar Digital", owners=[ana, ben], levels=[STEADY] * 6 + [SLIP] * 2, last=LAST
    )

    partner_evaluate(partner_id=partner.id)
    partner_evaluate(partner_id=partner.id)  # a second evaluation of the same news
    outbox_send_due()
    assert sent() == [
        ("ana", f"[Partner Health] Case opened: Cedar Digital — Warning ({LAST.code})"),
        ("ben", f"[Partner Health] Case opened: Cedar Digital — Warning ({LAST.code})"),
    ]

    history(items=items, partner=partner, raters=[ana, ben], levels=[SLIP, CRASH], last=LAST.shift(2))
    partner_evaluate(partner_id=partner.id)
    trends_scan()
    outbox_send_due()
    escalated = sent()[2:]
    assert [to for to, _ in escalated] == ["lena", "leo"]
    assert escalated[0][1].startswith("[Partner Health] Critical: Cedar Digital — ")

    history(items=items, partner=partner, raters=[ana, ben], levels=[STEADY, STEADY], last=LAST.shift(4))
    partner_evaluate(partner_id=partner.id)
    trends_scan()
    outbox_send_due()
    assert sent()[4:] == [
        ("ana", "[Partner Health] Resolved: Cedar Digital — Recovered"),
        ("ben", "[Partner Health] Resolved: Cedar Digital — Recovered"),
    ]

    assert Case.objects.get(partner=partner).state == "resolved"
    assert sorted(CaseDelivery.objects.values_list("recipient__username", "kind", "status")) == [
        ("ana", "opened", "sent"),
        ("ana", "resolved", "sent"),
        ("ben", "opened", "sent"),
        ("ben", "resolved", "sent"),
        ("lena", "escalated", "sent"),
        ("leo", "escalated", "sent"),
    ]
    assert not AlertDelivery.objects.exists(), "no per-alert e-mails any more"
    assert outbox_send_due().sent == 0 and len(mail.outbox) == 6


def test_the_opened_email_says_what_was_found_how_health_moved_and_links_to_the_case(items, people):
    partner = partner_with_history(
        items=items, name="Oakline Logistics", owners=[people["ana"]], levels=[STEADY] * 6 + [SLIP, CRASH], last=LAST
    )
    partner_evaluate(partner_id=partner.id)
    case = Case.objects.get(partner=partner)

    outbox_send_due()

    (opened,) = [m for m in mail.outbox if m.to == ["ana@example.com"]]
    assert opened.subject == f"[Partner Health] Case opened: Oakline Logistics — Critical ({LAST.code})"
    body = opened.body
    assert "Hello Ana," in body
    assert "A case is open for Oakline Logistics: its health check shows a decline, not one bad quarter." in body
    assert f"  * {LAST.code} · Critical · Overall health declining\n" in body
    assert "Overall health fell from 75 to 25" in body
    assert f"  {LAST.previous().code}      62  Watch  (\u221213)\n" in body, "bands in words, the stored numbers"
    assert f"  {LAST.code}      25  Critical  (\u221250)\n" in body
    assert "Quality of product or service (rating 1-5): 4.0 → 2.0 (\u22122.0)" in body
    assert body.count("Caring (rating 1-5): 4.0 → 2.0") == 1, "an item only the rubric finding names, once"
    assert "  * Quality of product or service: Their work is consistently excellent" in body
    assert f"case page: {settings.SITE_URL}/cases/{case.pk}/" in body
    assert "health_decline" not in body and "at_risk" not in body.split("What decline detection found")[0]
    html = _html(opened)
    assert f'href="{settings.SITE_URL}/cases/{case.pk}/"' in html and "<table" in html
    (critical,) = [m for m in mail.outbox if m.to == ["lena@example.com"]]
    assert "You receive this because leadership is told when a case becomes critical" in critical.body


def test_case_emails_are_recorded_with_the_evaluation_and_the_sender_is_woken_only_after_commit(
    items, people, monkeypatch, django_capture_on_commit_callbacks
):
    published = []
    monkeypatch.setattr(dispatch, "publish", lambda name, **kw: published.append(name) or True)
    partner = partner_with_history(
        items=items, name="Oakline", owners=[people["ana"]], levels=[STEADY] * 6 + [SLIP, CRASH], last=LAST
    )

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        partner_evaluate(partner_id=partner.id)
        assert CaseDelivery.objects.count() == 3, "written in the evaluation's transaction"
    assert published == [] and mail.outbox == []
    for callback in callbacks:
        callback()
    assert published == [TaskName.SEND_OUTBOX]


def test_an_evaluation_that_rolls_back_leaves_no_case_and_no_email(items, people, monkeypatch):
    partner = partner_with_history(
        items=items, name="Oakline", owners=[people["ana"]], levels=[STEADY] * 6 + [CRASH] * 2, last=LAST
    )

    with pytest.raises(RuntimeError, match="worker killed"), transaction.atomic():
        partner_evaluate(partner_id=partner.id)
        raise RuntimeError("worker killed")

    assert not Case.objects.exists() and not CaseDelivery.objects.exists()
    assert outbox_send_due().sent == 0


def test_a_reopened_case_tells_its_owners_again_for_its_new_episode(items, people):
    levels = [STEADY] * 6 + [CRASH] * 2 + [STEADY] * 2
    partner = partner_with_history(items=items, name="Lumen", owners=[people["ana"]], levels=levels, last=LAST)
    trends_scan(all_periods=True)  # opened and resolved in the past: recorded, not e-mailed
    outbox_send_due()
    assert [subject for _, subject in sent()] == ["[Partner Health] Resolved: Lumen — Recovered"]

    history(items=items, partner=partner, raters=[people["ana"]], levels=[CRASH, CRASH], last=LAST.shift(2))
    partner_evaluate(partner_id=partner.id)
    outbox_send_due()

    case = Case.objects.get(partner=partner)
    assert case.episode == 2
    reopened = [m for m in mail.outbox if "reopened" in m.subject]
    assert [m.to[0] for m in reopened] == ["ana@example.com"]
    assert reopened[0].subject == f"[Partner Health] Case reopened: Lumen — Critical ({LAST.shift(2).code})"
    assert "is open again: it was resolved, and the partnership has declined again" in reopened[0].body


def test_resolving_by_hand_emails_the_owners_who_resolved_it_and_why(items, people):
    partner = partner_with_history(
        items=items,
        name="Oakline",
        owners=[people["ana"], people["ben"]],
        levels=[STEADY] * 6 + [CRASH] * 2,
        last=LAST,
    )
    partner_evaluate(partner_id=partner.id)
    outbox_send_due()
    mail.outbox = []

    case_resolve(
        case_id=Case.objects.get(partner=partner).pk,
        user=people["lena"],
        resolution="partnership_ended",
        note="They were acquired; the contract ends in March.",
    )
    outbox_send_due()

    assert sorted(sent()) == [
        ("ana", "[Partner Health] Resolved: Oakline — Partnership ended"),
        ("ben", "[Partner Health] Resolved: Oakline — Partnership ended"),
    ]
    body = mail.outbox[0].body
    assert f"The case for Oakline is resolved: partnership ended, by Lena Lund ({LAST.code})." in body
    assert "They were acquired; the contract ends in March." in body

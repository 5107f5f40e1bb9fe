"""The outbox and its e-mails: what an alert says, retries with back-off, giving up loudly, the digest.

Alert deliveries are no longer written (cases have their own e-mails, test_cases_emails.py), but rows
queued before the upgrade are still sent: ``evaluate_before_cases`` stands for them.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.conf import settings
from django.core import mail
from django.db import transaction
from django.utils import timezone

from assessments.emails import message_id_for
from assessments.models import Alert, AlertDelivery, Case, Checkup, DigestDelivery, Partner, Reminder
from assessments.models.alerts import OutboxStatus
from assessments.periods import Quarter
from assessments.services.alerts import partner_evaluate
from assessments.services.case_triage import case_acknowledge, case_assign
from assessments.services.digest import digest_queue
from assessments.services.outbox import KINDS, _claim, lease, outbox_send_due, retry_delay
from assessments.tests.alerting import (
    DECLINING,
    SLIP,
    STEADY,
    evaluate_before_cases,
    leader,
    manager,
    partner_with_history,
)
from assessments.tests.celery_harness import free_port
from assessments.tests.factories import CheckupFactory, PartnerFactory, PeriodFactory, UserFactory
from partnerhealth.env import parse_email_url

pytestmark = pytest.mark.django_db

LAST = Quarter(2026, 3)


def _emails_to(username: str) -> list:
    return [m for m in mail.outbox if m.to == [f"{username}@example.com"]]


def _html(message) -> str:
    return next(content for content, mimetype in message.alternatives if mimetype == "text/html")


@pytest.fixture
def smtp_down(settings):
    settings.MAILERS = {"default": parse_email_url(f"smtp://127.0.0.1:{free_port()}", timeout=2)}


def test_an_alert_email_names_the_partner_the_items_that_dropped_the_next_step_and_links_to_the_partner_page(items):
    ana = manager("ana", first_name="Ana")
    partner = partner_with_history(items=items, name="Oakline Logistics", owners=[ana], levels=DECLINING, last=LAST)
    evaluate_before_cases(partner)

    AlertDelivery.objects.exclude(alert__rule="health_decline", alert__period__code=LAST.code).delete()
    report = outbox_send_due()

    delivery = AlertDelivery.objects.get()
    (message,) = _emails_to("ana")
    assert message.extra_headers["Message-ID"] == message_id_for("alert-delivery", delivery.pk)
    assert (report.sent, report.messages, report.failed) == (1, 1, 0)
    assert message.subject == "[Partner Health] Critical: Oakline Logistics — Overall health declining (2026-Q3)"
    assert "Oakline Logistics has a critical alert for 2026-Q3: overall health declining." in message.body
    assert "Hello Ana," in message.body
    assert "Overall health against its baseline (median of 6 quarters, 2024-Q4 to 2026-Q1):" in message.body
    assert "  2026-Q2      62  Watch  (\u221213)" in message.body, "how health moved, quarter by quarter"
    assert "  2026-Q3      25  Critical  (\u221250)" in message.body
    assert "Quality of product or service (rating 1-5): 4.0 → 2.0 (\u22122.0)" in message.body
    assert "Their work is consistently excellent" in message.body, "the next step is the rubric's healthy end"
    assert f"{settings.SITE_URL}/partners/{partner.pk}/" in message.body
    html = _html(message)
    assert "<table" in html and f'href="{settings.SITE_URL}/partners/{partner.pk}/"' in html
    assert "Quality of product or service" in html and "\u22122.0" in html
    assert AlertDelivery.objects.filter(status=OutboxStatus.SENT, sent_at__isnull=False).count() == report.sent


def test_for_a_symptom_the_suggested_next_step_is_its_absence_not_its_description(items):
    ana = manager("ana")
    rainbows = {"rating": 4, "symptoms__chasing_rainbows": 3}
    partner = partner_with_history(
        items=items, name="Granite Logistics", owners=[ana], levels=[STEADY] * 6 + [rainbows] * 2, last=LAST
    )
    evaluate_before_cases(partner)

    outbox_send_due()

    body = "\n".join(m.body for m in _emails_to("ana") if "Symptom" in m.subject)
    assert "Chasing rainbows (symptom 0-3, higher is worse): 0.0 → 3.0" in body
    assert "Our joint proposals turn into real, won work." in body
    assert "Years of fire-drill proposals" not in body


def test_a_failed_send_is_retried_with_exponential_back_off_then_marked_failed_and_logged(
    items, smtp_down, settings, caplog
):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    settings.OUTBOX_RETRY_SECONDS = 60
    ana = manager("ana")
    partner = partner_with_history(items=items, name="Oakline Logistics", owners=[ana], levels=DECLINING, last=LAST)
    evaluate_before_cases(partner)
    AlertDelivery.objects.exclude(pk=AlertDelivery.objects.order_by("pk").first().pk).delete()
    delivery = AlertDelivery.objects.get()
    t0 = timezone.now()

    first = outbox_send_due(now=t0)
    delivery.refresh_from_db()
    assert (first.retrying, delivery.attempts, delivery.status) == (1, 1, "pending")
    assert "unreachable" in first.stopped and "unreachable" in delivery.last_error
    assert delivery.next_attempt_at == t0 + dt.timedelta(seconds=60)

    assert outbox_send_due(now=t0 + dt.timedelta(seconds=59)).retrying == 0, "not before its back-off"
    t1 = t0 + dt.timedelta(seconds=60)
    outbox_send_due(now=t1)
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.next_attempt_at == t1 + dt.timedelta(seconds=120)

    with caplog.at_level(logging.ERROR, logger="assessments.services.outbox"):
        last = outbox_send_due(now=t1 + dt.timedelta(seconds=120))
    delivery.refresh_from_db()
    assert (last.failed, delivery.status, delivery.attempts) == (1, "failed", 3)
    assert f"gave up on alert-delivery {delivery.pk} to ana@example.com after 3 attempts" in caplog.text
    assert outbox_send_due(now=t1 + dt.timedelta(days=1)).failed == 0, "a failed row is left alone"


def test_the_back_off_doubles_and_is_capped_at_four_hours(settings):
    settings.OUTBOX_RETRY_SECONDS = 60
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert retry_delay(30) == dt.timedelta(hours=4)


def test_a_claimed_row_is_invisible_to_other_senders_until_its_lease_runs_out(items):
    ana = manager("ana")
    partner = partner_with_history(items=items, name="Oakline Logistics", owners=[ana], levels=DECLINING, last=LAST)
    evaluate_before_cases(partner)
    AlertDelivery.objects.exclude(pk=AlertDelivery.objects.order_by("pk").first().pk).delete()
    alert_kind = KINDS[0]
    t0 = timezone.now()

    with transaction.atomic():
        (claimed,) = _claim(alert_kind, t0)
    # The sender dies here, before sending: nobody else may take the row yet...
    assert claimed.attempts == 1
    assert _claim(alert_kind, t0 + lease() - dt.timedelta(seconds=1)) is None
    # ...and once the lease is over, the next sender retries it.
    (retried,) = _claim(alert_kind, t0 + lease())
    assert retried.attempts == 2


def test_one_decline_is_one_email_per_recipient_that_lists_every_alert_worst_first(items):
    ana = manager("ana", first_name="Ana")
    leader("lena")
    partner = partner_with_history(items=items, name="Oakline Logistics", owners=[ana], levels=DECLINING, last=LAST)
    evaluate_before_cases(partner)
    anas = list(AlertDelivery.objects.filter(recipient=ana).select_related("alert"))
    assert len(anas) >= 2, "a crash fires several rules at once"

    report = outbox_send_due()

    (to_ana,) = _emails_to("ana")
    (to_lena,) = _emails_to("lena")
    assert (report.sent, report.messages) == (AlertDelivery.objects.count(), 2)
    assert AlertDelivery.objects.exclude(status=OutboxStatus.SENT).count() == 0
    assert to_ana.extra_headers["Message-ID"] in {message_id_for("alert-delivery", d.pk) for d in anas}
    assert to_ana.subject.startswith("[Partner Health] Critical: Oakline Logistics — Overall health declining, ")
    assert f"Oakline Logistics has {len(anas)} alerts for 2026-Q3, the worst critical." in to_ana.body
    for delivery in anas:
        assert delivery.alert.explanation in to_ana.body
        assert f"{settings.SITE_URL}/alerts/{delivery.alert.pk}/" in to_ana.body
        assert f'href="{settings.SITE_URL}/alerts/{delivery.alert.pk}/"' in _html(to_ana)
    # What several alerts share is said once: the health path, and each item that dropped with its next step.
    assert to_ana.body.count("Overall health against its baseline") == 1
    assert to_ana.body.count("Quality of product or service (rating 1-5): 4.0 → 2.0") == 1
    assert to_ana.body.count("Caring (rating 1-5): 4.0 → 2.0") == 1, "an item only the rubric alert names"
    assert to_ana.body.count("* Quality of product or service: Their work is consistently excellent") == 1
    assert "you own Oakline Logistics" in to_ana.body
    assert "leadership is told about every critical alert" in to_lena.body


def test_alerts_of_different_partners_or_quarters_are_separate_emails(items):
    ana = manager("ana")
    for name in ("Oakline Logistics", "Cedar Digital"):
        partner = partner_with_history(items=items, name=name, owners=[ana], levels=DECLINING, last=LAST)
        evaluate_before_cases(partner, all_periods=True)
    # An older quarter's alert waiting to be sent (replays record without e-mailing): a delivery of its own.
    older = Alert.objects.filter(partner__name="Oakline Logistics").exclude(period__code=LAST.code).first()
    assert older is not None
    AlertDelivery.objects.create(alert=older, recipient=ana, next_attempt_at=timezone.now())

    outbox_send_due()

    subjects = sorted(m.subject for m in _emails_to("ana"))
    assert len(subjects) == 3
    assert sum("Oakline Logistics" in s for s in subjects) == 2 and sum("Cedar Digital" in s for s in subjects) == 1
    assert any(f"({older.period.code})" in s for s in subjects)


def test_a_companion_that_another_sender_holds_is_left_to_it_and_never_sent_twice(items):
    ana = manager("ana")
    partner = partner_with_history(items=items, name="Oakline Logistics", owners=[ana], levels=DECLINING, last=LAST)
    evaluate_before_cases(partner)
    first, held, *rest = AlertDelivery.objects.filter(recipient=ana).select_related("alert").order_by("id")
    t0 = timezone.now()
    # Another sender claimed `held` a moment ago (its lease runs) and is sending it right now.
    AlertDelivery.objects.filter(pk=held.pk).update(attempts=1, next_attempt_at=t0 + lease())

    outbox_send_due(now=t0)

    (message,) = _emails_to("ana")
    assert held.alert.explanation not in message.body
    assert first.alert.explanation in message.body
    assert all(d.alert.explanation in message.body for d in rest)
    held.refresh_from_db()
    assert (held.status, held.attempts) == ("pending", 1), "untouched: it belongs to the other sender"

    # The other sender died; after its lease the row is sent, on its own.
    outbox_send_due(now=t0 + lease())
    assert len(_emails_to("ana")) == 2
    assert held.alert.explanation in _emails_to("ana")[1].body
    assert first.alert.explanation not in _emails_to("ana")[1].body


def test_a_failed_send_of_a_grouped_email_retries_every_alert_in_it(items, smtp_down):
    ana = manager("ana")
    partner = partner_with_history(items=items, name="Oakline Logistics", owners=[ana], levels=DECLINING, last=LAST)
    evaluate_before_cases(partner)
    t0 = timezone.now()

    report = outbox_send_due(now=t0)

    rows = list(AlertDelivery.objects.filter(recipient=ana))
    assert report.retrying == len(rows) >= 2 and report.sent == 0
    assert all(r.status == "pending" and r.attempts == 1 and "unreachable" in r.last_error for r in rows)
    assert {r.next_attempt_at for r in rows} == {t0 + retry_delay(1)}


def test_a_message_refused_for_one_recipient_does_not_hold_up_the_others(items):
    ana = manager("ana")
    partner = partner_with_history(items=items, name="Oakline Logistics", owners=[ana], levels=DECLINING, last=LAST)
    evaluate_before_cases(partner)
    nobody = UserFactory(username="nomail", email="")
    alert = AlertDelivery.objects.first().alert
    AlertDelivery.objects.create(alert=alert, recipient=nobody, next_attempt_at=timezone.now() - dt.timedelta(days=1))

    report = outbox_send_due()

    broken = AlertDelivery.objects.get(recipient=nobody)
    assert broken.status == "pending" and "no e-mail address" in broken.last_error
    assert report.sent == AlertDelivery.objects.exclude(recipient=nobody).count() > 0
    assert report.stopped == ""


def test_a_reminder_for_a_check_up_submitted_before_it_could_be_sent_is_skipped():
    ana = manager("ana")
    checkup = CheckupFactory(partner=PartnerFactory(owners=[ana]), period=PeriodFactory.of("2026-Q3"), rater=ana)
    reminder = Reminder.objects.create(
        checkup=checkup, kind="overdue", recipient=ana, next_attempt_at=timezone.now()
    )
    Checkup.objects.filter(pk=checkup.pk).update(status="submitted", submitted_at=timezone.now())

    report = outbox_send_due()

    reminder.refresh_from_db()
    assert (report.skipped, reminder.status, mail.outbox) == (1, "skipped", [])


def test_the_weekly_digest_goes_once_to_each_leader_and_lists_the_weeks_cases_not_alerts(items):
    ana = manager("ana", first_name="Ana", last_name="Alvarez")
    lena, leo = leader("lena", first_name="Lena", last_name="Lund"), leader("leo", first_name="Leo")
    partner = partner_with_history(items=items, name="Oakline Logistics", owners=[ana], levels=DECLINING, last=LAST)
    partner_with_history(items=items, name="Summit Systems", owners=[ana], levels=[STEADY] * 7 + [SLIP], last=LAST)
    partner_evaluate(partner_id=partner.id)
    partner_evaluate(partner_id=Partner.objects.get(name="Summit Systems").id)
    case = Case.objects.get(partner=partner)
    case_acknowledge(case_id=case.pk, user=lena, note="Called their COO")
    case_assign(case_id=case.pk, user=lena, assignee=ana)
    monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday()) + dt.timedelta(days=7)
    next_week = timezone.make_aware(dt.datetime.combine(monday, dt.time(7)))

    assert digest_queue(now=next_week) == 2
    assert digest_queue(now=next_week + dt.timedelta(days=2)) == 0, "once per leader and week, whatever beat does"
    mail.outbox = []
    outbox_send_due(now=next_week)

    assert DigestDelivery.objects.filter(status="sent").count() == 2
    digests = [m for m in mail.outbox if "Weekly digest" in m.subject]
    assert sorted(m.to[0] for m in digests) == [lena.email, leo.email]
    digest = next(m for m in digests if m.to == [lena.email])
    assert digest.subject.startswith("[Partner Health] Weekly digest") and "1 new case, 1 open (1 critical)" in digest.subject
    body = digest.body
    assert "Hello Lena," in body
    assert "Cases: 1 open, 1 of them critical.\n  * New, critical: Oakline Logistics\n" in body
    assert "  * Oakline Logistics: acknowledged by Lena Lund (\"Called their COO\")" in body
    assert "  * Oakline Logistics: assigned by Lena Lund to Ana Alvarez" in body
    assert "Summit Systems" not in body.split("Check-ups submitted")[0], "a watch finding is not a case"
    assert "Findings on watch this week: " in body
    assert "Health declining" not in body and "alert" not in body.lower()
    assert f"Cases: {settings.SITE_URL}/cases/" in body
    assert "Oakline Logistics" in _html(digest) and "acknowledged by Lena Lund" in _html(digest)
    assert "Check-ups submitted: 16. Overdue: 0." in body
    assert "Bands in 2026-Q3: Healthy 0, Watch 1, At risk 0, Critical 1." in body
    assert "Biggest falls:\n  * Oakline Logistics: 25.0 (\u221236.6), Critical, €100,000 a year\n  * Summit Systems: 61.6 (\u221213.4), Watch, €100,000 a year" in body
    # Money in the configured currency, with thousands separators (settings.CURRENCY, default EUR).
    assert '<td style="text-align: right;">€100,000</td>' in _html(digest)

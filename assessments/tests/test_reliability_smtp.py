"""The mail server is down: every e-mail is retried with back-off and sent exactly once after it recovers.

A real aiosmtpd server on a fixed port, stopped then started again; a real
Celery worker sending the outbox; beat's ticks published to a real Redis.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter

import pytest
from django.utils import timezone
from django.utils.timezone import localdate

from assessments.models import Alert, CaseDelivery, Period, Reminder
from assessments.models.alerts import OutboxStatus
from assessments.periods import current_quarter
from assessments.services.alerts import trends_scan
from assessments.services.schedule import reminders_queue
from assessments.task_names import TaskName
from assessments.tests.alerting import (
    DECLINING,
    SLIPPING,
    assert_every_row_emailed_once,
    ensure_rubric_v1,
    leader,
    manager,
    partner_with_history,
)
from assessments.tests.celery_harness import (
    SmtpSink,
    Worker,
    publish,
    publishing_to,
    redis_for_tests,
    wait_for,
    worker_database_url,
)
from assessments.tests.factories import CheckupFactory, PartnerFactory

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

SEND = TaskName.SEND_OUTBOX


@pytest.fixture(autouse=True)
def _rubric_v1():
    ensure_rubric_v1()


@pytest.fixture(scope="module")
def redis_server():
    server = redis_for_tests()
    yield server
    server.close()


@pytest.fixture(scope="module")
def smtp():
    sink = SmtpSink()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
def worker(redis_server, smtp, django_db_setup):
    w = Worker(
        name="smtp-outage",
        broker_url=redis_server.url,
        database_url=worker_database_url(),
        # Back-off of 1, 2, 4 … seconds so the test sees several retries quickly.
        env={"EMAIL_URL": smtp.url, "EMAIL_TIMEOUT": "3", "OUTBOX_RETRY_SECONDS": "1", "OUTBOX_MAX_ATTEMPTS": "20"},
    ).start()
    yield w
    w.stop()


@pytest.fixture(autouse=True)
def _publish_to_our_redis(redis_server):
    # Services kick the outbox after commit; those kicks must reach our worker, not CI's shared Redis.
    with publishing_to(redis_server.url):
        yield


def _tick(redis_server) -> None:
    publish(redis_server.url, SEND)


def _outbox_rows():
    return list(CaseDelivery.objects.all()) + list(Reminder.objects.all())


def test_while_the_mail_server_is_down_every_email_waits_and_after_recovery_each_is_sent_exactly_once(
    items, redis_server, smtp, worker
):
    ana, ben = manager("ana", first_name="Ana"), manager("ben", first_name="Ben")
    leader("lena")
    last = current_quarter(today=localdate()).previous()
    partner_with_history(items=items, name="Oakline Logistics", owners=[ana, ben], levels=DECLINING, last=last)
    partner_with_history(items=items, name="Cedar Digital", owners=[ana], levels=SLIPPING, last=last)
    # Ben has not submitted last quarter's check-up of another partner: overdue and escalated.
    late = PartnerFactory(name="Harbor Systems", owners=[ben])
    period = Period.objects.get(code=last.code)
    Period.objects.filter(pk=period.pk).update(due_on=timezone.localdate() - dt.timedelta(days=20))
    CheckupFactory(partner=late, period=period, rater=ben)

    smtp.start()
    smtp.stop()  # the mail server goes down before anything is sent
    trends_scan()
    reminders_queue()
    rows = _outbox_rows()
    critical = Alert.objects.filter(partner__name="Oakline Logistics", severity="critical").count()
    warning = Alert.objects.filter(partner__name="Cedar Digital", severity="warning").count()
    assert critical and warning
    # One case each: Oakline's opened to Ana and Ben and, critical, to Lena; Cedar's opened to Ana;
    # overdue to Ben; escalation to Lena.
    expected = Counter({"ana": 2, "ben": 2, "lena": 2})
    assert Counter(r.recipient.username for r in rows) == expected

    _tick(redis_server)
    wait_for(lambda: worker.succeeded(SEND) >= 1, timeout=30, what="the first send attempt")
    time.sleep(1.1)
    _tick(redis_server)
    wait_for(lambda: worker.succeeded(SEND) >= 2, timeout=30, what="the second send attempt")

    tried = {r.pk: r.attempts for r in CaseDelivery.objects.filter(attempts__gt=0)}
    assert tried, "the sender tried while the server was down"
    assert all(r.status == OutboxStatus.PENDING for r in _outbox_rows()), "nothing is lost or given up yet"
    assert all("unreachable" in r.last_error for r in CaseDelivery.objects.filter(pk__in=tried))
    assert smtp.received() == []

    smtp.start()

    def all_sent() -> bool:
        if all(r.status == OutboxStatus.SENT for r in _outbox_rows()):
            return True
        _tick(redis_server)  # beat keeps ticking every minute; here every half second
        return False

    wait_for(all_sent, timeout=60, interval=0.5, what="every e-mail to be sent after recovery")
    time.sleep(0.5)
    sends = worker.succeeded(SEND)
    for _ in range(3):
        _tick(redis_server)
    wait_for(lambda: worker.succeeded(SEND) >= sends + 3, timeout=30, what="the extra ticks")

    retried = CaseDelivery.objects.filter(pk__in=tried)
    assert all(d.attempts > tried[d.pk] and d.last_error == "" for d in retried), "each failed e-mail was retried"
    received = smtp.received()
    # Each row in exactly one e-mail, under a Message-ID derived from an outbox row: one per case
    # and recipient, then Ben's overdue reminder and Lena's escalation.
    per_user = assert_every_row_emailed_once([m["Message-ID"] for m in received])
    assert per_user == Counter({"ana": 2, "ben": 2, "lena": 2})
    assert Counter(m["To"].split("@")[0] for m in received) == per_user
    subjects = " | ".join(m["Subject"] for m in received)
    assert "Case opened: Oakline Logistics — Critical" in subjects and "Critical: Oakline Logistics" in subjects
    assert "Case opened: Cedar Digital — Warning" in subjects
    assert "Overdue: check-up of Harbor Systems" in subjects and "Escalation: check-up of Harbor Systems" in subjects
    assert worker.failures() == []

"""Two workers and two scans at once: no duplicate check-ups, alerts, cases, deliveries, reminders or e-mails.

Once with threads on separate PostgreSQL connections released together by a
barrier (tight, deterministic overlap), once with two real Celery worker
processes fed a burst of every periodic task and a duplicate of every
evaluation.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone
from django.utils.timezone import localdate

from assessments.models import Alert, AlertDelivery, Case, CaseDelivery, Checkup, Partner, Period, Reminder
from assessments.models.alerts import OutboxStatus
from assessments.periods import current_quarter
from assessments.selectors.alerts import partner_snapshot_series
from assessments.services import alerts, outbox, schedule
from assessments.task_names import TaskName
from assessments.tests.alerting import (
    DECLINING,
    ONE_DIP,
    SLIPPING,
    STABLE,
    assert_every_row_emailed_once,
    ensure_rubric_v1,
    evaluate_before_cases,
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
from assessments.trends import replay
from conftest import service_missing

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _rubric_v1():
    ensure_rubric_v1()


@pytest.fixture(scope="module")
def redis_server():
    server = redis_for_tests()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def _publish_to_our_redis(redis_server):
    # Services kick the outbox after commit; those kicks must reach our Redis, not CI's shared one.
    with publishing_to(redis_server.url):
        yield


def _portfolio(items) -> list[Partner]:
    """Partners in every state, all their history submitted and not yet evaluated, plus one overdue draft."""
    ana, ben, chloe = manager("ana"), manager("ben"), manager("chloe")
    leader("lena")
    last = current_quarter(today=localdate()).previous()
    partners = [
        partner_with_history(items=items, name="Oakline Logistics", owners=[ana, ben], levels=DECLINING, last=last),
        partner_with_history(items=items, name="Cedar Digital", owners=[chloe], levels=SLIPPING, last=last),
        partner_with_history(items=items, name="Quartz Systems", owners=[ana], levels=ONE_DIP, last=last),
        partner_with_history(items=items, name="Summit Systems", owners=[ben, chloe], levels=STABLE, last=last),
    ]
    late = PartnerFactory(name="Harbor Systems", owners=[chloe])
    period = Period.objects.get(code=last.code)
    Period.objects.filter(pk=period.pk).update(due_on=timezone.localdate() - dt.timedelta(days=30))
    CheckupFactory(partner=late, period=period, rater=chloe)
    return [*partners, late]


def _expected_alerts(partners) -> Counter:
    expected = Counter()
    for partner in partners:
        for finding in replay(partner_snapshot_series(partner_id=partner.id)):
            expected[(partner.name, finding.period, finding.rule, finding.severity)] += 1
    return expected


def _stored_alerts() -> Counter:
    return Counter(Alert.objects.values_list("partner__name", "period__code", "rule", "severity"))


# One case per declining partner, and its e-mails: opened to the owners, critical to leadership.
EXPECTED_CASE_EMAILS = [
    ("Cedar Digital", "opened", "chloe"),
    ("Oakline Logistics", "escalated", "lena"),
    ("Oakline Logistics", "opened", "ana"),
    ("Oakline Logistics", "opened", "ben"),
]


def _assert_nothing_duplicated(partners, *, sent_messages: list) -> None:
    owners = sum(p.owners.count() for p in partners)
    now = current_quarter(today=localdate()).code
    assert Checkup.objects.filter(period__code=now).count() == owners, "one check-up per owner, exactly once"
    assert _stored_alerts() == _expected_alerts(partners), "every alert once, none missing"
    assert sorted(Case.objects.values_list("partner__name", "state")) == [
        ("Cedar Digital", "open"),
        ("Oakline Logistics", "open"),
    ]
    assert sorted(CaseDelivery.objects.values_list("case__partner__name", "kind", "recipient__username")) == (
        EXPECTED_CASE_EMAILS
    )
    assert not AlertDelivery.objects.exists(), "per-alert e-mails are no longer written"
    # Overdue to Chloe, escalation to Lena, for the one late check-up.
    assert sorted(Reminder.objects.values_list("kind", "recipient__username")) == [
        ("escalation", "lena"),
        ("overdue", "chloe"),
    ]
    assert not Checkup.objects.filter(status="submitted", evaluated_at__isnull=True).exists()
    rows = list(CaseDelivery.objects.all()) + list(Reminder.objects.all())
    assert all(r.status == OutboxStatus.SENT for r in rows)
    assert_every_row_emailed_once([m["Message-ID"] for m in sent_messages])


def test_four_scans_and_senders_racing_on_separate_connections_create_and_send_everything_once(items):
    if connection.vendor != "postgresql":
        service_missing("row locks and SKIP LOCKED need PostgreSQL (set DATABASE_URL=postgres://…)")
    partners = _portfolio(items)
    mail.outbox = []
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(10)
            # Half the threads scan first and half evaluate the waiting check-ups first.
            if index % 2:
                alerts.trends_scan()
            else:
                alerts.evaluations_pending_run()
            schedule.checkups_open()
            schedule.reminders_queue()
            alerts.evaluations_pending_run()
            outbox.outbox_send_due()
        except BaseException as error:  # reported to the test below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert errors == []
    _assert_nothing_duplicated(partners, sent_messages=[m.message() for m in mail.outbox])


@pytest.fixture(scope="module")
def smtp():
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
def two_workers(redis_server, smtp, django_db_setup):
    database_url = worker_database_url()
    env = {"EMAIL_URL": smtp.url}
    workers = [
        Worker(name=f"race{n}", broker_url=redis_server.url, database_url=database_url, env=env, concurrency=2)
        for n in (1, 2)
    ]
    try:
        for worker in workers:
            worker.start()
        yield workers
    finally:
        for worker in workers:
            worker.stop()


BURST = [
    TaskName.OPEN_CHECKUPS,
    TaskName.SCAN_TRENDS,
    TaskName.SCAN_UNEVALUATED,
    TaskName.QUEUE_REMINDERS,
    TaskName.SEND_OUTBOX,
]


def test_two_real_workers_running_every_periodic_task_twice_at_once_create_and_send_everything_once(
    items, redis_server, smtp, two_workers
):
    partners = _portfolio(items)
    submitted = list(Checkup.objects.filter(status="submitted").values_list("pk", flat=True))
    published = 0
    for _ in range(2):
        for task in BURST:
            publish(redis_server.url, task)
            published += 1
    # Evaluations of the same submissions, twice, as if queued and then re-delivered.
    for pk in submitted[:8] * 2:
        publish(redis_server.url, TaskName.EVALUATE_ASSESSMENT, pk)
        published += 1

    def finished() -> int:
        return sum(w.log().count(" succeeded in ") for w in two_workers)

    def done() -> bool:
        if finished() < published:
            return False
        rows = list(CaseDelivery.objects.all()) + list(Reminder.objects.all())
        if rows and all(r.status == OutboxStatus.SENT for r in rows):
            return True
        publish(redis_server.url, TaskName.SEND_OUTBOX)  # beat's next tick
        return False

    wait_for(done, timeout=120, interval=0.5, what="both workers to finish the burst")

    assert all(" succeeded in " in w.log() for w in two_workers), "both workers took part"
    for worker in two_workers:
        assert worker.failures() == [], worker.log()[-3000:]
    _assert_nothing_duplicated(partners, sent_messages=smtp.received())


def test_a_sender_waits_for_the_group_another_sender_is_claiming_then_finds_it_taken(items):
    # Deterministic half of the race above: while one sender holds a recipient's partner-quarter
    # group, another's claim of that group waits instead of taking part of it into a second e-mail.
    if connection.vendor != "postgresql":
        service_missing("advisory locks need PostgreSQL (set DATABASE_URL=postgres://…)")
    from django.db import connections, transaction

    ana = manager("ana")
    partner = partner_with_history(
        items=items, name="Oakline Logistics", owners=[ana], levels=DECLINING, last=current_quarter(today=localdate()).previous()
    )
    evaluate_before_cases(partner)  # alert deliveries queued before the upgrade are still grouped
    group = list(AlertDelivery.objects.filter(recipient=ana).order_by("id"))
    assert len(group) >= 2
    kind = outbox.KINDS[0]
    key, _ = kind.group(group[0])
    holding, release, claimed = threading.Event(), threading.Event(), {}

    def first_sender() -> None:
        try:
            with transaction.atomic():
                outbox._group_lock(key)
                for row in group:  # this sender takes the whole group
                    outbox._lease(kind, row, timezone.now())
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    def second_sender() -> None:
        try:
            claimed["rows"] = outbox._claim(kind, timezone.now())
        finally:
            connections.close_all()

    first = threading.Thread(target=first_sender)
    first.start()
    assert holding.wait(10)
    second = threading.Thread(target=second_sender)
    second.start()
    second.join(0.5)
    assert second.is_alive(), "the second sender waits for the group"
    release.set()
    first.join(10)
    second.join(10)
    # The first sender leased every row, so nothing of the group is due: the second finds none of it.
    assert claimed["rows"] in (None, outbox._LOST_RACE)

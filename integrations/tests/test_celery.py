"""The delivery path through a real Celery worker and Redis, on PostgreSQL: kicked after commit,
swept like beat does, several sends at once, and still every event exactly once."""

from __future__ import annotations

import pytest

from assessments.services.checkups import CheckupInput, checkup_submit
from assessments.task_names import TaskName
from assessments.tests.alerting import ensure_rubric_v1, manager
from assessments.tests.celery_harness import (
    Worker,
    publish,
    publishing_to,
    redis_for_tests,
    wait_for,
    worker_database_url,
)
from assessments.tests.factories import CheckupFactory, PartnerFactory, PeriodFactory, answers_for
from integrations.models import Delivery, Endpoint

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

SECRET = "whsec_celery-test-secret-long-enough"
SEND = TaskName.SEND_WEBHOOKS.value


@pytest.fixture
def redis_server():
    server = redis_for_tests()
    yield server
    server.close()


@pytest.fixture
def worker(redis_server, django_db_setup):
    started = Worker(
        name="webhooks",
        broker_url=redis_server.url,
        database_url=worker_database_url(),
        concurrency=2,
        env={
            "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
            "WEBHOOK_RETRY_SECONDS": "1",
            "WEBHOOK_TIMEOUT": "2",
            # Each kick during the outage is a failure; the disabling has a test of its own.
            "WEBHOOK_MAX_FAILURES": "1000",
        },
    ).start()
    yield started
    started.stop()


def test_events_reach_a_receiver_exactly_once_through_a_worker_an_outage_and_repeated_sweeps(
    worker, redis_server, receivers
):
    from assessments.selectors.rubrics import rubric_item_index, rubric_version_current

    ensure_rubric_v1()
    items = rubric_item_index(version_id=rubric_version_current().id)
    receiver = receivers(secret=SECRET)
    receiver.stop()  # down while the first events are sent
    Endpoint.objects.create(name="CRM", url=receiver.url, secret=SECRET, events=["checkup.submitted"])
    ana = manager("ana")
    period = PeriodFactory.of("2026-Q3")

    with publishing_to(redis_server.url):
        for n in range(12):
            checkup = CheckupFactory(
                partner=PartnerFactory(name=f"Partner {n}", owners=[ana]), rater=ana, period=period
            )
            # Committed at once (no surrounding transaction): its on_commit kick publishes the send task.
            checkup_submit(user=ana, checkup_id=checkup.pk, data=CheckupInput(answers=answers_for(items)))

    wait_for(lambda: Delivery.objects.filter(attempts__gte=1).exists(), timeout=60, what="a failed first try")
    assert worker.succeeded(SEND) >= 1
    assert not receiver.ids

    receiver.start()

    # Beat's sweep, several times over and at once: leases keep each row to one sender.
    def all_sent():
        for _ in range(3):
            publish(redis_server.url, SEND)
        return Delivery.objects.filter(status="sent").count() == 12

    try:
        wait_for(all_sent, timeout=90, interval=1.0, what="every delivery sent")
    except AssertionError:
        states = list(Delivery.objects.values_list("status", "attempts", "next_attempt_at", "last_error"))
        raise AssertionError(
            f"{Endpoint.objects.values('enabled', 'consecutive_failures').get()} {states[:3]}\n{worker.log()[-3000:]}"
        ) from None

    ids = {str(i) for i in Delivery.objects.values_list("event_id", flat=True)}
    assert set(receiver.ids) == ids and max(receiver.ids.values()) == 1, "each event exactly once"
    assert receiver.rejected == []
    assert not worker.failures(), worker.log()[-3000:]
    print(
        f"\ncelery: 12 events, {len(receiver.ids)} delivered, duplicates 0, "
        f"{worker.succeeded(SEND)} send runs by the worker"
    )

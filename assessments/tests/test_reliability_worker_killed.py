"""A worker killed with SIGKILL in the middle of a task loses no work.

To catch a task mid-flight, the test holds a row lock on the partner, so the
evaluation blocks inside its transaction (visible in pg_stat_activity); then
the worker is killed for real. Two cases:

* the pool process dies: acks_late + reject_on_worker_lost put the message
  back and the respawned process runs the task again;
* the whole worker dies: the message is stranded until Redis' visibility
  timeout, but the periodic scan finds the submission by its null
  ``evaluated_at`` and a fresh worker completes it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections import Counter

import pytest
from django.db import connection, transaction
from django.utils.timezone import localdate

from assessments.models import Alert, Checkup, Partner
from assessments.periods import current_quarter
from assessments.selectors.alerts import partner_snapshot_series
from assessments.task_names import TaskName
from assessments.tests.alerting import DECLINING, ensure_rubric_v1, leader, manager, partner_with_history
from assessments.tests.celery_harness import Worker, publish, redis_for_tests, wait_for, worker_database_url
from assessments.trends import replay

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

EVALUATE = TaskName.EVALUATE_ASSESSMENT
SCAN = TaskName.SCAN_UNEVALUATED


@pytest.fixture(autouse=True)
def _rubric_v1():
    ensure_rubric_v1()


@pytest.fixture(scope="module")
def redis_server():
    server = redis_for_tests()
    yield server
    server.close()


@pytest.fixture
def start_worker(redis_server, django_db_setup):
    started: list[Worker] = []

    def start(name: str) -> Worker:
        worker = Worker(name=name, broker_url=redis_server.url, database_url=worker_database_url()).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@contextlib.contextmanager
def partner_locked(partner_id: int):
    """Hold the partner's row lock from another connection until the block ends."""
    ready, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                Partner.objects.select_for_update().get(pk=partner_id)
                ready.set()
                release.wait(90)
        finally:
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    assert ready.wait(10)
    try:
        yield
    finally:
        release.set()
        thread.join(30)


def _a_task_is_blocked_on_the_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def _declining_partner(items):
    ana = manager("ana")
    leader("lena")
    partner = partner_with_history(
        items=items, name="Pinnacle Analytics", owners=[ana], levels=DECLINING, last=current_quarter(today=localdate()).previous()
    )
    checkup = Checkup.objects.filter(partner=partner).order_by("-period__year", "-period__quarter").first()
    return partner, checkup


def _all_evaluated(partner) -> bool:
    return not Checkup.objects.filter(partner=partner, status="submitted", evaluated_at__isnull=True).exists()


def _expected(partner) -> Counter:
    return Counter((f.period, f.rule, f.severity) for f in replay(partner_snapshot_series(partner_id=partner.id)))


def _stored(partner) -> Counter:
    return Counter(Alert.objects.filter(partner=partner).values_list("period__code", "rule", "severity"))


def test_a_pool_process_killed_mid_task_has_its_message_put_back_and_the_task_completes(
    items, redis_server, start_worker
):
    partner, checkup = _declining_partner(items)
    worker = start_worker("killed-child")

    with partner_locked(partner.id):
        publish(redis_server.url, EVALUATE, checkup.pk)
        wait_for(_a_task_is_blocked_on_the_lock, timeout=30, what="the evaluation to start and block")
        (child,) = worker.children()
        os.kill(child, signal.SIGKILL)
        wait_for(lambda: "WorkerLostError" in worker.log(), timeout=30, what="the worker to notice the lost process")

    wait_for(lambda: worker.succeeded(EVALUATE), timeout=60, what="the re-delivered evaluation to complete")
    assert _all_evaluated(partner)
    assert worker.succeeded(EVALUATE) == 1, "the same message ran again, to completion, once"
    assert _stored(partner) == _expected(partner)
    assert Alert.objects.filter(partner=partner, severity="critical").exists()


def test_a_whole_worker_killed_mid_task_loses_nothing_because_the_periodic_scan_finds_the_submission(
    items, redis_server, start_worker
):
    partner, checkup = _declining_partner(items)
    doomed = start_worker("doomed")

    with partner_locked(partner.id):
        publish(redis_server.url, EVALUATE, checkup.pk)
        wait_for(_a_task_is_blocked_on_the_lock, timeout=30, what="the evaluation to start and block")
        doomed.kill()

    assert not _all_evaluated(partner) and not Alert.objects.filter(partner=partner).exists()
    # Its message waits, unacknowledged, for Redis' visibility timeout (an hour); the
    # next beat tick of the scan does not wait for that.
    survivor = start_worker("survivor")
    publish(redis_server.url, SCAN)
    wait_for(lambda: survivor.succeeded(SCAN), timeout=60, what="the scan to complete the lost work")
    assert _all_evaluated(partner)
    assert _stored(partner) == _expected(partner)
    assert Alert.objects.filter(partner=partner, severity="critical").exists()

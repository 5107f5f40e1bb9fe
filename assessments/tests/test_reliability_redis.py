"""Redis stopped or hanging while a manager submits a check-up: the submission still succeeds at once,
and the periodic scan evaluates it when Redis is back. Real Redis, a real worker, the real view."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import pytest
from django.utils.timezone import localdate

from assessments.forms.checkups import answer_name
from assessments.models import Alert, CaseDelivery, Checkup
from assessments.periods import current_quarter
from assessments.selectors.alerts import partner_snapshot_series
from assessments.services.checkups import checkup_open
from assessments.task_names import TaskName
from assessments.tests.alerting import CRASH, STEADY, ensure_rubric_v1, leader, manager, partner_with_history
from assessments.tests.celery_harness import (
    Worker,
    free_port,
    publish,
    publishing_to,
    redis_for_tests,
    wait_for,
    worker_database_url,
)
from assessments.tests.factories import answers_for
from assessments.trends import evaluate

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

SCAN = TaskName.SCAN_UNEVALUATED
EVALUATE = TaskName.EVALUATE_ASSESSMENT
# A request may wait for the broker about 2 s (socket timeout), never more.
MAX_SUBMIT_SECONDS = 3.5


@pytest.fixture(autouse=True)
def _rubric_v1():
    ensure_rubric_v1()


@pytest.fixture(scope="module")
def redis_server():
    server = redis_for_tests()
    yield server
    server.close()


@pytest.fixture(scope="module")
def worker(redis_server, django_db_setup):
    w = Worker(name="redis-outage", broker_url=redis_server.url, database_url=worker_database_url()).start()
    yield w
    w.stop()


def _declining_partner_with_open_checkup(items, name: str):
    ana = manager("ana", first_name="Ana")
    leader("lena")
    now = current_quarter(today=localdate())
    # Six good quarters and a collapse, none evaluated yet (the scan replays them all), then this
    # quarter's check-up holds the collapse: confirmed in its second quarter, critical. Last quarter's
    # collapse alone is only a watch (docs/TRENDS.md, rule 1).
    partner = partner_with_history(
        items=items, name=name, owners=[ana], levels=[STEADY] * 6 + [CRASH], last=now.previous()
    )
    checkup = checkup_open(user=ana, partner_id=partner.id)
    return ana, partner, checkup


def _submit_through_the_view(client, user, items, checkup) -> tuple[int, float, str]:
    client.force_login(user)
    data = {"action": "submit", **{answer_name(a): v for a, v in answers_for(items, **CRASH).items()}}
    started = time.monotonic()
    response = client.post(f"/checkups/{checkup.pk}/", data)
    elapsed = time.monotonic() - started
    page = client.get(response["Location"]).content.decode() if response.status_code == 302 else ""
    return response.status_code, elapsed, page


def _expected_findings(partner) -> set[tuple[str, str]]:
    return {(f.rule, f.severity) for f in evaluate(partner_snapshot_series(partner_id=partner.id))}


def test_a_check_up_submitted_while_redis_is_stopped_succeeds_at_once_and_is_evaluated_once_redis_is_back(
    client, items, redis_server, worker
):
    ana, partner, checkup = _declining_partner_with_open_checkup(items, "Northwind Systems")
    closed_port_url = f"redis://127.0.0.1:{free_port()}/0"
    down_url = redis_server.url if redis_server.owned else closed_port_url

    if redis_server.owned:
        redis_server.stop()
    with publishing_to(down_url):
        status, elapsed, page = _submit_through_the_view(client, ana, items, checkup)

    assert status == 302, "the submission must not fail because the broker is down"
    assert elapsed < MAX_SUBMIT_SECONDS
    assert "Check-up submitted" in page
    checkup.refresh_from_db()
    assert checkup.status == Checkup.Status.SUBMITTED and checkup.evaluated_at is None
    assert not Alert.objects.filter(partner=partner).exists()

    if redis_server.owned:
        redis_server.start()
    # Beat's next tick: the scan finds the submission by its null evaluated_at.
    publish(redis_server.url, SCAN)
    wait_for(
        lambda: Checkup.objects.filter(pk=checkup.pk, evaluated_at__isnull=False).exists(),
        timeout=60,
        what="the scan to evaluate the submission",
    )

    alerts = Alert.objects.filter(partner=partner, period__code=current_quarter(today=localdate()).code)
    assert {(a.rule, a.severity) for a in alerts} == _expected_findings(partner)
    assert ("health_decline", "critical") in {(a.rule, a.severity) for a in alerts}
    deliveries = CaseDelivery.objects.filter(case__partner=partner)
    assert sorted(deliveries.values_list("recipient__username", "kind")) == [("ana", "opened"), ("lena", "escalated")]
    counts = (alerts.count(), deliveries.count())

    # A late copy of the evaluation and another scan change nothing.
    publish(redis_server.url, EVALUATE, checkup.pk)
    publish(redis_server.url, SCAN)
    wait_for(lambda: worker.succeeded(EVALUATE) >= 1, timeout=30, what="the late evaluation")
    wait_for(lambda: worker.succeeded(SCAN) >= 2, timeout=30, what="the second scan")
    assert (alerts.count(), deliveries.count()) == counts
    assert worker.failures() == []


@contextlib.contextmanager
def _hanging():
    """A broker that accepts connections and never answers, like a Redis stuck on a full disk.

    (``CLIENT PAUSE ALL`` would also block the UNPAUSE that ends it on Redis 7.0.)
    """
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                held.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        listener.close()


def test_a_hanging_redis_delays_a_submission_by_at_most_the_two_second_publish_timeout(
    client, items, redis_server, worker
):
    ana, partner, checkup = _declining_partner_with_open_checkup(items, "Bluepeak Digital")

    with _hanging() as url, publishing_to(url):
        status, elapsed, page = _submit_through_the_view(client, ana, items, checkup)

    assert status == 302 and "Check-up submitted" in page
    assert 1.5 < elapsed < MAX_SUBMIT_SECONDS, "the publish timeout bounds the wait"
    publish(redis_server.url, SCAN)
    wait_for(
        lambda: Checkup.objects.filter(pk=checkup.pk, evaluated_at__isnull=False).exists(),
        timeout=60,
        what="the scan to evaluate the submission",
    )
    assert Alert.objects.filter(partner=partner, rule="health_decline", severity="critical").count() == 1

"""Delivery against real receivers on loopback (through WEBHOOK_ALLOWED_HOSTS): exactly once by event
id through an outage, a slow receiver that delays nobody else, signatures a receiver can check,
refusals, back-off, and an endpoint disabled after repeated failures with its owner told."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from django.core import mail
from django.utils import timezone

from assessments.services.checkups import CheckupInput, checkup_submit
from assessments.services.outbox import outbox_send_due
from assessments.tests.alerting import leader, manager
from assessments.tests.factories import CheckupFactory, PartnerFactory, PeriodFactory, answers_for
from integrations.delivery import body_bytes, deliveries_send_due
from integrations.events import Event
from integrations.models import Attempt, Delivery, Endpoint, EndpointMail
from integrations.services import endpoint_update
from integrations.signing import signature
from integrations.tests.receiver import BadSignature, verify_signature

pytestmark = pytest.mark.django_db

SECRET = "whsec_test-secret-of-enough-length"
CHECKUP = [Event.CHECKUP_SUBMITTED.value]


@pytest.fixture
def ana(db):
    return manager("ana", first_name="Ana", last_name="Silva", email="ana@example.com")


@pytest.fixture
def lena(db):
    return leader("lena", email="lena@example.com", last_name="Berg")


def hook(url: str, *, owner=None, name="CRM", secret=SECRET) -> Endpoint:
    return Endpoint.objects.create(name=name, url=url, secret=secret, events=CHECKUP, owner=owner)


def submit_checkups(items, rater, count: int, *, start: int = 0) -> None:
    """``count`` real check-up submissions, each one event."""
    period = PeriodFactory.of("2026-Q3")
    for n in range(start, start + count):
        partner = PartnerFactory(name=f"Partner {n:02d}", owners=[rater])
        checkup = CheckupFactory(partner=partner, rater=rater, period=period)
        checkup_submit(user=rater, checkup_id=checkup.pk, data=CheckupInput(answers=answers_for(items)))


def run_until_quiet(start: dt.datetime, *, step=dt.timedelta(hours=2), runs: int = 20):
    """Run the sender, moving the clock past every back-off, until nothing is due."""
    reports, now = [], start
    for _ in range(runs):
        report = deliveries_send_due(now=now)
        reports.append(report)
        if not (report.delivered or report.retrying or report.released):
            break
        now += step
    return reports, now


def test_through_an_outage_every_event_arrives_exactly_once_identified_by_its_id(
    items, ana, receivers, loopback_allowed
):
    receiver = receivers(secret=SECRET)
    receiver.stop()  # down: nothing listens on its port
    endpoint = hook(receiver.url)
    submit_checkups(items, ana, 30)
    ids = {str(i) for i in Delivery.objects.values_list("event_id", flat=True)}
    assert len(ids) == 30
    now = timezone.now()

    down = deliveries_send_due(now=now)
    # The first POST fails; the endpoint's other claimed rows wait for the same back-off, untried.
    assert (down.delivered, down.retrying, down.released) == (0, 1, 19)
    assert Attempt.objects.get().error.startswith("Could not connect: [Errno 111] Connection refused")

    receiver.status = 503  # back, but failing
    receiver.start()
    failing = deliveries_send_due(now=now + dt.timedelta(hours=1))
    assert (failing.delivered, failing.retrying) == (0, 1)

    receiver.status = 200  # healthy
    reports, _ = run_until_quiet(now + dt.timedelta(hours=2))

    assert sum(r.delivered for r in reports) == 30
    assert set(receiver.ids) == ids, "every event arrived"
    assert max(receiver.ids.values()) == 1, "no event arrived twice"
    assert receiver.rejected == [], "every signature checked out"
    assert receiver.requests == 31  # 30 deliveries + the one 503
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
    first = Delivery.objects.order_by("occurred_at", "id").first()
    assert [(a.status_code, a.ok) for a in first.attempt_log.order_by("at", "id")] == [
        (None, False),
        (503, False),
        (200, True),
    ]
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0 and endpoint.enabled
    # In order: the receiver saw the events in the order they happened.
    sent_order = [str(i) for i in Delivery.objects.order_by("occurred_at", "id").values_list("event_id", flat=True)]
    assert [event_id for _, event_id in receiver.arrivals if receiver.ids[event_id]][-30:] == sent_order
    print(
        f"\noutage: 30 events, 30 delivered, 0 duplicates, retries: 2 failed attempts (refused, 503), "
        f"{len(reports) + 2} runs"
    )


def test_a_slow_receiver_does_not_delay_deliveries_to_another_endpoint(items, ana, receivers, loopback_allowed):
    slow = receivers(secret=SECRET, delay=1.0)
    fast = receivers(secret=SECRET)
    hook(slow.url, name="Slow")
    hook(fast.url, name="Fast")
    submit_checkups(items, ana, 3)

    started = time.monotonic()
    report = deliveries_send_due()
    elapsed = time.monotonic() - started

    assert report.delivered == 6
    fast_done = max(at for at, _ in fast.arrivals) - started
    slow_done = max(at for at, _ in slow.arrivals) - started
    assert len(fast.ids) == 3 and len(slow.ids) == 3
    assert fast_done < 0.5, f"the fast endpoint waited for the slow one ({fast_done:.2f} s)"
    assert slow_done >= 2.0  # the slow one's three, one after the other, 1 s each
    assert elapsed < 3 * 1.0 + 1.0, "endpoints ran side by side, not one after the other"
    durations = sorted(Attempt.objects.filter(delivery__endpoint__name="Slow").values_list("duration_ms", flat=True))
    assert all(ms >= 1000 for ms in durations)
    print(
        f"\nslow receiver: fast endpoint's 3 events all arrived {fast_done * 1000:.0f} ms after the start; "
        f"slow endpoint's last arrived at {slow_done * 1000:.0f} ms; run {elapsed * 1000:.0f} ms; "
        f"slow durations {durations} ms"
    )


def test_a_receiver_slower_than_the_timeout_is_a_failure_and_the_others_are_served(
    items, ana, receivers, loopback_allowed
):
    loopback_allowed.WEBHOOK_TIMEOUT = 1
    hanging = receivers(secret=SECRET, delay=3.0)
    fast = receivers(secret=SECRET)
    hook(hanging.url, name="Hanging")
    hook(fast.url, name="Fast")
    submit_checkups(items, ana, 4)

    started = time.monotonic()
    report = deliveries_send_due()
    elapsed = time.monotonic() - started

    assert (report.delivered, report.retrying, report.released) == (4, 1, 3)
    assert len(fast.ids) == 4
    attempt = Attempt.objects.get(delivery__endpoint__name="Hanging")
    assert attempt.error == "No answer within 1 s." and 1000 <= attempt.duration_ms < 2000
    assert elapsed < 2.5
    print(f"\ntimeout: hanging endpoint gave up after {attempt.duration_ms} ms; run {elapsed * 1000:.0f} ms")


def test_the_signature_checks_out_the_way_a_receiver_checks_it(items, ana, receivers, loopback_allowed):
    receiver = receivers(secret=SECRET)
    hook(receiver.url)
    submit_checkups(items, ana, 1)
    deliveries_send_due()
    ((headers, payload),) = receiver.bodies
    delivery = Delivery.objects.get()
    assert headers["X-PartnerHealth-Event-Id"] == str(delivery.event_id) == payload["id"]
    assert headers["X-PartnerHealth-Event"] == "checkup.submitted"
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    header = headers["X-PartnerHealth-Signature"]
    t = int(header.split(",")[0].removeprefix("t="))
    assert abs(time.time() - t) < 30
    body = body_bytes(delivery.payload)
    verify_signature(SECRET, header, body)  # what the receiver did: no exception

    with pytest.raises(BadSignature, match="signature does not match"):
        verify_signature(SECRET, header, body.replace(b"Partner 00", b"Partner 99"))
    with pytest.raises(BadSignature, match="signature does not match"):
        verify_signature("whsec_another-secret-entirely", header, body)
    old = signature(SECRET, body, int(time.time()) - 301)
    with pytest.raises(BadSignature, match="outside the 5-minute tolerance"):
        verify_signature(SECRET, old, body)
    with pytest.raises(BadSignature, match="malformed"):
        verify_signature(SECRET, "v1=abc", body)
    assert json.loads(body)["type"] == "checkup.submitted"


def test_a_receiver_refusing_the_signature_is_a_failed_delivery(items, ana, receivers, loopback_allowed):
    receiver = receivers(secret="whsec_the-receiver-has-an-old-secret")
    hook(receiver.url)
    submit_checkups(items, ana, 1)
    report = deliveries_send_due()
    assert report.retrying == 1
    assert Delivery.objects.get().last_error == "The receiver answered 401: signature does not match"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://10.0.0.1/hook", "Refused: 10.0.0.1 resolves to 10.0.0.1, a loopback, private or link-local address"),
        ("http://169.254.169.254/latest/meta-data/", "Refused: 169.254.169.254 resolves to 169.254.169.254"),
        ("http://localhost:9/hook", "Refused: localhost resolves to "),
        ("http://[::1]:9/hook", "Refused: ::1 resolves to ::1"),
    ],
)
def test_a_refused_address_is_a_failed_delivery_with_a_plain_reason(items, ana, settings, url, reason):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    hook(url)
    submit_checkups(items, ana, 1)
    report = deliveries_send_due()
    assert report.retrying == 1
    attempt = Attempt.objects.get()
    assert attempt.error.startswith(reason) and attempt.status_code is None
    assert "WEBHOOK_ALLOWED_HOSTS" in attempt.error


def test_retries_back_off_exponentially_and_give_up_after_the_last_attempt(items, ana, receivers, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.WEBHOOK_MAX_ATTEMPTS = 4
    settings.WEBHOOK_MAX_FAILURES = 100
    settings.WEBHOOK_RETRY_SECONDS = 30
    receiver = receivers(status=500)
    hook(receiver.url)
    submit_checkups(items, ana, 1)
    now = timezone.now()
    waits = []
    for _ in range(4):
        deliveries_send_due(now=now)
        row = Delivery.objects.get()
        waits.append((row.next_attempt_at - now).total_seconds())
        now = row.next_attempt_at
    row = Delivery.objects.get()
    assert waits[:3] == [30, 60, 120]
    assert (row.status, row.attempts) == ("failed", 4)
    assert row.last_error == "The receiver answered 500: receiver is having a bad day"
    assert deliveries_send_due(now=now + dt.timedelta(days=1)).retrying == 0


def test_after_n_failures_in_a_row_the_endpoint_is_disabled_and_its_owner_emailed(
    items, ana, lena, receivers, loopback_allowed
):
    loopback_allowed.WEBHOOK_MAX_FAILURES = 3
    receiver = receivers(secret=SECRET, status=500)
    endpoint = hook(receiver.url, owner=lena)
    submit_checkups(items, ana, 2)
    now = timezone.now()
    for hour in range(3):
        deliveries_send_due(now=now + dt.timedelta(hours=hour * 2))

    endpoint.refresh_from_db()
    assert not endpoint.enabled and endpoint.disabled_at is not None
    assert endpoint.disabled_reason == (
        "Disabled after 3 failed attempts in a row. Last error: The receiver answered 500: receiver is having a bad day"
    )
    assert EndpointMail.objects.filter(endpoint=endpoint, recipient=lena).count() == 1
    # Disabled: nothing more is tried.
    assert deliveries_send_due(now=now + dt.timedelta(days=1)).retrying == 0
    assert receiver.requests == 3

    outbox_send_due()
    (email,) = mail.outbox
    assert email.to == ["lena@example.com"]
    assert email.subject == "Partner Health stopped sending to “CRM”"
    assert (
        "Partner Health could not reach “CRM” (Webhook (signed JSON)) 3 times in a row, so it has stopped" in email.body
    )
    assert f"Address: {receiver.url}" in email.body
    assert "Last error: The receiver answered 500: receiver is having a bad day" in email.body
    assert f"/integrations/{endpoint.pk}/" in email.body
    assert email.extra_headers["Message-ID"].startswith(f"<endpoint-mail-{EndpointMail.objects.get().pk}@")

    # Back on, once the receiver is fixed: what waited goes out, once each.
    receiver.status = 200
    endpoint_update(endpoint=endpoint, name="CRM", url=endpoint.url, events=CHECKUP, enabled=True)
    reports, _ = run_until_quiet(timezone.now() + dt.timedelta(days=1))
    assert sum(r.delivered for r in reports) == 2
    assert sorted(receiver.ids.values()) == [1, 1]
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.consecutive_failures == 0


def test_slack_and_teams_messages_go_out_the_same_way_unsigned(items, ana, receivers, loopback_allowed):
    from assessments.periods import Quarter
    from assessments.services.alerts import partner_evaluate
    from assessments.tests.alerting import SLIPPING, partner_with_history

    slack, teams = receivers(), receivers()
    for kind, receiver in (("slack", slack), ("teams", teams)):
        Endpoint.objects.create(name=kind, kind=kind, url=receiver.url, events=[Event.CASE_OPENED.value])
    partner = partner_with_history(items=items, name="Cedar", owners=[ana], levels=SLIPPING, last=Quarter(2026, 3))
    partner_evaluate(partner_id=partner.id)

    assert deliveries_send_due().delivered == 2
    ((slack_headers, slack_body),) = slack.bodies
    ((teams_headers, teams_body),) = teams.bodies
    assert "X-PartnerHealth-Signature" not in slack_headers and "X-PartnerHealth-Signature" not in teams_headers
    assert slack_body["blocks"][0]["text"]["text"] == "Case opened: Cedar"
    assert teams_body["attachments"][0]["content"]["body"][0]["text"] == "Case opened: Cedar"
    # Once only, even if the sender runs again.
    assert deliveries_send_due().delivered == 0
    assert slack.requests == teams.requests == 1


def test_a_long_backlog_at_one_endpoint_does_not_crowd_out_another(items, ana, receivers, loopback_allowed):
    from integrations.payloads import Facts
    from integrations.receivers import deliveries_record

    busy, quiet = receivers(secret=SECRET), receivers(secret=SECRET)
    hook(busy.url, name="Busy")
    for n in range(45):
        deliveries_record(Facts(Event.CHECKUP_SUBMITTED, "t", f"Event {n}.", "http://x/", {}))
    hook(quiet.url, name="Quiet")
    deliveries_record(Facts(Event.CHECKUP_SUBMITTED, "t", "The quiet one's event.", "http://x/", {}))

    report = deliveries_send_due()

    assert len(quiet.ids) == 1, "the quiet endpoint was served in the same run"
    assert len(busy.ids) == 20 and report.delivered == 21  # the busy one: a batch per run, the rest next run
    assert deliveries_send_due().delivered == 20 and deliveries_send_due().delivered == 6
    assert max(busy.ids.values()) == 1 and len(busy.ids) == 46  # its 45, and the event both hear of

"""Several senders at once on PostgreSQL (SKIP LOCKED + the conditional lease): no event twice."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from assessments.tests.factories import UserFactory
from conftest import service_missing
from integrations.delivery import deliveries_send_due
from integrations.events import Event
from integrations.models import Delivery, Endpoint
from integrations.payloads import Facts
from integrations.receivers import deliveries_record

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

SECRET = "whsec_concurrency-secret-long-enough"


def test_four_senders_racing_over_three_endpoints_send_every_event_exactly_once(receivers, loopback_allowed):
    if connection.vendor != "postgresql":
        service_missing("row locks and SKIP LOCKED need PostgreSQL (set DATABASE_URL=postgres://…)")
    owner = UserFactory(username="lena", role="leadership")
    targets = [receivers(secret=SECRET, delay=0.01) for _ in range(3)]
    for n, receiver in enumerate(targets):
        Endpoint.objects.create(
            name=f"E{n}", url=receiver.url, secret=SECRET, events=[Event.CASE_OPENED.value], owner=owner
        )
    for n in range(40):
        deliveries_record(Facts(Event.CASE_OPENED, f"Case {n}", f"Partner {n} is declining.", "http://x/", {"n": n}))
    assert Delivery.objects.count() == 120

    errors: list[BaseException] = []

    def sender():
        try:
            for _ in range(6):
                deliveries_send_due()
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert errors == []
    assert Delivery.objects.filter(status="sent").count() == 120
    for receiver in targets:
        assert len(receiver.ids) == 40 and max(receiver.ids.values()) == 1, "no event arrived twice"
        assert receiver.requests == 40

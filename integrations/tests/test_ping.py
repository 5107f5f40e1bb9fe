"""The "Send a test event" button: one signed ``ping`` to that endpoint only, through the outbox."""

from __future__ import annotations

import json
import re
from unittest import mock

import pytest
from django.test import Client

from assessments.tests.alerting import leader, manager
from integrations import payloads
from integrations.delivery import body_bytes
from integrations.events import Event
from integrations.forms import EndpointForm
from integrations.models import Delivery, Endpoint
from integrations.tasks import send_webhooks
from integrations.tests.receiver import verify_signature

pytestmark = pytest.mark.django_db

SECRET = "whsec_test-secret-of-enough-length"


@pytest.fixture
def lena(db):
    return leader("lena", email="lena@example.com")


@pytest.fixture
def client(lena):
    client = Client()
    client.force_login(lena)
    return client


def text_of(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def test_the_button_sends_one_signed_ping_to_that_endpoint_only_and_the_log_shows_it(
    client, lena, receivers, loopback_allowed, django_capture_on_commit_callbacks
):
    receiver = receivers(secret=SECRET)
    other = receivers(secret=SECRET)
    endpoint = Endpoint.objects.create(name="CRM", url=receiver.url, secret=SECRET, events=["case.opened"], owner=lena)
    bystander = Endpoint.objects.create(name="Other", url=other.url, secret=SECRET, events=["case.opened"])

    page = client.get(f"/integrations/{endpoint.pk}/")
    assert "Send a test event" in text_of(page)
    with (
        mock.patch("integrations.receivers.publish") as kick,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        response = client.post(f"/integrations/{endpoint.pk}/test/", follow=True)
    # Recorded in the transaction; the sender is kicked only after commit.
    assert len(callbacks) == 1 and kick.call_count == 1
    assert "Test event queued; its attempts show below." in text_of(response)

    [delivery] = Delivery.objects.all()
    assert (delivery.endpoint_id, delivery.event, delivery.status) == (endpoint.pk, "ping", "pending")
    assert not bystander.deliveries.exists()

    send_webhooks()  # what the kick runs

    delivery.refresh_from_db()
    assert delivery.status == "sent" and delivery.attempts == 1
    assert other.requests == 0
    [(headers, body)] = receiver.bodies
    assert receiver.rejected == []
    assert headers["X-PartnerHealth-Event"] == "ping"
    assert headers["X-PartnerHealth-Event-Id"] == str(delivery.event_id)
    verify_signature(SECRET, headers["X-PartnerHealth-Signature"], body_bytes(body))
    assert body["type"] == "ping"
    assert body["id"] == str(delivery.event_id)
    assert body["summary"] == "A test event from Partner Health"
    assert body["url"].endswith(f"/integrations/{endpoint.pk}/")
    assert body["occurred_at"] == delivery.occurred_at.isoformat()

    log = text_of(client.get(f"/integrations/{endpoint.pk}/"))
    assert "A test event A test event from Partner Health" in log
    assert "Delivered" in log
    assert re.search(r"HTTP 200, \d+ ms", log)
    assert "ping" not in log  # the key stays in the JSON


def test_a_switched_off_endpoint_refuses_the_test_event(client, lena, loopback_allowed):
    endpoint = Endpoint.objects.create(
        name="CRM", url="http://127.0.0.1:9/in", secret=SECRET, events=["case.opened"], owner=lena, enabled=False
    )
    response = client.post(f"/integrations/{endpoint.pk}/test/", follow=True)
    assert "This endpoint is switched off; switch it on to send a test event." in text_of(response)
    assert "Test event queued" not in text_of(response)
    assert not Delivery.objects.exists()


def test_an_account_manager_gets_404_and_nothing_is_recorded(db, lena, loopback_allowed):
    endpoint = Endpoint.objects.create(name="CRM", url="http://127.0.0.1:9/in", secret=SECRET, events=["case.opened"])
    ana = Client()
    ana.force_login(manager("ana"))
    assert ana.post(f"/integrations/{endpoint.pk}/test/").status_code == 404
    assert ana.post("/integrations/999999/test/").status_code == 404
    assert not Delivery.objects.exists()


def test_a_get_is_refused(client, loopback_allowed):
    endpoint = Endpoint.objects.create(name="CRM", url="http://127.0.0.1:9/in", secret=SECRET, events=["case.opened"])
    assert client.get(f"/integrations/{endpoint.pk}/test/").status_code == 405
    assert not Delivery.objects.exists()


def test_ping_cannot_be_subscribed_to(client, loopback_allowed):
    assert "ping" not in dict(EndpointForm(creating=True).fields["events"].choices)
    assert "A test event" not in text_of(client.get("/integrations/"))
    form = EndpointForm(
        {"name": "CRM", "kind": "webhook", "url": "http://127.0.0.1:9/in", "events": ["ping"], "enabled": "on"},
        creating=True,
    )
    assert not form.is_valid()
    assert "events" in form.errors


@pytest.mark.parametrize("kind", ["slack", "teams"])
def test_chat_channels_get_a_short_plain_message(client, kind, loopback_allowed):
    endpoint = Endpoint.objects.create(name="Chat", kind=kind, url="http://127.0.0.1:9/in", events=["case.opened"])
    client.post(f"/integrations/{endpoint.pk}/test/")
    [delivery] = Delivery.objects.filter(endpoint=endpoint)
    text = json.dumps(delivery.payload)
    assert "A test event from Partner Health: this channel is connected. Nothing else happened." in text
    assert "Open the case" not in text and '"ping"' not in text


def test_the_ping_facts_are_plain_words():
    facts = payloads.ping_facts(endpoint_id=7, endpoint_name="CRM")
    assert (facts.event, facts.summary) == (Event.PING, "A test event from Partner Health")

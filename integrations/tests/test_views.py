"""Leadership registers endpoints; the secret is shown once; the log shows every attempt."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from assessments.tests.alerting import leader, manager
from integrations.models import Attempt, Delivery, Endpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def lena(db):
    return leader("lena", email="lena@example.com")


@pytest.fixture
def client(lena):
    client = Client()
    client.force_login(lena)
    return client


@pytest.fixture
def public_host(settings):
    # No DNS in tests: the allow-list names the host, so it is not resolved at registration.
    settings.WEBHOOK_ALLOWED_HOSTS = ["hooks.example.test"]


def register(client, **overrides):
    data = {
        "name": "CRM",
        "kind": "webhook",
        "url": "https://hooks.example.test/in",
        "events": ["case.opened", "checkup.submitted"],
        "enabled": "on",
        **overrides,
    }
    return client.post("/integrations/", data)


def test_registering_a_webhook_generates_a_secret_shown_once(client, lena, public_host):
    response = register(client)
    endpoint = Endpoint.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/integrations/{endpoint.pk}/"
    assert endpoint.owner == lena and endpoint.events == ["case.opened", "checkup.submitted"]
    assert re.fullmatch(r"whsec_[\w-]{43}", endpoint.secret)

    first = client.get(response["Location"]).content.decode()
    assert "The signing secret, shown this once." in first and endpoint.secret in first
    again = client.get(response["Location"]).content.decode()
    assert endpoint.secret not in again


def test_a_secret_of_ones_own_is_kept_and_not_shown(client, public_host):
    register(client, secret="my-own-secret-of-32-characters!!")
    endpoint = Endpoint.objects.get()
    assert endpoint.secret == "my-own-secret-of-32-characters!!"
    assert "shown this once" not in client.get(f"/integrations/{endpoint.pk}/").content.decode()


def test_a_new_secret_replaces_the_old_and_is_shown_once(client, public_host):
    register(client, secret="my-own-secret-of-32-characters!!")
    endpoint = Endpoint.objects.get()
    response = client.post(f"/integrations/{endpoint.pk}/secret/")
    endpoint.refresh_from_db()
    assert endpoint.secret.startswith("whsec_") and endpoint.secret != "my-own-secret-of-32-characters!!"
    assert endpoint.secret in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:8000/admin/", "127.0.0.1 resolves to 127.0.0.1, a loopback, private or link-local address"),
        ("http://169.254.169.254/latest/", "169.254.169.254 resolves to 169.254.169.254"),
        ("http://10.0.0.8/hook", "10.0.0.8 resolves to 10.0.0.8"),
        ("http://[::1]/hook", "::1 resolves to ::1"),
        ("ftp://hooks.example.test/in", "Only http and https addresses can receive webhooks, not ftp:."),
    ],
)
def test_an_address_the_guard_refuses_is_refused_at_registration(client, public_host, url, message):
    response = register(client, url=url)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Endpoint.objects.exists()


def test_slack_and_teams_channels_hear_of_cases_only(client, public_host):
    response = register(client, kind="slack", url="https://hooks.example.test/services/T0/B0/x")
    assert response.status_code == 400
    assert "Slack and Teams channels hear of cases only; untick: A check-up is submitted or amended" in (
        response.content.decode()
    )
    register(client, kind="teams", url="https://hooks.example.test/webhookb2/x", events=["case.opened"])
    endpoint = Endpoint.objects.get()
    assert (endpoint.kind, endpoint.secret) == ("teams", "")


def test_no_event_ticked_is_a_clear_error(client, public_host):
    response = register(client, events=[])
    assert response.status_code == 400
    assert "Choose at least one event to send." in response.content.decode()


def test_the_delivery_log_shows_status_code_duration_and_error(client, lena, public_host):
    endpoint = Endpoint.objects.create(
        name="CRM", url="https://hooks.example.test/in", secret="x" * 20, events=["case.opened"], owner=lena
    )
    from django.utils import timezone

    now = timezone.now()
    delivery = Delivery.objects.create(
        endpoint=endpoint,
        event="case.opened",
        occurred_at=now,
        payload={},
        summary="Cedar is declining: a warning case opened in 2026-Q3.",
        next_attempt_at=now,
        status="sent",
        attempts=2,
    )
    Attempt.objects.create(
        delivery=delivery, at=now, status_code=503, duration_ms=1234, error="The receiver answered 503."
    )
    Attempt.objects.create(delivery=delivery, at=now, status_code=200, duration_ms=87, ok=True)

    page = client.get(f"/integrations/{endpoint.pk}/").content.decode()

    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert "A case is opened (or reopened) Cedar is declining: a warning case opened in 2026-Q3." in text
    assert "Delivered" in text
    assert "HTTP 503, 1234 ms: The receiver answered 503." in text
    assert "HTTP 200, 87 ms" in text
    assert str(delivery.event_id) in text


def test_switching_an_endpoint_off_and_on_from_its_page(client, lena, public_host):
    endpoint = Endpoint.objects.create(
        name="CRM",
        url="https://hooks.example.test/in",
        secret="x" * 20,
        events=["case.opened"],
        owner=lena,
        enabled=False,
        consecutive_failures=10,
        disabled_reason="Disabled after 10 failed attempts",
    )
    page = client.get(f"/integrations/{endpoint.pk}/").content.decode()
    assert "Disabled after 10 failed attempts" in page
    response = client.post(
        f"/integrations/{endpoint.pk}/",
        {"name": "CRM", "url": endpoint.url, "events": ["case.opened"], "enabled": "on"},
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.consecutive_failures == 0 and endpoint.disabled_reason == ""


def test_account_managers_are_refused_and_the_menu_shows_leadership_the_page(client, db):
    ana = manager("ana")
    other = Client()
    other.force_login(ana)
    assert other.get("/integrations/").status_code == 403
    assert "Integrations" not in other.get("/partners/").content.decode()
    assert 'href="/integrations/"' in client.get("/partners/").content.decode()


def test_the_admin_role_manages_endpoints_in_the_admin_and_a_new_webhook_gets_a_secret(db, public_host):
    from assessments.tests.factories import UserFactory

    boss = UserFactory(username="boss", role="admin", is_staff=True)
    admin = Client()
    admin.force_login(boss)
    assert admin.get("/admin/integrations/endpoint/").status_code == 200
    assert admin.get("/admin/integrations/delivery/").status_code == 200
    refused = admin.post(
        "/admin/integrations/endpoint/add/",
        {"name": "Metadata", "kind": "webhook", "url": "http://169.254.169.254/latest/", "events": '["case.opened"]'},
    )
    assert "169.254.169.254 resolves to 169.254.169.254, a loopback" in refused.content.decode()
    response = admin.post(
        "/admin/integrations/endpoint/add/",
        {
            "name": "CRM",
            "kind": "webhook",
            "url": "https://hooks.example.test/in",
            "events": '["case.opened"]',
            "enabled": "on",
            "consecutive_failures": "0",
            "created_at_0": "2026-11-20",
            "created_at_1": "10:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    endpoint = Endpoint.objects.get()
    assert endpoint.secret.startswith("whsec_") and endpoint.owner == boss

"""API tokens: made and named by their owner, shown once, stored hashed, scoped, revoked, and ended with the user."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client

from api.models import ApiToken
from api.tests.conftest import NOV_2026, api_client
from api.tokens import token_create
from assessments.tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db


def bearer(secret: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {secret}"})


def test_a_token_is_stored_as_a_hash_of_its_secret_never_the_secret(manager):
    new = token_create(user=manager, name="CRM sync")
    _, prefix, secret = new.secret.split("_", 2)
    token = ApiToken.objects.get()
    assert token.prefix == prefix
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiToken.objects.values().get())


def test_a_request_without_a_token_is_401_with_the_bearer_scheme(db):
    response = Client().get("/api/partners/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json() == {"detail": "Authentication credentials were not provided."}


@pytest.mark.parametrize("header", ["Bearer ph_nope_nope", "Bearer not-a-token", "Bearer "])
def test_an_unknown_or_malformed_token_is_401(manager, header):
    token_create(user=manager, name="real")
    response = Client(headers={"Authorization": header}).get("/api/partners/")
    assert response.status_code == 401


def test_a_token_with_the_right_prefix_but_a_wrong_secret_is_refused(manager):
    new = token_create(user=manager, name="real")
    forged = new.secret[:-4] + "AAAA"
    response = bearer(forged).get("/api/partners/")
    assert response.status_code == 401
    assert response.json()["detail"] == "This token is unknown or has been revoked."


def test_a_revoked_token_stops_working(manager):
    new = token_create(user=manager, name="old script")
    assert bearer(new.secret).get("/api/partners/").status_code == 200
    ApiToken.objects.update(revoked_at=NOV_2026)
    assert bearer(new.secret).get("/api/partners/").status_code == 401


def test_deactivating_the_user_ends_their_tokens(manager):
    new = token_create(user=manager, name="CRM sync")
    assert bearer(new.secret).get("/api/partners/").status_code == 200
    manager.is_active = False
    manager.save(update_fields=["is_active"])
    response = bearer(new.secret).get("/api/partners/")
    assert response.status_code == 401
    assert response.json()["detail"] == "This token's user has been deactivated."


def test_a_read_only_token_reads_but_every_write_is_403(manager):
    partner = PartnerFactory(owners=[manager])
    client = api_client(manager, read_only=True)
    assert client.get("/api/partners/").status_code == 200
    response = client.post(
        "/api/interactions/",
        {"partner": partner.pk, "occurred_on": "2026-11-19", "kind": "call"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json() == {"detail": "This token is read-only: make a read-write token to write."}
    assert not partner.interactions.exists()


def test_last_used_is_recorded_at_most_once_a_minute(manager):
    new = token_create(user=manager, name="poller")
    client = bearer(new.secret)
    client.get("/api/partners/")
    first = ApiToken.objects.get().last_used_at
    assert first == NOV_2026
    with time_machine.travel(NOV_2026 + dt.timedelta(seconds=30), tick=False):
        client.get("/api/partners/")
    assert ApiToken.objects.get().last_used_at == first
    with time_machine.travel(NOV_2026 + dt.timedelta(seconds=61), tick=False):
        client.get("/api/partners/")
    assert ApiToken.objects.get().last_used_at == NOV_2026 + dt.timedelta(seconds=61)


def test_the_command_prints_a_working_token_once(manager):
    out = io.StringIO()
    call_command("api_token", "ana", "--name", "CRM", "--read-only", stdout=out)
    secret = out.getvalue().strip()
    assert secret.startswith("ph_")
    token = ApiToken.objects.get()
    assert (token.name, token.scope, token.user) == ("CRM", "read", manager)
    assert bearer(secret).get("/api/partners/").status_code == 200


def test_the_command_refuses_an_unknown_user_with_a_clear_message(db):
    with pytest.raises(CommandError, match="No user 'nobody'"):
        call_command("api_token", "nobody")


def test_the_throttle_counts_per_token(manager, monkeypatch):
    from api.throttling import TokenRateThrottle

    monkeypatch.setattr(TokenRateThrottle, "rate", "3/minute", raising=False)
    first, second = api_client(manager), api_client(manager)
    statuses = [first.get("/api/partners/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert first.get("/api/partners/").json()["detail"].startswith("Request was throttled.")
    # Another token of the same person has its own budget.
    assert second.get("/api/partners/").status_code == 200


# --- the page ------------------------------------------------------------------------------


def test_a_person_makes_a_token_on_the_page_and_sees_its_secret_once(manager):
    client = Client()
    client.force_login(manager)
    page = client.get("/api-tokens/")
    assert "You have no tokens." in page.content.decode()
    made = client.post("/api-tokens/", {"name": "CRM sync", "scope": "write"})
    html = made.content.decode()
    assert made.status_code == 200
    assert "Copy it now: it is shown only this once." in html
    secret = html.split('id="new-token">', 1)[1].split("<", 1)[0]
    assert bearer(secret).get("/api/partners/").status_code == 200
    again = client.get("/api-tokens/").content.decode()
    assert "CRM sync" in again and secret not in again and "Never" not in again  # used just now


def test_a_token_without_a_name_is_refused_with_the_reason(manager):
    client = Client()
    client.force_login(manager)
    response = client.post("/api-tokens/", {"name": "", "scope": "read"})
    assert response.status_code == 400
    assert "Give the token a name, e.g. the system that will use it." in response.content.decode()
    assert not ApiToken.objects.exists()


def test_revoking_on_the_page_ends_the_token_and_another_persons_token_is_404(manager, other_manager):
    mine = token_create(user=manager, name="mine")
    theirs = token_create(user=other_manager, name="theirs")
    client = Client()
    client.force_login(manager)
    assert client.post(f"/api-tokens/{theirs.token.pk}/revoke/").status_code == 404
    response = client.post(f"/api-tokens/{mine.token.pk}/revoke/", follow=True)
    assert "Token “mine” revoked: it no longer works." in response.content.decode()
    assert bearer(mine.secret).get("/api/partners/").status_code == 401
    assert bearer(theirs.secret).get("/api/partners/").status_code == 200

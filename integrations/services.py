"""Writes of the integrations pages: register, change and re-key endpoints."""

from __future__ import annotations

from django.db import transaction

from integrations import payloads
from integrations.delivery import endpoint_deliveries_resume
from integrations.models import Delivery, Endpoint, new_secret
from integrations.receivers import deliveries_record


class EndpointOff(Exception):
    """The endpoint is switched off: nothing is sent to it, not even a test."""


@transaction.atomic
def endpoint_create(
    *, owner, name: str, kind: str, url: str, events: list[str], enabled: bool, secret: str = ""
) -> Endpoint:
    """Register an endpoint; a webhook without a secret of its own gets a generated one."""
    if kind == Endpoint.Kind.WEBHOOK and not secret:
        secret = new_secret()
    return Endpoint.objects.create(
        owner=owner,
        name=name,
        kind=kind,
        url=url,
        events=list(events),
        enabled=enabled,
        secret=secret if kind == Endpoint.Kind.WEBHOOK else "",
    )


@transaction.atomic
def endpoint_update(*, endpoint: Endpoint, name: str, url: str, events: list[str], enabled: bool) -> Endpoint:
    """Change an endpoint; switching it back on sends what waited and forgets past failures."""
    switched_on = enabled and not Endpoint.objects.values_list("enabled", flat=True).get(pk=endpoint.pk)
    endpoint.name, endpoint.url, endpoint.events, endpoint.enabled = name, url, list(events), enabled
    endpoint.save(update_fields=["name", "url", "events", "enabled"])
    if switched_on:
        endpoint_deliveries_resume(endpoint_id=endpoint.pk)
        endpoint.refresh_from_db()
    return endpoint


@transaction.atomic
def endpoint_secret_rotate(*, endpoint: Endpoint) -> str:
    """A new signing secret, effective for the next POST; returned once, to be shown once."""
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret"])
    return endpoint.secret


@transaction.atomic
def endpoint_ping(*, endpoint: Endpoint) -> Delivery:
    """Record one test event (``ping``) to this endpoint only, sent after commit like any event."""
    endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    if not endpoint.enabled:
        raise EndpointOff("This endpoint is switched off; switch it on to send a test event.")
    facts = payloads.ping_facts(endpoint_id=endpoint.pk, endpoint_name=endpoint.name)
    [delivery] = deliveries_record(facts, endpoints=[endpoint])
    return delivery

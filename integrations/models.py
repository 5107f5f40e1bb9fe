"""Endpoints that hear of events, and one delivery row per event and endpoint.

A delivery is written in the transaction that made the event (``receivers.py``) and POSTed after
commit by ``services/delivery.py``, the same outbox pattern as the e-mails: claimed with a
conditional lease, retried with back-off, each attempt a row of its own (the delivery log).
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from assessments.models.alerts import OutboxRow
from integrations.events import Event


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class Endpoint(models.Model):
    """A URL that hears of the events it subscribed to: a webhook, a Slack or a Teams channel."""

    class Kind(models.TextChoices):
        WEBHOOK = "webhook", "Webhook (signed JSON)"
        SLACK = "slack", "Slack channel"
        TEAMS = "teams", "Microsoft Teams channel"

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.WEBHOOK)
    url = models.URLField(max_length=500)
    # Signs webhook bodies (HMAC-SHA256); receivers must know it, so it is kept, not hashed.
    # Shown once when created; Slack and Teams URLs carry their own secret and need none.
    secret = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list)
    enabled = models.BooleanField(default=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Failed attempts since the last success; WEBHOOK_MAX_FAILURES of them disable the endpoint.
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.TextField(blank=True)

    class Meta:
        verbose_name = "endpoint"
        verbose_name_plural = "endpoints"
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def event_labels(self) -> list[str]:
        return [Event(e).label for e in self.events if e in Event._value2member_map_]


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    SENT = "sent", "Delivered"
    FAILED = "failed", "Failed (gave up)"


class Delivery(models.Model):
    """One event to one endpoint; its ``event_id`` is what receivers deduplicate on."""

    Status = DeliveryStatus

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event = models.CharField(max_length=40, choices=[(e.value, e.label) for e in Event])
    occurred_at = models.DateTimeField()
    # The body as composed in the writing transaction (what it said then); sent as it is.
    payload = models.JSONField()
    # What the log shows: "Acme Ltd: case opened (warning)".
    summary = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "delivery"
        verbose_name_plural = "deliveries"
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due_idx")]

    def __str__(self) -> str:
        return f"{self.event} {self.event_id} to {self.endpoint_id} ({self.status})"


class Attempt(models.Model):
    """One POST of one delivery: the delivery log's row."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    ok = models.BooleanField(default=False)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = "attempt"
        verbose_name_plural = "attempts"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"attempt of {self.delivery_id} at {self.at:%Y-%m-%d %H:%M:%S}"


class EndpointMail(OutboxRow):
    """The e-mail telling an endpoint's owner it was disabled: sent by the e-mail outbox."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="mails")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "endpoint e-mail"
        verbose_name_plural = "endpoint e-mails"
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="endpoint_mail_due_idx")]

    def __str__(self) -> str:
        return f"endpoint {self.endpoint_id} disabled, to {self.recipient_id} ({self.status})"

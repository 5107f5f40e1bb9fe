"""Signal receivers: one delivery row per subscribed endpoint, in the transaction that sent the signal.

``assessments`` sends the signals (assessments/signals.py) and never imports this module; the
AppConfig connects these receivers. If the writing transaction rolls back, so do the rows; once it
commits, a sender is kicked (and the beat sweep finds any row whose kick was lost).
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import transaction
from django.utils import timezone

from assessments.services.dispatch import publish
from assessments.task_names import TaskName
from integrations import payloads
from integrations.events import CASE_EVENTS, Event
from integrations.models import Delivery, Endpoint


def _subscribed(event: Event) -> list[Endpoint]:
    # Few endpoints: filtered here rather than with a JSON lookup SQLite lacks.
    endpoints = [e for e in Endpoint.objects.filter(enabled=True) if event.value in e.events]
    return [e for e in endpoints if e.kind == Endpoint.Kind.WEBHOOK or event in CASE_EVENTS]


def deliveries_record(
    facts: payloads.Facts, *, now: dt.datetime | None = None, endpoints: list[Endpoint] | None = None
) -> list[Delivery]:
    """Record one delivery of ``facts`` per subscribed endpoint (or to ``endpoints``, as the test
    event does); kick the sender after commit."""
    if endpoints is None:
        endpoints = _subscribed(facts.event)
    if not endpoints:
        return []
    now = now or timezone.now()
    rows = []
    for endpoint in endpoints:
        event_id = uuid.uuid4()
        if endpoint.kind == Endpoint.Kind.SLACK:
            body = payloads.slack_body(facts)
        elif endpoint.kind == Endpoint.Kind.TEAMS:
            body = payloads.teams_body(facts)
        else:
            body = payloads.webhook_body(facts, event_id=event_id, occurred_at=now)
        rows.append(
            Delivery(
                endpoint=endpoint,
                event_id=event_id,
                event=facts.event.value,
                occurred_at=now,
                payload=body,
                summary=facts.summary[:300],
                next_attempt_at=now,
            )
        )
    created = Delivery.objects.bulk_create(rows)
    transaction.on_commit(lambda: publish(TaskName.SEND_WEBHOOKS))
    return created


def on_case_changed(sender, *, case, kind: str, **kwargs) -> None:
    if _subscribed(payloads._CASE_EVENT[kind]):
        deliveries_record(payloads.case_facts(case, kind))


def on_checkup_submitted(sender, *, checkup, amended: bool = False, **kwargs) -> None:
    if _subscribed(Event.CHECKUP_SUBMITTED):
        deliveries_record(payloads.checkup_facts(checkup, amended=amended))


def on_survey_responded(sender, *, summary: str, url: str, data: dict, title: str = "", **kwargs) -> None:
    """The partner survey sends ``survey_responded(response=..., summary=..., url=..., data=...)``:
    it knows its own model; this app only needs the words, the link and the keys."""
    if _subscribed(Event.SURVEY_RESPONDED):
        facts = payloads.Facts(
            event=Event.SURVEY_RESPONDED, title=title or "Survey answered", summary=summary, url=url, data=data
        )
        deliveries_record(facts)

"""The e-mail to an endpoint's owner when repeated failures disabled it (sent by the e-mail outbox)."""

from __future__ import annotations

import datetime as dt

from assessments import emails
from assessments.services.outbox import OutboxKind, Outgoing
from integrations.models import EndpointMail


def _disabled_email(rows: list[EndpointMail], now: dt.datetime) -> Outgoing | None:
    (row,) = rows
    endpoint = row.endpoint
    if endpoint.enabled:
        return None  # switched back on while the e-mail waited
    last = endpoint.deliveries.exclude(last_error="").order_by("-next_attempt_at", "-id").first()
    return Outgoing(
        template="endpoint_disabled",
        to=row.recipient.email,
        context={
            "recipient": row.recipient,
            "endpoint": endpoint,
            "failures": endpoint.consecutive_failures,
            "last_error": last.last_error if last else endpoint.disabled_reason,
            "endpoint_url": emails.url_for("integration_detail", endpoint.pk),
        },
    )


OUTBOX_KIND = OutboxKind(EndpointMail, "endpoint-mail", _disabled_email, ("recipient", "endpoint"))

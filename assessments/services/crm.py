"""Writes from the CRM: engagements and a partner's revenue, each idempotent on the CRM's own id.

Sending the same engagement twice (a retried sync) writes it once: the row is found by
``external_id`` and updated. A partner outside the user's reach is "not found", whoever owns it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from assessments.models import Engagement, Partner
from assessments.selectors.access import partners_crm_writable_by

EXTERNAL_ID_MAX = 100


class CrmError(Exception):
    """A CRM write that was refused; nothing was changed. ``errors`` maps a field to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))


class CrmNotFound(Exception):
    """No such partner or engagement in the user's reach."""


@dataclass(frozen=True)
class EngagementInput:
    partner_id: int
    client: str
    title: str
    status: str = Engagement.Status.PROPOSED
    value: Decimal = Decimal("0")
    started_on: dt.date | None = None
    ended_on: dt.date | None = None


def _check(instance, *, exclude=()) -> None:
    try:
        instance.full_clean(exclude=list(exclude), validate_unique=False)
    except ValidationError as error:
        raise CrmError(
            {key if key != "__all__" else "non_field_errors": value for key, value in error.message_dict.items()}
        ) from None


@transaction.atomic
def engagement_upsert(*, user, external_id: str, data: EngagementInput) -> tuple[Engagement, bool]:
    """Create or update the engagement the CRM calls ``external_id``; (engagement, created)."""
    external_id = external_id.strip()
    if not external_id or len(external_id) > EXTERNAL_ID_MAX:
        raise CrmError({"external_id": [f"Give the CRM's id, 1 to {EXTERNAL_ID_MAX} characters."]})
    writable = partners_crm_writable_by(user)
    engagement = Engagement.objects.select_for_update().filter(external_id=external_id).first()
    if engagement is not None and not writable.filter(pk=engagement.partner_id).exists():
        raise CrmNotFound(f"No engagement {external_id!r} you can write.")
    if not writable.filter(pk=data.partner_id).exists():
        raise CrmError({"partner": ["No such partner, or not one whose engagements you can write."]})
    created = engagement is None
    engagement = engagement or Engagement(external_id=external_id)
    engagement.partner_id = data.partner_id
    engagement.client = data.client.strip()
    engagement.title = data.title.strip()
    engagement.status = data.status
    engagement.value = data.value
    engagement.started_on = data.started_on
    engagement.ended_on = data.ended_on
    _check(engagement, exclude=["partner", "external_id", "updated_at"])
    try:
        with transaction.atomic():
            engagement.save()
    except IntegrityError:
        # Two syncs created the same id at once: the other one won; sent again, this one updates it.
        raise CrmError(
            {"external_id": ["This engagement was written by another request just now; send it again."]}
        ) from None
    return engagement, created


@transaction.atomic
def partner_revenue_set(*, user, partner_id: int, annual_revenue: Decimal, external_id: str | None = None) -> Partner:
    """Set a partner's annual joint revenue (and, if given, the CRM's id for the partner)."""
    partner = partners_crm_writable_by(user).select_for_update().filter(pk=partner_id).first()
    if partner is None:
        raise CrmNotFound(f"No partner {partner_id} you can write.")
    fields = ["annual_revenue"]
    partner.annual_revenue = annual_revenue
    if external_id is not None:
        external_id = external_id.strip() or None
        if external_id and Partner.objects.filter(external_id=external_id).exclude(pk=partner.pk).exists():
            raise CrmError({"external_id": ["Another partner already has this CRM id."]})
        partner.external_id = external_id
        fields.append("external_id")
    _check(partner, exclude=[f.name for f in Partner._meta.fields if f.name not in fields])
    partner._history_user = user
    partner._change_reason = "CRM sync (API)"
    partner.save(update_fields=fields)
    return partner

from __future__ import annotations

from django.db.models import QuerySet

from assessments.models import PartnerSnapshot, Period
from assessments.selectors.access import partners_visible_to


def latest_scored_period() -> Period | None:
    return Period.objects.filter(snapshots__isnull=False).order_by("-year", "-quarter").first()


def snapshots_for_period(*, user, period: Period) -> QuerySet[PartnerSnapshot]:
    return (
        PartnerSnapshot.objects.filter(period=period, partner__in=partners_visible_to(user))
        .select_related("partner")
        .order_by("health", "partner__name")
    )

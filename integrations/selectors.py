"""Reads of the integrations pages."""

from __future__ import annotations

from django.db.models import Count, Max, Prefetch, Q, QuerySet

from integrations.models import Attempt, Delivery, Endpoint


def endpoints_list() -> QuerySet[Endpoint]:
    return Endpoint.objects.select_related("owner").annotate(
        waiting=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.PENDING)),
        last_delivered=Max("deliveries__sent_at"),
    )


def endpoint_log(*, endpoint_id: int, limit: int = 50) -> list[Delivery]:
    """The endpoint's latest deliveries (newest first), each with its attempts in the order they were made."""
    return list(
        Delivery.objects.filter(endpoint_id=endpoint_id)
        .prefetch_related(Prefetch("attempt_log", queryset=Attempt.objects.order_by("at", "id")))
        .order_by("-occurred_at", "-id")[:limit]
    )

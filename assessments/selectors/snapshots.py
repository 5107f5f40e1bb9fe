from __future__ import annotations

from assessments.models import Period


def latest_scored_period() -> Period | None:
    return Period.objects.filter(snapshots__isnull=False).order_by("-year", "-quarter").first()

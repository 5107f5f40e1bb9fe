"""What the weekly leadership digest says: the portfolio's movements over one week.

Built when the e-mail is sent, from the week's fixed boundaries, so a digest
retried after a mail outage still describes the week it was due for.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.conf import settings
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from assessments.models import Alert, AlertAction, Checkup, PartnerSnapshot
from assessments.periods import well_covered
from assessments.selectors.cases import digest_cases
from assessments.selectors.snapshots import latest_scored_period

MOVERS_SHOWN = 5


def week_bounds(week_starting: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The seven local days before ``week_starting`` as aware datetimes [start, end)."""
    tz = timezone.get_current_timezone()
    end = dt.datetime.combine(week_starting, dt.time.min, tzinfo=tz)
    start = dt.datetime.combine(week_starting - dt.timedelta(days=7), dt.time.min, tzinfo=tz)
    return start, end


def digest_summary(*, week_starting: dt.date) -> dict:
    start, end = week_bounds(week_starting)
    new_alerts = list(
        Alert.objects.filter(created_at__gte=start, created_at__lt=end)
        .select_related("partner", "period")
        .order_by("partner__name", "rule")
    )
    severity_counts = Counter(a.severity for a in new_alerts)
    actions = list(
        AlertAction.objects.filter(created_at__gte=start, created_at__lt=end)
        .exclude(kind=AlertAction.Kind.REOPENED)
        .select_related("alert__partner", "user")
        .order_by("created_at")
    )
    submitted = Checkup.objects.filter(submitted_at__gte=start, submitted_at__lt=end).count()
    overdue = (
        Checkup.objects.filter(
            status=Checkup.Status.DRAFT, period__due_on__lt=week_starting, partner__is_active=True
        )
        .select_related("partner", "period", "rater")
        .order_by("period__due_on", "partner__name")
    )
    period = latest_scored_period()
    bands: list[tuple[str, int]] = []
    decliners: list[PartnerSnapshot] = []
    improvers: list[PartnerSnapshot] = []
    if period is not None:
        snapshots = PartnerSnapshot.objects.filter(period=period, partner__is_active=True).select_related("partner")
        counts = Counter(snapshots.values_list("band", flat=True))
        bands = [(label, counts.get(value, 0)) for value, label in PartnerSnapshot.BAND_CHOICES]
        decliners = list(snapshots.filter(health_delta__lt=0).order_by("health_delta", "partner__name")[:MOVERS_SHOWN])
        improvers = list(snapshots.filter(health_delta__gt=0).order_by("-health_delta", "partner__name")[:MOVERS_SHOWN])
    return {
        **_coverage(period),
        "week_starting": week_starting,
        "week_from": start.date(),
        "week_to": (end - dt.timedelta(days=1)).date(),
        "new_alerts": [a for a in new_alerts if a.severity != Alert.Severity.WATCH],
        "watch_count": severity_counts.get(Alert.Severity.WATCH, 0),
        "critical_count": severity_counts.get(Alert.Severity.CRITICAL, 0),
        "warning_count": severity_counts.get(Alert.Severity.WARNING, 0),
        "actions": actions,
        "submitted_count": submitted,
        "overdue": list(overdue[:20]),
        "overdue_count": overdue.count(),
        "period": period,
        "bands": bands,
        "decliners": decliners,
        "improvers": improvers,
        "alerts_url": f"{settings.SITE_URL}{reverse('alert_list')}",
        # The digest lists cases (one per declining partner), not alerts.
        **digest_cases(start=start, end=end),
        "cases_url": f"{settings.SITE_URL}{reverse('case_list')}",
    }


def _coverage(period) -> dict:
    """Whether the quarter reported stands for the portfolio, by the dashboard's rule (half the
    partners of the best-covered quarter scored in it, ``periods.well_covered``)."""
    scored = dict(
        PartnerSnapshot.objects.filter(partner__is_active=True)
        .values("period_id")
        .annotate(n=Count("*"))
        .order_by()
        .values_list("period_id", "n")
    )
    if period is None or not scored:
        return {"period_scored": 0, "best_scored": 0, "period_well_covered": True}
    best = max(scored.values())
    count = scored.get(period.pk, 0)
    return {"period_scored": count, "best_scored": best, "period_well_covered": well_covered(count, best=best)}

"""Reads for decline detection and alerts: the snapshot series, scoped alert lists, e-mail context.

Scoping comes from ``assessments.selectors.access``: an account manager sees
the alerts of partners they own, leadership sees all, so another manager's
alert is a 404, never a leak.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass

from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from assessments.models import Alert, AlertAction, AlertDelivery, PartnerSnapshot, RubricItem
from assessments.scoring import Scale
from assessments.selectors.access import is_leadership, partners_visible_to
from assessments.selectors.rubrics import rubric_version_current
from assessments.trends import SnapshotPoint, severity_rank, worst_first

# How many quarters before an alert's period form the "before" column of the
# e-mail's table (the detector's own baseline is a median over up to 8).
BEFORE_QUARTERS = 4


class AlertFilter:
    OPEN = "open"
    SNOOZED = "snoozed"
    ACKNOWLEDGED = "acknowledged"
    ALL = "all"
    CHOICES = (OPEN, SNOOZED, ACKNOWLEDGED, ALL)


# --- series for the detector -------------------------------------------------


def snapshot_point(snapshot: PartnerSnapshot) -> SnapshotPoint:
    return SnapshotPoint(
        period=snapshot.period.code,
        health=snapshot.health,
        band=snapshot.band,
        rubric_scores=snapshot.rubric_scores,
        items=snapshot.item_means,
        red_flags=snapshot.red_flags or {},
    )


def partner_snapshot_series(*, partner_id: int) -> list[SnapshotPoint]:
    """Every snapshot of a partner, oldest first, as the pure detector reads it."""
    snapshots = (
        PartnerSnapshot.objects.filter(partner_id=partner_id)
        .select_related("period")
        .order_by("period__year", "period__quarter")
    )
    return [snapshot_point(s) for s in snapshots]


def trend_titles() -> dict[str, str]:
    """Display names for rubric keys and item addresses, so explanations read in words."""
    version = rubric_version_current()
    titles: dict[str, str] = {}
    for item in RubricItem.objects.filter(rubric__version=version).select_related("rubric"):
        titles[item.rubric.key] = item.rubric.title
        titles[item.address] = item.title
    return titles


# --- scoped alert lists ------------------------------------------------------


def alerts_visible_to(user) -> QuerySet[Alert]:
    """The alerts of the partners the user may see (the same rule as ``partners_visible_to``)."""
    if is_leadership(user):
        return Alert.objects.all()
    return Alert.objects.filter(partner__in=partners_visible_to(user))


def _open_q(today: dt.date) -> Q:
    # A snooze runs through its date; the day after, the alert is open again.
    return Q(status=Alert.Status.OPEN) | Q(status=Alert.Status.SNOOZED, snoozed_until__lt=today)


def alerts_list(*, user, show: str = AlertFilter.OPEN, today: dt.date | None = None) -> QuerySet[Alert]:
    """The alerts a user may see, filtered to open / snoozed / acknowledged, worst and newest first."""
    today = today or timezone.localdate()
    alerts = alerts_visible_to(user)
    if show == AlertFilter.OPEN:
        alerts = alerts.filter(_open_q(today))
    elif show == AlertFilter.SNOOZED:
        alerts = alerts.filter(status=Alert.Status.SNOOZED, snoozed_until__gte=today)
    elif show == AlertFilter.ACKNOWLEDGED:
        alerts = alerts.filter(status=Alert.Status.ACKNOWLEDGED)
    return alerts.select_related("partner", "period", "acknowledged_by").order_by(
        "-period__year", "-period__quarter", _severity_order(), "partner__name", "rule"
    )


def _severity_order() -> Case:
    """The SQL form of ``trends.severity_rank``, worst first."""
    return Case(
        *(When(severity=severity, then=Value(-severity_rank(severity))) for severity in Alert.Severity.values),
        default=Value(1),
        output_field=IntegerField(),
    )


def alert_counts(*, user, today: dt.date | None = None) -> dict[str, int]:
    today = today or timezone.localdate()
    alerts = alerts_visible_to(user)
    return {
        AlertFilter.OPEN: alerts.filter(_open_q(today)).count(),
        AlertFilter.SNOOZED: alerts.filter(status=Alert.Status.SNOOZED, snoozed_until__gte=today).count(),
        AlertFilter.ACKNOWLEDGED: alerts.filter(status=Alert.Status.ACKNOWLEDGED).count(),
    }


def alert_detail(*, user, alert_id: int) -> Alert:
    """One alert through the user's scope (raises Alert.DoesNotExist otherwise), with its history."""
    return (
        alerts_visible_to(user)
        .select_related("partner", "period", "acknowledged_by")
        .prefetch_related(
            Prefetch("actions", queryset=AlertAction.objects.select_related("user").order_by("created_at", "id")),
            Prefetch("deliveries", queryset=AlertDelivery.objects.select_related("recipient").order_by("id")),
        )
        .get(pk=alert_id)
    )


def alerts_for_partner(*, user, partner_id: int) -> list[Alert]:
    """Every alert of one partner the user may see, newest period first, with who acknowledged it.

    Acknowledged alerts stay in the list: they are the partner's history. The
    full action trail lives on the alert's own page, so it is not loaded here.
    """
    alerts = list(alerts_visible_to(user).filter(partner_id=partner_id).select_related("period", "acknowledged_by"))
    # A partner has a handful of alerts: sorted here, the query stays cheap to build.
    alerts.sort(key=lambda a: (-a.period.year, -a.period.quarter, *worst_first(a.severity, a.rule)))
    return alerts


def alert_is_open(alert: Alert, *, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    if alert.status == Alert.Status.OPEN:
        return True
    return alert.status == Alert.Status.SNOOZED and alert.snoozed_until is not None and alert.snoozed_until < today


# --- what an alert e-mail shows ----------------------------------------------


@dataclass(frozen=True)
class ItemMove:
    address: str
    title: str
    scale: str
    before: float | None
    now: float | None
    next_step: str

    @property
    def scale_hint(self) -> str:
        if self.scale == Scale.INTENSITY.value:
            return "symptom 0-3, higher is worse"
        return "rating 1-5"

    @property
    def change(self) -> float | None:
        if self.before is None or self.now is None:
            return None
        return self.now - self.before


def _next_step(item: RubricItem) -> str:
    # The healthy end of the item's scale is the goal: high for a rating, none
    # (the "low" guidance) for a symptom, whose high end describes the illness.
    return item.guidance_low if item.rubric.scale == Scale.INTENSITY.value else item.guidance_high


def alert_item_moves(*, alert: Alert) -> list[ItemMove]:
    """The items an alert names, with their level before and in the alert's quarter."""
    addresses = [a for a in alert.items if not a.startswith("red_flags.")]
    if not addresses:
        return []
    quarter = alert.period.value
    window = {q.code for q in quarter.shift(-1).window(BEFORE_QUARTERS)}
    snapshots = {
        s.period.code: s.item_means
        for s in PartnerSnapshot.objects.filter(partner_id=alert.partner_id, period__code__in=window | {quarter.code})
        .select_related("period")
        .only("item_means", "period__code")
    }
    index = {
        item.address: item
        for item in RubricItem.objects.filter(rubric__version=rubric_version_current()).select_related("rubric")
    }
    moves = []
    for address in addresses:
        item = index.get(address)
        if item is None:
            continue
        earlier = [means[address] for code, means in snapshots.items() if code in window and address in means]
        moves.append(
            ItemMove(
                address=address,
                title=item.title,
                scale=item.rubric.scale,
                before=round(statistics.median(earlier), 1) if earlier else None,
                now=round(v, 1) if (v := snapshots.get(quarter.code, {}).get(address)) is not None else None,
                next_step=_next_step(item),
            )
        )
    return moves


def alert_health_path(*, alert: Alert, quarters: int = 4) -> list[PartnerSnapshot]:
    """The partner's last few snapshots up to the alert's quarter: how it moved."""
    codes = [q.code for q in alert.period.value.window(quarters)]
    return list(
        PartnerSnapshot.objects.filter(partner_id=alert.partner_id, period__code__in=codes)
        .select_related("period")
        .order_by("period__year", "period__quarter")
    )


def alert_records() -> list[dict]:
    """Every stored alert as plain data (``scan_trends --json``), by partner, period and rule."""
    rows = Alert.objects.order_by("partner__name", "period__year", "period__quarter", "rule").values_list(
        "partner__name", "period__code", "rule", "severity", "explanation"
    )
    return [
        {"partner": partner, "period": period, "rule": rule, "severity": severity, "explanation": explanation}
        for partner, period, rule, severity, explanation in rows
    ]


@dataclass(frozen=True)
class AlertPage:
    alert: Alert
    is_open: bool
    moves: list[ItemMove]
    path: list[PartnerSnapshot]


def alert_page(*, user, alert_id: int, today: dt.date | None = None) -> AlertPage:
    """Everything the alert page shows, through the user's scope (Alert.DoesNotExist otherwise)."""
    alert = alert_detail(user=user, alert_id=alert_id)
    return AlertPage(
        alert=alert,
        is_open=alert_is_open(alert, today=today),
        moves=alert_item_moves(alert=alert),
        path=alert_health_path(alert=alert),
    )

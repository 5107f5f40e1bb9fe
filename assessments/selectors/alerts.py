"""Reads for decline detection and alerts: the snapshot series, scoped alert lists, an alert's numbers.

An alert's numbers (``alert_numbers``) are the ones its detector stored with
it (``Alert.evidence``); the page and the e-mail read them here and never
recompute them from snapshots. Scoping comes from ``assessments.selectors.access``: an account manager sees
the alerts of partners they own, leadership sees all, so another manager's
alert is a 404, never a leak.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from assessments.evidence import (
    FLAG_TITLES,
    HEALTH,
    Baseline,
    Evidence,
    FlagEvidence,
    ItemEvidence,
    Reading,
    ScoreEvidence,
)
from assessments.models import Alert, AlertAction, AlertDelivery, Answer, Checkup, PartnerSnapshot, RubricItem
from assessments.scoring import Scale
from assessments.selectors.access import is_leadership, partners_visible_to
from assessments.trends import SnapshotPoint, worst_first
from assessments.vocabulary import Severity


class AlertFilter:
    OPEN = "open"
    SNOOZED = "snoozed"
    ACKNOWLEDGED = "acknowledged"
    ALL = "all"
    CHOICES = (OPEN, SNOOZED, ACKNOWLEDGED, ALL)


# --- series for the detector -------------------------------------------------


def snapshot_point(snapshot: PartnerSnapshot, raters: Mapping[str, Mapping[str, float]] | None = None) -> SnapshotPoint:
    """A snapshot as the detector reads it; ``raters`` are each rater's answers that quarter, if known."""
    scored = snapshot.item_means
    return SnapshotPoint(
        period=snapshot.period.code,
        health=snapshot.health,
        band=snapshot.band,
        rubric_scores=snapshot.rubric_scores,
        items=scored,
        red_flags=snapshot.red_flags or {},
        # Only the items the snapshot was scored on, as scoring kept them.
        raters={
            rater: kept
            for rater, answers in (raters or {}).items()
            if (kept := {a: v for a, v in answers.items() if a in scored})
        },
    )


def partner_snapshot_series(*, partner_id: int) -> list[SnapshotPoint]:
    """Every snapshot of a partner, oldest first, as the pure detector reads it (two queries).

    Each point carries every submitted rater's answers that quarter, so the
    detector can compare a rater with their own earlier answers when the
    raters change (docs/TRENDS.md, "Raters").
    """
    snapshots = (
        PartnerSnapshot.objects.filter(partner_id=partner_id)
        .select_related("period")
        .order_by("period__year", "period__quarter")
    )
    answers: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    rows = Answer.objects.filter(checkup__partner_id=partner_id, checkup__status=Checkup.Status.SUBMITTED).values_list(
        "checkup__period__code", "checkup__rater_id", "item__rubric__key", "item__key", "value"
    )
    for code, rater_id, rubric_key, item_key, value in rows:
        # "Not applicable" is no reading: the rater is compared on the items they answered.
        if value is not None:
            answers[code][str(rater_id)][f"{rubric_key}.{item_key}"] = float(value)
    return [snapshot_point(s, answers.get(s.period.code)) for s in snapshots]


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
    """The SQL form of ``Severity.rank``, worst first."""
    return Case(
        *(When(severity=severity.value, then=Value(-severity.rank)) for severity in Severity),
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


# --- what an alert shows: its stored numbers ---------------------------------


@dataclass(frozen=True)
class ScoreRow:
    period: str
    value: float
    band: str | None
    change: Decimal | None  # from the baseline, as the shown figures differ


@dataclass(frozen=True)
class ScoreTable:
    """One score the rule judged: its baseline and the recent window."""

    key: str
    title: str
    baseline: Baseline
    rows: list[ScoreRow]

    @property
    def baseline_quarters(self) -> str:
        periods = self.baseline.periods
        if not periods:
            return ""
        span = periods[0] if len(periods) == 1 else f"{periods[0]} to {periods[-1]}"
        return f"median of {len(periods)} quarter{'s' if len(periods) != 1 else ''}, {span}"


@dataclass(frozen=True)
class ItemRow:
    """One item an alert names, with the detector's before (baseline) and after."""

    address: str
    title: str
    scale: str
    before: float | None
    after: float
    change: Decimal | None
    worse: bool
    path: tuple[Reading, ...]
    next_step: str

    @property
    def scale_hint(self) -> str:
        if self.scale == Scale.INTENSITY.value:
            return "symptom 0-3, higher is worse"
        return "rating 1-5"


@dataclass(frozen=True)
class FlagRow:
    title: str
    value: float | bool


@dataclass(frozen=True)
class AlertNumbers:
    """What one alert, or the alerts of one partner and quarter, rest on: read from ``Alert.evidence``."""

    scores: list[ScoreTable]
    items: list[ItemRow]
    flags: list[FlagRow]
    # False when an alert was recorded before its numbers were stored; pages say so.
    stored: bool

    @property
    def dropped(self) -> list[ItemRow]:
        """Items that moved the unhealthy way: a rating down, a symptom up. Never a change of 0."""
        return [item for item in self.items if item.worse]

    @property
    def also_named(self) -> list[ItemRow]:
        return [item for item in self.items if not item.worse]

    @property
    def has_paths(self) -> bool:
        """Some item lists the quarters a rule judged one by one (tables add a column for them)."""
        return any(item.path for item in self.items)


def _next_step(item: RubricItem | None) -> str:
    # The healthy end of the item's scale is the goal: high for a rating, none
    # (the "low" guidance) for a symptom, whose high end describes the illness.
    if item is None:
        return ""
    return item.guidance_low if item.rubric.scale == Scale.INTENSITY.value else item.guidance_high


def _rubric_index() -> tuple[dict[str, RubricItem], dict[str, str]]:
    """Items by address and rubric titles by key, the current version's over any older one's."""
    items: dict[str, RubricItem] = {}
    rubrics: dict[str, str] = {}
    for item in RubricItem.objects.select_related("rubric").order_by(
        "rubric__version__is_current", "rubric__version__number"
    ):
        items[item.address] = item
        rubrics[item.rubric.key] = item.rubric.title
    return items, rubrics


def trend_titles() -> dict[str, str]:
    """Display names for rubric keys and item addresses, so explanations read in words, never keys."""
    items, rubrics = _rubric_index()
    return {**rubrics, **{address: item.title for address, item in items.items()}}


def alert_numbers(*, alerts: Sequence[Alert]) -> AlertNumbers:
    """The stored numbers of ``alerts`` (worst first), each score and each item once.

    Alerts of one partner and quarter were judged on the same series, so a score
    or an item named by two of them carries the same numbers; the first is kept,
    or the one that lists the quarters it judged.
    """
    evidences = [Evidence.from_json(alert.evidence) for alert in alerts]
    scores: dict[str, ScoreEvidence] = {}
    items: dict[str, ItemEvidence] = {}
    flags: dict[str, FlagEvidence] = {}
    for evidence in evidences:
        for score in evidence.scores:
            scores.setdefault(score.key, score)
        for item in evidence.items:
            if item.address not in items or (item.path and not items[item.address].path):
                items[item.address] = item
        for flag in evidence.flags:
            flags.setdefault(flag.key, flag)
    index, rubrics = _rubric_index() if (scores or items) else ({}, {})
    return AlertNumbers(
        scores=[
            ScoreTable(
                key=score.key,
                title="Overall health" if score.key == HEALTH else f"{rubrics.get(score.key, score.key)} score",
                baseline=score.baseline,
                rows=[ScoreRow(r.period, r.value, r.band, score.change(r)) for r in score.window],
            )
            for score in scores.values()
        ],
        items=[
            ItemRow(
                address=item.address,
                title=index[item.address].title if item.address in index else item.address,
                scale=item.scale,
                before=item.before,
                after=item.after,
                change=item.change,
                worse=item.worse,
                path=item.path,
                next_step=_next_step(index.get(item.address)),
            )
            for item in items.values()
        ],
        flags=[FlagRow(FLAG_TITLES.get(flag.key, flag.key), flag.value) for flag in flags.values()],
        stored=any(evidences),
    )


def alert_records() -> list[dict]:
    """Every stored alert as plain data (``scan_trends --json``), by partner, period and rule."""
    rows = Alert.objects.order_by("partner__name", "period__year", "period__quarter", "rule").values_list(
        "partner__name", "period__code", "rule", "severity", "explanation", "evidence"
    )
    return [
        {
            "partner": partner,
            "period": period,
            "rule": rule,
            "severity": severity,
            "explanation": explanation,
            "evidence": evidence,
        }
        for partner, period, rule, severity, explanation, evidence in rows
    ]


@dataclass(frozen=True)
class AlertPage:
    alert: Alert
    is_open: bool
    numbers: AlertNumbers


def alert_page(*, user, alert_id: int, today: dt.date | None = None) -> AlertPage:
    """Everything the alert page shows, through the user's scope (Alert.DoesNotExist otherwise)."""
    alert = alert_detail(user=user, alert_id=alert_id)
    return AlertPage(alert=alert, is_open=alert_is_open(alert, today=today), numbers=alert_numbers(alerts=[alert]))

"""The dashboard's tiles: bands, declining, health and its change, completion, revenue at risk,
concentration, segmentation and the trusted-partner candidates (definitions in docs/DASHBOARD.md).

Every number comes from PartnerSnapshot, plus Partner, Alert and Assessment
counts where a tile needs them; never from raw answers. Each read is a fixed
number of set-based queries, so the tiles cost the same number of queries at
10 partners and at 10,000.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Avg, Count, F, FilteredRelation, Max, Q, Sum, Window

from assessments.models import Assessment, Partner, PartnerSnapshot
from assessments.periods import Quarter
from assessments.scoring import Band
from assessments.selectors.dashboard.frame import TWO_QUARTER_FALL_POINTS, frame
from assessments.selectors.dashboard.periods import PeriodOption, period_at

# Bands whose joint revenue is "at risk" (004: what is the risk if you lose the relationship?).
RISK_BANDS = (Band.AT_RISK.value, Band.CRITICAL.value)
# Trusted-partner candidates (004's 80/20): developing partners ranked by their
# health gain from P-3 to P, i.e. over the last four quarters.
TREND_SPAN = 3
CANDIDATES_SHOWN = 5
MANAGERS_SHOWN = 10

BANDS = [band.value for band in Band]
BAND_LABELS = dict(PartnerSnapshot.BAND_CHOICES)

@dataclass(frozen=True)
class Completion:
    period_code: str
    submitted: int
    expected: int

    @property
    def rate(self) -> float | None:
        return self.submitted / self.expected * 100 if self.expected else None


@dataclass(frozen=True)
class Concentration:
    partners: int
    total_revenue: Decimal
    largest_id: int | None
    largest_name: str
    largest_revenue: Decimal

    @property
    def share(self) -> float | None:
        return float(self.largest_revenue / self.total_revenue * 100) if self.total_revenue else None


@dataclass(frozen=True)
class ManagerConcentration:
    user_id: int
    name: str
    partners: int
    total_revenue: Decimal
    largest_revenue: Decimal
    largest_name: str = ""

    @property
    def share(self) -> float | None:
        return float(self.largest_revenue / self.total_revenue * 100) if self.total_revenue else None


@dataclass(frozen=True)
class SegmentRow:
    segment: str
    label: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Candidate:
    partner_id: int
    name: str
    health: float
    band: str
    gain: float
    revenue: Decimal


@dataclass(frozen=True)
class PortfolioSummary:
    period_code: str
    previous_code: str | None
    trend_from_code: str | None
    partners: int
    bands: dict[str, int]
    declining: int
    declining_by_alert: int
    avg_health: float | None
    avg_change: float | None
    paired: int
    revenue_at_risk: Decimal
    partners_at_risk: int
    completion: Completion
    concentration: Concentration
    managers: list[ManagerConcentration]
    managers_total: int
    segments: list[SegmentRow]
    candidates: list[Candidate] = field(default_factory=list)

    @property
    def fall_points(self) -> int:
        return TWO_QUARTER_FALL_POINTS

    @property
    def declining_by_fall(self) -> int:
        """Declining by two falling quarters alone (no warning or critical alert)."""
        return self.declining - self.declining_by_alert

    @property
    def segment_chart(self) -> dict:
        """For json_script: partners per band in each segment (a stacked bar chart)."""
        return {
            "labels": [row.label for row in self.segments],
            "bands": [
                {"key": band, "label": BAND_LABELS[band], "counts": [row.counts[band] for row in self.segments]}
                for band in BANDS
            ],
        }

    @property
    def revenue_at_risk_share(self) -> float | None:
        total = self.concentration.total_revenue
        return float(self.revenue_at_risk / total * 100) if total else None


def portfolio_summary(*, period: PeriodOption, periods: list[PeriodOption], today: dt.date) -> PortfolioSummary:
    """Every tile of the portfolio dashboard for ``period`` (the current quarter for completion)."""
    previous = period_at(periods, period.quarter.previous())
    trend_from = period_at(periods, period.quarter.shift(-TREND_SPAN))
    rows = frame(period=period, previous=previous)
    at_risk = Q(band__in=RISK_BANDS) | Q(declining=True)
    # Count partner_id, not id: every column read here is in snapshot_period_covering_idx,
    # so PostgreSQL answers from the index without touching the wide snapshot rows.
    totals = rows.aggregate(
        partners=Count("partner_id"),
        avg_health=Avg("health"),
        paired=Count("partner_id", filter=Q(prev_health__isnull=False)),
        avg_change=Avg(F("health") - F("prev_health")),
        declining_count=Count("partner_id", filter=Q(declining=True)),
        alerted_count=Count("partner_id", filter=Q(alerted=True)),
        revenue_at_risk=Sum("partner__annual_revenue", filter=at_risk),
        partners_at_risk=Count("partner_id", filter=at_risk),
    )
    segments, bands = _segments(period=period)
    managers, managers_total = _manager_concentration()
    return PortfolioSummary(
        period_code=period.code,
        previous_code=previous.code if previous else None,
        trend_from_code=trend_from.code if trend_from else None,
        partners=totals["partners"],
        bands=bands,
        declining=totals["declining_count"],
        declining_by_alert=totals["alerted_count"],
        avg_health=totals["avg_health"],
        avg_change=totals["avg_change"] if totals["paired"] else None,
        paired=totals["paired"],
        revenue_at_risk=_decimal(totals["revenue_at_risk"]),
        partners_at_risk=totals["partners_at_risk"],
        completion=_completion(quarter=Quarter.containing(today)),
        concentration=_concentration(),
        managers=managers,
        managers_total=managers_total,
        segments=segments,
        candidates=_candidates(period=period, trend_from=trend_from),
    )


def _decimal(value) -> Decimal:
    return Decimal(value) if value is not None else Decimal(0)


def _segments(*, period: PeriodOption) -> tuple[list[SegmentRow], dict[str, int]]:
    counts: dict[str, dict[str, int]] = {s.value: dict.fromkeys(BANDS, 0) for s in Partner.Segment}
    rows = (
        PartnerSnapshot.objects.filter(period_id=period.id, partner__is_active=True)
        .values_list("partner__segment", "band")
        .annotate(n=Count("partner_id"))
        .order_by()
    )
    for segment, band, n in rows:
        counts.setdefault(segment, dict.fromkeys(BANDS, 0))[band] = n
    labels = dict(Partner.Segment.choices)
    segments = [SegmentRow(segment=s, label=labels.get(s, s), counts=c) for s, c in counts.items()]
    bands = {band: sum(row.counts[band] for row in segments) for band in BANDS}
    return segments, bands


def _candidates(*, period: PeriodOption, trend_from: PeriodOption | None) -> list[Candidate]:
    """Developing partners with the largest health gain since P-3: who could become trusted (004)."""
    if trend_from is None:
        return []
    rows = (
        PartnerSnapshot.objects.filter(
            period_id=period.id, partner__is_active=True, partner__segment=Partner.Segment.DEVELOPING
        )
        .annotate(
            old=FilteredRelation("partner__snapshots", condition=Q(partner__snapshots__period_id=trend_from.id))
        )
        .filter(old__health__isnull=False)
        .annotate(gain=F("health") - F("old__health"))
        .filter(gain__gt=0)
        .order_by("-gain", "partner__name")
        .values_list("partner_id", "partner__name", "health", "band", "gain", "partner__annual_revenue")[
            :CANDIDATES_SHOWN
        ]
    )
    return [
        Candidate(partner_id=pk, name=name, health=health, band=band, gain=gain, revenue=_decimal(revenue))
        for pk, name, health, band, gain, revenue in rows
    ]


def _concentration() -> Concentration:
    """The share of active joint revenue carried by the single largest partner (004)."""
    row = (
        Partner.objects.filter(is_active=True)
        .annotate(total=Window(Sum("annual_revenue")), partners=Window(Count("id")))
        .order_by("-annual_revenue", "name")
        .values_list("id", "name", "annual_revenue", "total", "partners")
        .first()
    )
    if row is None:
        return Concentration(partners=0, total_revenue=Decimal(0), largest_id=None, largest_name="", largest_revenue=0)
    pk, name, revenue, total, partners = row
    return Concentration(
        partners=partners,
        total_revenue=_decimal(total),
        largest_id=pk,
        largest_name=name,
        largest_revenue=_decimal(revenue),
    )


def _manager_concentration() -> tuple[list[ManagerConcentration], int]:
    """Per account manager, the share of their book in their largest partner, riskiest first.

    004: "reps ... that have one account that is responsible for all or most
    of their revenue ... it is also precarious".
    """
    User = get_user_model()
    rows = (
        User.objects.filter(owned_partners__is_active=True)
        .annotate(
            partners=Count("owned_partners"),
            total=Sum("owned_partners__annual_revenue"),
            largest=Max("owned_partners__annual_revenue"),
        )
        .values_list("id", "username", "first_name", "last_name", "partners", "total", "largest")
    )
    managers = [
        ManagerConcentration(
            user_id=pk,
            name=f"{first} {last}".strip() or username,
            partners=partners,
            total_revenue=_decimal(total),
            largest_revenue=_decimal(largest),
        )
        for pk, username, first, last, partners, total, largest in rows
    ]
    managers.sort(key=lambda m: (-(m.share or 0), -m.total_revenue, m.name))
    top = managers[:MANAGERS_SHOWN]
    if not top:
        return [], 0
    # The largest partner's name for the listed managers only: their books, biggest first.
    names: dict[int, str] = {}
    for user_id, name in (
        Partner.owners.through.objects.filter(user_id__in=[m.user_id for m in top], partner__is_active=True)
        .order_by("user_id", "-partner__annual_revenue", "partner__name")
        .values_list("user_id", "partner__name")
    ):
        names.setdefault(user_id, name)
    top = [ManagerConcentration(**{**m.__dict__, "largest_name": names.get(m.user_id, "")}) for m in top]
    return top, len(managers)


def _completion(*, quarter: Quarter) -> Completion:
    """Submitted check-ups against one expected per owner per active partner, this quarter."""
    expected = Partner.owners.through.objects.filter(partner__is_active=True).count()
    # Joined, not a subquery per owner: the rater must be one of the partner's owners.
    submitted = Assessment.objects.filter(
        period__code=quarter.code,
        status=Assessment.Status.SUBMITTED,
        partner__is_active=True,
        partner__owners=F("rater_id"),
    ).count()
    return Completion(period_code=quarter.code, submitted=submitted, expected=expected)



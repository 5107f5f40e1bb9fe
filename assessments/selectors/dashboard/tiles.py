"""The dashboard's tiles: bands, declining, health and its change, completion, revenue at risk,
concentration, segmentation and the trusted-partner candidates (definitions in docs/DASHBOARD.md).

Every number comes from PartnerSnapshot, plus Partner, Alert and Assessment
counts where a tile needs them; never from raw answers. Each read is a fixed
number of set-based queries, so the tiles cost the same number of queries at
10 partners and at 10,000.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, FilteredRelation, Max, Q, Sum

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
SEGMENT_LABELS = dict(Partner.Segment.choices)

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
    frame_tiles = _frame_tiles(period=period, previous=previous)
    books = _books()
    managers, managers_total = _manager_concentration(books)
    return PortfolioSummary(
        period_code=period.code,
        previous_code=previous.code if previous else None,
        trend_from_code=trend_from.code if trend_from else None,
        **frame_tiles,
        # One check-up is expected per owner per active partner: the books' partners, summed.
        completion=_completion(quarter=Quarter.containing(today), expected=sum(book[1] for book in books)),
        concentration=_concentration(),
        managers=managers,
        managers_total=managers_total,
        candidates=_candidates(period=period, trend_from=trend_from),
    )


def _decimal(value) -> Decimal:
    return Decimal(value) if value is not None else Decimal(0)


def _frame_tiles(*, period: PeriodOption, previous: PeriodOption | None) -> dict:
    """The tiles read from the frame (bands, declining, health, revenue at risk, segments) in one pass.

    One grouped query, a row per segment, band, alert and fall (a few dozen at
    most), summed up here: every column it reads but the partner's segment and
    revenue is in snapshot_period_covering_idx, so PostgreSQL answers from the
    index without touching the wide snapshot rows.
    """
    groups = (
        frame(period=period, previous=previous)
        .values_list("partner__segment", "band", "alerted", "falling")
        .annotate(
            n=Count("partner_id"),
            health_sum=Sum("health"),
            paired=Count("prev_health"),
            change_sum=Sum(F("health") - F("prev_health")),
            revenue=Sum("partner__annual_revenue"),
        )
        .order_by()
    )
    counts: dict[str, dict[str, int]] = {s.value: dict.fromkeys(BANDS, 0) for s in Partner.Segment}
    partners = paired = declining = alerted = partners_at_risk = 0
    health_sum = change_sum = 0.0
    revenue_at_risk = Decimal(0)
    for segment, band, is_alerted, is_falling, n, health, pairs, change, revenue in groups:
        is_declining = is_alerted or is_falling
        by_band = counts.setdefault(segment, dict.fromkeys(BANDS, 0))
        by_band[band] = by_band.get(band, 0) + n
        partners += n
        health_sum += health or 0.0
        paired += pairs
        change_sum += change or 0.0
        declining += n if is_declining else 0
        alerted += n if is_alerted else 0
        if band in RISK_BANDS or is_declining:
            partners_at_risk += n
            revenue_at_risk += _decimal(revenue)
    segments = [SegmentRow(segment=s, label=SEGMENT_LABELS.get(s, s), counts=c) for s, c in counts.items()]
    return {
        "partners": partners,
        "bands": {band: sum(row.counts[band] for row in segments) for band in BANDS},
        "declining": declining,
        "declining_by_alert": alerted,
        "avg_health": health_sum / partners if partners else None,
        "avg_change": change_sum / paired if paired else None,
        "paired": paired,
        "revenue_at_risk": revenue_at_risk,
        "partners_at_risk": partners_at_risk,
        "segments": segments,
    }


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
    active = Partner.objects.filter(is_active=True).order_by()
    totals = active.aggregate(total=Sum("annual_revenue"), partners=Count("id"), largest=Max("annual_revenue"))
    row = active.filter(annual_revenue=totals["largest"]).order_by("name").values_list("id", "name").first()
    if row is None:
        return Concentration(partners=0, total_revenue=Decimal(0), largest_id=None, largest_name="", largest_revenue=0)
    pk, name = row
    return Concentration(
        partners=totals["partners"],
        total_revenue=_decimal(totals["total"]),
        largest_id=pk,
        largest_name=name,
        largest_revenue=_decimal(totals["largest"]),
    )


Book = tuple[int, int, Decimal, Decimal]  # (user id, active partners owned, their total revenue, the largest)


def _books() -> list[Book]:
    """Every account manager's book of active partners: one grouped pass over the owners."""
    return [
        (user_id, partners, _decimal(total), _decimal(largest))
        for user_id, partners, total, largest in Partner.owners.through.objects.filter(partner__is_active=True)
        .values_list("user_id")
        .annotate(partners=Count("*"), total=Sum("partner__annual_revenue"), largest=Max("partner__annual_revenue"))
        .order_by()
    ]


def _manager_concentration(books: list[Book]) -> tuple[list[ManagerConcentration], int]:
    """Per account manager, the share of their book in their largest partner, riskiest first.

    004: "reps ... that have one account that is responsible for all or most
    of their revenue ... it is also precarious".
    """
    managers = [
        ManagerConcentration(user_id=pk, name="", partners=partners, total_revenue=total, largest_revenue=largest)
        for pk, partners, total, largest in books
    ]
    if not managers:
        return [], 0

    def risk(m: ManagerConcentration) -> tuple:
        return (-(m.share or 0), -m.total_revenue)

    # Riskiest first, ties by name: names are read for the listed managers and any tied with the last one.
    managers.sort(key=risk)
    cut = risk(managers[min(MANAGERS_SHOWN, len(managers)) - 1])
    contenders = [m for m in managers if risk(m) <= cut]
    # Their names, and their largest active partner's: the one whose revenue is the book's largest
    # (ties by name), read for these few books only.
    largest = {m.user_id: m.largest_revenue for m in contenders}
    names: dict[int, tuple[str, str]] = {}
    for user_id, username, first, last, partner, revenue in (
        Partner.owners.through.objects.filter(
            user_id__in=list(largest), partner__annual_revenue__in=set(largest.values()), partner__is_active=True
        )
        .order_by("user_id", "partner__name")
        .values_list(
            "user_id", "user__username", "user__first_name", "user__last_name", "partner__name", "partner__annual_revenue"
        )
    ):
        if revenue == largest[user_id]:
            names.setdefault(user_id, (f"{first} {last}".strip() or username, partner))
    top = sorted(
        (dataclasses.replace(m, name=names[m.user_id][0], largest_name=names[m.user_id][1]) for m in contenders),
        key=lambda m: (*risk(m), m.name),
    )[:MANAGERS_SHOWN]
    return top, len(managers)


def _completion(*, quarter: Quarter, expected: int) -> Completion:
    """Submitted check-ups against ``expected`` (one per owner per active partner), this quarter."""
    # Joined, not a subquery per owner: the rater must be one of the partner's owners.
    submitted = Assessment.objects.filter(
        period__code=quarter.code,
        status=Assessment.Status.SUBMITTED,
        partner__is_active=True,
        partner__owners=F("rater_id"),
    ).count()
    return Completion(period_code=quarter.code, submitted=submitted, expected=expected)

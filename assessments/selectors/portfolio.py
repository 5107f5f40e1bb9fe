"""Portfolio reads for the leadership dashboard (004).

Every number comes from PartnerSnapshot (one row per partner and quarter),
plus Partner, Alert and Checkup counts where a tile needs them; never from
raw answers. Each read is a fixed number of set-based queries, so the page
costs the same number of queries at 10 partners and at 10,000.

The definitions of the tiles, with a worked example, are in docs/DASHBOARD.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.db.models import (
    Avg,
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    FilteredRelation,
    FloatField,
    Func,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone

from assessments.models import Alert, Checkup, Partner, PartnerSnapshot, Period, RubricItem
from assessments.periods import PeriodError, Quarter
from assessments.scoring import Band, BandThresholds, Scale, normalise
from assessments.selectors.rubrics import band_thresholds
from assessments.services.rollups import Rollup, rollup_read

# A partner is declining when an alert of at least this severity exists for the period...
DECLINING_SEVERITIES = (Alert.Severity.WARNING.value, Alert.Severity.CRITICAL.value)
# ...or when its health fell in each of the last two quarters by this many points in all,
# so the tile means something before the decline scan has run.
TWO_QUARTER_FALL_POINTS = 10
# Bands whose joint revenue is "at risk" (004: what is the risk if you lose the relationship?).
RISK_BANDS = (Band.AT_RISK.value, Band.CRITICAL.value)
# Trusted-partner candidates (004's 80/20): developing partners ranked by their
# health gain from P-3 to P, i.e. over the last four quarters.
TREND_SPAN = 3
CANDIDATES_SHOWN = 5
MANAGERS_SHOWN = 10
SPARKLINE_QUARTERS = 8
PAGE_SIZE = 50
DEFAULT_SORT = "health"

BANDS = [band.value for band in Band]
BAND_LABELS = dict(PartnerSnapshot.BAND_CHOICES)


# --- periods -------------------------------------------------------------------


# The dashboard opens on the newest period in which at least this share of the best-covered
# period's partners were scored: a quarter still being filled in is offered, not shown by default.
DEFAULT_PERIOD_COVERAGE = 0.5


@dataclass(frozen=True)
class PeriodOption:
    id: int
    code: str
    # Active partners scored in the period.
    scored: int = 0
    # The newest well-covered period, which the dashboard shows unless another is picked.
    is_default: bool = False
    # Newer than the default: check-ups are still coming in.
    in_progress: bool = False

    @property
    def quarter(self) -> Quarter:
        return Quarter.parse(self.code)


def dashboard_periods() -> list[PeriodOption]:
    """Every period with an active partner scored in it, newest first, the default one marked."""
    def per_period(snapshots: QuerySet[PartnerSnapshot]) -> dict[int, int]:
        # COUNT(*), not COUNT(id): the id is not in the covering index, so counting it reads the wide rows.
        return dict(snapshots.values("period_id").annotate(n=Count("*")).order_by().values_list("period_id", "n"))

    # Every snapshot, less those of ended partnerships (few): both index-only counts, where a
    # join to the partners to count the active ones directly costs three times as much.
    counts = per_period(PartnerSnapshot.objects.all())
    for period_id, n in per_period(PartnerSnapshot.objects.filter(partner__in=Partner.objects.filter(is_active=False))).items():
        counts[period_id] -= n
    counts = {period_id: n for period_id, n in counts.items() if n > 0}
    rows = Period.objects.filter(pk__in=list(counts)).order_by("-year", "-quarter").values_list("id", "code")
    periods = [(pk, code, counts[pk]) for pk, code in rows]
    if not periods:
        return []
    best = max(n for _, _, n in periods)
    default = next(i for i, (_, _, n) in enumerate(periods) if n >= best * DEFAULT_PERIOD_COVERAGE)
    return [
        PeriodOption(id=pk, code=code, scored=n, is_default=i == default, in_progress=i < default)
        for i, (pk, code, n) in enumerate(periods)
    ]


def default_period(periods: list[PeriodOption]) -> PeriodOption | None:
    return next((p for p in periods if p.is_default), periods[0] if periods else None)


def _period_at(periods: list[PeriodOption], quarter: Quarter) -> PeriodOption | None:
    return next((p for p in periods if p.code == quarter.code), None)


# --- the filtered frame: active partners' snapshots in one period ----------------


@dataclass(frozen=True)
class HeatmapFilters:
    """What the heatmap (and its CSV export) shows; every field comes from the query string."""

    period: str = ""
    segment: str = ""
    kind: str = ""
    owner: int | None = None
    band: str = ""
    declining: bool = False
    q: str = ""
    sort: str = DEFAULT_SORT

    @property
    def unfiltered(self) -> bool:
        """Every active partner scored in the period (sorting and paging aside)."""
        return not (self.segment or self.kind or self.owner or self.band or self.declining or self.q)

    @property
    def carried_over(self) -> list[tuple[str, str]]:
        """The filters other than the period, as query parameters (for the period picker's hidden fields)."""
        values = [
            ("segment", self.segment),
            ("kind", self.kind),
            ("owner", str(self.owner) if self.owner else ""),
            ("band", self.band),
            ("declining", "on" if self.declining else ""),
            ("q", self.q),
            ("sort", self.sort if self.sort != DEFAULT_SORT else ""),
        ]
        return [(name, value) for name, value in values if value]


def _frame(*, period: PeriodOption, previous: PeriodOption | None) -> QuerySet[PartnerSnapshot]:
    """Active partners' snapshots in ``period``, annotated with last quarter's health and the declining flag."""
    frame = PartnerSnapshot.objects.filter(period_id=period.id, partner__is_active=True)
    alerted = Q(
        partner_id__in=Alert.objects.filter(period_id=period.id, severity__in=DECLINING_SEVERITIES).values(
            "partner_id"
        )
    )
    if previous is None:
        return frame.annotate(
            prev_health=Value(None, output_field=FloatField()),
            prev_delta=Value(None, output_field=FloatField()),
            alerted=Case(When(alerted, then=Value(True)), default=Value(False), output_field=BooleanField()),
            declining=F("alerted"),
        )
    # A LEFT JOIN on the previous quarter's snapshot: one hash join, not a subquery per row.
    frame = frame.annotate(
        prev=FilteredRelation("partner__snapshots", condition=Q(partner__snapshots__period_id=previous.id)),
        prev_health=F("prev__health"),
        prev_delta=F("prev__health_delta"),
    )
    falling = Q(
        health_delta__lt=0,
        prev_delta__lt=0,
        health_delta__lte=Value(-TWO_QUARTER_FALL_POINTS, output_field=FloatField()) - F("prev_delta"),
    )
    return frame.annotate(
        alerted=Case(When(alerted, then=Value(True)), default=Value(False), output_field=BooleanField()),
        declining=Case(When(alerted | falling, then=Value(True)), default=Value(False), output_field=BooleanField()),
    )


# --- tiles -----------------------------------------------------------------------


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
    previous = _period_at(periods, period.quarter.previous())
    trend_from = _period_at(periods, period.quarter.shift(-TREND_SPAN))
    frame = _frame(period=period, previous=previous)
    at_risk = Q(band__in=RISK_BANDS) | Q(declining=True)
    # Count partner_id, not id: every column read here is in snapshot_period_covering_idx,
    # so PostgreSQL answers from the index without touching the wide snapshot rows.
    totals = frame.aggregate(
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


def rollup_fingerprint() -> tuple:
    """What moves whenever a write changes the dashboard's numbers: one indexed query per page view.

    The newest snapshot's computed_at moves with every snapshot write (from any
    process); the count and newest id of the warning and critical alerts move
    when the decline scan raises one, promotes one to warning or drops one.
    """
    alerts = Alert.objects.filter(severity__in=DECLINING_SEVERITIES).order_by()
    row = (
        Period.objects.order_by()
        .annotate(
            latest=Subquery(PartnerSnapshot.objects.order_by("-computed_at").values("computed_at")[:1]),
            # Func, not Count: a plain aggregate over the whole table, without a GROUP BY.
            alert_count=Subquery(alerts.annotate(n=Func(F("id"), function="COUNT")).values("n")),
            last_alert=Subquery(alerts.annotate(m=Func(F("id"), function="MAX")).values("m")),
        )
        .values_list("latest", "alert_count", "last_alert")[:1]
    )
    values = row[0] if row else ()
    return tuple(value.isoformat() if isinstance(value, dt.datetime) else value for value in values)


def portfolio_summary_rollup(
    *, period: PeriodOption, periods: list[PeriodOption], today: dt.date, fingerprint: tuple | None = None
) -> Rollup[PortfolioSummary]:
    """``portfolio_summary`` from the per-period roll-up cache (services.rollups), with its age."""
    return rollup_read(
        name="summary",
        parts=(period.id, Quarter.containing(today).code),
        fingerprint=rollup_fingerprint() if fingerprint is None else fingerprint,
        build=lambda: portfolio_summary(period=period, periods=periods, today=today),
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
    submitted = Checkup.objects.filter(
        period__code=quarter.code,
        status=Checkup.Status.SUBMITTED,
        partner__is_active=True,
        partner__owners=F("rater_id"),
    ).count()
    return Completion(period_code=quarter.code, submitted=submitted, expected=expected)


# --- the heatmap -------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str  # "characteristics.trust", or "symptoms" for the symptom rubric's score
    label: str
    title: str
    rubric: str


@dataclass(frozen=True)
class Cell:
    value: float | None
    text: str
    band: str  # "" when there is no value


@dataclass
class HeatmapRow:
    partner_id: int
    name: str
    kind: str
    segment: str
    revenue: Decimal
    health: float
    band: str
    change: float | None
    declining: bool
    alerted: bool
    cells: list[Cell]
    symptoms: Cell
    owners: list[str] = field(default_factory=list)
    sparkline: list[float | None] = field(default_factory=list)

    @property
    def band_label(self) -> str:
        return BAND_LABELS.get(self.band, self.band)

    @property
    def kind_label(self) -> str:
        return dict(Partner.Kind.choices).get(self.kind, self.kind)

    @property
    def segment_label(self) -> str:
        return dict(Partner.Segment.choices).get(self.segment, self.segment)

    @property
    def segment_short(self) -> str:
        return self.segment.replace("_", " ").capitalize()

    @property
    def sparkline_text(self) -> str:
        """The same numbers as the sparkline, for screen readers and for readers without JavaScript."""
        return " → ".join("\u2013" if value is None else f"{value:.0f}" for value in self.sparkline)


@dataclass(frozen=True)
class PageInfo:
    """Where a heatmap page sits among all pages: what the template's pager needs, and picklable
    (unlike Django's Page, which holds its queryset) so a page can live in the roll-up cache."""

    number: int
    num_pages: int
    count: int
    start_index: int
    end_index: int

    @classmethod
    def of(cls, page: Page) -> PageInfo:
        return cls(
            number=page.number,
            num_pages=page.paginator.num_pages,
            count=page.paginator.count,
            start_index=page.start_index(),
            end_index=page.end_index(),
        )

    @property
    def paginator(self) -> PageInfo:
        # So templates can say page.paginator.count, as with Django's Page.
        return self

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def has_other_pages(self) -> bool:
        return self.num_pages > 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


@dataclass
class HeatmapPage:
    period: PeriodOption
    previous: PeriodOption | None
    columns: list[Column]
    rows: list[HeatmapRow]
    page: PageInfo
    sparkline_codes: list[str]
    # Set when the page came from the roll-up cache: the rendered table may be cached under it too.
    cache_key: str = ""

    @property
    def sparkline_data(self) -> dict:
        """For json_script: the quarters and each row's health over them (null where unscored)."""
        return {"codes": self.sparkline_codes, "rows": {str(r.partner_id): r.sparkline for r in self.rows}}


def heatmap_columns() -> list[Column]:
    """A column per characteristic and trait of the current rubric version, then the symptom score."""
    items = (
        RubricItem.objects.filter(rubric__version__is_current=True)
        .exclude(rubric__scale=Scale.INTENSITY.value)
        .order_by("rubric__position", "position")
        .values_list("rubric__key", "key", "title")
    )
    columns = [
        Column(key=f"{rubric}.{key}", label=key.replace("_", " ").capitalize(), title=title, rubric=rubric)
        for rubric, key, title in items
    ]
    columns.append(Column(key="symptoms", label="Symptoms", title="Symptom score (100 = none)", rubric="symptoms"))
    return columns


def sort_options(columns: list[Column]) -> list[tuple[str, str]]:
    """(value, label) of every sort the heatmap accepts; "-" in front sorts descending."""
    base = [("health", "Health"), ("name", "Name"), ("change", "Change"), ("revenue", "Revenue")]
    base += [(c.key, c.label) for c in columns]
    options = []
    for value, label in base:
        options += [(value, f"{label} ↑"), (f"-{value}", f"{label} ↓")]
    return options


def _ordering(sort: str) -> list:
    descending = sort.startswith("-")
    key = sort.removeprefix("-")
    if key == "name":
        expressions = [F("partner__name")]
    elif key == "change":
        expressions = [F("health_delta")]
    elif key == "revenue":
        expressions = [F("partner__annual_revenue")]
    elif key == "symptoms":
        expressions = [Cast(KT("rubric_scores__symptoms"), FloatField())]
    elif "." in key:
        expressions = [Cast(KT(f"item_means__{key}"), FloatField())]
    else:
        expressions = [F("health")]
    ordered = [e.desc(nulls_last=True) if descending else e.asc(nulls_last=True) for e in expressions]
    return [*ordered, F("partner__name").asc(), F("id").asc()]


def _heatmap_queryset(
    *, period: PeriodOption, previous: PeriodOption | None, filters: HeatmapFilters, annotated: bool = True
) -> QuerySet[PartnerSnapshot]:
    """The filtered, sorted rows; ``annotated=False`` skips last quarter's join unless a filter needs it (counts)."""
    if annotated or filters.declining:
        rows = _frame(period=period, previous=previous)
    else:
        rows = PartnerSnapshot.objects.filter(period_id=period.id, partner__is_active=True)
    if filters.segment:
        rows = rows.filter(partner__segment=filters.segment)
    if filters.kind:
        rows = rows.filter(partner__kind=filters.kind)
    if filters.band:
        rows = rows.filter(band=filters.band)
    if filters.owner:
        rows = rows.filter(partner__owners=filters.owner)
    if filters.declining:
        rows = rows.filter(declining=True)
    if filters.q:
        rows = rows.filter(partner__name__icontains=filters.q)
    return rows.order_by(*_ordering(filters.sort)) if annotated else rows.order_by()


_ROW_FIELDS = (
    "partner_id",
    "partner__name",
    "partner__kind",
    "partner__segment",
    "partner__annual_revenue",
    "health",
    "band",
    "health_delta",
    "declining",
    "alerted",
    "item_means",
    "rubric_scores",
)


def resolve_period(*, periods: list[PeriodOption], code: str) -> PeriodOption | None:
    """The period picked by ``code``, or the default one (``dashboard_periods``) when ``code`` is empty or unknown."""
    if code:
        try:
            wanted = Quarter.parse(code)
        except PeriodError:
            wanted = None
        found = _period_at(periods, wanted) if wanted else None
        if found:
            return found
    return default_period(periods)


def portfolio_heatmap(
    *,
    period: PeriodOption,
    periods: list[PeriodOption],
    filters: HeatmapFilters,
    page: int | str = 1,
    columns: list[Column] | None = None,
    count: int | None = None,
) -> HeatmapPage:
    """One page of the heatmap: each row's item means, symptom score, health and 8-quarter sparkline.

    ``count``, when the caller already knows how many rows the filters match, spares the count query.
    """
    return _heatmap_page(period=period, periods=periods, filters=filters, page=page, columns=columns, count=count)


def portfolio_heatmap_rollup(
    *,
    period: PeriodOption,
    periods: list[PeriodOption],
    filters: HeatmapFilters,
    fingerprint: tuple,
    today: dt.date,
    page: int | str = 1,
    columns: list[Column] | None = None,
    count: int | None = None,
) -> Rollup[HeatmapPage]:
    """``portfolio_heatmap`` from the roll-up cache, per filters and page number. The page's
    ``cache_key`` names that version of it: the rendered table is cached under it."""
    rollup = rollup_read(
        name="heatmap",
        parts=(period.id, Quarter.containing(today).code, *dataclasses.astuple(filters), str(page)),
        fingerprint=fingerprint,
        build=lambda: portfolio_heatmap(
            period=period, periods=periods, filters=filters, page=page, columns=columns, count=count
        ),
    )
    rollup.value.cache_key = rollup.version
    return rollup


def _heatmap_page(
    *,
    period: PeriodOption,
    periods: list[PeriodOption],
    filters: HeatmapFilters,
    page: int | str,
    columns: list[Column] | None,
    count: int | None,
) -> HeatmapPage:
    previous = _period_at(periods, period.quarter.previous())
    columns = columns if columns is not None else heatmap_columns()
    queryset = _heatmap_queryset(period=period, previous=previous, filters=filters)
    if not filters.unfiltered:
        # Filter first on the narrow index, then read the wide rows of the matches only: otherwise
        # PostgreSQL may read every row of the period to sort by an item before it filters.
        matching = _heatmap_queryset(period=period, previous=previous, filters=filters, annotated=False)
        queryset = queryset.filter(partner_id__in=matching.values("partner_id"))
    queryset = queryset.values_list(*_ROW_FIELDS)
    paginator = Paginator(queryset, PAGE_SIZE)
    # Counted without the annotations the page needs: an index-only scan of the period's snapshots.
    paginator.count = (
        count
        if count is not None
        else _heatmap_queryset(period=period, previous=previous, filters=filters, annotated=False).count()
    )
    current = paginator.get_page(page)
    thresholds = band_thresholds()
    rows = [_row(values, columns, thresholds) for values in current.object_list]
    _attach_owners(rows)
    codes = [q.code for q in period.quarter.window(SPARKLINE_QUARTERS)]
    _attach_sparklines(rows, periods=periods, codes=codes)
    return HeatmapPage(
        period=period, previous=previous, columns=columns, rows=rows, page=PageInfo.of(current), sparkline_codes=codes
    )


def portfolio_heatmap_rows(
    *,
    period: PeriodOption,
    periods: list[PeriodOption],
    filters: HeatmapFilters,
    columns: list[Column] | None = None,
    chunk_size: int = 2000,
) -> tuple[list[Column], Iterator[HeatmapRow]]:
    """Every row of the filtered, sorted heatmap (all pages), streamed in chunks for the CSV export."""
    previous = _period_at(periods, period.quarter.previous())
    columns = columns if columns is not None else heatmap_columns()
    queryset = _heatmap_queryset(period=period, previous=previous, filters=filters).values_list(*_ROW_FIELDS)
    thresholds = band_thresholds()

    def generate() -> Iterator[HeatmapRow]:
        chunk: list[HeatmapRow] = []
        for values in queryset.iterator(chunk_size=chunk_size):
            chunk.append(_row(values, columns, thresholds))
            if len(chunk) >= chunk_size:
                _attach_owners(chunk)
                yield from chunk
                chunk = []
        _attach_owners(chunk)
        yield from chunk

    return columns, generate()


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    """A CSV cell that no spreadsheet will execute: text starting a formula gets a leading quote.

    Only text is escaped. Numbers are written by us, never typed by a user, and
    a negative change must stay a number in the spreadsheet.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_TRIGGERS) else value
    return str(value)


def portfolio_heatmap_csv(*, options: DashboardOptions, filters: HeatmapFilters) -> tuple[str, Iterator[list[str]]]:
    """The period's code and the CSV rows (header first) of exactly the filtered, sorted heatmap."""
    period = resolve_period(periods=options.periods, code=filters.period)
    columns = options.columns
    header = [
        "partner",
        "kind",
        "segment",
        "account_managers",
        "annual_revenue",
        "period",
        "health",
        "band",
        "change",
        "declining",
        *(c.key if c.key != "symptoms" else "symptoms_score" for c in columns),
    ]
    if period is None:
        return "", iter([header])
    _, rows = portfolio_heatmap_rows(period=period, periods=options.periods, filters=filters, columns=columns)
    kinds, segments = dict(Partner.Kind.choices), dict(Partner.Segment.choices)

    def generate() -> Iterator[list[str]]:
        yield header
        for row in rows:
            values = [
                row.name,
                kinds.get(row.kind, row.kind),
                segments.get(row.segment, row.segment),
                "; ".join(row.owners),
                row.revenue,
                period.code,
                row.health,
                row.band_label,
                row.change,
                row.declining,
                *(cell.value for cell in row.cells),
                row.symptoms.value,
            ]
            yield [csv_safe(value) for value in values]

    return period.code, generate()


def _cell(value: float | None, scale: Scale | None, thresholds: BandThresholds) -> Cell:
    if value is None:
        return Cell(value=None, text="—", band="")
    # Colour a mean by the band its normalised value would earn, so cells and health read alike.
    points = normalise(scale, value) if scale else value
    text = f"{value:.1f}" if scale else f"{value:.0f}"
    return Cell(value=value, text=text, band=thresholds.band_for(points).value)


def _row(values: tuple, columns: list[Column], thresholds: BandThresholds) -> HeatmapRow:
    (pid, name, kind, segment, revenue, health, band, delta, declining, alerted, means, scores) = values
    means = means or {}
    cells = [_cell(means.get(c.key), Scale.RATING, thresholds) for c in columns if c.key != "symptoms"]
    return HeatmapRow(
        partner_id=pid,
        name=name,
        kind=kind,
        segment=segment,
        revenue=_decimal(revenue),
        health=health,
        band=band,
        change=delta,
        declining=bool(declining),
        alerted=bool(alerted),
        cells=cells,
        symptoms=_cell((scores or {}).get("symptoms"), None, thresholds),
    )


def _attach_owners(rows: list[HeatmapRow]) -> None:
    if not rows:
        return
    owners: dict[int, list[str]] = defaultdict(list)
    through = Partner.owners.through.objects.filter(partner_id__in=[r.partner_id for r in rows])
    for pid, username, first, last in through.order_by("user__first_name", "user__username").values_list(
        "partner_id", "user__username", "user__first_name", "user__last_name"
    ):
        owners[pid].append(f"{first} {last}".strip() or username)
    for row in rows:
        row.owners = owners.get(row.partner_id, [])


def _attach_sparklines(rows: list[HeatmapRow], *, periods: list[PeriodOption], codes: list[str]) -> None:
    if not rows:
        return
    ids = {p.id: p.code for p in periods if p.code in set(codes)}
    health: dict[tuple[int, str], float] = {}
    for pid, period_id, value in (
        PartnerSnapshot.objects.filter(partner_id__in=[r.partner_id for r in rows], period_id__in=list(ids))
        .order_by()
        .values_list("partner_id", "period_id", "health")
    ):
        health[(pid, ids[period_id])] = value
    for row in rows:
        row.sparkline = [health.get((row.partner_id, code)) for code in codes]


def heatmap_owner_choices() -> list[tuple[int, str]]:
    """Account managers who own at least one active partner, for the owner filter."""
    User = get_user_model()
    rows = (
        User.objects.filter(Exists(Partner.owners.through.objects.filter(user_id=OuterRef("pk"), partner__is_active=True)))
        .order_by("first_name", "last_name", "username")
        .values_list("id", "username", "first_name", "last_name")
    )
    return [(pk, f"{first} {last}".strip() or username) for pk, username, first, last in rows]


# --- the page ----------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardOptions:
    """What the filter form offers: scored periods (newest first), owners and heatmap columns."""

    periods: list[PeriodOption]
    owners: list[tuple[int, str]]
    columns: list[Column]
    # The roll-up fingerprint these were read under; the tiles are cached under it too.
    fingerprint: tuple = ()


def dashboard_options() -> DashboardOptions:
    """The form's choices, from the roll-up cache: they change only when snapshots do
    (periods) or through the admin (owners, columns), which the cache's time-to-live bounds.

    The returned ``fingerprint`` is the one read for this page view, whatever the age of the cached choices."""
    fingerprint = rollup_fingerprint()

    def build() -> DashboardOptions:
        return DashboardOptions(periods=dashboard_periods(), owners=heatmap_owner_choices(), columns=heatmap_columns())

    options = rollup_read(name="options", parts=(), fingerprint=fingerprint, build=build).value
    return dataclasses.replace(options, fingerprint=fingerprint)


@dataclass
class PortfolioDashboard:
    period: PeriodOption
    summary: PortfolioSummary
    heatmap: HeatmapPage
    # Set when older figures are shown while newer ones are rebuilt (within ROLLUP_MAX_STALENESS_SECONDS):
    # when the build of the oldest figure on the page started.
    stale_since: dt.datetime | None = None


def portfolio_dashboard(
    *, options: DashboardOptions, filters: HeatmapFilters, page: int | str = 1, today: dt.date | None = None
) -> PortfolioDashboard | None:
    """The whole portfolio page: tiles, segmentation and one heatmap page. None before any snapshot exists."""
    period = resolve_period(periods=options.periods, code=filters.period)
    if period is None:
        return None
    today = today or timezone.localdate()
    summary = portfolio_summary_rollup(
        period=period, periods=options.periods, today=today, fingerprint=options.fingerprint
    )
    heatmap = portfolio_heatmap_rollup(
        period=period,
        periods=options.periods,
        filters=filters,
        page=page,
        columns=options.columns,
        # Unfiltered, the table holds exactly the partners the tiles counted (if the tiles are current).
        count=summary.value.partners if filters.unfiltered and summary.fresh else None,
        fingerprint=options.fingerprint,
        today=today,
    )
    stale = [r.built_at for r in (summary, heatmap) if not r.fresh]
    return PortfolioDashboard(
        period=period,
        summary=summary.value,
        heatmap=heatmap.value,
        stale_since=dt.datetime.fromtimestamp(min(stale), tz=dt.UTC) if stale else None,
    )

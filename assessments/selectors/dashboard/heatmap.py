"""The heatmap: one page of partners for a period, each row's item means, symptom score,
health and 8-quarter sparkline, plus the choices its filters and sort offer."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.db.models import Exists, F, Max, OuterRef, Q, Subquery
from django.utils import timezone

from assessments.models import Partner, PartnerSnapshot, Period
from assessments.periods import Quarter
from assessments.scoring import BandThresholds, Scale, normalise
from assessments.selectors.dashboard import sql
from assessments.selectors.dashboard.frame import HeatmapFilters, filtered
from assessments.selectors.dashboard.periods import PeriodOption, period_at
from assessments.selectors.rubrics import band_thresholds
from assessments.staleness import fresh_from, stale_label

PAGE_SIZE = 50
SPARKLINE_QUARTERS = 8
BAND_LABELS = dict(PartnerSnapshot.BAND_CHOICES)
KIND_LABELS = dict(Partner.Kind.choices)
SEGMENT_LABELS = dict(Partner.Segment.choices)


@dataclass(frozen=True)
class Column:
    key: str  # "characteristics.trust", or "symptoms" for the symptom rubric's score
    label: str
    title: str
    rubric: str


class Cell(NamedTuple):
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
    health: float | None  # None on a stale row listed after the scored ones (no snapshot in the period)
    band: str
    change: float | None
    declining: bool
    alerted: bool
    cells: list[Cell]
    symptoms: Cell
    owners: list[str] = field(default_factory=list)
    sparkline: list[float | None] = field(default_factory=list)
    # The quarter of the latest check-up when that is too old to stand for today (docs/DASHBOARD.md).
    stale_since: str | None = None

    @property
    def stale(self) -> bool:
        return self.stale_since is not None

    @property
    def stale_label(self) -> str:
        return stale_label(self.stale_since) if self.stale_since else ""

    # Their rating of us minus ours (health points); None until the partner has rated us this quarter.
    perception_gap: float | None = None
    # Share of the weight answered rather than "not applicable" (docs/SCORING.md); None on a stale row.
    coverage: float | None = 1.0

    @property
    def band_label(self) -> str:
        return BAND_LABELS.get(self.band, self.band)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def segment_label(self) -> str:
        return SEGMENT_LABELS.get(self.segment, self.segment)

    @property
    def segment_short(self) -> str:
        return self.segment.replace("_", " ").capitalize()

    @property
    def sparkline_text(self) -> str:
        """The same numbers as the sparkline, for screen readers and for readers without JavaScript."""
        return " → ".join("\u2013" if value is None else f"{value:.0f}" for value in self.sparkline)


@dataclass
class HeatmapPage:
    period: PeriodOption
    previous: PeriodOption | None
    columns: list[Column]
    rows: list[HeatmapRow]
    sparkline_codes: list[str]
    # Where the rows sit among all matching rows: enough for Django's Page (``page``).
    number: int = 1
    count: int = 0
    per_page: int = PAGE_SIZE
    # Set when the page came from the roll-up cache: the rendered table may be cached under it too.
    cache_key: str = ""
    # Of ``count``, the stale partners listed after the scored ones (the newest quarters only).
    stale_count: int = 0

    @property
    def page(self) -> Page:
        """Django's Page of these rows. Made on demand, not stored: the heatmap page lives in the
        roll-up cache, and a stored Paginator would pickle its queryset (every matching row)."""
        return Page(self.rows, self.number, Paginator(range(self.count), self.per_page))

    @property
    def sparkline_data(self) -> dict:
        """For json_script: the quarters and each row's health over them (null where unscored)."""
        return {"codes": self.sparkline_codes, "rows": {str(r.partner_id): r.sparkline for r in self.rows}}


# The characteristics and traits of the current rubric version, in form order.
COLUMNS_SQL = """
SELECT r.key, i.key, i.title
FROM assessments_rubricitem i
JOIN assessments_rubric r ON r.id = i.rubric_id
JOIN assessments_rubricversion v ON v.id = r.version_id
WHERE v.is_current AND r.scale <> %s
ORDER BY r.position, i.position
"""


def heatmap_columns() -> list[Column]:
    """A column per characteristic and trait of the current rubric version, then the symptom score."""
    columns = [
        Column(key=f"{rubric}.{key}", label=key.replace("_", " ").capitalize(), title=title, rubric=rubric)
        for rubric, key, title in sql.rows(COLUMNS_SQL, [Scale.INTENSITY.value])
    ]
    columns.append(Column(key="symptoms", label="Symptoms", title="Symptom score (100 = none)", rubric="symptoms"))
    return columns


def sort_options(columns: list[Column]) -> list[tuple[str, str]]:
    """(value, label) of every sort the heatmap accepts; "-" in front sorts descending."""
    base = [("health", "Health"), ("name", "Name"), ("change", "Change"), ("revenue", "Revenue")]
    base += [(c.key, c.label) for c in columns]
    base += [("perception_gap", "Perception gap")]
    options = []
    for value, label in base:
        options += [(value, f"{label} ↑"), (f"-{value}", f"{label} ↓")]
    return options


OWNERS_SQL = """
SELECT u.id, u.username, u.first_name, u.last_name
FROM {users} u
WHERE EXISTS (
    SELECT 1 FROM assessments_partner_owners o JOIN assessments_partner p ON p.id = o.partner_id
    WHERE o.user_id = u.id AND p.is_active
)
ORDER BY u.first_name, u.last_name, u.username
"""


def heatmap_owner_choices() -> list[tuple[int, str]]:
    """Account managers who own at least one active partner, for the owner filter."""
    rows = sql.rows(OWNERS_SQL.format(users=get_user_model()._meta.db_table))
    return [(pk, f"{first} {last}".strip() or username) for pk, username, first, last in rows]


ROW_FIELDS = (
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
    "perception_gap",
    "coverage",
)


def portfolio_heatmap(
    *,
    period: PeriodOption,
    periods: list[PeriodOption],
    filters: HeatmapFilters,
    page: int | str = 1,
    columns: list[Column] | None = None,
    count: int | None = None,
    today: dt.date | None = None,
) -> HeatmapPage:
    """One page of the heatmap: each row's item means, symptom score, health and 8-quarter sparkline.

    ``count``, when the caller already knows how many rows the filters match, spares the count query.
    """
    previous = period_at(periods, period.quarter.previous())
    columns = columns if columns is not None else heatmap_columns()
    if count is None:
        # Counted without the annotations the page needs: an index-only scan of the period's snapshots.
        count = filtered(period=period, previous=previous, filters=filters, annotated=False).count()
    cell = _cells(band_thresholds())
    stale = _stale_rows(period=period, filters=filters, columns=columns, cell=cell, today=today)
    # Paged over the row positions, the scored rows first, then the stale ones: the page's
    # ``object_list`` is the range of rows to read.
    positions = Paginator(range(count + len(stale)), PAGE_SIZE).get_page(page)
    wanted = positions.object_list
    rows: list[HeatmapRow] = []
    if wanted.start < count:
        queryset = filtered(period=period, previous=previous, filters=filters)
        if not filters.unfiltered:
            # Filter first on the narrow index, then read the wide rows of the matches only: otherwise
            # PostgreSQL may read every row of the period to sort by an item before it filters.
            matching = filtered(period=period, previous=previous, filters=filters, annotated=False)
            queryset = queryset.filter(partner_id__in=matching.values("partner_id"))
        scored = queryset.values_list(*ROW_FIELDS)[wanted.start : min(wanted.stop, count)]
        rows = [_row(values, columns, cell) for values in scored]
        _attach_staleness(rows, period=period, today=today)
    rows += stale[max(wanted.start - count, 0) : max(wanted.stop - count, 0)]
    _attach_owners(rows)
    codes = [q.code for q in period.quarter.window(SPARKLINE_QUARTERS)]
    _attach_sparklines(rows, periods=periods, codes=codes)
    return HeatmapPage(
        period=period,
        previous=previous,
        columns=columns,
        rows=rows,
        sparkline_codes=codes,
        number=positions.number,
        count=count + len(stale),
        per_page=PAGE_SIZE,
        stale_count=len(stale),
    )


def heatmap_rows(
    *,
    period: PeriodOption,
    periods: list[PeriodOption],
    filters: HeatmapFilters,
    columns: list[Column],
    chunk_size: int = 2000,
    today: dt.date | None = None,
) -> Iterator[HeatmapRow]:
    """Every row of the filtered, sorted heatmap (all pages), streamed in chunks (the CSV export)."""
    previous = period_at(periods, period.quarter.previous())
    queryset = filtered(period=period, previous=previous, filters=filters).values_list(*ROW_FIELDS)
    cell = _cells(band_thresholds())
    chunk: list[HeatmapRow] = []
    for values in queryset.iterator(chunk_size=chunk_size):
        chunk.append(_row(values, columns, cell))
        if len(chunk) >= chunk_size:
            _attach_owners(chunk)
            _attach_staleness(chunk, period=period, today=today)
            yield from chunk
            chunk = []
    _attach_owners(chunk)
    _attach_staleness(chunk, period=period, today=today)
    yield from chunk
    # Then the stale partners, as on the page (none unless ``period`` is one of the newest).
    stale = _stale_rows(period=period, filters=filters, columns=columns, cell=cell, today=today)
    for start in range(0, len(stale), chunk_size):
        chunk = stale[start : start + chunk_size]
        _attach_owners(chunk)
        yield from chunk


def shows_stale_partners(period: PeriodOption, filters: HeatmapFilters) -> bool:
    """Whether the heatmap of ``period`` lists the stale partners after the scored ones: in the
    default quarter and any newer one, unless a band or "declining" filter asks for scored rows only."""
    return (period.is_default or period.in_progress) and not filters.band and not filters.declining


def _stale_rows(
    *,
    period: PeriodOption,
    filters: HeatmapFilters,
    columns: list[Column],
    cell: Callable[[float | None, Scale | None], Cell],
    today: dt.date | None,
) -> list[HeatmapRow]:
    """The active partners, matching the filters, whose latest check-up is too old to stand for today
    and older than ``period`` (so not in its table already): greyed rows with no health, by name.

    One query, narrow columns of the stale partners only: a partner with a snapshot in a current
    quarter is excluded by an anti-join before its latest quarter is read.
    """
    if not shows_stale_partners(period, filters):
        return []
    oldest = fresh_from(current=Quarter.containing(today or timezone.localdate()), after=settings.STALE_AFTER_QUARTERS)
    cutoff = min(oldest, period.quarter)
    recent = Period.objects.filter(Q(year__gt=cutoff.year) | Q(year=cutoff.year, quarter__gte=cutoff.quarter))
    latest = (
        PartnerSnapshot.objects.filter(partner_id=OuterRef("pk"))
        .order_by()
        .values("partner_id")
        .annotate(index=Max(F("period__year") * 4 + F("period__quarter") - 1))
        .values("index")
    )
    # Scored once (a snapshot at all) but in no recent quarter: two index probes a partner, and the
    # latest quarter is read in the SELECT, for the stale partners only (a filter on it would run it for all).
    partners = (
        Partner.objects.filter(is_active=True)
        .filter(Exists(PartnerSnapshot.objects.filter(partner_id=OuterRef("pk"))))
        .exclude(Exists(PartnerSnapshot.objects.filter(partner_id=OuterRef("pk"), period__in=recent)))
        .annotate(latest=Subquery(latest))
    )
    if filters.segment:
        partners = partners.filter(segment=filters.segment)
    if filters.kind:
        partners = partners.filter(kind=filters.kind)
    if filters.owner:
        partners = partners.filter(owners=filters.owner)
    if filters.q:
        partners = partners.filter(name__icontains=filters.q)
    order = F("name").desc() if filters.sort == "-name" else F("name").asc()
    fields = ("id", "name", "kind", "segment", "annual_revenue", "latest")
    empty = [cell(None, None) for c in columns if c.key != "symptoms"]
    return [
        HeatmapRow(
            partner_id=pid,
            name=name,
            kind=kind,
            segment=segment,
            revenue=Decimal(revenue) if revenue is not None else Decimal(0),
            health=None,
            band="",
            change=None,
            declining=False,
            alerted=False,
            cells=empty,
            symptoms=cell(None, None),
            coverage=None,
            stale_since=Quarter(index // 4, index % 4 + 1).code,
        )
        for pid, name, kind, segment, revenue, index in partners.order_by(order, "id").values_list(*fields)
    ]


def _cells(thresholds: BandThresholds) -> Callable[[float | None, Scale | None], Cell]:
    """``cell(value, scale)``: a value's text and colour. Remembered, since the same means
    recur across a table (a thousand cells a page, a few hundred distinct values)."""
    made: dict[tuple[float | None, Scale | None], Cell] = {}

    def cell(value: float | None, scale: Scale | None) -> Cell:
        found = made.get((value, scale))
        if found is None:
            found = made[(value, scale)] = _cell(value, scale, thresholds)
        return found

    return cell


def _cell(value: float | None, scale: Scale | None, thresholds: BandThresholds) -> Cell:
    if value is None:
        return Cell(value=None, text="—", band="")
    # Colour a mean by the band its normalised value would earn, so cells and health read alike.
    points = normalise(scale, value) if scale else value
    text = f"{value:.1f}" if scale else f"{value:.0f}"
    return Cell(value=value, text=text, band=thresholds.band_for(points).value)


def _row(values: tuple, columns: list[Column], cell: Callable[[float | None, Scale | None], Cell]) -> HeatmapRow:
    (pid, name, kind, segment, revenue, health, band, delta, declining, alerted, means, scores, gap, coverage) = values
    means = means or {}
    rating = Scale.RATING
    cells = [cell(means.get(c.key), rating) for c in columns if c.key != "symptoms"]
    return HeatmapRow(
        partner_id=pid,
        name=name,
        kind=kind,
        segment=segment,
        revenue=Decimal(revenue) if revenue is not None else Decimal(0),
        health=health,
        band=band,
        change=delta,
        declining=bool(declining),
        alerted=bool(alerted),
        cells=cells,
        symptoms=cell((scores or {}).get("symptoms"), None),
        perception_gap=None if gap is None else round(gap, 2),
        coverage=coverage if coverage is not None else 1.0,
    )


ROW_OWNERS_SQL = """
SELECT o.partner_id, u.username, u.first_name, u.last_name
FROM assessments_partner_owners o
JOIN {users} u ON u.id = o.user_id
WHERE o.partner_id IN ({partners})
ORDER BY u.first_name, u.username
"""


def _attach_owners(rows: list[HeatmapRow]) -> None:
    if not rows:
        return
    ids = [r.partner_id for r in rows]
    query = ROW_OWNERS_SQL.format(users=get_user_model()._meta.db_table, partners=sql.placeholders(ids))
    owners: dict[int, list[str]] = defaultdict(list)
    for pid, username, first, last in sql.rows(query, ids):
        owners[pid].append(f"{first} {last}".strip() or username)
    for row in rows:
        row.owners = owners.get(row.partner_id, [])


# Each partner's latest scored quarter, as year * 4 + quarter - 1.
LATEST_SQL = """
SELECT s.partner_id, MAX(q.year * 4 + q.quarter - 1)
FROM assessments_partnersnapshot s JOIN assessments_period q ON q.id = s.period_id
WHERE s.partner_id IN ({partners})
GROUP BY s.partner_id
"""


def _attach_staleness(rows: list[HeatmapRow], *, period: PeriodOption, today: dt.date | None) -> None:
    """Mark the rows whose partner's latest check-up is too old to stand for today.

    A row is a snapshot of ``period``, so when ``period`` itself is recent enough no row can be
    stale and nothing is read; for an older period, one query over the page's partners.
    """
    oldest = fresh_from(current=Quarter.containing(today or timezone.localdate()), after=settings.STALE_AFTER_QUARTERS)
    if not rows or period.quarter >= oldest:
        return
    ids = [r.partner_id for r in rows]
    latest = dict(sql.rows(LATEST_SQL.format(partners=sql.placeholders(ids)), ids))
    for row in rows:
        index = latest.get(row.partner_id)
        if index is not None:
            quarter = Quarter(index // 4, index % 4 + 1)
            row.stale_since = quarter.code if quarter < oldest else None


SPARKLINES_SQL = """
SELECT partner_id, period_id, health FROM assessments_partnersnapshot
WHERE partner_id IN ({partners}) AND period_id IN ({periods})
"""


def _attach_sparklines(rows: list[HeatmapRow], *, periods: list[PeriodOption], codes: list[str]) -> None:
    wanted = set(codes)
    ids = {p.id: p.code for p in periods if p.code in wanted}
    if not rows or not ids:
        for row in rows:
            row.sparkline = [None] * len(codes)
        return
    partner_ids = [r.partner_id for r in rows]
    query = SPARKLINES_SQL.format(partners=sql.placeholders(partner_ids), periods=sql.placeholders(ids))
    health: dict[tuple[int, str], float] = {}
    for pid, period_id, value in sql.rows(query, [*partner_ids, *ids]):
        health[(pid, ids[period_id])] = value
    for row in rows:
        row.sparkline = [health.get((row.partner_id, code)) for code in codes]

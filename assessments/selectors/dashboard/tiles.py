"""The dashboard's tiles: bands, declining, health and its change, completion, revenue at risk,
concentration, segmentation and the trusted-partner candidates (definitions in docs/DASHBOARD.md).

Every number comes from PartnerSnapshot, plus Partner, Alert and Checkup
counts where a tile needs them; never from raw answers. Each read is a fixed
number of set-based queries, so the tiles cost the same number of queries at
10 partners and at 10,000.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model

from assessments.models import Checkup, Partner, PartnerSnapshot
from assessments.perception import VIEW_DROP_POINTS
from assessments.periods import Quarter
from assessments.scoring import Band
from assessments.selectors.dashboard import sql
from assessments.selectors.dashboard.frame import TWO_QUARTER_FALL_POINTS, frame_groups
from assessments.selectors.dashboard.periods import PeriodOption, period_at
from assessments.staleness import fresh_from

# Bands whose joint revenue is "at risk" (004: what is the risk if you lose the relationship?).
RISK_BANDS = (Band.AT_RISK.value, Band.CRITICAL.value)
# Trusted-partner candidates (004's 80/20): developing partners ranked by their
# health gain from P-3 to P, i.e. over the last four quarters.
TREND_SPAN = 3
CANDIDATES_SHOWN = 5
VIEW_DROPS_SHOWN = 5
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
class Stale:
    partners: int
    # The oldest quarter still current, and how many quarters back it is (STALE_AFTER_QUARTERS).
    fresh_from: str
    after: int


@dataclass(frozen=True)
class Candidate:
    partner_id: int
    name: str
    health: float
    band: str
    gain: float
    revenue: Decimal


@dataclass(frozen=True)
class ViewDrop:
    """A partner whose view of us fell this quarter: their rating of us before and now."""

    partner_id: int
    name: str
    before: float
    after: float

    @property
    def change(self) -> float:
        return self.after - self.before


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
    # Only books of at least this many active partners are ranked (settings.RISKIEST_BOOK_MIN_PARTNERS).
    managers_min_partners: int
    segments: list[SegmentRow]
    candidates: list[Candidate] = field(default_factory=list)
    # Active partners whose latest check-up is older than ``fresh_from`` (docs/DASHBOARD.md, "Stale scores").
    stale: Stale | None = None
    # Partners whose view of us fell by VIEW_DROP_POINTS or more since the quarter before, largest
    # fall first (the first VIEW_DROPS_SHOWN), and how many there are.
    view_drops: list[ViewDrop] = field(default_factory=list)
    view_drops_count: int = 0

    @property
    def view_drop_points(self) -> float:
        return VIEW_DROP_POINTS

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
    min_partners = settings.RISKIEST_BOOK_MIN_PARTNERS
    managers, managers_total = _manager_concentration([book for book in books if book[1] >= min_partners])
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
        managers_min_partners=min_partners,
        candidates=_candidates(period=period, trend_from=trend_from),
        stale=_stale(today=today),
        **_view_drops(period=period, previous=previous),
    )


# Active partners scored at least once but in no quarter from the oldest still current on.
STALE_SQL = """
SELECT COUNT(*)
FROM assessments_partner p
WHERE p.is_active
  AND EXISTS (SELECT 1 FROM assessments_partnersnapshot s WHERE s.partner_id = p.id)
  AND NOT EXISTS (
      SELECT 1 FROM assessments_partnersnapshot s
      WHERE s.partner_id = p.id AND s.period_id IN (
          SELECT q.id FROM assessments_period q WHERE q.year > %s OR (q.year = %s AND q.quarter >= %s)
      )
  )
"""


def _stale(*, today: dt.date) -> Stale:
    """How many active partners are stale today: their latest check-up is more than
    ``STALE_AFTER_QUARTERS`` quarters old (never scored is not stale)."""
    after = settings.STALE_AFTER_QUARTERS
    oldest = fresh_from(current=Quarter.containing(today), after=after)
    ((count,),) = sql.rows(STALE_SQL, [oldest.year, oldest.year, oldest.quarter])
    return Stale(partners=count, fresh_from=oldest.code, after=after)


def _frame_tiles(*, period: PeriodOption, previous: PeriodOption | None) -> dict:
    """The tiles read from the frame (bands, declining, health, revenue at risk, segments), summed up
    from its grouped pass (``frame_groups``)."""
    counts: dict[str, dict[str, int]] = {s.value: dict.fromkeys(BANDS, 0) for s in Partner.Segment}
    partners = paired = declining = alerted = partners_at_risk = 0
    health_sum = change_sum = 0.0
    revenue_at_risk = Decimal(0)
    for segment, band, is_alerted, is_falling, n, health, pairs, change, revenue in frame_groups(
        period=period, previous=previous
    ):
        is_declining = bool(is_alerted or is_falling)
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
            revenue_at_risk += sql.decimal(revenue)
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


# Both quarters' views of the active partners whose contacts rated us in both, read from the partial
# index snapshot_period_view_idx alone (partner_view_health is a generated column), the names joined.
VIEW_DROPS_SQL = """
SELECT s.partner_id, p.name, t.partner_view_health, s.partner_view_health, COUNT(*) OVER ()
FROM assessments_partnersnapshot s
JOIN assessments_partnersnapshot t
  ON t.partner_id = s.partner_id AND t.period_id = %s AND t.partner_view_health IS NOT NULL
JOIN assessments_partner p ON p.id = s.partner_id
WHERE s.period_id = %s AND s.partner_view_health IS NOT NULL AND p.is_active
  AND t.partner_view_health - s.partner_view_health >= %s
ORDER BY s.partner_view_health - t.partner_view_health, p.name
LIMIT %s
"""


def _view_drops(*, period: PeriodOption, previous: PeriodOption | None) -> dict:
    """Active partners whose view of us fell by ``VIEW_DROP_POINTS`` or more since the quarter before.

    One query over the snapshots holding a view (a partial index, so the others are never read),
    counting every drop but returning the first ``VIEW_DROPS_SHOWN``.
    """
    if previous is None:
        return {"view_drops": [], "view_drops_count": 0}
    rows = sql.rows(VIEW_DROPS_SQL, [previous.id, period.id, VIEW_DROP_POINTS, VIEW_DROPS_SHOWN])
    drops = [ViewDrop(partner_id=pk, name=name, before=b, after=a) for pk, name, b, a, _ in rows]
    return {"view_drops": drops, "view_drops_count": rows[0][4] if rows else 0}


CANDIDATES_SQL = """
SELECT s.partner_id, p.name, s.health, s.band, s.health - t.health AS gain, p.annual_revenue
FROM assessments_partnersnapshot s
JOIN assessments_partner p ON p.id = s.partner_id
JOIN assessments_partnersnapshot t ON t.partner_id = s.partner_id AND t.period_id = %s
WHERE s.period_id = %s AND p.is_active AND p.segment = %s AND s.health - t.health > 0
ORDER BY gain DESC, p.name
LIMIT %s
"""


def _candidates(*, period: PeriodOption, trend_from: PeriodOption | None) -> list[Candidate]:
    """Developing partners with the largest health gain since P-3: who could become trusted (004)."""
    if trend_from is None:
        return []
    rows = sql.rows(CANDIDATES_SQL, [trend_from.id, period.id, Partner.Segment.DEVELOPING.value, CANDIDATES_SHOWN])
    return [
        Candidate(partner_id=pk, name=name, health=health, band=band, gain=gain, revenue=sql.decimal(revenue))
        for pk, name, health, band, gain, revenue in rows
    ]


# The largest active partner (ties by name), with the active partners' count and total revenue.
CONCENTRATION_SQL = """
SELECT p.id, p.name, t.largest, t.total, t.partners
FROM (
    SELECT SUM(annual_revenue) AS total, COUNT(*) AS partners, MAX(annual_revenue) AS largest
    FROM assessments_partner WHERE is_active
) t
JOIN assessments_partner p ON p.is_active AND p.annual_revenue = t.largest
ORDER BY p.name
LIMIT 1
"""


def _concentration() -> Concentration:
    """The share of active joint revenue carried by the single largest partner (004)."""
    found = sql.rows(CONCENTRATION_SQL)
    if not found:
        return Concentration(partners=0, total_revenue=Decimal(0), largest_id=None, largest_name="", largest_revenue=0)
    pk, name, largest, total, partners = found[0]
    return Concentration(
        partners=partners,
        total_revenue=sql.decimal(total),
        largest_id=pk,
        largest_name=name,
        largest_revenue=sql.decimal(largest),
    )


Book = tuple[int, int, Decimal, Decimal]  # (user id, active partners owned, their total revenue, the largest)

BOOKS_SQL = """
SELECT o.user_id, COUNT(*), SUM(p.annual_revenue), MAX(p.annual_revenue)
FROM assessments_partner_owners o
JOIN assessments_partner p ON p.id = o.partner_id
WHERE p.is_active
GROUP BY o.user_id
"""


def _books() -> list[Book]:
    """Every account manager's book of active partners: one grouped pass over the owners."""
    return [
        (user_id, partners, sql.decimal(total), sql.decimal(largest))
        for user_id, partners, total, largest in sql.rows(BOOKS_SQL)
    ]


def _risk(book: Book) -> tuple:
    """Riskiest first: the largest share of the book in one partner, then the larger book."""
    _, _, total, largest = book
    return (-(float(largest / total * 100) if total else 0), -total)


# Owners' names and their active partners whose revenue is one of ``largest`` (filtered to each
# owner's own largest in Python), by owner and partner name.
LARGEST_PARTNERS_SQL = """
SELECT o.user_id, u.username, u.first_name, u.last_name, p.name, p.annual_revenue
FROM assessments_partner_owners o
JOIN assessments_partner p ON p.id = o.partner_id
JOIN {users} u ON u.id = o.user_id
WHERE p.is_active AND o.user_id IN ({owners}) AND p.annual_revenue IN ({largest})
ORDER BY o.user_id, p.name
"""


def _manager_concentration(books: list[Book]) -> tuple[list[ManagerConcentration], int]:
    """Per account manager, the share of their book in their largest partner, riskiest first.

    004: "reps ... that have one account that is responsible for all or most
    of their revenue ... it is also precarious". ``books`` holds only those big
    enough to rank: a book of one partner is always 100% in it, which says nothing.
    """
    if not books:
        return [], 0
    # Ties go by name: names are read for the listed books and any tied with the last one.
    risks = {book[0]: _risk(book) for book in books}
    cut = sorted(risks.values())[min(MANAGERS_SHOWN, len(books)) - 1]
    contenders = [book for book in books if risks[book[0]] <= cut]
    # Their names, and their largest active partner's (ties by name), read for these few books only.
    largest = {user_id: revenue for user_id, _, _, revenue in contenders}
    revenues = list(set(largest.values()))
    query = LARGEST_PARTNERS_SQL.format(
        users=get_user_model()._meta.db_table, owners=sql.placeholders(largest), largest=sql.placeholders(revenues)
    )
    names: dict[int, tuple[str, str]] = {}
    for user_id, username, first, last, partner, revenue in sql.rows(query, [*largest, *revenues]):
        if sql.decimal(revenue) == largest[user_id]:
            names.setdefault(user_id, (f"{first} {last}".strip() or username, partner))
    managers = [
        ManagerConcentration(
            user_id=user_id,
            name=names[user_id][0],
            partners=partners,
            total_revenue=total,
            largest_revenue=revenue,
            largest_name=names[user_id][1],
        )
        for user_id, partners, total, revenue in contenders
    ]
    managers.sort(key=lambda m: (*risks[m.user_id], m.name))
    return managers[:MANAGERS_SHOWN], len(books)


# Submitted check-ups of the quarter whose rater owns the (active) partner.
SUBMITTED_SQL = """
SELECT COUNT(*)
FROM assessments_assessment a
JOIN assessments_period q ON q.id = a.period_id
JOIN assessments_partner p ON p.id = a.partner_id
JOIN assessments_partner_owners o ON o.partner_id = a.partner_id AND o.user_id = a.rater_id
WHERE q.code = %s AND a.status = %s AND p.is_active
"""


def _completion(*, quarter: Quarter, expected: int) -> Completion:
    """Submitted check-ups against ``expected`` (one per owner per active partner), this quarter."""
    ((submitted,),) = sql.rows(SUBMITTED_SQL, [quarter.code, Checkup.Status.SUBMITTED.value])
    return Completion(period_code=quarter.code, submitted=submitted, expected=expected)

"""The filtered frame: active partners' snapshots in one period, and the filters that narrow it.

Every tile and the heatmap start here. A partner counts when it is active and
has a snapshot in the period; its row carries last quarter's health and the
*declining* flag defined in docs/DASHBOARD.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import BooleanField, ExpressionWrapper, F, FilteredRelation, FloatField, Q, QuerySet, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from assessments.models import Alert, PartnerSnapshot
from assessments.selectors.dashboard import sql
from assessments.selectors.dashboard.periods import PeriodOption

# A partner is declining when an alert of at least this severity exists for the period...
DECLINING_SEVERITIES = (Alert.Severity.WARNING.value, Alert.Severity.CRITICAL.value)
# ...or when its health fell in each of the last two quarters by this many points in all,
# so the tile means something before the decline scan has run.
TWO_QUARTER_FALL_POINTS = 10
DEFAULT_SORT = "health"
# The perception gap (assessments.perception): the partner's view of us minus our health, both as
# stored on the snapshot; NULL until the partner has rated us that quarter.
PERCEPTION_GAP = F("partner_view_health") - F("health")


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


def frame(*, period: PeriodOption, previous: PeriodOption | None) -> QuerySet[PartnerSnapshot]:
    """Active partners' snapshots in ``period``, with last quarter's health and delta and three flags:
    ``alerted`` (a warning or critical alert), ``falling`` (two falling quarters) and ``declining`` (either).

    The flags are plain boolean expressions, NULL where last quarter is missing (read as false).
    """
    rows = PartnerSnapshot.objects.filter(period_id=period.id, partner__is_active=True).annotate(
        perception_gap=PERCEPTION_GAP
    )
    alerted = Q(
        partner_id__in=Alert.objects.filter(period_id=period.id, severity__in=DECLINING_SEVERITIES).values("partner_id")
    )
    if previous is None:
        rows = rows.annotate(
            prev_health=Value(None, output_field=FloatField()), prev_delta=Value(None, output_field=FloatField())
        )
        return rows.annotate(
            alerted=ExpressionWrapper(alerted, output_field=BooleanField()),
            falling=Value(False, output_field=BooleanField()),
            declining=ExpressionWrapper(alerted, output_field=BooleanField()),
        )
    # A LEFT JOIN on the previous quarter's snapshot: one hash join, not a subquery per row.
    rows = rows.annotate(
        prev=FilteredRelation("partner__snapshots", condition=Q(partner__snapshots__period_id=previous.id)),
        prev_health=F("prev__health"),
        prev_delta=F("prev__health_delta"),
    )
    falling = Q(
        health_delta__lt=0,
        prev_delta__lt=0,
        health_delta__lte=Value(-TWO_QUARTER_FALL_POINTS, output_field=FloatField()) - F("prev_delta"),
    )
    return rows.annotate(
        alerted=ExpressionWrapper(alerted, output_field=BooleanField()),
        falling=ExpressionWrapper(falling, output_field=BooleanField()),
        declining=ExpressionWrapper(alerted | falling, output_field=BooleanField()),
    )


# The frame grouped by segment, band and the two flags, for the tiles (tiles.py): the definitions of
# ``frame`` above, written as SQL (see sql.py for why). Every column it reads but the partner's segment
# and revenue is in snapshot_period_covering_idx, so PostgreSQL reads no wide snapshot row.
FRAME_GROUPS_SQL = """
SELECT p.segment, s.band,
       s.partner_id IN (
           SELECT a.partner_id FROM assessments_alert a WHERE a.period_id = %s AND a.severity IN (%s, %s)
       ) AS alerted,
       (s.health_delta < 0 AND t.health_delta < 0 AND s.health_delta <= %s - t.health_delta) AS falling,
       COUNT(*), SUM(s.health), COUNT(t.health), SUM(s.health - t.health), SUM(p.annual_revenue)
FROM assessments_partnersnapshot s
JOIN assessments_partner p ON p.id = s.partner_id
LEFT JOIN assessments_partnersnapshot t ON t.partner_id = s.partner_id AND t.period_id = %s
WHERE s.period_id = %s AND p.is_active
GROUP BY 1, 2, 3, 4
"""


def frame_groups(*, period: PeriodOption, previous: PeriodOption | None) -> list[tuple]:
    """The frame in one grouped pass: a row per segment, band, ``alerted`` and ``falling`` (a few dozen),
    with its partners, their health summed, how many were scored last quarter, their change summed
    and their revenue summed. The flags are true, false or NULL (no last quarter): read NULL as false."""
    previous_id = previous.id if previous else None  # no last quarter: the join finds nothing
    return sql.rows(
        FRAME_GROUPS_SQL, [period.id, *DECLINING_SEVERITIES, -TWO_QUARTER_FALL_POINTS, previous_id, period.id]
    )


def filtered(
    *, period: PeriodOption, previous: PeriodOption | None, filters: HeatmapFilters, annotated: bool = True
) -> QuerySet[PartnerSnapshot]:
    """The filtered, sorted rows; ``annotated=False`` skips last quarter's join unless a filter needs it (counts)."""
    if annotated or filters.declining:
        rows = frame(period=period, previous=previous)
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
    return rows.order_by(*ordering(filters.sort)) if annotated else rows.order_by()


def ordering(sort: str) -> list:
    """``sort`` as ORDER BY expressions: a column or item key, "-" in front for descending; ties by name."""
    descending = sort.startswith("-")
    key = sort.removeprefix("-")
    if key == "name":
        expressions = [F("partner__name")]
    elif key == "change":
        expressions = [F("health_delta")]
    elif key == "revenue":
        expressions = [F("partner__annual_revenue")]
    elif key == "perception_gap":
        expressions = [F("perception_gap")]
    elif key == "symptoms":
        expressions = [Cast(KT("rubric_scores__symptoms"), FloatField())]
    elif "." in key:
        expressions = [Cast(KT(f"item_means__{key}"), FloatField())]
    else:
        expressions = [F("health")]
    ordered = [e.desc(nulls_last=True) if descending else e.asc(nulls_last=True) for e in expressions]
    return [*ordered, F("partner__name").asc(), F("id").asc()]

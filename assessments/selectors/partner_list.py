"""The partners list (/partners/): every active partner the user may see, with its latest health.

Search by name, sort by name, health, change or revenue, filter by kind, segment, band and owner,
paged like the rest of the app. "Latest" is per partner: the snapshot of the newest quarter the
partner was scored in, which is usually the newest scored quarter of all, or the one before it
while a quarter's check-ups come in. Those two quarters are two hash joins; only a partner scored
in neither (a lapsed one) falls back to a subquery of its own, so the page costs the same few
queries, and about the same time, at 50 partners and at 10,000 (bench/partners.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import (
    Exists,
    F,
    FilteredRelation,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from assessments.display import band_label
from assessments.models import Partner, PartnerSnapshot, Period
from assessments.periods import Quarter
from assessments.selectors.access import partners_visible_to
from assessments.selectors.dashboard.heatmap import heatmap_owner_choices
from assessments.selectors.snapshots import quarters_not_scored
from assessments.staleness import fresh_from, stale_label

PAGE_SIZE = 50
UNSCORED = "none"  # the band filter's value for partners never scored
STALE = "stale"  # ... and for partners whose latest check-up is too old (docs/DASHBOARD.md, "Stale scores")


class PartnerSort:
    """Sort keys; "-" in front reverses. Ties go by name."""

    NAME = "name"
    CHOICES = [
        ("name", "Name, A to Z"),
        ("-name", "Name, Z to A"),
        ("health", "Health, lowest first"),
        ("-health", "Health, highest first"),
        ("change", "Change, biggest fall first"),
        ("-change", "Change, biggest rise first"),
        ("-revenue", "Revenue, largest first"),
        ("revenue", "Revenue, smallest first"),
    ]
    KEYS = {"name": "name", "health": "latest_health", "change": "latest_delta", "revenue": "annual_revenue"}


@dataclass(frozen=True)
class PartnerListFilters:
    q: str = ""
    kind: str = ""
    segment: str = ""
    band: str = ""  # a band, UNSCORED, or "" for any
    owner: int | None = None
    sort: str = PartnerSort.NAME

    @property
    def filtered(self) -> bool:
        """A search or a filter narrows the list (sorting does not)."""
        return bool(self.q or self.kind or self.segment or self.band or self.owner)


KIND_LABELS = dict(Partner.Kind.choices)
SEGMENT_LABELS = dict(Partner.Segment.choices)
ROW_FIELDS = (
    "pk",
    "name",
    "kind",
    "segment",
    "annual_revenue",
    "latest_health",
    "latest_band",
    "latest_delta",
    "latest_period_id",
)


@dataclass(frozen=True)
class PartnerRow:
    """One row of the list: plain values, no model instance (a page is read as values, its owners'
    names in one more query), since building fifty partners and their owners costs more than the SQL."""

    pk: int
    name: str
    kind: str
    segment: str
    revenue: Decimal
    health: float | None
    band: str | None
    change: float | None
    period_code: str | None
    owners: tuple[str, ...] = ()
    # Set when the latest check-up is too old to stand for today: "Stale — last check-up 2026-Q1".
    stale_label: str = ""
    # Set when a quarter newer than ``period_code`` had check-ups covering too little to score
    # (docs/SCORING.md): "Not scored in 2026-Q4: too few answers", so the older health is not taken for it.
    not_scored_note: str = ""

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def segment_label(self) -> str:
        return SEGMENT_LABELS.get(self.segment, self.segment)

    @property
    def segment_short(self) -> str:
        """'Developing' for 'Developing (could become trusted)': the narrow screen's version."""
        return self.segment_label.split(" (")[0]

    @property
    def band_label(self) -> str:
        return band_label(self.band)


def scored_periods() -> dict[int, str]:
    """Every quarter with a snapshot, newest first: id -> code (a few dozen rows at most)."""
    scored = Period.objects.filter(Exists(PartnerSnapshot.objects.filter(period_id=OuterRef("pk"))))
    return dict(scored.order_by("-year", "-quarter").values_list("id", "code"))


def _latest(field: str, newest: list[int], output_field):
    """The partner's ``field`` in its latest snapshot: the newest two scored quarters first (joined as
    ``s0``/``s1``), then, for a partner scored in neither, its own newest snapshot."""
    fallback = (
        PartnerSnapshot.objects.filter(partner_id=OuterRef("pk"))
        .order_by("-period__year", "-period__quarter")
        .values(field)[:1]
    )
    joined = [F(f"s{i}__{field}") for i in range(len(newest))]
    return Coalesce(*joined, Subquery(fallback, output_field=output_field), output_field=output_field)


def _narrowed(*, user, filters: PartnerListFilters) -> QuerySet[Partner]:
    """Active partners the user may see, narrowed by everything but the band (which needs the snapshots)."""
    partners = partners_visible_to(user).filter(is_active=True)
    if filters.q:
        partners = partners.filter(name__icontains=filters.q)
    if filters.kind:
        partners = partners.filter(kind=filters.kind)
    if filters.segment:
        partners = partners.filter(segment=filters.segment)
    if filters.owner:
        owned = Partner.owners.through.objects.filter(user_id=filters.owner).values("partner_id")
        partners = partners.filter(pk__in=owned)
    return partners


def stale_period_ids(periods: dict[int, str], *, today: dt.date | None = None) -> set[int]:
    """The scored quarters too old to stand for today: a partner last scored in one of them is stale."""
    oldest = fresh_from(current=Quarter.containing(today or timezone.localdate()), after=settings.STALE_AFTER_QUARTERS)
    return {pk for pk, code in periods.items() if Quarter.parse(code) < oldest}
def partners_filtered(*, user, filters: PartnerListFilters) -> QuerySet[Partner]:
    """Active partners the user may see, narrowed by every filter but the band, unannotated."""
    if filters.band:
        raise ValueError("the band filter needs partner_list(), which reads the snapshots")
    return _narrowed(user=user, filters=filters)


def partners_in_band(*, user, filters: PartnerListFilters, periods: dict[int, str]) -> QuerySet[Partner]:
    """``partner_list``'s partners for a band filter, unannotated, as conditions PostgreSQL can test
    partner by partner (an index probe each) while it walks them in id order, so a page stops early
    instead of computing every partner's latest band first."""
    partners = _narrowed(user=user, filters=PartnerListFilters(**{**filters.__dict__, "band": ""}))
    mine = PartnerSnapshot.objects.filter(partner_id=OuterRef("pk"))
    if filters.band == UNSCORED:
        return partners.filter(~Exists(mine))
    newest = list(periods)[:2]
    condition = Q()
    unscored_in_newer = Q()
    for period_id in newest:
        condition |= unscored_in_newer & Exists(mine.filter(period_id=period_id, band=filters.band))
        unscored_in_newer &= ~Exists(mine.filter(period_id=period_id))
    # A partner scored in neither of the newest two quarters: its own newest snapshot (rare: lapsed ones).
    own_latest = mine.order_by("-period__year", "-period__quarter").values("band")[:1]
    partners = partners.alias(own_band=Subquery(own_latest))
    return partners.filter(condition | (unscored_in_newer & Q(own_band=filters.band)))


def latest_health_of(*, partner_ids: list[int], periods: dict[int, str]) -> dict[int, tuple]:
    """(health, band, health_delta, period_id) of each partner's latest snapshot, for a page of partners:
    one plain query of their few dozen snapshots, the latest picked here (``periods``: newest first)."""
    rank = {period_id: index for index, period_id in enumerate(periods)}
    latest: dict[int, tuple] = {}
    rows = PartnerSnapshot.objects.filter(partner_id__in=partner_ids).values_list(
        "partner_id", "health", "band", "health_delta", "period_id"
    )
    for partner_id, health, band, delta, period_id in rows.order_by():
        best = latest.get(partner_id)
        if best is None or rank.get(period_id, len(rank)) < rank.get(best[3], len(rank)):
            latest[partner_id] = (health, band, delta, period_id)
    return latest


def partner_list(*, user, filters: PartnerListFilters, periods: dict[int, str]) -> QuerySet[Partner]:
    """Active partners the user may see, filtered and sorted, each annotated with ``latest_health``,
    ``latest_band``, ``latest_delta`` and ``latest_period_id`` (all None when never scored).

    ``periods`` is ``scored_periods()``: its first two quarters are joined, the rest reached per partner.
    """
    newest = list(periods)[:2]
    partners = _narrowed(user=user, filters=filters)
    for i, period_id in enumerate(newest):
        partners = partners.alias(
            **{f"s{i}": FilteredRelation("snapshots", condition=Q(snapshots__period_id=period_id))}
        )
    band_field = PartnerSnapshot._meta.get_field("band")
    if newest:
        partners = partners.annotate(
            latest_health=_latest("health", newest, FloatField()),
            latest_band=_latest("band", newest, band_field),
            latest_delta=_latest("health_delta", newest, FloatField()),
            latest_period_id=_latest("period_id", newest, IntegerField()),
        )
    else:
        partners = partners.annotate(
            latest_health=Value(None, output_field=FloatField()),
            latest_band=Value(None, output_field=band_field),
            latest_delta=Value(None, output_field=FloatField()),
            latest_period_id=Value(None, output_field=IntegerField()),
        )
    if filters.band == UNSCORED:
        partners = partners.filter(latest_band__isnull=True)
    elif filters.band == STALE:
        partners = partners.filter(latest_period_id__in=stale_period_ids(periods))
    elif filters.band:
        partners = partners.filter(latest_band=filters.band)
    return partners.order_by(*_ordering(filters.sort))


def _ordering(sort: str) -> list:
    descending = sort.startswith("-")
    column = PartnerSort.KEYS.get(sort.removeprefix("-"), "name")
    expression = F(column).desc(nulls_last=True) if descending else F(column).asc(nulls_last=True)
    return [expression, "name", "pk"] if column != "name" else [expression, "pk"]


@dataclass(frozen=True)
class PartnerListPage:
    page: Page
    rows: list[PartnerRow]


def partner_list_page(*, user, filters: PartnerListFilters, page: str | int | None) -> PartnerListPage:
    """One page of the list: five queries whatever the number of partners (the scored quarters, the
    count, the page's partners, their owners' names, their submitted check-ups with no score), and
    two more only when one of the page's partners has such a check-up (its answers, its quarter)."""
    periods = scored_periods()
    paginator = Paginator(partner_list(user=user, filters=filters, periods=periods), PAGE_SIZE)
    if not filters.band:
        # Counting needs no snapshot unless the band filter does: count the partners alone.
        paginator.count = _narrowed(user=user, filters=filters).count()
    found = paginator.get_page(page)
    values = list(found.object_list.values_list(*ROW_FIELDS))
    owners = _owner_names([pk for pk, *_ in values])
    stale = stale_period_ids(periods)
    unscored = _newest_not_scored([pk for pk, *_ in values], periods)
    rows = [
        PartnerRow(
            pk=pk,
            name=name,
            kind=kind,
            segment=segment,
            revenue=revenue,
            health=health,
            band=band,
            change=change,
            period_code=periods.get(period_id),
            owners=tuple(owners.get(pk, ())),
            stale_label=stale_label(periods[period_id]) if period_id in stale else "",
            not_scored_note=_not_scored_note(unscored.get(pk), periods.get(period_id)),
        )
        for pk, name, kind, segment, revenue, health, band, change, period_id in values
    ]
    return PartnerListPage(page=found, rows=rows)


def _newest_not_scored(partner_ids: list[int], periods: dict[int, str]) -> dict[int, Quarter]:
    """Each of these partners' newest quarter with submitted check-ups that cover too little to score."""
    found = quarters_not_scored(partner_ids=set(partner_ids)) if partner_ids else {}
    if not found:
        return {}
    codes = dict(periods)
    missing = {period_id for _, period_id in found} - codes.keys()
    if missing:
        codes.update(Period.objects.filter(id__in=missing).values_list("id", "code"))
    newest: dict[int, Quarter] = {}
    for partner_id, period_id in found:
        quarter = Quarter.parse(codes[period_id])
        if partner_id not in newest or newest[partner_id] < quarter:
            newest[partner_id] = quarter
    return newest


def _not_scored_note(unscored: Quarter | None, latest_code: str | None) -> str:
    if unscored is None or (latest_code is not None and unscored < Quarter.parse(latest_code)):
        return ""
    return f"Not scored in {unscored.code}: too few answers"


def _owner_names(partner_ids: list[int]) -> dict[int, list[str]]:
    """Each partner's owners' names, by first name, in one query."""
    names: dict[int, list[str]] = {}
    through = Partner.owners.through.objects.filter(partner_id__in=partner_ids)
    for partner_id, username, first, last in through.order_by("user__first_name", "user__last_name").values_list(
        "partner_id", "user__username", "user__first_name", "user__last_name"
    ):
        names.setdefault(partner_id, []).append(f"{first} {last}".strip() or username)
    return names


def partner_owner_choices() -> list[tuple[int, str]]:
    """Everyone who owns an active partner, for leadership's owner filter: the dashboard's own list."""
    return heatmap_owner_choices()

"""The dashboard page put together: the form's choices, the tiles and one heatmap page, each
read through the roll-up cache (``assessments.infra.rollups``), which this module hands a
builder; the tiles and heatmap modules know nothing of the cache."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from functools import partial

from django.utils import timezone

from assessments.display import not_scored_reason
from assessments.infra.rollups import Rollup, rollup_read
from assessments.models import Partner
from assessments.periods import Quarter
from assessments.selectors.dashboard import sql
from assessments.selectors.dashboard.frame import DECLINING_SEVERITIES, HeatmapFilters
from assessments.selectors.dashboard.heatmap import (
    Column,
    HeatmapPage,
    heatmap_columns,
    heatmap_owner_choices,
    portfolio_heatmap,
)
from assessments.selectors.dashboard.periods import PeriodOption, dashboard_periods, resolve_period
from assessments.selectors.dashboard.tiles import PortfolioSummary, portfolio_summary
from assessments.selectors.snapshots import quarters_not_scored

# The newest snapshot's computed_at (index snapshot_computed_at_idx) and the count and newest id
# of the warning and critical alerts.
FINGERPRINT_SQL = """
SELECT (SELECT MAX(computed_at) FROM assessments_partnersnapshot),
       (SELECT COUNT(*) FROM assessments_alert WHERE severity IN (%s, %s)),
       (SELECT MAX(id) FROM assessments_alert WHERE severity IN (%s, %s))
"""


def rollup_fingerprint() -> tuple:
    """What moves whenever a write changes the dashboard's numbers: one indexed query per page view.

    The newest snapshot's computed_at moves with every snapshot write (from any
    process); the count and newest id of the warning and critical alerts move
    when the decline scan raises one, promotes one to warning or drops one.
    """
    ((latest, alerts, last_alert),) = sql.rows(FINGERPRINT_SQL, [*DECLINING_SEVERITIES, *DECLINING_SEVERITIES])
    return (latest.isoformat() if isinstance(latest, dt.datetime) else latest, alerts, last_alert)


@dataclass(frozen=True)
class DashboardOptions:
    """What the filter form offers: scored periods (newest first), owners and heatmap columns."""

    periods: list[PeriodOption]
    owners: list[tuple[int, str]]
    columns: list[Column]
    # The roll-up fingerprint these were read under; the tiles are cached under it too.
    fingerprint: tuple = ()


def _options_build() -> DashboardOptions:
    return DashboardOptions(periods=dashboard_periods(), owners=heatmap_owner_choices(), columns=heatmap_columns())


def dashboard_options() -> DashboardOptions:
    """The form's choices, from the roll-up cache: they change only when snapshots do
    (periods) or through the admin (owners, columns), which the cache's time-to-live bounds.

    The returned ``fingerprint`` is the one read for this page view, whatever the age of the cached choices."""
    fingerprint = rollup_fingerprint()
    options = rollup_read(name="options", parts=(), fingerprint=fingerprint, build=_options_build).value
    return dataclasses.replace(options, fingerprint=fingerprint)


def portfolio_summary_rollup(
    *, period: PeriodOption, periods: list[PeriodOption], today: dt.date, fingerprint: tuple | None = None
) -> Rollup[PortfolioSummary]:
    """``portfolio_summary`` from the per-period roll-up cache, with its age."""
    return rollup_read(
        name="summary",
        parts=(period.id, Quarter.containing(today).code),
        fingerprint=rollup_fingerprint() if fingerprint is None else fingerprint,
        build=partial(portfolio_summary, period=period, periods=periods, today=today),
    )


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
        build=partial(
            portfolio_heatmap,
            period=period,
            periods=periods,
            filters=filters,
            page=page,
            columns=columns,
            count=count,
            today=today,
        ),
    )
    rollup.value.cache_key = rollup.version
    return rollup


@dataclass
class PortfolioDashboard:
    period: PeriodOption
    summary: PortfolioSummary
    heatmap: HeatmapPage
    # Set when older figures are shown while newer ones are rebuilt (within ROLLUP_MAX_STALENESS_SECONDS):
    # when the build of the oldest figure on the page started.
    stale_since: dt.datetime | None = None
    # Partners whose check-ups this quarter cover too little to score: (partner id, name, why).
    not_scored: list[tuple[int, str, str]] = dataclasses.field(default_factory=list)


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
        # Cached like the tiles: every write of answers (scored or not) invalidates the roll-ups.
        not_scored=rollup_read(
            name="not_scored",
            parts=(period.id,),
            fingerprint=options.fingerprint,
            build=partial(_not_scored, period),
        ).value,
    )


def _not_scored(period: PeriodOption) -> list[tuple[int, str, str]]:
    found = quarters_not_scored(partner_ids=None, period_ids={period.id})
    if not found:
        return []
    names = dict(Partner.objects.filter(id__in={p for p, _ in found}).values_list("id", "name"))
    return sorted(
        ((partner_id, names[partner_id], not_scored_reason(covered)) for (partner_id, _), covered in found.items()),
        key=lambda row: row[1],
    )

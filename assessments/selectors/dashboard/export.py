"""The heatmap as CSV: exactly the filtered, sorted table, every page, safe to open in a spreadsheet."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.conf import settings

from assessments.csv_safety import neutralise
from assessments.display import money_header
from assessments.models import Partner
from assessments.selectors.dashboard.frame import HeatmapFilters
from assessments.selectors.dashboard.heatmap import heatmap_rows
from assessments.selectors.dashboard.periods import resolve_period

if TYPE_CHECKING:
    from assessments.selectors.dashboard.page import DashboardOptions

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).


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
        return neutralise(value)
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
        # Plain numbers a spreadsheet can sum; the header names their currency.
        money_header("annual_revenue", settings.CURRENCY),
        "period",
        "health",
        "band",
        "change",
        "declining",
        # yes: the partner's latest check-up is more than STALE_AFTER_QUARTERS quarters old (docs/DASHBOARD.md).
        "stale",
        *(c.key if c.key != "symptoms" else "symptoms_score" for c in columns),
        "perception_gap",
        # Share (0-1) of the weight answered; an item every rater answered "not applicable" is empty.
        "coverage",
    ]
    if period is None:
        return "", iter([header])
    rows = heatmap_rows(period=period, periods=options.periods, filters=filters, columns=columns)
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
                row.stale,
                *(cell.value for cell in row.cells),
                row.symptoms.value,
                row.perception_gap,
                None if row.coverage is None else round(row.coverage, 4),
            ]
            yield [csv_safe(value) for value in values]

    return period.code, generate()

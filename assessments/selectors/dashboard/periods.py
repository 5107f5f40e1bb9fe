"""The dashboard's period picker: which quarters can be shown, and which one opens by default."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, Func, OuterRef, Subquery

from assessments.models import Partner, PartnerSnapshot, Period
from assessments.periods import PeriodError, Quarter

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
    # Every snapshot per period, less those of ended partnerships (few): index-only counts, where
    # a join to the partners to count the active ones directly costs three times as much. Counted
    # per period by a scalar subquery (Func, not Count: no GROUP BY), on the period index alone.
    snapshots = PartnerSnapshot.objects.filter(period_id=OuterRef("pk")).order_by()
    rows = (
        Period.objects.annotate(n=Subquery(snapshots.annotate(n=Func(F("period_id"), function="COUNT")).values("n")))
        .order_by("-year", "-quarter")
        .values_list("id", "code", "n")
    )
    inactive = dict(
        PartnerSnapshot.objects.filter(partner__in=Partner.objects.filter(is_active=False))
        .values("period_id")
        .annotate(n=Count("*"))
        .order_by()
        .values_list("period_id", "n")
    )
    periods = [(pk, code, (n or 0) - inactive.get(pk, 0)) for pk, code, n in rows]
    periods = [(pk, code, n) for pk, code, n in periods if n > 0]
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


def period_at(periods: list[PeriodOption], quarter: Quarter) -> PeriodOption | None:
    return next((p for p in periods if p.code == quarter.code), None)


def resolve_period(*, periods: list[PeriodOption], code: str) -> PeriodOption | None:
    """The period picked by ``code``, or the default one when ``code`` is empty or unknown."""
    if code:
        try:
            wanted = Quarter.parse(code)
        except PeriodError:
            wanted = None
        found = period_at(periods, wanted) if wanted else None
        if found:
            return found
    return default_period(periods)

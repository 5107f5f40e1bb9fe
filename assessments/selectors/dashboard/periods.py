"""The dashboard's period picker: which quarters can be shown, and which one opens by default."""

from __future__ import annotations

from dataclasses import dataclass

from assessments.periods import PeriodError, Quarter, well_covered
from assessments.selectors.dashboard import sql


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


# Every period with its snapshots counted, and those of ended partnerships (few) counted apart: both
# index-only counts, where a join to the partners to count the active ones directly costs three times
# as much. The per-period count is a scalar subquery on the period index, without a GROUP BY.
PERIOD_COUNTS_SQL = """
SELECT q.id, q.code,
       (SELECT COUNT(*) FROM assessments_partnersnapshot s WHERE s.period_id = q.id),
       COALESCE(ended.n, 0)
FROM assessments_period q
LEFT JOIN (
    SELECT s.period_id, COUNT(*) AS n
    FROM assessments_partnersnapshot s
    WHERE s.partner_id IN (SELECT p.id FROM assessments_partner p WHERE NOT p.is_active)
    GROUP BY s.period_id
) ended ON ended.period_id = q.id
ORDER BY q.year DESC, q.quarter DESC
"""


def dashboard_periods() -> list[PeriodOption]:
    """Every period with an active partner scored in it, newest first, the default one marked."""
    periods = [(pk, code, n - ended) for pk, code, n, ended in sql.rows(PERIOD_COUNTS_SQL) if n > ended]
    if not periods:
        return []
    best = max(n for _, _, n in periods)
    default = next(i for i, (_, _, n) in enumerate(periods) if well_covered(n, best=best))
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

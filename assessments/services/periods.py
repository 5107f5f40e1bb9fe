from __future__ import annotations

from assessments.models import Period
from assessments.periods import Quarter


def period_get_or_create(*, quarter: Quarter) -> Period:
    quarter.check_supported()
    period, _ = Period.objects.get_or_create(code=quarter.code, defaults=Period.fields_for(quarter))
    return period


def periods_get_or_create(*, quarters: list[Quarter]) -> dict[str, Period]:
    """Ensure every quarter has a row; one query to read, one to insert the missing."""
    for quarter in quarters:
        quarter.check_supported()
    codes = {q.code for q in quarters}
    existing = {p.code: p for p in Period.objects.filter(code__in=codes)}
    missing = [Period(**Period.fields_for(q)) for q in set(quarters) if q.code not in existing]
    if missing:
        Period.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {p.code: p for p in Period.objects.filter(code__in=codes)}
    return existing

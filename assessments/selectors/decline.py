"""Reads for "why it declined": a partner's slide from its pre-decline baseline quarter to now.

The maths and the wording are in the pure ``assessments.decline``; this module picks the two
snapshots and names the items. Until risk cases land, a decline is "open" when the partner has
a warning or critical alert in its latest four scored quarters, and its baseline is the scored
quarter before that run of findings (``decline.decline_baseline``); a case passes its own
baseline quarter instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Exists, OuterRef

from assessments.decline import DeclineSummary, ItemInfo, decline_baseline, decline_summarise
from assessments.models import Alert, PartnerSnapshot, Period
from assessments.selectors.rubrics import rubric_items
from assessments.selectors.snapshots import snapshot_score
from assessments.vocabulary import Severity

RECENT_QUARTERS = 4


def _code(period: Period | str | None) -> str | None:
    return period.code if isinstance(period, Period) else period


def decline_summary(
    *,
    partner_id: int,
    baseline_period: Period | str | None = None,
    current_period: Period | str | None = None,
    snapshots: Sequence[PartnerSnapshot] = (),
) -> DeclineSummary | None:
    """The slide from ``baseline_period`` (default: the open decline's baseline) to
    ``current_period`` (default: the latest scored quarter); None when there is no open decline
    or either quarter was not scored.

    ``snapshots`` are the partner's latest snapshots the caller has already read (with their
    period); only what they lack is read here. The caller has checked the user may see the partner.
    """
    known = {s.period.code: s for s in snapshots}
    baseline_code, current_code = _code(baseline_period), _code(current_period)
    if baseline_code is None:
        scored, alerted, watched = _findings_by_quarter(partner_id)
        baseline_code = decline_baseline(scored=scored, alerted=alerted, watched=watched, recent=RECENT_QUARTERS)
        if baseline_code is None:
            return None
        current_code = current_code or scored[-1]
    wanted = {baseline_code} | ({current_code} if current_code else set())
    missing = wanted - set(known)
    if missing or current_code is None:
        query = PartnerSnapshot.objects.filter(partner_id=partner_id).select_related("period")
        if current_code is None:
            latest = query.order_by("-period__year", "-period__quarter").first()
            if latest is not None:
                known.setdefault(latest.period.code, latest)
                current_code = latest.period.code
                missing = wanted - set(known)
        if missing:
            known.update({s.period.code: s for s in query.filter(period__code__in=missing)})
    baseline, current = known.get(baseline_code), known.get(current_code)
    if baseline is None or current is None or baseline_code >= current_code:
        return None
    return decline_summarise(
        partner_id=partner_id,
        baseline_code=baseline_code,
        current_code=current_code,
        baseline=snapshot_score(baseline),
        current=snapshot_score(current),
        items=_item_names(baseline.rubric_version_id, current.rubric_version_id),
    )


def pre_decline_quarter(*, partner_id: int, declined_in: str) -> str | None:
    """The scored quarter just before the run of findings that ended in ``declined_in`` (a case's
    episode quarter): the same rule as ``decline_baseline``, for a decline whose quarter is known.
    None when the partner has no scored quarter before the run. One query.
    """
    scored, alerted, watched = _findings_by_quarter(partner_id)
    return decline_baseline(
        scored=[code for code in scored if code <= declined_in], alerted={*alerted, declined_in}, watched=watched, recent=1
    )


def _findings_by_quarter(partner_id: int) -> tuple[list[str], set[str], set[str]]:
    """The partner's scored quarters (oldest first), those with a warning or critical finding,
    and those with only a watch finding: one query, however long the history."""
    findings = Alert.objects.filter(partner_id=partner_id, period_id=OuterRef("period_id"))
    rows = (
        PartnerSnapshot.objects.filter(partner_id=partner_id)
        .order_by("period__year", "period__quarter")
        .annotate(
            alerted=Exists(findings.filter(severity__in=[Severity.WARNING, Severity.CRITICAL])),
            watched=Exists(findings),
        )
        .values_list("period__code", "alerted", "watched")
    )
    scored, alerted, watched = [], set(), set()
    for code, is_alerted, is_watched in rows:
        scored.append(code)
        if is_alerted:
            alerted.add(code)
        elif is_watched:
            watched.add(code)
    return scored, alerted, watched


def _item_names(*version_ids: int) -> dict[str, ItemInfo]:
    names: dict[str, ItemInfo] = {}
    for version_id in dict.fromkeys(version_ids):
        for item in rubric_items(version_id=version_id):
            names.setdefault(item.address, ItemInfo(title=item.title, scale=item.rubric.scale))
    return names

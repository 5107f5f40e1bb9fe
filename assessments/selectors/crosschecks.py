"""Evidence for the cross-checks (``assessments.crosschecks`` decides; docs/EVIDENCE.md).

The evidence of a quarter's check-ups is read in two queries whatever their number: one of the
partners with their interaction and engagement figures as subqueries, one of the co-raters' red
flags (none when the check-ups are already all of them). The answers the checks read are one more
query.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from assessments.crosschecks import (
    ITEMS,
    WON_STATUSES,
    Check,
    Contradiction,
    Evidence,
    Report,
    Thresholds,
    checks_flagged,
    cross_check,
    evidence_until,
    rainbow_since,
)
from assessments.models import Answer, Checkup, Engagement, Interaction, Partner, Period
from assessments.periods import PeriodError, Quarter
from assessments.selectors.access import checkups_visible_to


def crosscheck_thresholds() -> Thresholds:
    return Thresholds(
        high_rating=settings.CROSSCHECK_HIGH_RATING,
        silence_days=settings.CROSSCHECK_SILENCE_DAYS,
        in_person_quarters=settings.CROSSCHECK_IN_PERSON_QUARTERS,
        quarter_interactions=settings.CROSSCHECK_QUARTER_INTERACTIONS,
        rainbow_proposals=settings.CROSSCHECK_RAINBOW_PROPOSALS,
        rainbow_quarters=settings.CROSSCHECK_RAINBOW_QUARTERS,
        payment_late_days=settings.CROSSCHECK_PAYMENT_LATE_DAYS,
    )


def _count(queryset) -> Coalesce:
    counted = queryset.order_by().values("partner_id").annotate(n=Count("id")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _partner_evidence(
    *, partner_ids: Iterable[int], quarter: Quarter, until: dt.date, thresholds: Thresholds
) -> dict[int, dict]:
    """Interaction and engagement figures of each partner up to ``until``: one query."""
    interactions = Interaction.objects.filter(partner_id=OuterRef("pk"), occurred_on__lte=until)
    newest = interactions.order_by("-occurred_on").values("occurred_on")
    engagements = Engagement.objects.filter(
        partner_id=OuterRef("pk"), started_on__gte=rainbow_since(quarter, thresholds), started_on__lte=until
    )
    rows = (
        Partner.objects.filter(pk__in=set(partner_ids))
        .annotate(
            last_contact=Subquery(newest[:1]),
            last_in_person=Subquery(newest.filter(face_to_face=True)[:1]),
            contacts_this_quarter=_count(interactions.filter(occurred_on__gte=quarter.starts_on)),
            proposals=_count(engagements),
            wins=_count(engagements.filter(status__in=WON_STATUSES)),
        )
        .values(
            "pk", "payment_terms_days", "last_contact", "last_in_person", "contacts_this_quarter", "proposals", "wins"
        )
    )
    return {row.pop("pk"): row for row in rows}


def _red_flags(*, partner_ids: Iterable[int], period_id: int) -> dict[int, list[tuple[int, int | None, bool]]]:
    """(check-up id, days to pay, information withheld) of every submitted check-up: one query."""
    flags: dict[int, list] = defaultdict(list)
    for checkup_id, partner_id, days, withheld in Checkup.objects.filter(
        partner_id__in=set(partner_ids), period_id=period_id, status=Checkup.Status.SUBMITTED
    ).values_list("id", "partner_id", "days_to_pay", "info_withheld"):
        flags[partner_id].append((checkup_id, days, withheld))
    return flags


def _evidence(partner: dict, flags: list, *, quarter: Quarter, until: dt.date, checkup_id: int | None) -> Evidence:
    others = [(days, withheld) for other, days, withheld in flags if other != checkup_id]
    return Evidence(
        quarter=quarter,
        until=until,
        last_contact=partner["last_contact"],
        last_in_person=partner["last_in_person"],
        contacts_this_quarter=partner["contacts_this_quarter"],
        proposals=partner["proposals"],
        wins=partner["wins"],
        payment_terms_days=partner["payment_terms_days"],
        others_days_to_pay=tuple(days for days, _ in others if days is not None),
        others_info_withheld=sum(1 for _, withheld in others if withheld),
    )


def _answers(checkup_ids: Iterable[int]) -> tuple[dict[int, dict[str, int]], dict[str, str]]:
    """The answers the checks read, by check-up, and those items' titles: one query."""
    rubrics = {address.partition(".")[0] for address in ITEMS}
    keys = {address.partition(".")[2] for address in ITEMS}
    answers: dict[int, dict[str, int]] = defaultdict(dict)
    titles: dict[str, str] = {}
    rows = Answer.objects.filter(
        checkup_id__in=list(checkup_ids), item__rubric__key__in=rubrics, item__key__in=keys
    ).values_list("checkup_id", "item__rubric__key", "item__key", "item__title", "value")
    for checkup_id, rubric, key, title, value in rows:
        address = f"{rubric}.{key}"
        if address in ITEMS:
            answers[checkup_id][address] = value
            titles[address] = title
    return answers, titles


def checkups_crosscheck(
    *, checkups: Iterable[Checkup], today: dt.date | None = None, whole_quarters: bool = False
) -> dict[int, list[Contradiction]]:
    """The contradictions of each check-up's saved answers (``period`` loaded).

    One query for the answers, then two per quarter among the check-ups; one when ``whole_quarters``
    says the check-ups are every submitted check-up of their partners for their quarter (as a
    partner-scoped read gives them), so the co-raters' red flags are among them.
    """
    checkups = list(checkups)
    if not checkups:
        return {}
    today = today or timezone.localdate()
    thresholds = crosscheck_thresholds()
    answers, titles = _answers(c.pk for c in checkups)
    by_period: dict[int, list[Checkup]] = defaultdict(list)
    for checkup in checkups:
        by_period[checkup.period_id].append(checkup)
    results: dict[int, list[Contradiction]] = {}
    for period_id, group in by_period.items():
        quarter = group[0].period.value
        until = evidence_until(quarter, today=today)
        partner_ids = {c.partner_id for c in group}
        partners = _partner_evidence(partner_ids=partner_ids, quarter=quarter, until=until, thresholds=thresholds)
        if whole_quarters:
            flags = defaultdict(list)
            for c in group:
                flags[c.partner_id].append((c.pk, c.days_to_pay, c.info_withheld))
        else:
            flags = _red_flags(partner_ids=partner_ids, period_id=period_id)
        for checkup in group:
            report = Report(
                answers=answers.get(checkup.pk, {}),
                info_withheld=checkup.info_withheld,
                days_to_pay=checkup.days_to_pay,
                titles=titles,
            )
            evidence = _evidence(
                partners[checkup.partner_id],
                flags[checkup.partner_id],
                quarter=quarter,
                until=until,
                checkup_id=checkup.pk,
            )
            results[checkup.pk] = cross_check(report, evidence, thresholds)
    return results


def draft_crosscheck(
    *,
    checkup: Checkup,
    answers: Mapping[str, int],
    titles: Mapping[str, str],
    info_withheld: bool,
    days_to_pay: int | None,
    today: dt.date | None = None,
) -> list[Contradiction]:
    """The contradictions of answers on the form (saved or just posted): two queries."""
    thresholds = crosscheck_thresholds()
    quarter = checkup.period.value
    until = evidence_until(quarter, today=today or timezone.localdate())
    partners = _partner_evidence(partner_ids=[checkup.partner_id], quarter=quarter, until=until, thresholds=thresholds)
    flags = _red_flags(partner_ids=[checkup.partner_id], period_id=checkup.period_id)
    report = Report(
        answers={a: v for a, v in answers.items() if a in ITEMS and v is not None},
        info_withheld=info_withheld,
        days_to_pay=days_to_pay,
        titles={a: t for a, t in titles.items() if a in ITEMS},
    )
    evidence = _evidence(
        partners[checkup.partner_id], flags[checkup.partner_id], quarter=quarter, until=until, checkup_id=checkup.pk
    )
    return cross_check(report, evidence, thresholds)


# --- the list of contradicted check-ups, its count, the partner page ---------------------------


@dataclass
class ContradictedCheckup:
    checkup: Checkup
    contradictions: list[Contradiction]


@dataclass
class ContradictionList:
    period: Period | None
    rows: list[ContradictedCheckup] = field(default_factory=list)
    checked: int = 0  # submitted check-ups of the quarter the user may see
    by_check: dict[Check, int] = field(default_factory=dict)
    # Quarters with submitted check-ups the user may see, newest first (the page's picker).
    periods: list[Period] = field(default_factory=list)
    # Set when ?period= named no such quarter: the reason, said on the page.
    period_error: str = ""

    @property
    def count(self) -> int:
        return len(self.rows)


def _submitted(user):
    return checkups_visible_to(user).filter(status=Checkup.Status.SUBMITTED)


def contradicted_checkups(*, user, period_code: str | None = None, today: dt.date | None = None) -> ContradictionList:
    """The submitted check-ups of one quarter that the evidence contradicts, as the user may see them:
    leadership every partner's, an account manager those of the partners they own.

    ``period_code`` defaults to the newest quarter with a submitted check-up the user may see.
    """
    periods = list(Period.objects.filter(id__in=_submitted(user).values("period_id")).order_by("-year", "-quarter"))
    error = ""
    period = periods[0] if periods else None
    if period_code:
        try:
            wanted = Quarter.parse_supported(period_code).code
        except PeriodError as exc:
            wanted, error = None, f"{exc}."
        chosen = next((p for p in periods if p.code == wanted), None)
        if chosen is not None:
            period = chosen
        elif not error:
            error = f"No check-up was submitted for {wanted}."
    if period is None:
        return ContradictionList(period=None, periods=periods, period_error=error)
    checkups = list(
        _submitted(user)
        .filter(period=period)
        .select_related("partner", "period", "rater")
        .order_by("partner__name", "rater__first_name", "rater__last_name", "rater__username")
    )
    # Scoping is by partner, so these are every submitted check-up of their partners this quarter.
    results = checkups_crosscheck(checkups=checkups, today=today, whole_quarters=True)
    rows = [ContradictedCheckup(c, results[c.pk]) for c in checkups if results[c.pk]]
    return ContradictionList(
        period=period,
        rows=rows,
        checked=len(checkups),
        by_check=checks_flagged([row.contradictions for row in rows]),
        periods=periods,
        period_error=error,
    )


def partner_crosschecks(*, user, partner_id: int, today: dt.date | None = None) -> list[ContradictedCheckup]:
    """The contradicted check-ups of the partner's newest quarter with a submitted check-up."""
    newest = (
        _submitted(user)
        .filter(partner_id=partner_id)
        .order_by("-period__year", "-period__quarter")
        .values("period_id")[:1]
    )
    checkups = list(
        _submitted(user)
        .filter(partner_id=partner_id, period_id=Subquery(newest))
        .select_related("partner", "period", "rater")
        .order_by("rater__first_name", "rater__last_name", "rater__username")
    )
    results = checkups_crosscheck(checkups=checkups, today=today, whole_quarters=True)
    return [ContradictedCheckup(c, results[c.pk]) for c in checkups if results[c.pk]]

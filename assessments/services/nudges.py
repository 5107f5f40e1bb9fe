"""Nudges: leadership asks a rater, by e-mail, to finish a missing or overdue check-up.

A nudge is a ``CheckupNudge`` row written with the decision and sent by the outbox after commit.
There is at most one per check-up per local day (a unique constraint), so a second click, or a
second leader, the same day changes nothing and sends nothing. A check-up nobody has opened yet
is opened (a draft) so that the e-mail can link to it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from assessments import emails
from assessments.models import Checkup, CheckupNudge
from assessments.periods import PeriodError, Quarter
from assessments.selectors.access import is_leadership
from assessments.selectors.completion import (
    ROW_FIELDS,
    completion_quarters,
    days_overdue,
    display_name,
    expected_checkups,
    missing_checkups,
)
from assessments.selectors.rubrics import rubric_version_current
from assessments.services.dispatch import outbox_kick
from assessments.services.periods import periods_get_or_create


class NudgeError(Exception):
    """A nudge that was refused; nothing was changed."""


@dataclass(frozen=True)
class Nudged:
    partner: str
    quarter: str
    rater: str

    def __str__(self) -> str:
        return f"{self.partner} ({self.quarter}, {self.rater})"


@dataclass
class NudgeOutcome:
    nudged: list[Nudged] = field(default_factory=list)
    # Nudged already today: nothing sent again.
    already: list[Nudged] = field(default_factory=list)
    # Raters without an e-mail address: nobody to nudge.
    no_email: list[Nudged] = field(default_factory=list)


def _authorise(user) -> None:
    if not is_leadership(user):
        raise NudgeError("Only leadership can nudge a check-up.")


def _quarters(code: str, today: dt.date) -> list[Quarter]:
    quarters = completion_quarters(today=today)
    if not code:
        return quarters
    try:
        wanted = Quarter.parse(code)
    except PeriodError as error:
        raise NudgeError(f"{error}.") from None
    if wanted not in quarters:
        raise NudgeError(
            f"Only this quarter's and last quarter's check-ups can be nudged ({quarters[0]}, {quarters[1]})."
        )
    return [wanted]


@transaction.atomic
def checkup_nudge(
    *, user, partner_id: int, rater_id: int, quarter: str, now: dt.datetime | None = None
) -> NudgeOutcome:
    """Nudge one rater about one missing or overdue check-up."""
    _authorise(user)
    now = now or timezone.now()
    (wanted,) = _quarters(quarter, timezone.localdate(now))
    periods = periods_get_or_create(quarters=[wanted])
    rows = list(
        missing_checkups(quarter=wanted, period=periods[wanted.code], manager_id=rater_id)
        .filter(partner_id=partner_id)
        .values(*ROW_FIELDS)
    )
    if not rows:
        if expected_checkups(manager_id=rater_id).filter(partner_id=partner_id).exists():
            raise NudgeError(f"That check-up for {wanted} has been submitted: there is nothing to nudge.")
        raise NudgeError("That account manager owes no check-up of that partner.")
    return _nudge(user=user, rows=rows, periods=periods, now=now)


@transaction.atomic
def checkups_nudge_manager(*, user, manager_id: int, quarter: str = "", now: dt.datetime | None = None) -> NudgeOutcome:
    """Nudge one account manager about each of their missing or overdue check-ups (of ``quarter``,
    or of both quarters on the completion page)."""
    _authorise(user)
    now = now or timezone.now()
    quarters = _quarters(quarter, timezone.localdate(now))
    periods = periods_get_or_create(quarters=quarters)
    rows = [
        row
        for q in quarters
        for row in missing_checkups(quarter=q, period=periods[q.code], manager_id=manager_id).values(*ROW_FIELDS)
    ]
    if not rows:
        raise NudgeError("That account manager has no missing or overdue check-ups to nudge.")
    return _nudge(user=user, rows=rows, periods=periods, now=now)


def _nudge(*, user, rows: list[dict], periods: dict, now: dt.datetime) -> NudgeOutcome:
    today = timezone.localdate(now)
    outcome = NudgeOutcome()
    emails_of = dict(
        expected_checkups()
        .filter(user_id__in={r["user_id"] for r in rows})
        .values_list("user_id", "user__email")
        .distinct()
    )
    targets = []
    for row in rows:
        who = Nudged(
            partner=row["partner__name"],
            quarter=row["quarter_code"],
            rater=display_name(row["user__first_name"], row["user__last_name"], row["user__username"]),
        )
        if not emails_of.get(row["user_id"]):
            outcome.no_email.append(who)
        else:
            targets.append((row, who))
    if not targets:
        return outcome

    # Open the check-ups nobody has opened, so the e-mail can link to each one.
    key = lambda row: (row["partner_id"], periods[row["quarter_code"]].pk, row["user_id"])  # noqa: E731
    unopened = [row for row, _ in targets if row["checkup_id"] is None]
    if unopened:
        version = rubric_version_current()
        Checkup.objects.bulk_create(
            [
                Checkup(partner_id=p, period_id=q, rater_id=r, rubric_version=version)
                for p, q, r in map(key, unopened)
            ],
            ignore_conflicts=True,
        )
    checkups = {
        (a.partner_id, a.period_id, a.rater_id): a.pk
        for a in Checkup.objects.filter(
            period_id__in={p.pk for p in periods.values()},
            partner_id__in={row["partner_id"] for row, _ in targets},
            rater_id__in={row["user_id"] for row, _ in targets},
        ).only("partner_id", "period_id", "rater_id")
    }
    by_checkup = {checkups[key(row)]: (row, who) for row, who in targets}
    done_today = set(
        CheckupNudge.objects.filter(checkup_id__in=list(by_checkup), nudged_on=today).values_list(
            "checkup_id", flat=True
        )
    )
    fresh = [pk for pk in by_checkup if pk not in done_today]
    # The constraint keeps a concurrent nudge of the same check-up to one row (and one e-mail).
    CheckupNudge.objects.bulk_create(
        [
            CheckupNudge(
                checkup_id=pk,
                recipient_id=by_checkup[pk][0]["user_id"],
                nudged_on=today,
                nudged_by=user,
                next_attempt_at=now,
            )
            for pk in fresh
        ],
        ignore_conflicts=True,
    )
    outcome.nudged = [by_checkup[pk][1] for pk in fresh]
    outcome.already = [by_checkup[pk][1] for pk in by_checkup if pk in done_today]
    if fresh:
        outbox_kick()
    return outcome


def checkup_nudge_message(row: CheckupNudge, now: dt.datetime) -> tuple[str, str, dict] | None:
    """The nudge e-mail (template, recipient, context); None once the check-up is no longer owed."""
    checkup = row.checkup
    if not checkup.partner.is_active or checkup.is_submitted:
        return None
    period = checkup.period
    return (
        "checkup_nudge",
        row.recipient.email,
        {
            "recipient": row.recipient,
            "nudged_by": row.nudged_by,
            "checkup": checkup,
            "partner": checkup.partner,
            "period": period,
            "days_overdue": days_overdue(period.due_on, timezone.localdate(now)),
            "checkup_url": emails.url_for("checkup_edit", checkup.pk),
            "partner_url": emails.partner_url(checkup.partner_id),
        },
    )

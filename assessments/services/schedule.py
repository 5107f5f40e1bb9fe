"""Recurring check-ups and their reminders, decided from the database and today's date.

Beat only says "now would be a good time"; these functions look at what is
due and create whatever is missing. Each row they create is unique in the
database, so running them twice, late or at the same time changes nothing,
and a scheduler that was down for days catches up in one run: it creates the
rows due *now*, not one per missed tick.

Dates are local dates in ``settings.TIME_ZONE``: a check-up due on 25 October
is overdue from local midnight, whatever the UTC offset that day (the end of
summer time included).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from assessments.models import ActionItem, ActionItemReminder, Checkup, Partner, Reminder
from assessments.periods import Quarter, current_quarter
from assessments.selectors.access import leadership_users
from assessments.selectors.actions import agreed
from assessments.selectors.rubrics import rubric_version_current
from assessments.services.dispatch import outbox_kick
from assessments.services.periods import period_get_or_create


def checkups_open(*, today: dt.date | None = None) -> int:
    """Open this quarter's check-up for every owner of every active partner; return how many were new.

    The unique (partner, period, rater) constraint makes this exactly-once even
    when two workers run it together: both may try, one insert wins.
    """
    today = today or timezone.localdate()
    period = period_get_or_create(quarter=current_quarter(today=today or timezone.localdate()))
    version = rubric_version_current()
    wanted = set(
        Partner.owners.through.objects.filter(partner__is_active=True, user__is_active=True).values_list(
            "partner_id", "user_id"
        )
    )
    existing = set(Checkup.objects.filter(period=period).values_list("partner_id", "rater_id"))
    missing = sorted(wanted - existing)
    Checkup.objects.bulk_create(
        [
            Checkup(partner_id=partner_id, period=period, rater_id=rater_id, rubric_version=version)
            for partner_id, rater_id in missing
        ],
        ignore_conflicts=True,
    )
    return len(missing)


def reminder_kinds_due(*, due_on: dt.date, today: dt.date) -> list[str]:
    """Which chasing reminders a still-unsubmitted check-up due on ``due_on`` has earned by ``today``.

    "Due soon" only makes sense before the due date: a scheduler that wakes up
    after it skips straight to "overdue".
    """
    kinds = []
    if due_on - dt.timedelta(days=settings.CHECKUP_REMINDER_DAYS) <= today < due_on:
        kinds.append(Reminder.Kind.DUE_SOON)
    if today >= due_on:
        kinds.append(Reminder.Kind.OVERDUE)
    if today >= due_on + dt.timedelta(days=settings.CHECKUP_ESCALATION_DAYS):
        kinds.append(Reminder.Kind.ESCALATION)
    return kinds


def monthly_kind_due(*, quarter: Quarter, today: dt.date) -> str | None:
    """For monthly-cadence partners: the review nudge of the quarter's current month, if any.

    Month 1 opens the check-up; months 2 and 3 each bring one "bring it up to
    date" reminder. A missed month is not sent late: the next one supersedes it.
    """
    month = (today.year - quarter.year) * 12 + today.month - quarter.starts_on.month + 1
    return {2: Reminder.Kind.MONTH_2, 3: Reminder.Kind.MONTH_3}.get(month)


def reminders_queue(*, now: dt.datetime | None = None) -> int:
    """Record every reminder and escalation due now that does not exist yet; return how many were new.

    Only this quarter's and last quarter's check-ups are chased: older drafts
    show on the dashboards, but nobody is e-mailed about a year-old check-up
    the first time the scheduler runs.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    quarter = current_quarter(today=today or timezone.localdate())
    codes = [quarter.code, quarter.previous().code]
    checkups = list(
        Checkup.objects.filter(period__code__in=codes, partner__is_active=True, rater__is_active=True)
        .filter(
            Q(status=Checkup.Status.DRAFT) | Q(partner__cadence=Partner.Cadence.MONTHLY, period__code=quarter.code)
        )
        .select_related("period", "partner", "rater")
    )
    leaders = leadership_users()
    wanted: set[tuple[int, str, int]] = set()
    for checkup in checkups:
        if checkup.status == Checkup.Status.DRAFT:
            for kind in reminder_kinds_due(due_on=checkup.period.due_on, today=today):
                if kind == Reminder.Kind.ESCALATION:
                    # Access to leadership for escalation (000).
                    wanted.update((checkup.id, kind, leader.id) for leader in leaders)
                elif checkup.rater.email:
                    wanted.add((checkup.id, kind, checkup.rater_id))
        if checkup.partner.cadence == Partner.Cadence.MONTHLY and checkup.period.code == quarter.code:
            kind = monthly_kind_due(quarter=quarter, today=today)
            if kind and checkup.rater.email:
                wanted.add((checkup.id, kind, checkup.rater_id))
    if not wanted:
        return 0
    existing = set(
        Reminder.objects.filter(checkup_id__in={c.id for c in checkups}).values_list(
            "checkup_id", "kind", "recipient_id"
        )
    )
    missing = sorted(wanted - existing)
    Reminder.objects.bulk_create(
        [Reminder(checkup_id=a, kind=k, recipient_id=r, next_attempt_at=now) for a, k, r in missing],
        ignore_conflicts=True,
    )
    if missing:
        outbox_kick()
    return len(missing)


# Action items (docs/ACTIONS.md): "due soon" this many days before the due date, up to the day
# itself; "overdue" from the day after. An action overdue for longer than the look-back when the
# scheduler first sees it is not chased by e-mail (it shows as overdue on the pages).
ACTION_DUE_SOON_DAYS = 3
ACTION_OVERDUE_LOOKBACK_DAYS = 28


def action_reminder_kinds_due(*, due_on: dt.date, today: dt.date) -> list[str]:
    """Which reminder an open action item due on ``due_on`` has earned by ``today``."""
    if due_on - dt.timedelta(days=ACTION_DUE_SOON_DAYS) <= today <= due_on:
        return [ActionItemReminder.Kind.DUE_SOON]
    if due_on < today <= due_on + dt.timedelta(days=ACTION_OVERDUE_LOOKBACK_DAYS):
        return [ActionItemReminder.Kind.OVERDUE]
    return []


def action_reminders_queue(*, now: dt.datetime | None = None) -> int:
    """Record every action item reminder due now that does not exist yet, to the action's owner.

    One row per (action, kind, due date, owner): a new due date or a new owner earns its own.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    candidates = list(
        agreed(ActionItem.objects.filter(done_at__isnull=True, partner__is_active=True, owner__is_active=True))
        .filter(
            due_on__gte=today - dt.timedelta(days=ACTION_OVERDUE_LOOKBACK_DAYS),
            due_on__lte=today + dt.timedelta(days=ACTION_DUE_SOON_DAYS),
        )
        .exclude(owner__email="")
        .values_list("id", "due_on", "owner_id")
    )
    wanted = {
        (action_id, kind, due_on, owner_id)
        for action_id, due_on, owner_id in candidates
        for kind in action_reminder_kinds_due(due_on=due_on, today=today)
    }
    if not wanted:
        return 0
    existing = set(
        ActionItemReminder.objects.filter(action_item_id__in={c[0] for c in candidates}).values_list(
            "action_item_id", "kind", "due_on", "recipient_id"
        )
    )
    missing = sorted(wanted - existing)
    ActionItemReminder.objects.bulk_create(
        [
            ActionItemReminder(action_item_id=a, kind=k, due_on=d, recipient_id=r, next_attempt_at=now)
            for a, k, d, r in missing
        ],
        ignore_conflicts=True,
    )
    if missing:
        outbox_kick()
    return len(missing)

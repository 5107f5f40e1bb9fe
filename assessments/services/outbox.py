"""The e-mail outbox: claim due rows, send them, mark them sent; retry with back-off, then give up loudly.

Case e-mails, check-up reminders, nudges, weekly digests, action item reminders and account e-mails
(password resets and invitations, ``accounts.models.AccountMail``) are rows written in
the same transaction as the decision to send them (the alert deliveries written before
cases existed are sent the same way). A sender:

1. **claims** one due row (``status=pending`` and ``next_attempt_at <= now``)
   with ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, and in the same
   transaction bumps ``attempts`` and pushes ``next_attempt_at`` a lease into
   the future with a conditional UPDATE (filtered on the attempts it read, so
   on SQLite, which has no row locks, only one sender can win the row). After
   commit no other sender sees the row until the lease runs out;
2. **sends** it outside any transaction (a slow mail server holds no locks);
3. **marks** it sent, or records the error and the next attempt after an
   exponential back-off, or after ``OUTBOX_MAX_ATTEMPTS`` marks it ``failed``
   and logs an error naming the row.

An alert delivery is claimed with its **group**: the recipient's other due
deliveries for the same partner and quarter (a decline usually fires several
rules at once). The claim takes the group's advisory lock first (PostgreSQL),
then locks and leases every due row of the group the same way, and one e-mail
covers them all: its Message-ID is the first row's, and every row of the batch
is marked together. So two senders never split a group between two e-mails.

A sender killed between 1 and 3 leaves the row pending; it is retried when its
lease expires. A sender killed between the server accepting the message and
step 3 causes one resend, under the same Message-ID (derived from the row), so
the recipient's mail client can tell it is the same message.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import connection, models, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import AccountMail, Invitation
from accounts.selectors import password_reset_allowed
from accounts.tokens import invitation_token
from assessments import emails
from assessments.models import (
    ActionItemReminder,
    Alert,
    AlertDelivery,
    CaseDelivery,
    Checkup,
    CheckupNudge,
    DigestDelivery,
    Reminder,
    SurveyMail,
)
from assessments.models.alerts import OutboxStatus
from assessments.selectors.actions import action_progress
from assessments.selectors.alerts import alert_numbers
from assessments.selectors.cases import case_email_context
from assessments.selectors.digest import digest_summary
from assessments.selectors.survey import opt_out_token, survey_token
from assessments.services.nudges import checkup_nudge_message
from assessments.trends import worst_first

logger = logging.getLogger(__name__)

MAX_BACKOFF = dt.timedelta(hours=4)


@dataclass(frozen=True)
class Outgoing:
    template: str
    to: str
    context: dict


@dataclass
class OutboxReport:
    # Rows marked sent, and the e-mails that carried them (one e-mail may cover several alert deliveries).
    sent: int = 0
    messages: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0
    # Set when the run stopped early because the mail server could not be reached.
    stopped: str = ""


def retry_delay(attempts: int) -> dt.timedelta:
    """Back-off after the ``attempts``-th failure: 1, 2, 4, 8 ... times OUTBOX_RETRY_SECONDS, at most 4 hours."""
    delay = dt.timedelta(seconds=settings.OUTBOX_RETRY_SECONDS * 2 ** max(0, attempts - 1))
    return min(delay, MAX_BACKOFF)


def lease() -> dt.timedelta:
    """How long a claimed row stays invisible to other senders: longer than one send can take."""
    timeout = settings.MAILERS.get("default", {}).get("OPTIONS", {}).get("timeout") or 10
    return dt.timedelta(seconds=max(60, 6 * timeout))


# --- what each kind of row sends ----------------------------------------------


def _alert_email(rows: list[AlertDelivery], now: dt.datetime) -> Outgoing | None:
    """One e-mail for every alert of one partner and quarter in the batch, the worst first."""
    alerts = sorted((row.alert for row in rows), key=lambda alert: worst_first(alert.severity, alert.rule))
    lead = alerts[0]
    return Outgoing(
        template="alert",
        to=rows[0].recipient.email,
        context={
            "recipient": rows[0].recipient,
            "alert": lead,
            "alerts": [
                {"alert": alert, "url": emails.absolute_url(reverse("alert_detail", args=[alert.pk]))}
                for alert in alerts
            ],
            # The numbers the alerts were raised on, as stored with them: never recomputed here.
            "numbers": alert_numbers(alerts=alerts),
            "partner": lead.partner,
            "partner_url": emails.partner_url(lead.partner_id),
            "alerts_url": emails.absolute_url(reverse("alert_list")),
        },
    )


def _alert_group(row: AlertDelivery) -> tuple[tuple, models.QuerySet[AlertDelivery]]:
    """The recipient's deliveries of alerts for the same partner and quarter share one e-mail."""
    alert = Alert.objects.filter(pk=row.alert_id).values("partner_id", "period_id").get()
    key = ("alert", row.recipient_id, alert["partner_id"], alert["period_id"])
    members = AlertDelivery.objects.filter(
        recipient_id=row.recipient_id, alert__partner_id=alert["partner_id"], alert__period_id=alert["period_id"]
    )
    return key, members


def _reminder_email(rows: list[Reminder], now: dt.datetime) -> Outgoing | None:
    (row,) = rows
    checkup = row.checkup
    is_monthly = row.kind in (Reminder.Kind.MONTH_2, Reminder.Kind.MONTH_3)
    if not checkup.partner.is_active:
        return None
    if not is_monthly and checkup.status == Checkup.Status.SUBMITTED:
        # Submitted while this reminder waited (e.g. the mail server was down).
        return None
    return Outgoing(
        template="escalation" if row.kind == Reminder.Kind.ESCALATION else "reminder",
        to=row.recipient.email,
        context={
            "recipient": row.recipient,
            "reminder": row,
            "checkup": checkup,
            "partner": checkup.partner,
            "period": checkup.period,
            "rater": checkup.rater,
            "days_overdue": (timezone.localdate(now) - checkup.period.due_on).days,
            "checkup_url": emails.url_for("checkup_edit", checkup.pk),
            "partner_url": emails.partner_url(checkup.partner_id),
        },
    )


def _action_reminder_email(rows: list[ActionItemReminder], now: dt.datetime) -> Outgoing | None:
    (row,) = rows
    action = row.action_item
    if (
        action.done_at is not None
        or not action.partner.is_active
        # Moved or handed over while this reminder waited: the new date or owner has a row of its own.
        or action.due_on != row.due_on
        or action.owner_id != row.recipient_id
    ):
        return None
    today = timezone.localdate(now)
    return Outgoing(
        template=f"action_{row.kind}",
        to=row.recipient.email,
        context={
            "recipient": row.recipient,
            "action": action,
            "partner": action.partner,
            "days_left": (action.due_on - today).days,
            "days_overdue": (today - action.due_on).days,
            "progress": action_progress(action_ids=[action.pk]).get(action.pk, []),
            "action_url": emails.partner_url(action.partner_id) + f"#action-{action.pk}",
            "checkups_url": emails.url_for("my_checkups"),
        },
    )


def _case_email(rows: list[CaseDelivery], now: dt.datetime) -> Outgoing | None:
    """A case opened (to the owners), escalated to critical (to leadership) or resolved (to the owners)."""
    (row,) = rows
    case = row.case
    return Outgoing(
        template=f"case_{row.kind}",
        to=row.recipient.email,
        context={
            "recipient": row.recipient,
            **case_email_context(case=case, kind=row.kind),
            "case_url": emails.url_for("case_detail", case.pk),
            "partner_url": emails.partner_url(case.partner_id),
            "cases_url": emails.url_for("case_list"),
        },
    )


def _digest_email(rows: list[DigestDelivery], now: dt.datetime) -> Outgoing | None:
    (row,) = rows
    return Outgoing(
        template="digest",
        to=row.recipient.email,
        context={"recipient": row.recipient, **digest_summary(week_starting=row.week_starting)},
    )


def _nudge_email(rows: list[CheckupNudge], now: dt.datetime) -> Outgoing | None:
    (row,) = rows
    message = checkup_nudge_message(row, now)
    return Outgoing(*message) if message else None


def _account_email(rows: list[AccountMail], now: dt.datetime) -> Outgoing | None:
    """A password-reset or invitation e-mail. Its link is made now, so a reset link lasts
    PASSWORD_RESET_TIMEOUT from the moment it leaves, and nothing secret waits in the table."""
    (row,) = rows
    user = row.recipient
    if row.kind == AccountMail.Kind.PASSWORD_RESET:
        if not password_reset_allowed(user=user, now=now):
            return None  # deactivated while the e-mail waited
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        return Outgoing(
            template="password_reset",
            to=user.email,
            context={
                "recipient": user,
                "reset_url": emails.url_for("password_reset_confirm", uid, default_token_generator.make_token(user)),
                "valid_for": _duration(settings.PASSWORD_RESET_TIMEOUT),
            },
        )
    invitation = row.invitation
    if invitation.state(now) != Invitation.State.OPEN:
        return None  # used, replaced or expired while the e-mail waited
    return Outgoing(
        template="invitation",
        to=user.email,
        context={
            "recipient": user,
            "invitation": invitation,
            "inviter": invitation.invited_by,
            "role": invitation.get_role_display(),
            "accept_url": emails.url_for("invitation_accept", invitation.pk, invitation_token(invitation)),
        },
    )


def _survey_email(rows: list[SurveyMail], now: dt.datetime) -> Outgoing | None:
    """An invitation (or resend) or reminder to a partner's contact. Skipped when the link no longer
    opens the form (answered, revoked, expired) or the contact opted out while the e-mail waited."""
    (row,) = rows
    invitation = row.invitation
    if not invitation.is_open(now) or not invitation.contact.partner.is_active:
        return None
    return Outgoing(
        template="survey_reminder" if row.kind == SurveyMail.Kind.REMINDER else "survey_invitation",
        to=invitation.contact.email,
        context={
            "contact": invitation.contact,
            "partner_name": invitation.contact.partner.name,
            "firm_name": settings.FIRM_NAME,
            "period": invitation.period,
            "expires_at": invitation.expires_at,
            "survey_url": emails.url_for("survey_form", survey_token(invitation)),
            "opt_out_url": emails.url_for("survey_opt_out", opt_out_token(invitation.contact_id)),
        },
    )


def _duration(seconds: int) -> str:
    days, rest = divmod(seconds, 86_400)
    if days and not rest:
        return f"{days} day{'s' if days != 1 else ''}"
    hours = max(1, round(seconds / 3600))
    return f"{hours} hour{'s' if hours != 1 else ''}"


@dataclass(frozen=True)
class _Kind:
    model: type[models.Model]
    message_id_prefix: str
    # Composes the one e-mail of a batch of claimed rows (the claimed row first).
    compose: Callable[[list, dt.datetime], Outgoing | None]
    related: tuple[str, ...]
    # The rows that share a row's e-mail, and a key naming that group; None: every row is its own e-mail.
    group: Callable[[models.Model], tuple[tuple, models.QuerySet]] | None = None


KINDS = (
    _Kind(
        AlertDelivery,
        "alert-delivery",
        _alert_email,
        ("alert__partner", "alert__period", "recipient"),
        group=_alert_group,
    ),
    # Someone is waiting for a reset or invitation e-mail: before reminders and digests.
    _Kind(AccountMail, "account-mail", _account_email, ("recipient", "invitation__invited_by")),
    # A partner's contact is an outsider asked a favour: the invitation should arrive while it is fresh.
    _Kind(SurveyMail, "survey-mail", _survey_email, ("invitation__contact__partner", "invitation__period")),
    _Kind(
        Reminder,
        "reminder",
        _reminder_email,
        ("checkup__partner", "checkup__period", "checkup__rater", "recipient"),
    ),
    _Kind(DigestDelivery, "digest", _digest_email, ("recipient",)),
    _Kind(
        CheckupNudge,
        "checkup-nudge",
        _nudge_email,
        ("checkup__partner", "checkup__period", "recipient", "nudged_by"),
    ),
    _Kind(ActionItemReminder, "action-reminder", _action_reminder_email, ("action_item__partner", "recipient")),
    _Kind(
        CaseDelivery,
        "case-delivery",
        _case_email,
        ("case__partner", "case__episode_period", "recipient"),
    ),
)


# Kinds of other apps (integrations' "endpoint disabled" e-mail), added by their AppConfig.ready so
# that this module never imports them.
OutboxKind = _Kind
_REGISTERED: list[_Kind] = []


def outbox_kind_register(kind: _Kind) -> None:
    """Send rows of another app's ``OutboxRow`` model with this outbox (idempotent)."""
    if all(k.model is not kind.model for k in _REGISTERED):
        _REGISTERED.append(kind)


def _kinds() -> tuple[_Kind, ...]:
    return (*KINDS, *_REGISTERED)


def message_id(row: models.Model) -> str:
    kind = next(k for k in _kinds() if isinstance(row, k.model))
    return emails.message_id_for(kind.message_id_prefix, row.pk)


# --- claim, send, mark --------------------------------------------------------

_LOST_RACE = object()


def _lease(kind: _Kind, row, now: dt.datetime) -> bool:
    """Take ``row`` for this sender, if nobody took it since it was read."""
    won = kind.model.objects.filter(pk=row.pk, status=OutboxStatus.PENDING, attempts=row.attempts).update(
        attempts=F("attempts") + 1, next_attempt_at=now + lease()
    )
    return won == 1


def _due(queryset: models.QuerySet, now: dt.datetime, *, lock: bool = True) -> models.QuerySet:
    if lock:
        queryset = queryset.select_for_update(skip_locked=True, of=("self",))
    return queryset.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now).order_by("next_attempt_at", "id")


def _group_lock(key: tuple) -> None:
    """Claims of one group take turns (a PostgreSQL advisory lock held to the end of the transaction).

    Without it, two senders could each lock one row of a group with SKIP LOCKED and send the group
    in two e-mails. Elsewhere (SQLite, development) the conditional lease alone still keeps every
    row to one sender; a group may then be split.
    """
    if connection.vendor != "postgresql":
        return
    digest = int.from_bytes(hashlib.blake2b(repr(key).encode(), digest_size=8).digest(), "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [digest])


def _claim(kind: _Kind, now: dt.datetime):
    """A batch of due rows for one e-mail (the first due row, with its group's other due rows), now
    leased to this sender; None when nothing is due; _LOST_RACE to try again."""
    with transaction.atomic():
        if kind.group is None:
            row = _due(kind.model.objects.all(), now).first()
            if row is None:
                return None
            if not _lease(kind, row, now):
                return _LOST_RACE
            claimed = [row.pk]
        else:
            # The group's lock comes before any row lock: a sender holding a row while it waits for
            # a group could deadlock with, or split the e-mail of, the sender holding that group.
            candidate = _due(kind.model.objects.all(), now, lock=False).first()
            if candidate is None:
                return None
            key, members = kind.group(candidate)
            _group_lock(key)
            # Leased exactly like a single row: one another sender took meanwhile is leased, so not due.
            claimed = [row.pk for row in _due(members, now) if _lease(kind, row, now)]
            if not claimed:
                return _LOST_RACE
    rows = kind.model.objects.select_related(*kind.related).in_bulk(claimed)
    return [rows[pk] for pk in claimed]


def _finish(kind: _Kind, row, **changes) -> None:
    # Only the sender holding this attempt may record its outcome.
    kind.model.objects.filter(pk=row.pk, status=OutboxStatus.PENDING, attempts=row.attempts).update(**changes)


def outbox_send_due(*, now: dt.datetime | None = None, limit: int = 500) -> OutboxReport:
    """Send every due e-mail of every kind (cases, reminders, digests, nudges, action reminders, account
    e-mails), at most ``limit`` rows in one run."""
    report = OutboxReport()
    # A long run must lease each row from the moment it claims it, not from the start.
    clock = (lambda: now) if now is not None else timezone.now
    budget = limit
    for kind in _kinds():
        lost_races = 0
        while budget > 0 and not report.stopped:
            rows = _claim(kind, clock())
            if rows is None:
                break
            if rows is _LOST_RACE:
                lost_races += 1
                if lost_races > 50:
                    break
                continue
            budget -= len(rows)
            _send_batch(kind, rows, clock=clock, report=report)
    return report


def _send_batch(kind: _Kind, rows: list, *, clock: Callable[[], dt.datetime], report: OutboxReport) -> None:
    try:
        outgoing = kind.compose(rows, clock())
    except Exception as error:
        # A row we cannot even render would fail forever; treat it like a send failure.
        logger.exception("could not compose %s %s", kind.message_id_prefix, rows[0].pk)
        for row in rows:
            _failure(
                kind, row, emails.EmailError(f"could not compose the message: {error!r}"), now=clock(), report=report
            )
        return
    if outgoing is None:
        for row in rows:
            _finish(kind, row, status=OutboxStatus.SKIPPED, last_error="")
        report.skipped += len(rows)
        return
    try:
        emails.send(
            template=outgoing.template, to=outgoing.to, context=outgoing.context, message_id=message_id(rows[0])
        )
    except emails.EmailError as error:
        for row in rows:
            _failure(kind, row, error, now=clock(), report=report)
        if error.server_unreachable:
            report.stopped = str(error)
        return
    for row in rows:
        _finish(kind, row, status=OutboxStatus.SENT, sent_at=clock(), last_error="")
    report.sent += len(rows)
    report.messages += 1


def _failure(kind: _Kind, row, error: Exception, *, now: dt.datetime, report: OutboxReport) -> None:
    if row.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        _finish(kind, row, status=OutboxStatus.FAILED, last_error=str(error)[:2000])
        report.failed += 1
        logger.error(
            "gave up on %s %s to %s after %s attempts: %s",
            kind.message_id_prefix,
            row.pk,
            getattr(row.recipient, "email", "?"),
            row.attempts,
            error,
        )
        return
    delay = retry_delay(row.attempts)
    _finish(kind, row, next_attempt_at=now + delay, last_error=str(error)[:2000])
    report.retrying += 1
    logger.warning(
        "could not send %s %s (attempt %s of %s), retrying in %s: %s",
        kind.message_id_prefix,
        row.pk,
        row.attempts,
        settings.OUTBOX_MAX_ATTEMPTS,
        delay,
        error,
    )

"""Writes of the partner's side: contacts, survey invitations, responses, reminders.

Owners' writes check ownership through ``selectors.access`` (another owner's contact or invitation
raises ``DoesNotExist``: a 404). Refused input raises ``MirrorRefused`` with one line to show.
Every e-mail is a ``SurveyMail`` outbox row written in the same transaction (services/outbox.py
sends it after commit). The rules and their reasons: docs/PARTNER_VIEW.md.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from assessments.models import Contact, Partner, SurveyInvitation, SurveyMail, SurveyResponse
from assessments.periods import current_quarter
from assessments.selectors.access import partners_editable_by
from assessments.selectors.rubrics import rubric_item_index, rubric_version_partner_current
from assessments.selectors.survey import survey_token, token_hash
from assessments.services.dispatch import outbox_kick
from assessments.services.periods import period_get_or_create
from assessments.services.snapshots import partner_views_recompute
from assessments.signals import survey_responded

FREE_TEXT_MAX = 2000


class MirrorRefused(Exception):
    """A write refused for a reason the person can act on (one line)."""

    def __init__(self, message: str, *, field: str | None = None, partner_id: int | None = None):
        super().__init__(message)
        self.field = field
        self.partner_id = partner_id


class SurveyClosed(Exception):
    """The link no longer opens the form (answered, expired, revoked, opted out). The public form
    shows one generic page for all of these; only the owners' page tells them apart."""


class SurveyAlreadyAnswered(SurveyClosed):
    """A second submit: the first response stays as it was."""


class SurveyIncomplete(Exception):
    """A submit with questions left open: the answers were saved as a draft, nothing was sent."""

    def __init__(self, addresses: list[str], titles: list[str]):
        super().__init__(f"Answer every question before sending; still open: {', '.join(titles)}.")
        self.addresses = addresses


@dataclass(frozen=True)
class ContactData:
    name: str
    email: str
    role: str = ""
    works_at: str = Contact.WorksAt.PARTNER


# --- contacts ------------------------------------------------------------------------------------


def _owned_partner(user, partner_id: int) -> Partner:
    return partners_editable_by(user).get(pk=partner_id)


def _owned_contact(user, contact_id: int) -> Contact:
    return Contact.objects.select_related("partner").get(
        pk=contact_id, partner__in=partners_editable_by(user).values("pk")
    )


def _clean_contact(data: ContactData) -> dict:
    name, email = data.name.strip(), data.email.strip().lower()
    if not name:
        raise MirrorRefused("Give the contact's name.", field="name")
    if not email or "@" not in email:
        raise MirrorRefused("Give the contact's e-mail address, e.g. dana@partner.example.", field="email")
    if data.works_at not in Contact.WorksAt.values:
        raise MirrorRefused("Say whether the contact works at the partner or at a shared client.", field="works_at")
    return {"name": name, "email": email, "role": data.role.strip(), "works_at": data.works_at}


def _save_contact(contact: Contact) -> Contact:
    try:
        with transaction.atomic():
            contact.save()
    except IntegrityError:
        raise MirrorRefused(
            f"{contact.partner.name} already has a contact with the address {contact.email}.", field="email"
        ) from None
    return contact


def contact_create(*, user, partner_id: int, data: ContactData) -> Contact:
    partner = _owned_partner(user, partner_id)
    return _save_contact(Contact(partner=partner, created_by=user, **_clean_contact(data)))


def contact_update(*, user, contact_id: int, data: ContactData) -> Contact:
    contact = _owned_contact(user, contact_id)
    for name, value in _clean_contact(data).items():
        setattr(contact, name, value)
    return _save_contact(contact)


def contact_opt_out(*, contact_id: int, now: dt.datetime | None = None) -> Contact:
    """The contact asked for no more survey e-mails (through the link in one, or in person to an owner).

    Pending e-mails to the contact are skipped when their turn comes (services/outbox.py).
    """
    now = now or timezone.now()
    Contact.objects.filter(pk=contact_id, opted_out_at__isnull=True).update(opted_out_at=now)
    return Contact.objects.select_related("partner").get(pk=contact_id)


def contact_opt_out_by_owner(*, user, contact_id: int, now: dt.datetime | None = None) -> Contact:
    return contact_opt_out(contact_id=_owned_contact(user, contact_id).pk, now=now)


def contact_opt_in_by_owner(*, user, contact_id: int) -> Contact:
    """The contact asked to hear from us again."""
    contact = _owned_contact(user, contact_id)
    Contact.objects.filter(pk=contact.pk).update(opted_out_at=None)
    contact.opted_out_at = None
    return contact


# --- invitations ---------------------------------------------------------------------------------


def _queue(invitation: SurveyInvitation, kind: str, now: dt.datetime) -> SurveyMail:
    mail = SurveyMail.objects.create(invitation=invitation, kind=kind, next_attempt_at=now, created_at=now)
    outbox_kick()
    return mail


def _expiry(now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(days=settings.SURVEY_TOKEN_DAYS)


@transaction.atomic
def survey_invite(
    *, user, partner_id: int, contact_ids: list[int], now: dt.datetime | None = None
) -> list[SurveyInvitation]:
    """Invite each contact to rate us for the current quarter, with its own link, and queue the e-mails.

    A contact who opted out, or already has a live invitation this quarter, is refused by name.
    """
    now = now or timezone.now()
    partner = _owned_partner(user, partner_id)
    period = period_get_or_create(quarter=current_quarter(today=timezone.localdate(now)))
    contacts = list(Contact.objects.filter(partner=partner, pk__in=contact_ids).order_by("name", "id"))
    if not contacts:
        raise MirrorRefused("Choose at least one of the partner's contacts to invite.", field="contacts")
    opted_out = [c.name for c in contacts if c.has_opted_out]
    if opted_out:
        raise MirrorRefused(f"{', '.join(opted_out)} asked not to be contacted; nothing was sent.", field="contacts")
    live = set(
        SurveyInvitation.objects.filter(contact__in=contacts, period=period, revoked_at__isnull=True).values_list(
            "contact_id", flat=True
        )
    )
    if live:
        names = ", ".join(c.name for c in contacts if c.pk in live)
        raise MirrorRefused(f"{names} already invited for {period.code}; nothing was sent.", field="contacts")
    invitations = []
    for contact in contacts:
        invitation = invitation_new(contact=contact, period=period, user=user, now=now)
        _queue(invitation, SurveyMail.Kind.INVITATION, now)
        invitations.append(invitation)
    return invitations


def invitation_new(*, contact: Contact, period, user, now: dt.datetime) -> SurveyInvitation:
    """The invitation row with its link's secret: a random salt, and only the hash of the token
    derived from it (selectors.survey.survey_token). Queues no e-mail."""
    invitation = SurveyInvitation(
        contact=contact,
        period=period,
        token_salt=secrets.token_urlsafe(32),
        created_by=user,
        created_at=now,
        sent_at=now,
        expires_at=_expiry(now),
    )
    invitation.token_hash = token_hash(survey_token(invitation))
    invitation.save()
    return invitation


def _owned_invitation(user, invitation_id: int) -> SurveyInvitation:
    return (
        SurveyInvitation.objects.select_for_update(of=("self",))
        .select_related("contact__partner", "period")
        .get(pk=invitation_id, contact__partner__in=partners_editable_by(user).values("pk"))
    )


@transaction.atomic
def survey_resend(*, user, invitation_id: int, now: dt.datetime | None = None) -> SurveyInvitation:
    """Send the invitation e-mail again, with the same link; an expired link works again for
    SURVEY_TOKEN_DAYS."""
    now = now or timezone.now()
    invitation = _owned_invitation(user, invitation_id)
    name, partner_id = invitation.contact.name, invitation.contact.partner_id
    if invitation.responded_at is not None:
        raise MirrorRefused(f"{name} has already answered; nothing was sent.", partner_id=partner_id)
    if invitation.revoked_at is not None:
        raise MirrorRefused(f"The invitation of {name} was revoked; invite them again instead.", partner_id=partner_id)
    if invitation.contact.has_opted_out:
        raise MirrorRefused(f"{name} asked not to be contacted; nothing was sent.", partner_id=partner_id)
    invitation.sent_at = now
    invitation.expires_at = max(invitation.expires_at, _expiry(now))
    invitation.save(update_fields=["sent_at", "expires_at"])
    _queue(invitation, SurveyMail.Kind.INVITATION, now)
    return invitation


@transaction.atomic
def survey_revoke(*, user, invitation_id: int, now: dt.datetime | None = None) -> SurveyInvitation:
    """Close the link: it shows the generic page from now on, and no reminder follows."""
    now = now or timezone.now()
    invitation = _owned_invitation(user, invitation_id)
    if invitation.responded_at is not None:
        raise MirrorRefused(
            f"{invitation.contact.name} has already answered: an answer stays.",
            partner_id=invitation.contact.partner_id,
        )
    if invitation.revoked_at is None:
        invitation.revoked_at, invitation.revoked_by = now, user
        invitation.save(update_fields=["revoked_at", "revoked_by"])
    return invitation


def survey_reminders_queue(*, now: dt.datetime | None = None) -> int:
    """Queue a reminder to every contact whose invitation is open, unanswered, and whose last e-mail
    went at least SURVEY_REMINDER_DAYS ago, up to SURVEY_MAX_REMINDERS each. Returns how many.

    Each reminder bumps ``reminders_sent`` with a conditional UPDATE (on the count it read), so two
    runs at once queue it once; a scheduler that was down catches up with one reminder, not several.
    """
    now = now or timezone.now()
    quiet_since = now - dt.timedelta(days=settings.SURVEY_REMINDER_DAYS)
    due = SurveyInvitation.objects.filter(
        responded_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=now,
        contact__opted_out_at__isnull=True,
        contact__partner__is_active=True,
        reminders_sent__lt=settings.SURVEY_MAX_REMINDERS,
        sent_at__lte=quiet_since,
    ).filter(Q(last_reminded_at__isnull=True) | Q(last_reminded_at__lte=quiet_since))
    queued = 0
    for invitation_id, count in due.values_list("pk", "reminders_sent"):
        with transaction.atomic():
            won = SurveyInvitation.objects.filter(pk=invitation_id, reminders_sent=count).update(
                reminders_sent=F("reminders_sent") + 1, last_reminded_at=now
            )
            if won:
                SurveyMail.objects.create(
                    invitation_id=invitation_id, kind=SurveyMail.Kind.REMINDER, next_attempt_at=now, created_at=now
                )
                queued += 1
    if queued:
        outbox_kick()
    return queued


# --- the public form -----------------------------------------------------------------------------


def survey_opened(*, invitation: SurveyInvitation, now: dt.datetime | None = None) -> None:
    """Record the first time the link opened the form (what the owners' page calls "Opened")."""
    if invitation.opened_at is None:
        now = now or timezone.now()
        SurveyInvitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(opened_at=now)
        invitation.opened_at = now


def _clean_answers(version_id: int, answers: dict[str, int | None]) -> dict[str, int]:
    items = rubric_item_index(version_id=version_id)
    clean = {}
    for address, value in answers.items():
        if value is None:
            continue
        item = items.get(address)
        if item is None:
            raise MirrorRefused(f"{address} is not a question of this survey.")
        low, high = (1, 5) if item.rubric.scale == "rating" else (0, 3)
        if not isinstance(value, int) or not low <= value <= high:
            raise MirrorRefused(f"Choose one of the answers for {item.title.lower()}.", field=address)
        clean[address] = value
    return clean


def survey_save(
    *,
    token: str,
    answers: dict[str, int | None],
    free_text: str,
    submit: bool,
    now: dt.datetime | None = None,
) -> SurveyResponse:
    """Save the respondent's answers as a draft, or submit them (every question answered).

    The invitation is locked first, so a double click or two tabs submit once; a submit after the
    first raises ``SurveyAlreadyAnswered`` and changes nothing. A closed link raises ``SurveyClosed``.
    A submit with questions left open saves the draft and then raises ``SurveyIncomplete``.
    A submit stores the partner's view on the quarter's snapshot in the same transaction.
    """
    response, missing = _survey_save(token=token, answers=answers, free_text=free_text, submit=submit, now=now)
    if missing:
        raise SurveyIncomplete([address for address, _ in missing], [title for _, title in missing])
    return response


@transaction.atomic
def _survey_save(*, token, answers, free_text, submit, now) -> tuple[SurveyResponse, list[tuple[str, str]]]:
    now = now or timezone.now()
    invitation = (
        SurveyInvitation.objects.select_for_update(of=("self",))
        .select_related("contact", "period")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if invitation is None:
        raise SurveyClosed
    if invitation.responded_at is not None:
        raise SurveyAlreadyAnswered
    if not invitation.is_open(now):
        raise SurveyClosed
    response = SurveyResponse.objects.filter(invitation=invitation).first()
    if response is None:
        response = SurveyResponse(invitation=invitation, rubric_version=rubric_version_partner_current())
    free_text = free_text.strip()
    if len(free_text) > FREE_TEXT_MAX:
        raise MirrorRefused(f"Keep your answer to {FREE_TEXT_MAX:,} characters.", field="free_text")
    clean = _clean_answers(response.rubric_version_id, answers)
    missing = []
    if submit:
        items = rubric_item_index(version_id=response.rubric_version_id)
        missing = [(address, item.title) for address, item in items.items() if address not in clean]
    response.answers, response.free_text, response.last_saved_at = clean, free_text, now
    if submit and not missing:
        response.status, response.submitted_at = SurveyResponse.Status.SUBMITTED, now
        invitation.responded_at = now
        invitation.save(update_fields=["responded_at"])
    response.save()
    if invitation.opened_at is None:
        SurveyInvitation.objects.filter(pk=invitation.pk).update(opened_at=now)
    if submit and not missing:
        partner_views_recompute(pairs=[(invitation.contact.partner_id, invitation.period_id)])
        _announce(response, invitation)
    return response, missing


def _announce(response: SurveyResponse, invitation: SurveyInvitation) -> None:
    """Tell subscribers (webhooks: ``survey.responded``) in this transaction: words, a link, keys.

    The contact's name and address stay here; the event names the partner, the quarter and whether
    the respondent works at the partner or at a shared client.
    """
    partner = invitation.contact.partner
    code = invitation.period.code
    survey_responded.send(
        sender=SurveyResponse,
        response=response,
        title=f"Partner survey answered: {partner.name}",
        summary=f"A contact at {partner.name} answered the {code} partner survey.",
        url=f"{settings.SITE_URL}{reverse('partner_detail', args=[partner.pk])}#perception",
        data={
            "survey": {"id": response.pk, "invitation": invitation.pk, "period": code},
            "partner": {"id": partner.pk, "name": partner.name},
            "contact": {"id": invitation.contact_id, "works_at": invitation.contact.works_at},
        },
    )

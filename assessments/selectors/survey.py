"""Reads of the mirror survey: its links, the public form, the owners' contacts and progress page.

A survey link carries a token derived from the invitation's random ``token_salt`` with an HMAC
keyed by SECRET_KEY; only its SHA-256 is stored. So the table alone opens no form, and every
e-mail of one invitation (the invitation, a resend, the reminders) carries the same link.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.crypto import salted_hmac

from assessments.models import Contact, Partner, Period, RubricItem, SurveyInvitation
from assessments.periods import current_quarter
from assessments.selectors.access import partner_editable_by, partners_visible_to
from assessments.selectors.rubrics import rubric_items, rubric_version_partner_current

TOKEN_KEY_SALT = "assessments.survey.token"
OPT_OUT_SALT = "assessments.survey.opt-out"


def survey_token(invitation: SurveyInvitation) -> str:
    """The secret in the invitation's link: 43 URL-safe characters (256 bits)."""
    digest = salted_hmac(TOKEN_KEY_SALT, invitation.token_salt, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def invitation_for_token(token: str) -> SurveyInvitation | None:
    """The invitation a link's token belongs to, whatever its state, or None.

    Every token costs the same: one hash and one indexed lookup of the hash (a token of any
    shape is hashed, never refused early), so the time taken says nothing about the token.
    """
    return (
        SurveyInvitation.objects.select_related("contact__partner", "period", "response")
        .filter(token_hash=token_hash(token))
        .first()
    )


def opt_out_token(contact_id: int) -> str:
    return signing.dumps(contact_id, salt=OPT_OUT_SALT)


def contact_for_opt_out_token(token: str) -> Contact | None:
    try:
        contact_id = signing.loads(token, salt=OPT_OUT_SALT)
    except signing.BadSignature:
        contact_id = None
    # Looked up either way, so a forged token takes as long as a real one.
    return Contact.objects.select_related("partner").filter(pk=contact_id if isinstance(contact_id, int) else 0).first()


@dataclass
class SurveyForm:
    """What the public form shows: the partner's and our firm's names, the quarter, the items."""

    invitation: SurveyInvitation
    partner_name: str
    firm_name: str
    items: list[RubricItem]
    free_text_question: str
    answers: dict[str, int]
    free_text: str
    saved_at: dt.datetime | None


def survey_form(invitation: SurveyInvitation) -> SurveyForm:
    response = getattr(invitation, "response", None)
    version = response.rubric_version if response is not None else rubric_version_partner_current()
    return SurveyForm(
        invitation=invitation,
        partner_name=invitation.contact.partner.name,
        firm_name=settings.FIRM_NAME,
        items=rubric_items(version_id=version.pk),
        free_text_question=version.free_text_question,
        answers=dict(response.answers) if response is not None else {},
        free_text=response.free_text if response is not None else "",
        saved_at=response.last_saved_at if response is not None else None,
    )


# --- the owners' page --------------------------------------------------------------------------


@dataclass
class ContactRow:
    contact: Contact
    invitation: SurveyInvitation | None
    state: str
    state_label: str
    can_invite: bool
    can_resend: bool
    can_revoke: bool


@dataclass
class ContactsPage:
    partner: Partner
    quarter_code: str
    period: Period | None
    can_edit: bool
    rows: list[ContactRow]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def invitable_ids(self) -> list[int]:
        return [row.contact.pk for row in self.rows if row.can_invite]


NOT_INVITED = "not_invited"


def partner_for_contacts(*, user, partner_id: int) -> tuple[Partner, bool]:
    """The partner if the user may see it (raises ``Partner.DoesNotExist`` otherwise), and whether
    the user may manage its contacts and invitations (its owners may)."""
    partner = partners_visible_to(user).prefetch_related("owners").get(pk=partner_id)
    return partner, partner_editable_by(user, owner_ids={owner.pk for owner in partner.owners.all()})


def contacts_page(*, user, partner_id: int, now: dt.datetime) -> ContactsPage:
    """Each contact of the partner with the state of its invitation for this quarter (the latest one,
    revoked ones included), and the counts the page's summary shows."""
    partner, can_edit = partner_for_contacts(user=user, partner_id=partner_id)
    quarter_code = current_quarter(today=timezone.localdate(now)).code
    period = Period.objects.filter(code=quarter_code).first()
    invitations = SurveyInvitation.objects.none()
    if period is not None:
        invitations = SurveyInvitation.objects.filter(period=period).select_related("response", "period")
        invitations = invitations.order_by("-created_at", "-id")
    contacts = Contact.objects.filter(partner=partner).prefetch_related(
        Prefetch("invitations", queryset=invitations, to_attr="quarter_invitations")
    )
    rows = []
    counts = dict.fromkeys(["invited", "opened", "responded", "opted_out"], 0)
    for contact in contacts.order_by("name", "id"):
        invitation = contact.quarter_invitations[0] if contact.quarter_invitations else None
        if invitation is not None:
            invitation.contact = contact
            state = invitation.state(now)
            label = SurveyInvitation.State(state).label
            counts["invited"] += 1
            counts["opened"] += invitation.opened_at is not None
            counts["responded"] += invitation.responded_at is not None
        elif contact.has_opted_out:
            state, label = SurveyInvitation.State.OPTED_OUT, SurveyInvitation.State.OPTED_OUT.label
        else:
            state, label = NOT_INVITED, "Not invited"
        counts["opted_out"] += contact.has_opted_out
        live = invitation is not None and invitation.revoked_at is None
        open_or_expired = live and invitation.responded_at is None and not contact.has_opted_out
        rows.append(
            ContactRow(
                contact=contact,
                invitation=invitation,
                state=state,
                state_label=label,
                can_invite=can_edit and not contact.has_opted_out and not live,
                can_resend=can_edit and open_or_expired,
                can_revoke=can_edit and open_or_expired,
            )
        )
    return ContactsPage(
        partner=partner, quarter_code=quarter_code, period=period, can_edit=can_edit, rows=rows, counts=counts
    )


def contact_for_editing(*, user, contact_id: int) -> Contact:
    """A contact of a partner the user owns (raises ``Contact.DoesNotExist`` otherwise)."""
    contact = Contact.objects.select_related("partner").get(pk=contact_id)
    try:
        _, can_edit = partner_for_contacts(user=user, partner_id=contact.partner_id)
    except Partner.DoesNotExist:
        can_edit = False
    if not can_edit:
        raise Contact.DoesNotExist
    return contact

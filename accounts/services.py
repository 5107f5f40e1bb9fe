from __future__ import annotations

import datetime as dt
import hashlib
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import AccountMail, Invitation, PasswordResetRequest, UserSession
from accounts.selectors import password_reset_recipients, roles_grantable_by
from accounts.tokens import invitation_token_valid
from assessments.display import person_name
from assessments.roles import Role
from assessments.services.dispatch import outbox_kick

security_log = logging.getLogger("partnerhealth.security")

# The rate limits count requests in the last hour; the records are kept a day.
RESET_WINDOW = dt.timedelta(hours=1)
RESET_RECORDS_KEPT = dt.timedelta(days=1)


def user_session_register(*, user, session_key: str, ip_address: str | None) -> None:
    if session_key:
        UserSession.objects.update_or_create(
            session_key=session_key, defaults={"user": user, "ip_address": ip_address or None}
        )


@transaction.atomic
def user_sessions_end(*, user_id: int) -> int:
    """Delete every session of the user (database-backed sessions). Returns how many ended."""
    keys = list(UserSession.objects.filter(user_id=user_id).values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(user_id=user_id).delete()
    return len(keys)


# --- password reset -----------------------------------------------------------------


def password_reset_request(*, email: str, client_ip: str | None) -> str:
    """Record a "Forgotten your password?" request and queue the e-mail of each account it names.

    Whatever the address, the request does the same work: one row recorded and the outbox
    asked to run after commit. So the response is the same, as fast, for a known address,
    an unknown one and a refused one; the e-mail itself is sent later by the outbox
    (never in the request, so a slow mail server slows nothing and reveals nothing).

    Refused (recorded, nothing queued) beyond PASSWORD_RESET_LIMIT_PER_EMAIL requests
    for one address, or PASSWORD_RESET_LIMIT_PER_CLIENT from one client, in an hour.
    Returns the outcome (a ``PasswordResetRequest.Outcome``), for tests and logs only.
    """
    email = email.strip().lower()
    with transaction.atomic():
        _serialise("password-reset")
        now = timezone.now()
        PasswordResetRequest.objects.filter(requested_at__lt=now - RESET_RECORDS_KEPT).delete()
        recent = PasswordResetRequest.objects.filter(requested_at__gt=now - RESET_WINDOW)
        limited = recent.filter(email=email).count() >= settings.PASSWORD_RESET_LIMIT_PER_EMAIL or (
            client_ip is not None
            and recent.filter(ip_address=client_ip).count() >= settings.PASSWORD_RESET_LIMIT_PER_CLIENT
        )
        recipients = [] if limited else list(password_reset_recipients(email=email, now=now))
        AccountMail.objects.bulk_create(
            AccountMail(recipient=user, kind=AccountMail.Kind.PASSWORD_RESET, next_attempt_at=now)
            for user in recipients
        )
        if limited:
            outcome = PasswordResetRequest.Outcome.LIMITED
        else:
            outcome = PasswordResetRequest.Outcome.SENT if recipients else PasswordResetRequest.Outcome.NO_ACCOUNT
        PasswordResetRequest.objects.create(email=email, ip_address=client_ip, requested_at=now, outcome=outcome)
        outbox_kick()
    security_log.info("password reset requested ip=%s outcome=%s", client_ip, outcome)
    return outcome


@transaction.atomic
def password_reset_complete(*, user, password: str) -> None:
    """Set the password from a reset link. An invitee who never used their invitation is let in
    too: their open invitation counts as used, and the account becomes active."""
    now = timezone.now()
    user.set_password(password)
    fields = ["password"]
    invitation = _open_invitation(user, now)
    if invitation is not None:
        invitation.accepted_at = now
        invitation.save(update_fields=["accepted_at"])
        if not user.is_active:
            user.is_active = True
            fields.append("is_active")
    user.save(update_fields=fields)


def _open_invitation(user, now: dt.datetime) -> Invitation | None:
    return (
        Invitation.objects.select_for_update()
        .filter(user=user, accepted_at__isnull=True, replaced_at__isnull=True, expires_at__gt=now)
        .first()
    )


def _serialise(name: str) -> None:
    """Requests of one kind take turns (a PostgreSQL advisory lock held to the end of the
    transaction), so two at once cannot both count under a limit. SQLite writes one at a time."""
    if connection.vendor != "postgresql":
        return
    key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


# --- invitations ----------------------------------------------------------------------


class InvitationError(Exception):
    """The invitation cannot be sent; the message says why, in words for the person sending it."""


class InvitationClosed(Exception):
    """The invitation's link no longer works; ``state`` says why (used, expired, replaced)."""

    def __init__(self, invitation: Invitation, state: str):
        super().__init__(state)
        self.invitation = invitation
        self.state = state


@transaction.atomic
def invitation_send(
    *, invited_by, first_name: str, last_name: str, email: str, role: Role, now: dt.datetime | None = None
) -> Invitation:
    """Invite a person by e-mail as ``role``: their account (created inactive, without a password,
    if new), the invitation and its e-mail, in one transaction; the e-mail leaves after commit.

    Inviting someone again replaces their earlier invitation. Someone who already has a
    password is not invited: they log in, or use "Forgotten your password?".
    """
    User = get_user_model()
    now = now or timezone.now()
    email = email.strip().lower()
    if role not in roles_grantable_by(invited_by):
        raise InvitationError(f"You cannot invite someone as {Role(role).label}.")
    matches = list(User.objects.select_for_update().filter(email__iexact=email)[:2])
    if len(matches) > 1:
        raise InvitationError(f"Several accounts use {email}; an admin must sort them out first.")
    if matches:
        user = matches[0]
        if user.has_usable_password():
            raise InvitationError(
                f"{person_name(user)} already has an account ({user.get_username()}); they can log in, "
                "or use “Forgotten your password?”."
            )
    else:
        if User.objects.filter(username__iexact=email).exists():
            raise InvitationError(f"The username {email} is taken by another account.")
        user = User(username=email, email=email, is_active=False)
        user.set_unusable_password()
    user.first_name = first_name.strip() or user.first_name
    user.last_name = last_name.strip() or user.last_name
    if role == Role.ADMIN:
        user.is_staff = True
    user.save()
    role_groups = Group.objects.filter(name__in=[r.value for r in Role])
    if user.last_login is None:
        # Not used yet: the role asked for now is the one they get.
        user.groups.remove(*role_groups.exclude(name=role.value))
    user.groups.add(Group.objects.get_or_create(name=role.value)[0])

    Invitation.objects.filter(user=user, accepted_at__isnull=True, replaced_at__isnull=True).update(replaced_at=now)
    invitation = Invitation.objects.create(
        user=user,
        role=role.value,
        invited_by=invited_by,
        created_at=now,
        expires_at=now + dt.timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    AccountMail.objects.create(
        recipient=user, kind=AccountMail.Kind.INVITATION, invitation=invitation, next_attempt_at=now
    )
    outbox_kick()
    security_log.info("invitation sent user=%s role=%s by=%s", user.pk, role.value, invited_by.pk)
    return invitation


def invitation_for_link(*, invitation_id: int, token: str) -> Invitation:
    """The invitation a link names; ``Invitation.DoesNotExist`` for a link that was never valid."""
    invitation = Invitation.objects.select_related("user", "invited_by").get(pk=invitation_id)
    if not invitation_token_valid(invitation, token):
        raise Invitation.DoesNotExist
    return invitation


@transaction.atomic
def invitation_accept(*, invitation_id: int, token: str, password: str, now: dt.datetime | None = None):
    """Use the link once: set the password, activate the account. Returns the user.

    Raises ``InvitationClosed`` if it was used, replaced or has expired (checked under a row
    lock, so two clicks at once cannot both use it)."""
    now = now or timezone.now()
    invitation = Invitation.objects.select_for_update().get(pk=invitation_id)
    if not invitation_token_valid(invitation, token):
        raise Invitation.DoesNotExist
    state = invitation.state(now)
    if state != Invitation.State.OPEN:
        raise InvitationClosed(invitation, state)
    user = invitation.user
    user.set_password(password)
    user.is_active = True
    user.save(update_fields=["password", "is_active"])
    invitation.accepted_at = now
    invitation.save(update_fields=["accepted_at"])
    security_log.info("invitation accepted user=%s", user.pk)
    return user

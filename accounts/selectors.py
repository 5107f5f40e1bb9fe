"""Reads for sign-in: who may get a reset e-mail, who may invite whom, the invitations list."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import Invitation
from assessments.roles import Role
from assessments.selectors.access import user_roles


def _open_invitations(now: dt.datetime) -> QuerySet[Invitation]:
    return Invitation.objects.filter(accepted_at__isnull=True, replaced_at__isnull=True, expires_at__gt=now)


def password_reset_recipients(*, email: str, now: dt.datetime) -> QuerySet:
    """The accounts a reset for ``email`` goes to: active ones, with or without a usable password
    (an imported rater has none), and invitees whose invitation still works (they may have lost
    the e-mail). A deactivated account gets nothing."""
    invited = Exists(_open_invitations(now).filter(user=OuterRef("pk")))
    return (
        get_user_model()
        .objects.filter(email__iexact=email)
        .exclude(email="")
        .filter(Q(is_active=True) | Q(invited))
        .order_by("pk")
    )


def password_reset_allowed(*, user, now: dt.datetime) -> bool:
    """Still true when the e-mail is sent? (The account may have been deactivated meanwhile.)"""
    return bool(user.email) and (user.is_active or _open_invitations(now).filter(user=user).exists())


def roles_grantable_by(user) -> tuple[Role, ...]:
    """Leadership invites account managers and leadership; only an admin invites an admin."""
    roles = user_roles(user)
    if Role.ADMIN.value in roles:
        return (Role.ACCOUNT_MANAGER, Role.LEADERSHIP, Role.ADMIN)
    if Role.LEADERSHIP.value in roles:
        return (Role.ACCOUNT_MANAGER, Role.LEADERSHIP)
    return ()


@dataclass(frozen=True)
class InvitationRow:
    invitation: Invitation
    state: str
    state_label: str


def invitations_recent(*, now: dt.datetime, limit: int = 50) -> list[InvitationRow]:
    """The latest invitations, newest first, each with its state now (one query: invitee and sender joined)."""
    rows = Invitation.objects.select_related("user", "invited_by").order_by("-created_at", "-id")[:limit]
    return [
        InvitationRow(invitation=row, state=(state := row.state(now)), state_label=Invitation.State(state).label)
        for row in rows
    ]

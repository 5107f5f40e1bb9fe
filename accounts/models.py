from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.utils import timezone
from simple_history import register

from assessments.models.alerts import OutboxRow
from assessments.roles import Role

# Users join the audit trail (docs/AUDIT.md). Never the password hash: the trail would keep every
# old one. Nor the last login, which changes at each sign-in (the security log records those).
register(get_user_model(), app="accounts", excluded_fields=["password", "last_login"])


class UserSession(models.Model):
    """Which session keys belong to which user, so all of them can be ended at once.

    Django's session table is keyed by session only; logout and deactivation
    must end every session of the user, on every device.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="login_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = "user session"
        verbose_name_plural = "user sessions"

    def __str__(self) -> str:
        return f"session of {self.user_id} since {self.created_at:%Y-%m-%d %H:%M}"


class Invitation(models.Model):
    """One invitation of one person, as one role: who sent it, until when it works, and what became of it.

    The invitee's account is created inactive with no usable password; following the
    e-mailed link (``accounts.tokens``) once sets the password and activates it.
    """

    class State(models.TextChoices):
        OPEN = "open", "Waiting"
        ACCEPTED = "accepted", "Accepted"
        EXPIRED = "expired", "Expired"
        REPLACED = "replaced", "Replaced by a newer invitation"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(max_length=20, choices=Role.choices)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Part of the link's signature (accounts.tokens), so set explicitly, never by the database.
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    replaced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "invitation"
        verbose_name_plural = "invitations"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "accepted_at"], name="invitation_user_open_idx")]

    def __str__(self) -> str:
        return f"invitation of {self.user_id} as {self.role} ({self.created_at:%Y-%m-%d})"

    def state(self, now: dt.datetime) -> str:
        if self.accepted_at is not None:
            return self.State.ACCEPTED
        if self.replaced_at is not None:
            return self.State.REPLACED
        if self.expires_at <= now:
            return self.State.EXPIRED
        return self.State.OPEN


class AccountMail(OutboxRow):
    """A password-reset or invitation e-mail: recorded with the request, sent after commit by the outbox.

    The link is made when the e-mail is composed (assessments/services/outbox.py), so no
    secret is stored: a reset token is derived from the account, an invitation's from the row.
    """

    class Kind(models.TextChoices):
        PASSWORD_RESET = "password_reset", "Password reset"
        INVITATION = "invitation", "Invitation"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, null=True, blank=True, related_name="mails")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "account e-mail"
        verbose_name_plural = "account e-mails"
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="account_mail_due_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="invitation", invitation__isnull=False)
                | models.Q(kind="password_reset", invitation__isnull=True),
                name="account_mail_invitation_iff_kind",
                violation_error_message="An invitation e-mail names its invitation; a password reset does not.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} e-mail to {self.recipient_id} ({self.status})"


class PasswordResetRequest(models.Model):
    """One use of "Forgotten your password?", whatever the address: what the rate limits count.

    Kept a day (``accounts.services.password_reset_request`` prunes older rows).
    """

    class Outcome(models.TextChoices):
        SENT = "sent", "E-mail queued"
        NO_ACCOUNT = "no_account", "No account uses the address"
        LIMITED = "limited", "Refused: too many requests"

    email = models.CharField(max_length=254)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)

    class Meta:
        verbose_name = "password reset request"
        verbose_name_plural = "password reset requests"
        indexes = [
            models.Index(fields=["email", "requested_at"], name="reset_email_time_idx"),
            models.Index(fields=["ip_address", "requested_at"], name="reset_ip_time_idx"),
            models.Index(fields=["requested_at"], name="reset_time_idx"),
        ]

    def __str__(self) -> str:
        return f"reset for {self.email} from {self.ip_address} ({self.outcome})"

"""The partner's side: its contacts, the mirror survey's invitations, responses and e-mails.

A contact at the partner (or at a client we share with it) rates *us* with a rubric version
of the partner audience (``RubricVersion.audience``). Its answers are stored here, apart from
our own check-ups, and scored by the same engine into ``PartnerSnapshot.partner_view``
(services/snapshots.py). docs/PARTNER_VIEW.md states the rules.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone

from assessments.models.alerts import OutboxRow
from assessments.models.partners import Partner, Period
from assessments.models.rubrics import RubricVersion


class Contact(models.Model):
    """Someone at the partner, or at a client we share with it, whom the owners may invite."""

    class WorksAt(models.TextChoices):
        PARTNER = "partner", "At the partner"
        SHARED_CLIENT = "shared_client", "At a shared client"

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="contacts")
    name = models.CharField(max_length=200)
    # Stored lower-case (forms/mirror.py), so one address is one contact per partner.
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=200, blank=True)
    works_at = models.CharField(max_length=20, choices=WorksAt.choices, default=WorksAt.PARTNER)
    # Set by the contact's own opt-out link (or by an owner on their word): no more invitations or reminders.
    opted_out_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "contact"
        verbose_name_plural = "contacts"
        ordering = ["partner", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "email"],
                name="contact_email_unique_per_partner",
                violation_error_message="This partner already has a contact with this e-mail address.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.partner})"

    @property
    def has_opted_out(self) -> bool:
        return self.opted_out_at is not None


class SurveyInvitation(models.Model):
    """One contact asked to rate us for one quarter, through one secret link.

    Only the SHA-256 of the link's token is stored (``token_hash``, the lookup key). The token
    itself is derived from ``token_salt`` (random, ``secrets.token_urlsafe(32)``) with an HMAC
    keyed by SECRET_KEY (services/mirror_tokens.py), so reminders can carry the same link while
    the table alone reveals no working link.
    """

    class State(models.TextChoices):
        # What the owners see; the public form shows one generic page for every closed state.
        INVITED = "invited", "Invited"
        OPENED = "opened", "Opened"
        STARTED = "started", "Started"
        RESPONDED = "responded", "Responded"
        OPTED_OUT = "opted_out", "Opted out"
        EXPIRED = "expired", "Expired"
        REVOKED = "revoked", "Revoked"

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="invitations")
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="survey_invitations")
    token_salt = models.CharField(max_length=64)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # When the invitation e-mail (the latest, after a resend) was queued.
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    expires_at = models.DateTimeField()
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    last_reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "survey invitation"
        verbose_name_plural = "survey invitations"
        ordering = ["-created_at", "-id"]
        constraints = [
            # A contact has one live invitation per quarter; a revoked one may be replaced.
            models.UniqueConstraint(
                fields=["contact", "period"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_live_survey_invitation_per_quarter",
                violation_error_message="This contact already has an invitation for this quarter.",
            ),
        ]
        indexes = [
            # The reminder scan: open invitations that have not been answered.
            models.Index(fields=["responded_at", "revoked_at", "expires_at"], name="survey_invitation_open_idx"),
        ]

    def __str__(self) -> str:
        return f"invitation of {self.contact_id} for {self.period_id}"

    def state(self, now: dt.datetime) -> str:
        if self.responded_at is not None:
            return self.State.RESPONDED
        if self.revoked_at is not None:
            return self.State.REVOKED
        if self.contact.opted_out_at is not None:
            return self.State.OPTED_OUT
        if self.expires_at <= now:
            return self.State.EXPIRED
        if hasattr(self, "response"):
            return self.State.STARTED
        if self.opened_at is not None:
            return self.State.OPENED
        return self.State.INVITED

    def is_open(self, now: dt.datetime) -> bool:
        """The link still opens the form (answered, revoked, opted-out and expired links do not)."""
        return (
            self.responded_at is None
            and self.revoked_at is None
            and self.contact.opted_out_at is None
            and self.expires_at > now
        )


class SurveyResponse(models.Model):
    """The one response to one invitation: a draft until submitted, then never changed."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"

    invitation = models.OneToOneField(SurveyInvitation, on_delete=models.CASCADE, related_name="response")
    rubric_version = models.ForeignKey(RubricVersion, on_delete=models.PROTECT, related_name="survey_responses")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # {"traits.caring": 4, "symptoms.chasing_rainbows": 1, ...}: values checked against the
    # version's scales by services/mirror.py before they are stored.
    answers = models.JSONField(default=dict)
    free_text = models.TextField(blank=True, max_length=2000)
    last_saved_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "survey response"
        verbose_name_plural = "survey responses"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(submitted_at__isnull=False),
                name="submitted_survey_response_has_timestamp",
                violation_error_message="A submitted response needs the time it was submitted.",
            ),
        ]

    def __str__(self) -> str:
        return f"response to {self.invitation_id} ({self.status})"

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED


class SurveyMail(OutboxRow):
    """An invitation, resend or reminder e-mail to a contact: recorded with the decision, sent after commit.

    The recipient is a contact, not a user; the link is made when the e-mail is composed.
    """

    class Kind(models.TextChoices):
        INVITATION = "invitation", "Invitation"
        REMINDER = "reminder", "Reminder"

    recipient = None
    invitation = models.ForeignKey(SurveyInvitation, on_delete=models.CASCADE, related_name="mails")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "survey e-mail"
        verbose_name_plural = "survey e-mails"
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="survey_mail_due_idx")]

    def __str__(self) -> str:
        return f"{self.kind} e-mail for invitation {self.invitation_id} ({self.status})"

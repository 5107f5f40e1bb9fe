from __future__ import annotations

from django.conf import settings
from django.db import models

from assessments.models.checkups import Checkup
from assessments.models.partners import Partner, Period
from assessments.vocabulary import Rule, Severity, choices


class Alert(models.Model):
    """A finding of decline detection worth telling people about, with the numbers it rests on."""

    # The vocabulary's enum, reachable from the model as before (Alert.Severity.CRITICAL).
    Severity = Severity

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        SNOOZED = "snoozed", "Snoozed"

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="alerts")
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="alerts")
    rule = models.CharField(max_length=40, choices=choices(Rule))
    severity = models.CharField(max_length=10, choices=choices(Severity))
    explanation = models.TextField()
    items = models.JSONField(default=list)
    # The detector's numbers (assessments.evidence.Evidence.to_json): baseline, window and
    # each named item's before and after. Pages and e-mails read them back, never recompute.
    # Empty for alerts recorded before it was stored.
    evidence = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    snoozed_until = models.DateField(null=True, blank=True)
    # The case this finding is evidence of; null for a watch finding (services/cases.py).
    case = models.ForeignKey(
        "assessments.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="findings"
    )

    class Meta:
        verbose_name = "alert"
        verbose_name_plural = "alerts"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "rule", "period"],
                name="one_alert_per_partner_rule_period",
                violation_error_message="This partner already has an alert for this rule and period.",
            ),
        ]
        indexes = [
            # The dashboard's freshness check counts the warning and critical findings and reads the
            # newest on every view (selectors/dashboard/page.py); a partial index keeps that cheap
            # when findings run to tens of thousands, most of them watch.
            models.Index(
                fields=["id"], condition=models.Q(severity__in=["warning", "critical"]), name="alert_declining_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner} {self.period} {self.rule} ({self.severity})"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (gave up)"
    # A reminder whose check-up was submitted before it could be sent.
    SKIPPED = "skipped", "Skipped (no longer needed)"


class OutboxRow(models.Model):
    """One e-mail to one recipient, recorded in the writing transaction and sent after it.

    The outbox (services/outbox.py) claims due rows, sends them, and retries
    failures with back-off until ``sent`` or a reported ``failed``.
    """

    Status = OutboxStatus

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class AlertDelivery(OutboxRow):
    """One e-mail of one alert to one recipient: recorded first, sent after commit."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")

    class Meta:
        verbose_name = "alert delivery"
        verbose_name_plural = "alert deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "recipient"],
                name="one_delivery_per_alert_recipient",
                violation_error_message="This alert already has a delivery to this recipient.",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx")]

    def __str__(self) -> str:
        return f"{self.alert} to {self.recipient_id} ({self.status})"


class Reminder(OutboxRow):
    """A check-up reminder or escalation e-mail, at most one per kind and recipient."""

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", "Due soon"
        OVERDUE = "overdue", "Overdue"
        ESCALATION = "escalation", "Escalated to leadership"
        # Monthly cadence (strategic partners): a nudge at the start of the
        # quarter's second and third month to bring the check-up up to date.
        MONTH_2 = "month_2", "Monthly review (2nd month)"
        MONTH_3 = "month_3", "Monthly review (3rd month)"

    checkup = models.ForeignKey(Checkup, db_column="assessment_id", on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=12, choices=Kind.choices)

    class Meta:
        verbose_name = "reminder"
        verbose_name_plural = "reminders"
        constraints = [
            models.UniqueConstraint(
                fields=["checkup", "kind", "recipient"],
                name="one_reminder_per_kind",
                violation_error_message="This recipient already has a reminder of this kind for this check-up.",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="reminder_due_idx")]

    def __str__(self) -> str:
        return f"{self.kind} reminder for {self.checkup_id} to {self.recipient_id}"


class AlertAction(models.Model):
    """Who acknowledged or snoozed an alert, when and why: the alert's history."""

    class Kind(models.TextChoices):
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        SNOOZED = "snoozed", "Snoozed"
        REOPENED = "reopened", "Reopened (severity rose)"

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(max_length=15, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True)
    snoozed_until = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "alert action"
        verbose_name_plural = "alert actions"
        ordering = ["alert", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.alert_id} {self.kind}"


class DigestDelivery(OutboxRow):
    """The weekly leadership digest for one week and one recipient: recorded first, sent after commit."""

    # The Monday the digest was due; it covers the seven days before it.
    week_starting = models.DateField()

    class Meta:
        verbose_name = "digest delivery"
        verbose_name_plural = "digest deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["week_starting", "recipient"],
                name="one_digest_per_week_recipient",
                violation_error_message="This recipient already has the digest for this week.",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="digest_due_idx")]

    def __str__(self) -> str:
        return f"digest {self.week_starting} to {self.recipient_id} ({self.status})"

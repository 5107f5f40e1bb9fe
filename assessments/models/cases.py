"""A case: one partner's decline, from its first warning to its recovery, with its evidence and history.

Decline detection writes findings (``Alert`` rows, one per partner, rule and
quarter). People work on cases: the first warning or critical finding opens a
case, later ones join it as evidence, and every transition is a ``CaseEvent``
row with who, when and why. The rules live in ``services/cases.py`` and
``assessments/recovery.py``; docs/CASES.md tells the story with an example.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from assessments.models.alerts import Alert, OutboxRow
from assessments.models.audit import audit_trail
from assessments.models.partners import Partner, Period
from assessments.vocabulary import Severity, choices


class CaseState(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    SNOOZED = "snoozed", "Snoozed"
    RESOLVED = "resolved", "Resolved"


class Resolution(models.TextChoices):
    RECOVERED = "recovered", "Recovered"
    PARTNERSHIP_ENDED = "partnership_ended", "Partnership ended"
    FALSE_ALARM = "false_alarm", "False alarm"


class Case(models.Model):
    """One partner's decline. At most one unresolved case per partner (a database constraint)."""

    State = CaseState
    Resolution = Resolution

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="cases")
    state = models.CharField(max_length=15, choices=CaseState.choices, default=CaseState.OPEN)
    # The worst finding of the current episode; it never goes down within an episode.
    severity = models.CharField(max_length=10, choices=choices(Severity))
    opened_period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)
    # 1 when opened; +1 each time a resolved case reopens. E-mails are once per episode.
    episode = models.PositiveSmallIntegerField(default=1)
    episode_period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="+")
    # The quarter of the latest warning or critical finding: the quiet quarters count from here.
    last_finding_period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="+")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="assigned_cases"
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_note = models.TextField(blank=True)
    snoozed_until = models.DateField(null=True, blank=True)
    # The state a snooze returns to the day after ``snoozed_until``.
    state_before_snooze = models.CharField(max_length=15, choices=CaseState.choices, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolution = models.CharField(max_length=20, choices=Resolution.choices, blank=True)
    # The quarter it was resolved in: a decline within 4 quarters of it reopens this case.
    resolved_period = models.ForeignKey(Period, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # Health before the decline and that history's noise (assessments.recovery.Baseline); null without history.
    baseline_health = models.FloatField(null=True, blank=True)
    baseline_noise = models.FloatField(null=True, blank=True)
    changed_at = models.DateTimeField(default=timezone.now)

    # Who changed the case, when and from what (docs/AUDIT.md); its partner's history page lists it.
    history = audit_trail()

    class Meta:
        verbose_name = "risk case"
        verbose_name_plural = "risk cases"
        ordering = ["-changed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner"],
                condition=~Q(state="resolved"),
                name="one_unresolved_case_per_partner",
                violation_error_message="This partner already has an unresolved case.",
            ),
            models.CheckConstraint(
                condition=Q(state="resolved", resolved_at__isnull=False, resolution__gt="") | ~Q(state="resolved"),
                name="resolved_case_has_reason",
                violation_error_message="A resolved case needs its reason.",
            ),
            models.CheckConstraint(
                condition=Q(state="snoozed", snoozed_until__isnull=False) | ~Q(state="snoozed"),
                name="snoozed_case_has_date",
                violation_error_message="A snoozed case needs the date it wakes up.",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "severity"], name="case_state_severity_idx"),
            models.Index(fields=["changed_at"], name="case_changed_idx"),
        ]

    def __str__(self) -> str:
        return f"Case {self.pk}: {self.partner} ({self.state})"

    def current_state(self, today: dt.date | None = None) -> str:
        """The state as people see it: a snooze that has run out is back to its earlier state."""
        if self.state == CaseState.SNOOZED and self.snoozed_until is not None:
            today = today or timezone.localdate()
            if self.snoozed_until < today:
                return self.state_before_snooze or CaseState.OPEN
        return self.state

    @property
    def is_resolved(self) -> bool:
        return self.state == CaseState.RESOLVED


class CaseEvent(models.Model):
    """One thing that happened to a case: a transition or a finding joining it, with who, when and why."""

    class Kind(models.TextChoices):
        OPENED = "opened", "Opened"
        JOINED = "joined", "Finding joined"
        ESCALATED = "escalated", "Escalated"
        FINDING_RAISED = "finding_raised", "A finding's severity rose"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        SNOOZED = "snoozed", "Snoozed"
        WOKE = "woke", "Snooze ended"
        ASSIGNED = "assigned", "Assigned"
        RESOLVED = "resolved", "Resolved"
        REOPENED = "reopened", "Reopened"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=15, choices=Kind.choices)
    from_state = models.CharField(max_length=15, choices=CaseState.choices, blank=True)
    to_state = models.CharField(max_length=15, choices=CaseState.choices, blank=True)
    # Null: the system did it (detection, auto-resolve, a snooze running out).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)
    alert = models.ForeignKey(Alert, on_delete=models.SET_NULL, null=True, blank=True, related_name="case_events")
    severity = models.CharField(max_length=10, choices=choices(Severity), blank=True)
    snoozed_until = models.DateField(null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolution = models.CharField(max_length=20, choices=Resolution.choices, blank=True)

    class Meta:
        verbose_name = "case event"
        verbose_name_plural = "case events"
        ordering = ["case", "at", "id"]
        indexes = [models.Index(fields=["at"], name="case_event_at_idx")]

    def __str__(self) -> str:
        return f"case {self.case_id} {self.kind}"


class CaseDelivery(OutboxRow):
    """One case e-mail to one recipient, at most one per case, kind, recipient and episode."""

    class Kind(models.TextChoices):
        OPENED = "opened", "Opened"
        ESCALATED = "escalated", "Escalated to critical"
        RESOLVED = "resolved", "Resolved"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="deliveries")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    episode = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name = "case e-mail"
        verbose_name_plural = "case e-mails"
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind", "recipient", "episode"],
                name="one_case_delivery_per_kind_episode",
                violation_error_message="This person already has this case e-mail for this episode.",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="case_delivery_due_idx")]

    def __str__(self) -> str:
        return f"case {self.case_id} {self.kind} to {self.recipient_id} ({self.status})"

from __future__ import annotations

from django.conf import settings
from django.db import models

from assessments.models.alerts import OutboxRow
from assessments.models.checkups import Checkup


class CheckupNudge(OutboxRow):
    """A leader's reminder to a rater about one missing or overdue check-up: an e-mail through
    the outbox, at most one per check-up per day (the constraint makes a second click a no-op)."""

    checkup = models.ForeignKey(Checkup, on_delete=models.CASCADE, related_name="nudges")
    # The local day of the nudge.
    nudged_on = models.DateField()
    nudged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "check-up nudge"
        verbose_name_plural = "check-up nudges"
        constraints = [
            models.UniqueConstraint(
                fields=["checkup", "nudged_on"],
                name="one_nudge_per_checkup_day",
                violation_error_message="This check-up was already nudged today.",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="nudge_due_idx")]

    def __str__(self) -> str:
        return f"nudge {self.nudged_on} for {self.checkup_id} to {self.recipient_id} ({self.status})"

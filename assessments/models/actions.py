from __future__ import annotations

from django.db import models

from assessments.models.alerts import OutboxRow
from assessments.models.checkups import ActionItem


class ActionItemReminder(OutboxRow):
    """A due-soon or overdue e-mail about one action item to its owner, through the outbox.

    One per item, kind, due date and owner: moving the due date or handing the
    action to someone else earns a reminder of its own, and a row written for
    the old date or owner is skipped when its turn comes (``services.outbox``).
    """

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", "Due soon"
        OVERDUE = "overdue", "Overdue"

    action_item = models.ForeignKey(ActionItem, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # The due date the reminder is about.
    due_on = models.DateField()

    class Meta:
        verbose_name = "action item reminder"
        verbose_name_plural = "action item reminders"
        constraints = [
            models.UniqueConstraint(
                fields=["action_item", "kind", "due_on", "recipient"],
                name="one_action_reminder_per_kind",
                violation_error_message="This reminder was already queued for this due date and owner.",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="action_reminder_due_idx")]

    def __str__(self) -> str:
        return f"{self.kind} reminder for action {self.action_item_id} to {self.recipient_id}"

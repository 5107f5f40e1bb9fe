from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone

from assessments.services.alerts import MAX_SNOOZE_DAYS


class AlertAcknowledgeForm(forms.Form):
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What you did or decided, for the partner's history.",
    )


class AlertSnoozeForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why this can wait, e.g. a meeting with their leadership is booked.",
        error_messages={"required": "Say why you are snoozing this alert."},
    )
    until = forms.DateField(
        label="Snooze until",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=f"The alert reopens the day after. At most {MAX_SNOOZE_DAYS} days.",
        error_messages={"required": "Choose the date the alert may wait until."},
    )

    def clean_until(self) -> dt.date:
        until = self.cleaned_data["until"]
        today = timezone.localdate()
        if until <= today:
            raise forms.ValidationError("Choose a date after today.")
        if until > today + dt.timedelta(days=MAX_SNOOZE_DAYS):
            raise forms.ValidationError(
                f"Snooze for at most {MAX_SNOOZE_DAYS} days; acknowledge the alert if it needs no follow-up."
            )
        return until

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Field, Layout, Row
from django import forms
from django.utils import timezone

from assessments.forms.errors import CRISPY_TEMPLATE, ErrorSummaryMixin
from assessments.models import Interaction

SUMMARY_MAX = 500


class InteractionForm(ErrorSummaryMixin, forms.Form):
    """One entry of the interaction log: frequency and meeting in person are evidence (001, 002, 003)."""

    occurred_on = forms.DateField(
        label="Date",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        initial=timezone.localdate,
        error_messages={
            "required": "Give the date it happened.",
            "invalid": "Enter the date it happened as a date, e.g. 2026-11-20.",
        },
    )
    kind = forms.ChoiceField(
        label="Kind",
        choices=Interaction.Kind.choices,
        initial=Interaction.Kind.MEETING,
        error_messages={"required": "Choose the kind of interaction.", "invalid_choice": "Choose a kind from the list."},
    )
    face_to_face = forms.BooleanField(label="Face to face", required=False)
    summary = forms.CharField(
        label="Summary",
        required=False,
        max_length=SUMMARY_MAX,
        error_messages={"max_length": f"Keep the summary to {SUMMARY_MAX} characters."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.template = CRISPY_TEMPLATE
        self.helper.layout = Layout(
            Row(
                Column(Field("occurred_on"), css_class="col-sm-6 col-lg-3"),
                Column(Field("kind"), css_class="col-sm-6 col-lg-3"),
                Column(Field("summary"), css_class="col-lg-6"),
            ),
            Field("face_to_face"),
        )

    def clean_occurred_on(self):
        occurred_on = self.cleaned_data["occurred_on"]
        if occurred_on > timezone.localdate():
            raise forms.ValidationError("Log an interaction once it has happened: this date is in the future.")
        return occurred_on

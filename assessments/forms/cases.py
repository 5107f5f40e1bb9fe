"""Forms of the Cases inbox and the case page: filters, and the four things people do to a case."""

from __future__ import annotations

import datetime as dt
import html

from django import forms
from django.contrib.auth import get_user_model
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from assessments.display import person_name
from assessments.models import Case, Partner
from assessments.selectors.cases import ALL, InboxFilters, Sort
from assessments.services.case_triage import MAX_SNOOZE_DAYS, BulkAction
from assessments.vocabulary import Severity

NOTE_HELP = "What you did or decided, for the case's history."


def _person_choices(people) -> list[tuple[str, str]]:
    return [(str(p.pk), person_name(p)) for p in people]


class QuickSelect(forms.Select):
    """A flat select (no option groups) whose options are built in Python, not one template each.

    Django renders every option through a template: 12 ms for the 300 people of
    the 10,000-partner bench (bench/cases.py), a quarter of the inbox's time.
    This gives the same elements and attributes in under a millisecond.
    """

    def render(self, name, value, attrs=None, renderer=None):
        selected = next(iter(self.format_value(value)), None)  # one value: a select of one
        # The standard library's escape, which Django's wraps (same output, a third of the time).
        options = "".join(
            f'\n  <option value="{html.escape(str(key))}"{" selected" if str(key) == selected else ""}>'
            f"{html.escape(str(label))}</option>"
            for key, label in self.choices
        )
        attributes = flatatt(self.build_attrs(self.attrs, attrs))
        # Every key and label is escaped above.
        return format_html('<select name="{}"{}>{}\n</select>', name, attributes, mark_safe(options))


class CaseFilterForm(forms.Form):
    """The inbox's filters (GET). Anything that does not parse falls back to its default."""

    state = forms.ChoiceField(
        required=False, choices=[*Case.State.choices, (ALL, "All")], initial=Case.State.OPEN, widget=QuickSelect
    )
    severity = forms.ChoiceField(
        required=False,
        widget=QuickSelect,
        choices=[
            ("", "Any severity"),
            (Severity.WARNING.value, Severity.WARNING.label),
            (Severity.CRITICAL.value, Severity.CRITICAL.label),
        ],
    )
    person = forms.ChoiceField(required=False, label="Owner or assignee", widget=QuickSelect)
    segment = forms.ChoiceField(
        required=False, choices=[("", "Any segment"), *Partner.Segment.choices], widget=QuickSelect
    )
    kind = forms.ChoiceField(
        required=False, label="Kind", choices=[("", "Any kind"), *Partner.Kind.choices], widget=QuickSelect
    )
    opened = forms.ChoiceField(required=False, label="Quarter opened", widget=QuickSelect)
    q = forms.CharField(required=False, max_length=100, label="Partner")
    mine = forms.BooleanField(required=False, label="Assigned to me")
    sort = forms.ChoiceField(required=False, choices=Sort.CHOICES, initial=Sort.WORST, widget=QuickSelect)

    def __init__(self, *args, people=(), periods=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [("", "Anyone"), *_person_choices(people)]
        self.fields["opened"].choices = [("", "Any quarter"), *((code, code) for code in periods)]
        for name, field in self.fields.items():
            if name == "mine":
                field.widget.attrs["class"] = "form-check-input"
            elif isinstance(field, forms.ChoiceField):
                field.widget.attrs["class"] = "form-select form-select-sm"
            else:
                field.widget.attrs["class"] = "form-control form-control-sm"

    def filters(self) -> InboxFilters:
        self.is_valid()  # a field that does not parse is left out of cleaned_data: its default applies
        data = self.cleaned_data
        return InboxFilters(
            state=data.get("state") or Case.State.OPEN,
            severity=data.get("severity") or "",
            person=int(data["person"]) if data.get("person") else None,
            segment=data.get("segment") or "",
            kind=data.get("kind") or "",
            opened=data.get("opened") or "",
            q=(data.get("q") or "").strip(),
            mine=bool(data.get("mine")),
            sort=data.get("sort") or Sort.WORST,
        )


class CaseAcknowledgeForm(forms.Form):
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=NOTE_HELP,
    )


def _clean_until(until: dt.date) -> dt.date:
    today = timezone.localdate()
    if until <= today:
        raise forms.ValidationError("Choose a date after today.")
    if until > today + dt.timedelta(days=MAX_SNOOZE_DAYS):
        raise forms.ValidationError(f"Snooze for at most {MAX_SNOOZE_DAYS} days; resolve the case if it needs nothing.")
    return until


class CaseSnoozeForm(forms.Form):
    until = forms.DateField(
        label="Snooze until",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=f"The day after, the case is back in its earlier state. At most {MAX_SNOOZE_DAYS} days.",
        error_messages={"required": "Choose the date the case may wait until."},
    )
    note = forms.CharField(
        label="Reason",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why it can wait, e.g. a meeting with their leadership is booked.",
        error_messages={"required": "Say why this case can wait."},
    )

    def clean_until(self) -> dt.date:
        return _clean_until(self.cleaned_data["until"])


class CaseAssignForm(forms.Form):
    assignee = forms.ChoiceField(label="Assign to", required=False)
    note = forms.CharField(
        label="Note (optional)", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.people = {str(p.pk): p for p in people}
        self.fields["assignee"].choices = [("", "Nobody"), *_person_choices(people)]

    def clean_assignee(self):
        value = self.cleaned_data["assignee"]
        return self.people[value] if value else None


class CaseResolveForm(forms.Form):
    resolution = forms.ChoiceField(
        label="Why is it resolved?",
        choices=Case.Resolution.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose why the case is resolved."},
    )
    note = forms.CharField(
        label="Note (optional)", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class CaseBulkForm(forms.Form):
    """Several cases at once. Ids are checked against the user's scope by the service, never here."""

    action = forms.ChoiceField(choices=BulkAction.CHOICES, error_messages={"required": "Choose what to do."})
    note = forms.CharField(required=False, max_length=2000, label="Note")
    until = forms.DateField(
        required=False, label="Snooze until", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    assignee = forms.ChoiceField(
        required=False,
        label="Assign to",
        widget=QuickSelect(attrs={"class": "form-select form-select-sm", "id": "bulk-assignee"}),
    )

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", "Nobody"), *_person_choices(people)]
        raw = self.data.getlist("case") if hasattr(self.data, "getlist") else self.data.get("case", [])
        self.case_ids = [int(v) for v in raw if str(v).isdigit()]

    def clean_assignee(self):
        # ``people`` are rows (selectors.cases.Person); the one chosen is read as a user.
        value = self.cleaned_data["assignee"]
        if not value:
            return None
        user = get_user_model().objects.filter(pk=value, is_active=True).first()
        if user is None:
            raise forms.ValidationError("This person can no longer be given cases.")
        return user

    def clean(self):
        data = super().clean()
        if not self.case_ids:
            raise forms.ValidationError("Tick at least one case.")
        action = data.get("action")
        if action == BulkAction.SNOOZE:
            if not data.get("until"):
                self.add_error("until", "Choose the date the cases may wait until.")
            else:
                try:
                    _clean_until(data["until"])
                except forms.ValidationError as error:
                    self.add_error("until", error)
            if not (data.get("note") or "").strip():
                self.add_error("note", "Say why these cases can wait.")
        return data

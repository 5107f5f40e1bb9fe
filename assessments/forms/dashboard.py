"""The dashboard's filters: every one is a GET parameter, so a filtered view is a URL."""

from __future__ import annotations

import html
from functools import lru_cache

from django import forms
from django.forms.utils import flatatt
from django.utils.safestring import mark_safe

from assessments.models import Partner, PartnerSnapshot
from assessments.selectors.dashboard.frame import DEFAULT_SORT, HeatmapFilters
from assessments.selectors.dashboard.heatmap import sort_options
from assessments.selectors.dashboard.page import DashboardOptions, dashboard_options
from assessments.selectors.dashboard.periods import default_period

# The same few hundred labels (account managers, sorts) are escaped on every page view.
_escape = lru_cache(maxsize=4096)(html.escape)


class FastSelect(forms.Select):
    """A select rendered in Python: Django's template-per-option rendering costs milliseconds
    for a few hundred account managers, on every page view."""

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        chosen = {str(v) for v in self.format_value(value)}
        escape = _escape
        options = "".join(
            f'<option value="{escape(str(v))}"{" selected" if str(v) in chosen else ""}>{escape(str(label))}</option>'
            for v, label in self.choices
        )
        # Every value and label is escaped above; flatatt escapes the attributes.
        return mark_safe(f'<select name="{escape(name)}"{flatatt(attrs)}>{options}</select>')


class DashboardFilterForm(forms.Form):
    """The query string of the dashboard. A field with a bad value shows its error and is ignored."""

    period = forms.ChoiceField(required=False, label="Period", widget=FastSelect)
    segment = forms.ChoiceField(
        required=False, choices=[("", "All segments"), *Partner.Segment.choices], widget=FastSelect
    )
    kind = forms.ChoiceField(required=False, choices=[("", "All kinds"), *Partner.Kind.choices], widget=FastSelect)
    owner = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label="Account manager", widget=FastSelect
    )
    band = forms.ChoiceField(
        required=False, choices=[("", "All bands"), *PartnerSnapshot.BAND_CHOICES], widget=FastSelect
    )
    declining = forms.BooleanField(required=False, label="Declining only")
    q = forms.CharField(required=False, max_length=100, strip=True, label="Search by name")
    sort = forms.ChoiceField(required=False, label="Sort by", widget=FastSelect)

    def __init__(self, *args, options: DashboardOptions | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # The choices on offer (scored periods, account managers, columns), and the roll-up
        # fingerprint the page is read under.
        self.options = options = options if options is not None else dashboard_options()
        periods = options.periods
        self.fields["period"].choices = [
            (p.code, f"{p.code} (in progress: {p.scored} scored)" if p.in_progress else p.code) for p in periods
        ]
        default = default_period(periods)
        if default is not None and not self.data.get("period"):
            # The picker shows the period the page shows: the default, not simply the newest.
            self.data = self.data.copy()
            self.data["period"] = default.code
        self.fields["period"].error_messages["invalid_choice"] = (
            "%(value)s has no scored check-ups; pick one of the listed periods."
        )
        self.fields["owner"].choices = [("", "All account managers"), *options.owners]
        self.fields["sort"].choices = sort_options(options.columns)
        for name, field in self.fields.items():
            css = "form-check-input" if name == "declining" else "form-select form-select-sm"
            if name == "q":
                css = "form-control form-control-sm"
            field.widget.attrs.setdefault("class", css)

    def filters(self) -> HeatmapFilters:
        """The valid filters; a field with an error falls back to its default (the error shows beside it)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return HeatmapFilters(
            period=data.get("period") or "",
            segment=data.get("segment") or "",
            kind=data.get("kind") or "",
            owner=data.get("owner"),
            band=data.get("band") or "",
            declining=bool(data.get("declining")),
            q=data.get("q") or "",
            sort=data.get("sort") or DEFAULT_SORT,
        )

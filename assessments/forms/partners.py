"""The partners list's search, filters and sort (GET). A value that does not parse falls back to its default."""

from __future__ import annotations

from django import forms

from assessments.models import Partner
from assessments.selectors.partner_list import STALE, UNSCORED, PartnerListFilters, PartnerSort
from assessments.vocabulary import BAND_LABELS, Band


class PartnerFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Name", widget=forms.SearchInput())
    kind = forms.ChoiceField(required=False, label="Kind", choices=[("", "Any kind"), *Partner.Kind.choices])
    segment = forms.ChoiceField(
        required=False, label="Segment", choices=[("", "Any segment"), *Partner.Segment.choices]
    )
    band = forms.ChoiceField(
        required=False,
        label="Band",
        choices=[
            ("", "Any band"),
            *((band.value, BAND_LABELS[band]) for band in Band),
            (UNSCORED, "Not scored"),
            (STALE, "Stale"),
        ],
    )
    owner = forms.TypedChoiceField(required=False, label="Owner", coerce=int, empty_value=None)
    sort = forms.ChoiceField(required=False, label="Sort", choices=PartnerSort.CHOICES, initial=PartnerSort.NAME)

    def __init__(self, *args, owners: list[tuple[int, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if owners is None:
            # An account manager sees only their own partners: there is no one else to filter by.
            del self.fields["owner"]
        else:
            self.fields["owner"].choices = [("", "Anyone"), *owners]
        for field in self.fields.values():
            css = (
                "form-select form-select-sm" if isinstance(field, forms.ChoiceField) else "form-control form-control-sm"
            )
            field.widget.attrs["class"] = css
        self.fields["q"].widget.attrs["placeholder"] = "Part of a name"

    def filters(self) -> PartnerListFilters:
        self.is_valid()  # a field that does not parse is left out of cleaned_data: its default applies
        data = self.cleaned_data
        return PartnerListFilters(
            q=(data.get("q") or "").strip(),
            kind=data.get("kind") or "",
            segment=data.get("segment") or "",
            band=data.get("band") or "",
            owner=data.get("owner"),
            sort=data.get("sort") or PartnerSort.NAME,
        )

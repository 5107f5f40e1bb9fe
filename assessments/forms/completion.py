"""Forms of the check-up completion page: its filters and the nudge buttons."""

from __future__ import annotations

from django import forms


class CompletionFilterForm(forms.Form):
    """The page's query string: every filter is a GET parameter, so a filtered view is a URL."""

    manager = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Account manager")
    quarter = forms.ChoiceField(required=False, label="Quarter")

    def __init__(self, *args, managers: list[tuple[int, str]], quarters: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manager"].choices = [("", "All account managers"), *managers]
        self.fields["manager"].error_messages["invalid_choice"] = "no such account manager; showing everyone."
        self.fields["quarter"].choices = [
            ("", "This quarter and last"),
            (quarters[0].code, f"{quarters[0].code} (this quarter)"),
            (quarters[1].code, f"{quarters[1].code} (last quarter)"),
        ]
        self.fields["quarter"].error_messages["invalid_choice"] = (
            "%(value)s is not on this page; showing both quarters."
        )
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-select form-select-sm")

    def filters(self) -> tuple[str, int | None]:
        """The valid filters; a field with an error falls back to its default (the error shows beside it)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return data.get("quarter") or "", data.get("manager")


class NudgeForm(forms.Form):
    partner = forms.IntegerField(min_value=1)
    rater = forms.IntegerField(min_value=1)
    quarter = forms.CharField(max_length=7)


class NudgeManagerForm(forms.Form):
    manager = forms.IntegerField(min_value=1)
    quarter = forms.CharField(max_length=7, required=False)

from __future__ import annotations

from django import forms

from api.models import ApiToken
from api.tokens import NAME_MAX


class TokenForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=NAME_MAX,
        help_text="What will use it, e.g. “CRM sync” or “Quarterly report script”.",
        error_messages={
            "required": "Give the token a name, e.g. the system that will use it.",
            "max_length": f"Keep the name to {NAME_MAX} characters.",
        },
    )
    scope = forms.ChoiceField(
        label="Access",
        choices=[(ApiToken.Scope.READ.value, "Read only"), (ApiToken.Scope.WRITE.value, "Read and write")],
        initial=ApiToken.Scope.READ.value,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        error_messages={"required": "Choose what the token may do."},
    )

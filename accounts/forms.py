"""Forms of the sign-in pages: validation only; the services do the writing."""

from __future__ import annotations

from django import forms

from assessments.roles import Role


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(
        label="E-mail address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
        error_messages={"required": "Enter the e-mail address of your account.",
                        "invalid": "Enter an e-mail address, like name@example.com."},
    )


class InvitationForm(forms.Form):
    first_name = forms.CharField(label="First name", max_length=150)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    email = forms.EmailField(
        label="E-mail address",
        max_length=150,  # it becomes the username, whose column is shorter than the e-mail's
        error_messages={"invalid": "Enter an e-mail address, like name@example.com."},
    )
    role = forms.TypedChoiceField(
        label="Role", coerce=Role, widget=forms.RadioSelect(attrs={"class": "form-check-input"})
    )

    def __init__(self, *args, roles: tuple[Role, ...], **kwargs):
        super().__init__(*args, **kwargs)
        # Roles in words ("Account manager"), only those the sender may grant.
        self.fields["role"].choices = [(role.value, role.label) for role in roles]

"""Registering an endpoint: the URL is checked the way a delivery will check it (SSRF guard)."""

from __future__ import annotations

from django import forms
from django.conf import settings

from integrations import network
from integrations.events import CASE_EVENTS, SUBSCRIBABLE, Event
from integrations.models import Endpoint


def url_checked(url: str) -> str:
    """The URL if the SSRF guard lets it through now, else a ValidationError saying why."""
    try:
        _, host, _, _ = network.split_url(url)
        if host not in settings.WEBHOOK_ALLOWED_HOSTS:
            # Resolved now as at every send: a name must exist and point at public addresses.
            network.check(url, allowed_hosts=settings.WEBHOOK_ALLOWED_HOSTS)
    except network.Refused as refusal:
        raise forms.ValidationError(str(refusal)) from None
    return url


class EndpointAdminForm(forms.ModelForm):
    class Meta:
        model = Endpoint
        fields = ["name", "kind", "url", "events", "enabled", "owner"]

    def clean_url(self) -> str:
        return url_checked(self.cleaned_data["url"])


class EndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        label="Events to send",
        choices=[(e.value, e.label) for e in SUBSCRIBABLE],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event to send."},
    )
    secret = forms.CharField(
        label="Signing secret",
        required=False,
        max_length=200,
        help_text="Webhooks only. Leave empty and one is generated for you (shown once).",
    )

    class Meta:
        model = Endpoint
        fields = ["name", "kind", "url", "events", "enabled"]
        labels = {"name": "Name", "kind": "Kind", "url": "Address (URL)", "enabled": "Send to this endpoint"}
        error_messages = {
            "name": {"required": "Give the endpoint a name."},
            "url": {
                "required": "Enter the address to send to.",
                "invalid": "Enter a full http:// or https:// address.",
            },
        }

    def __init__(self, *args, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.creating = creating
        if not creating:
            del self.fields["secret"]
            self.fields["kind"].disabled = True

    def clean_url(self) -> str:
        return url_checked(self.cleaned_data["url"])

    def clean_secret(self) -> str:
        secret = self.cleaned_data.get("secret", "").strip()
        if secret and len(secret) < 16:
            raise forms.ValidationError("A secret needs at least 16 characters; leave it empty to have one generated.")
        return secret

    def clean(self):
        data = super().clean()
        kind = data.get("kind") or (self.instance.kind if self.instance.pk else None)
        events = data.get("events") or []
        if kind in (Endpoint.Kind.SLACK, Endpoint.Kind.TEAMS):
            others = [Event(e).label for e in events if Event(e) not in CASE_EVENTS]
            if others:
                self.add_error("events", "Slack and Teams channels hear of cases only; untick: " + "; ".join(others))
        return data

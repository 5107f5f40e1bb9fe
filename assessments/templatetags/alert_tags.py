"""Template helpers for alerts: severity badges. Rule names come from ``display_tags`` (``|rule_label``)."""

from __future__ import annotations

from django import template

from assessments.vocabulary import Severity

register = template.Library()

# Bootstrap text-bg classes; the severity word is always printed beside the colour.
SEVERITY_CLASSES = {
    Severity.WATCH: "text-bg-secondary",
    Severity.WARNING: "text-bg-warning",
    Severity.CRITICAL: "text-bg-danger",
}


@register.filter
def severity_class(severity: str) -> str:
    return SEVERITY_CLASSES.get(severity, "text-bg-light")

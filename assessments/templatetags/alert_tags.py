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


@register.filter
def signed(value) -> str:
    """+1.0 or -2.5 written with a real minus sign (U+2212), or an em dash for nothing."""
    if value is None:
        return "—"
    return f"+{value:.1f}" if value > 0 else f"\u2212{abs(value):.1f}" if value < 0 else "0.0"

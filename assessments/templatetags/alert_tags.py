"""Template helpers for alerts: rule names in words, severity badges, movement arrows."""

from __future__ import annotations

from django import template

register = template.Library()

RULE_TITLES = {
    "health_decline": "Overall health declining",
    "rubric_decline": "Rubric declining",
    "band_downgrade": "Band downgraded",
    "symptom_persistent": "Symptom persistent or rising",
    "red_flag": "Cut-bait red flag",
}

# Bootstrap text-bg classes; the severity word is always printed beside the colour.
SEVERITY_CLASSES = {"watch": "text-bg-secondary", "warning": "text-bg-warning", "critical": "text-bg-danger"}


@register.filter
def rule_title(rule: str) -> str:
    return RULE_TITLES.get(rule, rule.replace("_", " ").capitalize())


@register.filter
def severity_class(severity: str) -> str:
    return SEVERITY_CLASSES.get(severity, "text-bg-light")


@register.filter
def signed(value) -> str:
    """+1.0 or -2.5 written with a real minus sign (U+2212), or an em dash for nothing."""
    if value is None:
        return "—"
    return f"+{value:.1f}" if value > 0 else f"\u2212{abs(value):.1f}" if value < 0 else "0.0"

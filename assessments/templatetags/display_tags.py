"""Template filters over ``assessments.display``: the one place for labels and number formats."""

from __future__ import annotations

from django import template
from django.conf import settings

from assessments import display

register = template.Library()

register.filter("signed", display.signed)
register.filter("number", display.number)
register.filter("band_label", display.band_label)
register.filter("severity_label", display.severity_label)
register.filter("rule_label", display.rule_label)
register.filter("person_name", display.person_name)
register.filter("source_label", display.source_label)


@register.filter
def value_label(value, scale: str) -> str:
    return display.value_label(scale, value)


@register.filter
def money(value) -> str:
    """An amount in the configured currency (settings.CURRENCY): '€9,500,000'."""
    return display.money(value, settings.CURRENCY)

"""Number formatting for the partner page.

The page prints about a hundred figures; Django's ``floatformat`` goes through
the localisation machinery for each one and was most of the page's render
time. These round half up exactly as ``floatformat:1`` does (from the float's
shortest repr), for the English-only figures this page shows.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import template

register = template.Library()

_TENTH = Decimal("0.1")


def _tenths(value) -> Decimal | None:
    if value is None or value == "":
        return None
    # Adding zero turns a rounded -0.0 into 0.0.
    return Decimal(repr(float(value))).quantize(_TENTH, rounding=ROUND_HALF_UP) + 0


@register.filter
def tenths(value) -> str:
    """57.05 -> '57.1'; None -> '—'."""
    rounded = _tenths(value)
    return "—" if rounded is None else f"{rounded}"


@register.filter
def signed_tenths(value) -> str:
    """+1.0, -2.5 or 0.0 (a plain hyphen-minus, like the rest of the page); None -> '—'."""
    rounded = _tenths(value)
    if rounded is None:
        return "—"
    return f"+{rounded}" if rounded > 0 else f"{rounded}"

"""How values are written for people: the one place for labels and number formats.

Pure (no Django). Templates reach these through the ``display`` filters
(``assessments/templatetags/display_tags.py``); e-mails and CSV use the same
functions, so a figure reads the same everywhere.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from assessments.scoring import Coverage, NotScoredReason, Scale
from assessments.vocabulary import BAND_LABELS, Band, Rule, Severity

MINUS = "\u2212"  # a real minus sign, never a hyphen
DASH = "—"  # shown for a missing value

# Words beside every number, so a scale is never read from colour or position alone.
SCALE_LABELS: dict[str, dict[int, str]] = {
    Scale.RATING.value: {1: "Poor", 2: "Weak", 3: "Adequate", 4: "Good", 5: "Excellent"},
    Scale.INTENSITY.value: {0: "None", 1: "Mild", 2: "Moderate", 3: "Severe"},
}

# "Not applicable / don't know" (docs/SCORING.md): a rating may not apply; a symptom may be unknown.
NOT_APPLICABLE_LABELS: dict[str, str] = {
    Scale.RATING.value: "Not applicable / don't know",
    Scale.INTENSITY.value: "Don't know",
}


def answer_label(scale: str, value: int | None) -> str:
    """A rater's answer as a hint beside an item: 'Good (4)', or the not-applicable words."""
    if value is None:
        return NOT_APPLICABLE_LABELS[scale]
    return f"{SCALE_LABELS[scale][value]} ({value})"


def coverage_label(share: float | None) -> str:
    """'61% answered' from a share of 0-1 (rounded down, so 59.6% never reads as the 60% needed)."""
    if share is None:
        return DASH
    return f"{int(share * 100 + 1e-9)}% answered"


def not_scored_reason(found: Coverage) -> str:
    """Why a check-up (or a quarter) that was answered has no score, in plain words."""
    needed = f"{int(found.min_coverage * 100 + 1e-9)}%"
    if found.reason is NotScoredReason.NO_RATING_RUBRIC:
        return (
            f"Not scored: no rating section has enough answers ({needed} of its weight each is needed); "
            'too many items were answered "not applicable / don\'t know".'
        )
    return (
        f"Not scored: only {int(found.overall * 100 + 1e-9)}% of the check-up was answered, and {needed} is needed; "
        'too many items were answered "not applicable / don\'t know".'
    )


def value_label(scale: str, value: float | None) -> str:
    """'4 · Good' for a whole answer; the nearest word for a mean ('2.5 · Moderate')."""
    if value is None:
        return DASH
    word = SCALE_LABELS[scale][round(value + 1e-9)]
    shown = f"{value:g}" if float(value).is_integer() else f"{value:.1f}"
    return f"{shown} · {word}"


# A rubric's source starts with the code of the article it comes from ("000: six characteristics
# of ..."): the code is ours, the article's title is what a reader can look up.
_ARTICLE_CODE = re.compile(r"^\s*\d{3}\s*[:\u2013-]\s*")


def source_label(source: str | None) -> str:
    """'000: six characteristics of ...' -> 'Six characteristics of ...'."""
    title = _ARTICLE_CODE.sub("", source or "")
    return title[:1].upper() + title[1:]


def band_label(band: str | None) -> str:
    return BAND_LABELS.get(Band(band), DASH) if band else DASH


def severity_label(severity: str | None) -> str:
    return Severity(severity).label if severity else DASH


def rule_label(rule: str | None) -> str:
    return Rule(rule).label if rule else DASH


def person_name(user) -> str:
    """First and last name, or the username; '' for nobody."""
    if user is None:
        return ""
    full = f"{getattr(user, 'first_name', '') or ''} {getattr(user, 'last_name', '') or ''}".strip()
    return full or getattr(user, "username", "") or ""


def rounded(value, digits: int = 1) -> Decimal | None:
    """Half-up rounding of a float as it prints (57.05 -> 57.1), never -0.0."""
    if value is None or value == "":
        return None
    quantum = Decimal(1).scaleb(-int(digits))
    return Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP) + 0


def number(value, digits: int = 1) -> str:
    """57.05 -> '57.1'; None -> '—'."""
    shown = rounded(value, digits)
    return DASH if shown is None else f"{shown}"


def signed(value, digits: int = 1) -> str:
    """A change with its sign spelled out: '+1.3', '-2.5' written with a real minus sign, '0.0'; None -> '—'."""
    shown = rounded(value, digits)
    if shown is None:
        return DASH
    if shown > 0:
        return f"+{shown}"
    if shown < 0:
        return f"{MINUS}{-shown}"
    return f"{shown}"


# Symbols for the currencies whose symbol reads unambiguously on its own; any other currency is
# written with its ISO code ("CHF 12,000"), which is never ambiguous.
CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "INR": "₹"}
NBSP = "\u00a0"


def money(value, currency: str) -> str:
    """An amount in whole units with its currency and thousands separators: '€9,500,000', 'CHF 12,000';
    None -> '—'. Amounts here are annual revenues and deal values, where cents only add noise."""
    if value is None or value == "":
        return DASH
    amount = Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP) + 0
    digits = f"{abs(amount):,}"
    sign = MINUS if amount < 0 else ""
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{currency}{NBSP}{digits}"


def money_header(name: str, currency: str) -> str:
    """A CSV column of plain amounts, named with its currency: 'annual_revenue_EUR'."""
    return f"{name}_{currency}"

"""The product's words, defined once: severities, detection rules and bands.

Pure (no Django). Each name is a ``StrEnum`` whose value is the stable key kept
in the database, CSV, JSON and the API; its ``label`` is what people read.
Model fields reuse these for their choices (``choices(Severity)``).
"""

from __future__ import annotations

from enum import StrEnum

from assessments.scoring import Band


class Severity(StrEnum):
    WATCH = "watch"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def label(self) -> str:
        return _SEVERITY_LABELS[self]

    @property
    def rank(self) -> int:
        """0 for watch, 2 for critical: a higher rank is worse."""
        return list(Severity).index(self)


_SEVERITY_LABELS = {Severity.WATCH: "Watch", Severity.WARNING: "Warning", Severity.CRITICAL: "Critical"}


class Rule(StrEnum):
    HEALTH_DECLINE = "health_decline"
    RUBRIC_DECLINE = "rubric_decline"
    BAND_DOWNGRADE = "band_downgrade"
    SYMPTOM_PERSISTENT = "symptom_persistent"
    RED_FLAG = "red_flag"
    # The partner's own rating of us (the mirror survey), run through the same detector.
    PARTNER_VIEW_DECLINE = "partner_view_decline"

    @property
    def label(self) -> str:
        return _RULE_LABELS[self]


_RULE_LABELS = {
    Rule.HEALTH_DECLINE: "Overall health declining",
    Rule.RUBRIC_DECLINE: "Rubric declining",
    Rule.BAND_DOWNGRADE: "Band downgraded",
    Rule.SYMPTOM_PERSISTENT: "Symptom persistent or rising",
    Rule.RED_FLAG: "Cut-bait red flag",
    Rule.PARTNER_VIEW_DECLINE: "The partner's view of us is declining",
}

BAND_LABELS = {Band.HEALTHY: "Healthy", Band.WATCH: "Watch", Band.AT_RISK: "At risk", Band.CRITICAL: "Critical"}


def choices(enum: type[StrEnum]) -> list[tuple[str, str]]:
    """(value, label) pairs for a model field's ``choices``."""
    return [(member.value, member.label) for member in enum]


__all__ = ["BAND_LABELS", "Band", "Rule", "Severity", "choices"]

"""Decline detection over a partner's quarterly snapshots: pure, no ORM.

The scoring engine says how healthy a partnership is *this* quarter; this module
says whether it is getting worse. Every rule compares the partner with its own
history (its baseline), never with other partners. The symptoms article (seed
002) warns that symptoms "may be temporary and take on varying degrees of
intensity", so what matters is "the context and frequency ... over the long
term": a bad quarter is a "watch" unless the decline lasts, or is far beyond
anything the partner's own history explains. Cut-bait red flags (seed 001) are
reported the quarter they appear.

``evaluate`` judges the last point of a series; ``replay`` shows what a scan at
the close of every quarter would have raised. The detector is split by concept:
``trend_types`` (the data and the thresholds), ``trend_context`` (baseline,
window, raters, noise) and ``trend_rules`` (the five rules). The rules, their
thresholds, a worked example of each and the backtest that calibrated them are
in docs/TRENDS.md.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

from assessments.trend_context import Context
from assessments.trend_context import baseline_noise as _noise
from assessments.trend_rules import RULES
from assessments.trend_types import (
    DEFAULT_CONFIG,
    Finding,
    PriorAlert,
    SnapshotPoint,
    TrendConfig,
    quarters_between,
)
from assessments.vocabulary import Rule, Severity

__all__ = [
    "DEFAULT_CONFIG",
    "Finding",
    "PriorAlert",
    "SnapshotPoint",
    "TrendConfig",
    "_noise",
    "evaluate",
    "quarters_between",
    "replay",
    "worst_first",
]


def evaluate(
    series: Sequence[SnapshotPoint],
    *,
    config: TrendConfig = DEFAULT_CONFIG,
    prior: Sequence[PriorAlert] = (),
    titles: Mapping[str, str] | None = None,
) -> list[Finding]:
    """Findings for the last point of ``series``, worst first, at most one per rule."""
    if not series:
        return []
    _check_order(series)
    ctx = Context(series, config, titles if titles is not None else config.titles)
    found = [finding for rule in RULES if (finding := rule(ctx)) is not None]
    kept = [f for f in found if not _cooling_down(f, prior, config)]
    kept.sort(key=lambda f: worst_first(f.severity, f.rule))
    return kept


def replay(
    series: Sequence[SnapshotPoint],
    config: TrendConfig = DEFAULT_CONFIG,
    *,
    titles: Mapping[str, str] | None = None,
) -> list[Finding]:
    """Every finding a scan at the close of each quarter would have produced.

    Each quarter's warnings and criticals become the next quarters' prior
    alerts, exactly as stored alerts would.
    """
    findings: list[Finding] = []
    prior: list[PriorAlert] = []
    for end in range(1, len(series) + 1):
        now = evaluate(series[:end], config=config, prior=prior, titles=titles)
        findings.extend(now)
        prior.extend(PriorAlert(f.rule, f.period, f.severity) for f in now if f.severity.rank >= Severity.WARNING.rank)
    return findings


def worst_first(severity: str, rule: str) -> tuple[int, int, str]:
    """Sort key for findings and alerts: the worst severity first, then the detector's order of rules."""
    rank = Severity(severity).rank if severity in _SEVERITY_VALUES else -1
    order = _RULE_ORDER.get(rule, len(_RULE_ORDER))
    return (-rank, order, rule)


_SEVERITY_VALUES = frozenset(Severity)
_RULE_ORDER = {rule.value: index for index, rule in enumerate(Rule)}


def _check_order(series: Sequence[SnapshotPoint]) -> None:
    for earlier, later in itertools.pairwise(series):
        if quarters_between(earlier.period, later.period) <= 0:
            raise ValueError(f"series must be sorted oldest first without repeats: {earlier.period}, {later.period}")


def _cooling_down(finding: Finding, prior: Sequence[PriorAlert], config: TrendConfig) -> bool:
    """True when the same rule already alerted recently at this severity or higher."""
    for alert in prior:
        if alert.rule != finding.rule:
            continue
        age = quarters_between(alert.period, finding.period)
        if 0 <= age <= config.cooldown_quarters and finding.severity.rank <= Severity(alert.severity).rank:
            return True
    return False

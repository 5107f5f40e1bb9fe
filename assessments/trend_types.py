"""The data of decline detection: a quarter's snapshot, a finding, the thresholds. Pure, no ORM.

``assessments.trends`` is the entry point (``evaluate``, ``replay``) and
re-exports everything here; docs/TRENDS.md explains every threshold.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

from assessments.evidence import Evidence
from assessments.periods import Quarter
from assessments.vocabulary import Rule, Severity


@dataclass(frozen=True)
class SnapshotPoint:
    period: str  # "YYYY-Qn"; a series is sorted oldest first and may have gaps
    health: float  # 0-100
    band: str  # a scoring.Band value
    rubric_scores: Mapping[str, float]  # rubric key -> 0-100
    items: Mapping[str, float]  # "rubric.item" -> mean on the native scale (1-5 rating, 0-3 symptom)
    # {"days_late": int | None, "info_withheld": bool, "abusive": bool}; days_late
    # is how far beyond the agreed terms the worst rater says payment arrived.
    red_flags: Mapping[str, object] = field(default_factory=dict)
    # Each rater's answers this quarter: a stable rater key (any string) -> "rubric.item"
    # -> value. Optional: without it every comparison is of the pooled means above.
    raters: Mapping[str, Mapping[str, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    rule: Rule  # stable, stored with alerts
    severity: Severity
    period: str
    explanation: str  # plain language: item titles and band labels, never keys
    items: tuple[str, ...]  # addresses of the items that moved, or the symptoms / flags concerned
    # The numbers the rule decided on (baseline, window, each named item's before and
    # after); the alert stores them and every page and e-mail reads them back.
    evidence: Evidence = field(default_factory=Evidence)


@dataclass(frozen=True)
class PriorAlert:
    """An alert already raised for this partner; drives the cooldown."""

    rule: str
    period: str
    severity: str


@dataclass(frozen=True)
class TrendConfig:
    # Fewer points than this: no decline verdict (rules 1-3); the baseline
    # would be one or two quarters of noise.
    min_history: int = 3
    # The recent window: the last this-many quarters *with data*. A decline
    # lasting through it is "confirmed" (warning or worse).
    confirm_quarters: int = 2
    # How many quarters with data before the window form the baseline (median).
    baseline_quarters: int = 8
    # A missed check-up is no evidence either way, so it neither breaks nor
    # resets a decline: the window is the last quarters with data, however far
    # apart. What a gap can make stale is the baseline, the partner's "usual":
    # its newest quarter must be at most this many quarters before the quarter
    # judged (a two-quarter window plus a year of missed check-ups), or nothing
    # is confirmed until newer quarters have rebuilt it. The same bound keeps
    # a symptom's run together.
    baseline_max_age: int = 6

    # "How far below baseline" is measured in units of the partner's own
    # noise, because one rater's score swings more than three raters' score.
    # The noise comes from the baseline quarters' successive differences,
    # pooled with a prior worth ``noise_prior_weight`` differences (so a short
    # or luckily flat history does not make the detector jumpy), and widened
    # for the uncertainty of a median of few quarters.
    noise_prior_weight: float = 8.0

    # Two quarters confirm a decline when their MEAN drop is at least
    # ``*_warning_z`` noise units (and ``*_warning_drop`` points), the last
    # quarter is at least ``each_quarter_z`` units down and the one before at
    # least ``earlier_quarter_z``: a gradual decline is smaller in its first
    # quarter than in its second. The quarters must also tell the same story:
    # a last quarter that bounced back from the worst by more than
    # ``recovery_z`` units is a dip recovering; one that fell more than
    # ``jump_z`` units below the quarter before rests on itself alone.
    each_quarter_z: float = 2.5
    earlier_quarter_z: float = 1.0
    recovery_z: float = 1.5
    jump_z: float = 1.75
    # A slide that began before the window must not drag the baseline down
    # with it: up to ``run_quarters`` quarters just before the window that
    # already sit ``run_z`` noise units below the baseline join the run, and
    # the baseline is taken before them.
    run_quarters: int = 2
    run_z: float = 1.0

    # Raters differ in how noisy they are. Each prior noise below is scaled by
    # the partner's own raters' noise: the within-rater quarter-to-quarter
    # spread of one item's answer (about 0.58 points on the 1-5 scale and 0.44
    # on the 0-3 symptom scale in the backtest), pooled with
    # ``item_noise_weight`` answers' worth of that prior.
    item_noise_prior: float = 0.58
    symptom_item_noise_prior: float = 0.44
    item_noise_weight: float = 20.0

    # Raters lean (one harsh, one lenient). A lean is estimated from the
    # quarters a rater shared with others and pulled towards 0 by
    # ``rater_shrinkage`` quarters' worth of doubt: two raters who shared one
    # quarter get two thirds of the difference they showed, four quarters
    # nine tenths. A rater nothing ties to the baseline's raters may lean
    # ``rater_lean_prior`` points either way, which widens the noise.
    rater_shrinkage: float = 0.5
    rater_lean_prior: float = 0.25

    # Overall health (0-100). The prior noise is the typical standard deviation
    # of a stable partner's health between quarters (about 5 in the backtest
    # portfolio; re-estimate it from live snapshots once there are some).
    health_noise_prior: float = 5.0
    health_watch_drop: float = 8.0  # one quarter this far below baseline: watch
    health_warning_drop: float = 6.0
    health_warning_z: float = 2.75
    health_critical_drop: float = 25.0  # confirmed and the last quarter this far down: critical

    # One rating rubric's 0-100 score. A themed decline (trust and honesty
    # eroding together) shows here first, diluted in overall health, so the
    # bar in noise units is lower than for health; the prior noise is higher
    # because a rubric averages only 6-7 items.
    rubric_noise_prior: float = 6.0
    rubric_watch_drop: float = 12.0
    rubric_warning_drop: float = 10.0
    rubric_warning_z: float = 2.0
    rubric_critical_drop: float = 35.0

    # A fresh band change is a watch only if health is also this far below
    # baseline, so a wobble across a band threshold is not a downgrade.
    band_min_drop: float = 5.0

    # Symptom intensity (0-3, mean over raters). 2 is "moderate"; 1.5 lets a
    # 2-and-1 pair of raters count, since averaging softens one rater's view.
    # A quarter counts as moderate only if it also stands ``symptom_z`` times
    # the partner's symptom noise above that symptom's usual level: raters
    # whose symptom answers swing a lot say "moderate" by chance.
    symptom_moderate: float = 1.5
    symptom_noise_prior: float = 0.45
    symptom_z: float = 2.5
    symptom_severe: float = 2.5  # two quarters running this high: critical
    # Moderate-or-worse this many quarters running: critical.
    symptom_critical_quarters: int = 4
    # This many symptoms moderate in the same quarter, each already up the
    # quarter before: a growing ailment, a warning at once.
    symptom_together: int = 2
    symptom_growing_z: float = 1.0
    # Recurrence that is not consecutive: moderate in this many of the last
    # ``symptom_recur_window`` quarters is persistent too (frequency over time).
    symptom_recur_count: int = 3
    symptom_recur_window: int = 4
    # Rising: strictly increasing over this many points, by at least this much
    # in total, is a watch (never more: a growing symptom warns through the
    # rules above, and a spike at the end of a chance rise is a dip's).
    symptom_rise_points: int = 3
    symptom_rise_min: float = 1.0

    # An item is named as having moved when its 0-100 equivalent moved at
    # least this far: 12.5 is half a point on the 1-5 scale; 25 is three
    # quarters of a point of symptom intensity, since one rater's "mild" on a
    # symptom that is usually absent is common noise. At most
    # ``max_items_named`` are named per finding.
    item_move_points: float = 12.5
    symptom_move_points: float = 25.0
    max_items_named: int = 4
    # This many items of one rating rubric worse in every quarter of the
    # confirm window (and now below baseline) are a rubric decline (a watch).
    item_run_min: int = 3

    # Days paid beyond the agreed terms. Seed 001: net 30 paid after 127 days
    # (97 days late) is a reason to cut bait.
    late_watch_days: int = 15
    late_warning_days: int = 30
    late_critical_days: int = 90

    # The same rule does not fire again at the same or lower severity in the
    # alert's quarter or the ``cooldown_quarters`` quarters after it.
    cooldown_quarters: int = 2

    # Rubrics scored on the 0-3 intensity scale (higher is sicker).
    symptom_rubrics: tuple[str, ...] = ("symptoms",)
    # Display names for addresses and rubric keys; without one, the key's last
    # part is written out in words ("characteristics.client_first" -> "Client first").
    titles: Mapping[str, str] = field(default_factory=dict)


DEFAULT_CONFIG = TrendConfig()


def quarters_between(earlier: str, later: str) -> int:
    """Calendar quarters from ``earlier`` to ``later`` (negative if later is earlier)."""
    return _quarter_index(later) - _quarter_index(earlier)


@functools.lru_cache(maxsize=4096)
def _quarter_index(code: str) -> int:
    quarter = Quarter.parse(code)
    return quarter.year * 4 + quarter.quarter - 1

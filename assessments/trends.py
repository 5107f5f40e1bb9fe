"""Decline detection over a partner's quarterly snapshots: pure, no ORM.

The scoring engine says how healthy a partnership is *this* quarter; this module
says whether it is getting worse. Every rule compares the partner with its own
history (its baseline), never with other partners, and a single bad quarter is
never more than a "watch": the symptoms article (seed 002) warns that symptoms
"may be temporary and take on varying degrees of intensity", so what matters is
"the context and frequency ... over the long term". Cut-bait red flags (seed
001) are the exception: they are reported the quarter they appear.

The rules, their thresholds and the backtest that calibrated them are described
in docs/TRENDS.md. ``evaluate`` judges the last point of a series;
``replay`` shows what a scan at the close of every quarter would have raised.
"""

from __future__ import annotations

import functools
import itertools
import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from assessments.display import number
from assessments.evidence import (
    HEALTH,
    ITEM_DIGITS,
    SCORE_DIGITS,
    Baseline,
    Evidence,
    FlagEvidence,
    ItemEvidence,
    Reading,
    ScoreEvidence,
)
from assessments.periods import Quarter
from assessments.scoring import Band, Scale, normalise
from assessments.vocabulary import BAND_LABELS, Rule, Severity


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
    # Consecutive quarters a decline must last to be "confirmed" (warning or
    # worse). One bad quarter is only ever a watch: symptoms can be temporary.
    confirm_quarters: int = 2
    # How many quarters before the recent window form the baseline (median).
    baseline_quarters: int = 8
    # Two points at most this many quarters apart count as consecutive, so one
    # missed survey does not reset a run; a longer gap does.
    max_gap_quarters: int = 2

    # "How far below baseline" is measured in units of the partner's own
    # noise, because one rater's score swings more than three raters' score.
    # The noise comes from the baseline quarters' successive differences,
    # pooled with a prior worth ``noise_prior_weight`` differences (so a short
    # or luckily flat history does not make the detector jumpy), and widened
    # for the uncertainty of a median of few quarters.
    noise_prior_weight: float = 8.0

    # A decline is confirmed when, over the confirm window, the MEAN drop is at
    # least ``*_warning_z`` noise units (and ``*_warning_drop`` points) and EACH
    # quarter is at least ``each_quarter_z`` units down. The quarters must also
    # tell the same story: a last quarter that bounced back from the worst by
    # more than ``recovery_z`` units is a dip recovering; one that fell more
    # than ``jump_z`` units below the rest rests on that quarter alone and waits
    # a quarter. The allowance for falling further is wider because a gradual
    # decline deepens every quarter.
    each_quarter_z: float = 2.0
    recovery_z: float = 1.5
    jump_z: float = 4.0

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
    rubric_warning_z: float = 2.25
    rubric_critical_drop: float = 35.0

    # A fresh band change is a watch only if health is also this far below
    # baseline, so a wobble across a band threshold is not a downgrade.
    band_min_drop: float = 5.0

    # Symptom intensity (0-3, mean over raters). 2 is "moderate"; 1.5 lets a
    # 2-and-1 pair of raters count, since averaging softens one rater's view.
    symptom_moderate: float = 1.5
    symptom_severe: float = 2.5  # two consecutive quarters this high: critical
    # Moderate-or-worse this many consecutive quarters: critical.
    symptom_critical_quarters: int = 4
    # Recurrence that is not consecutive: moderate in this many of the last
    # ``symptom_recur_window`` quarters is persistent too (frequency over time).
    symptom_recur_count: int = 3
    symptom_recur_window: int = 4
    # Rising: strictly increasing over this many points, by at least this much
    # in total, is a watch; rising over ``symptom_rise_warning_points`` points
    # and ending moderate or worse is a warning. Two rises in a row happen by
    # chance with integer ratings, three rarely do.
    symptom_rise_points: int = 3
    symptom_rise_warning_points: int = 4
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
    ctx = _Context(series, config, titles if titles is not None else config.titles)
    found = [finding for rule in _RULES if (finding := rule(ctx)) is not None]
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


def quarters_between(earlier: str, later: str) -> int:
    """Calendar quarters from ``earlier`` to ``later`` (negative if later is earlier)."""
    return _quarter_index(later) - _quarter_index(earlier)


@functools.lru_cache(maxsize=4096)
def _quarter_index(code: str) -> int:
    quarter = Quarter.parse(code)
    return quarter.year * 4 + quarter.quarter - 1


# --------------------------------------------------------------------------- #
# Shared context


class _Context:
    def __init__(self, series: Sequence[SnapshotPoint], config: TrendConfig, titles: Mapping[str, str]):
        self.series = series
        self.config = config
        self.titles = titles
        self.last = series[-1]
        self.enough_history = len(series) >= config.min_history
        window = config.confirm_quarters
        start = max(0, len(series) - window - config.baseline_quarters)
        self.baseline_points = list(series[start : len(series) - window])
        self.recent = list(series[-window:])

    @property
    def recent_is_consecutive(self) -> bool:
        return len(self.recent) == self.config.confirm_quarters and _consecutive(self.recent, self.config)

    def baseline(self, value: Callable[[SnapshotPoint], float | None]) -> float | None:
        values = [v for p in self.baseline_points if (v := value(p)) is not None]
        return statistics.median(values) if values else None

    def title(self, key: str) -> str:
        """What people call a rubric or an item: its title, never its key."""
        return self.titles.get(key) or key.rpartition(".")[2].replace("_", " ").capitalize()

    def is_symptom(self, address: str) -> bool:
        return address.partition(".")[0] in self.config.symptom_rubrics

    def scale(self, address: str) -> Scale:
        return Scale.INTENSITY if self.is_symptom(address) else Scale.RATING

    def move_points(self, address: str) -> float:
        """How far an item must move, in 0-100 points, to be named."""
        return self.config.symptom_move_points if self.is_symptom(address) else self.config.item_move_points

    def goodness(self, address: str, value: float) -> float:
        """An item value as 0-100 health points, so ratings and symptoms compare."""
        return normalise(self.scale(address), value)

    def item_evidence(self, address: str, path: Sequence[SnapshotPoint] = ()) -> ItemEvidence:
        """An item's baseline and latest value, as the rules compare them (and the quarters judged, if any)."""
        before = self.baseline(lambda p: p.items.get(address))
        after = self.last.items[address]
        return ItemEvidence(
            address=address,
            scale=self.scale(address).value,
            after=after,
            after_points=self.goodness(address, after),
            before=before,
            before_points=None if before is None else self.goodness(address, before),
            path=tuple(Reading(p.period, p.items[address]) for p in path),
        )


def _check_order(series: Sequence[SnapshotPoint]) -> None:
    for earlier, later in itertools.pairwise(series):
        if quarters_between(earlier.period, later.period) <= 0:
            raise ValueError(f"series must be sorted oldest first without repeats: {earlier.period}, {later.period}")


def _consecutive(points: Sequence[SnapshotPoint], config: TrendConfig) -> bool:
    return all(quarters_between(a.period, b.period) <= config.max_gap_quarters for a, b in itertools.pairwise(points))


def _fmt(value: float) -> str:
    """A 0-100 score as the page and the e-mail print it too."""
    return number(value, SCORE_DIGITS)


def _fmt_item(value: float) -> str:
    """An item on its own scale as the page and the e-mail print it too."""
    return number(value, ITEM_DIGITS)


def _band(band: str) -> str:
    return BAND_LABELS[Band(band)]


def _quarters(n: int) -> str:
    return f"{n} quarter" if n == 1 else f"{n} quarters"


def _moved_items(ctx: _Context, addresses: Sequence[str]) -> list[ItemEvidence]:
    """The items that worsened most against their baseline, worst first."""
    moves = []
    for address in addresses:
        if ctx.last.items.get(address) is None:
            continue
        item = ctx.item_evidence(address)
        if item.before_points is None:
            continue
        loss = item.before_points - item.after_points
        if loss >= ctx.move_points(address):
            moves.append((loss, item))
    moves.sort(key=lambda m: (-m[0], m[1].address))
    return [item for _, item in moves[: ctx.config.max_items_named]]


def _list_moves(ctx: _Context, moves: Sequence[ItemEvidence]) -> str:
    return ", ".join(f"{ctx.title(m.address)} {_fmt_item(m.before)}→{_fmt_item(m.after)}" for m in moves)  # type: ignore[arg-type]


def _moves_sentence(ctx: _Context, moves: Sequence[ItemEvidence]) -> str:
    """' Biggest drops: ... Symptoms up: ...' or '' when nothing moved enough."""
    drops = [m for m in moves if not ctx.is_symptom(m.address)]
    rises = [m for m in moves if ctx.is_symptom(m.address)]
    text = f" Biggest drops: {_list_moves(ctx, drops)}." if drops else ""
    return text + (f" Symptoms up: {_list_moves(ctx, rises)}." if rises else "")


def _addresses(items: Sequence[ItemEvidence]) -> tuple[str, ...]:
    return tuple(i.address for i in items)


def _merge_items(*groups: Sequence[ItemEvidence]) -> tuple[ItemEvidence, ...]:
    """Each address once, the first mention kept unless a later one lists the quarters judged."""
    merged: dict[str, ItemEvidence] = {}
    for group in groups:
        for item in group:
            if item.address not in merged or (item.path and not merged[item.address].path):
                merged[item.address] = item
    return tuple(merged.values())


def _health_evidence(ctx: _Context, points: Sequence[SnapshotPoint], baseline: float) -> ScoreEvidence:
    """Health against its baseline, with the bands, over ``points``."""
    base_rank = statistics.median_low(Band(p.band).rank for p in ctx.baseline_points)
    return ScoreEvidence(
        key=HEALTH,
        baseline=Baseline(baseline, tuple(p.period for p in ctx.baseline_points), list(Band)[base_rank].value),
        window=tuple(Reading(p.period, p.health, p.band) for p in points),
    )


# --------------------------------------------------------------------------- #
# Rule 1-2: a decline of a score against its own baseline


@dataclass(frozen=True)
class _Limits:
    watch: float
    warning: float
    warning_z: float
    critical: float
    noise_prior: float


@dataclass(frozen=True)
class _Decline:
    severity: Severity
    baseline: float
    baseline_periods: tuple[str, ...]  # the quarters ``baseline`` is the median of
    window: tuple[Reading, ...]  # the recent window's values, oldest first
    confirmed: bool

    @property
    def values(self) -> tuple[float, ...]:
        return tuple(r.value for r in self.window)

    def evidence(self, key: str) -> ScoreEvidence:
        return ScoreEvidence(key, Baseline(self.baseline, self.baseline_periods), self.window)


def _health_limits(config: TrendConfig) -> _Limits:
    return _Limits(
        config.health_watch_drop,
        config.health_warning_drop,
        config.health_warning_z,
        config.health_critical_drop,
        config.health_noise_prior,
    )


def _rubric_limits(config: TrendConfig) -> _Limits:
    return _Limits(
        config.rubric_watch_drop,
        config.rubric_warning_drop,
        config.rubric_warning_z,
        config.rubric_critical_drop,
        config.rubric_noise_prior,
    )


def _noise(history: Sequence[float], prior: float, weight: float) -> float:
    """The standard error of one quarter's distance from the baseline.

    The partner's own quarter-to-quarter noise, from successive differences
    (so a step or a slide inside the baseline barely inflates it, where a
    spread around the median would), pooled with a prior, and widened because
    a median of few quarters is itself uncertain (its variance is about pi/2
    times that of a mean).
    """
    halves = [(b - a) ** 2 / 2 for a, b in itertools.pairwise(history)]
    variance = (weight * prior**2 + sum(halves)) / (weight + len(halves))
    return math.sqrt(variance * (1 + math.pi / 2 / len(history)))


def _decline(ctx: _Context, value: Callable[[SnapshotPoint], float | None], limits: _Limits) -> _Decline | None:
    """Grade how far a score sits below its baseline, confirming over the window.

    Only a decline that lasts ``confirm_quarters`` consecutive quarters may be a
    warning; one quarter is a watch however deep (seed 002: symptoms "may be
    temporary", it is their frequency that counts).
    """
    if not ctx.enough_history:
        return None
    known = [(p.period, v) for p in ctx.baseline_points if (v := value(p)) is not None]
    history = [v for _, v in known]
    values = [value(p) for p in ctx.recent]
    if not history or values[-1] is None:
        return None
    baseline = statistics.median(history)
    last_drop = baseline - values[-1]
    if last_drop < limits.watch:
        return None
    noise = _noise(history, limits.noise_prior, ctx.config.noise_prior_weight)
    needed = max(limits.warning, limits.warning_z * noise)
    drops = [baseline - v for v in values if v is not None]
    confirmed = (
        ctx.recent_is_consecutive
        and len(drops) == len(values)
        and min(drops) >= max(limits.warning, ctx.config.each_quarter_z * noise)
        and statistics.fmean(drops) >= needed
        and max(drops) - last_drop <= ctx.config.recovery_z * noise
        and last_drop - min(drops[:-1], default=last_drop) <= ctx.config.jump_z * noise
    )
    if not confirmed:
        severity = Severity.WATCH
    else:
        severity = Severity.CRITICAL if last_drop >= limits.critical else Severity.WARNING
    window = tuple(Reading(p.period, v) for p, v in zip(ctx.recent, values, strict=True) if v is not None)
    return _Decline(severity, baseline, tuple(period for period, _ in known), window, confirmed)


def _all_addresses(ctx: _Context) -> list[str]:
    return sorted(ctx.last.items)


def _health_decline(ctx: _Context) -> Finding | None:
    c = ctx.config
    decline = _decline(ctx, lambda p: p.health, _health_limits(c))
    if decline is None:
        return None
    score = _health_evidence(ctx, ctx.recent, decline.baseline)
    moves = _moved_items(ctx, _all_addresses(ctx))
    n = len(score.baseline.periods)
    if decline.confirmed:
        path = ", ".join(f"{r.period}: {_fmt(r.value)}" for r in score.window)
        text = (
            f"Overall health fell from {_fmt(decline.baseline)} to {_fmt(ctx.last.health)} over "
            f"{_quarters(len(score.window))} ({path}; baseline {_fmt(decline.baseline)}, the median of "
            f"{_quarters(n)} before)."
        )
    else:
        below = -score.change(score.window[-1])  # type: ignore[operator]
        text = (
            f"Overall health dipped to {_fmt(ctx.last.health)} in {ctx.last.period}, "
            f"{below} points below its baseline of {_fmt(decline.baseline)} "
            f"(median of {_quarters(n)}); not yet a confirmed decline."
        )
    text += _moves_sentence(ctx, moves)
    evidence = Evidence(scores=(score,), items=tuple(moves))
    return Finding(Rule.HEALTH_DECLINE, decline.severity, ctx.last.period, text, _addresses(moves), evidence)


@dataclass(frozen=True)
class _Part:
    """What rule 2 found in one rubric."""

    severity: Severity
    sentence: str
    scores: tuple[ScoreEvidence, ...] = ()
    items: tuple[ItemEvidence, ...] = ()


def _rubric_decline(ctx: _Context) -> Finding | None:
    parts: list[_Part] = []
    for rubric in sorted(ctx.last.rubric_scores):
        addresses = sorted(a for a in ctx.last.items if a.partition(".")[0] == rubric)
        part = _rubric_score_decline(ctx, rubric, addresses)
        falling = _rubric_items_falling(ctx, rubric, addresses)
        if part is None:
            part = falling
        elif falling is not None and part.severity == Severity.WATCH:
            part = _Part(
                Severity.WATCH,
                f"{part.sentence} {falling.sentence}",
                part.scores,
                _merge_items(part.items, falling.items),
            )
        if part is not None:
            parts.append(part)
    if not parts:
        return None
    parts.sort(key=lambda part: -part.severity.rank)
    items = _merge_items(*(part.items for part in parts))
    evidence = Evidence(scores=tuple(s for part in parts for s in part.scores), items=items)
    text = " ".join(part.sentence for part in parts)
    return Finding(Rule.RUBRIC_DECLINE, parts[0].severity, ctx.last.period, text, _addresses(items), evidence)


def _rubric_score_decline(ctx: _Context, rubric: str, addresses: Sequence[str]) -> _Part | None:
    decline = _decline(ctx, lambda p: p.rubric_scores.get(rubric), _rubric_limits(ctx.config))
    if decline is None:
        return None
    severity = decline.severity
    if rubric in ctx.config.symptom_rubrics:
        # The symptom rubric sits on a floor (100 = no symptoms at all), so its
        # spread says little about its noise; rule 4 follows each symptom's
        # recurrence instead, as seed 002 advises. A broad rise is a watch.
        severity = Severity.WATCH
    moves = _moved_items(ctx, addresses)
    span = _quarters(len(decline.values)) if decline.confirmed else "1 quarter"
    sentence = (
        f"{ctx.title(rubric)} score fell from {_fmt(decline.baseline)} to {_fmt(decline.values[-1])} "
        f"over {span} (baseline {_fmt(decline.baseline)})"
    )
    if moves:
        sentence += f": {_list_moves(ctx, moves)}"
    return _Part(severity, sentence + ".", (decline.evidence(rubric),), tuple(moves))


def _rubric_items_falling(ctx: _Context, rubric: str, addresses: Sequence[str]) -> _Part | None:
    """Several items of one rubric worse every quarter of the window, before the
    rubric score itself has crossed its bar: the early shape of a slide."""
    c = ctx.config
    if not ctx.enough_history or rubric in c.symptom_rubrics:
        return None
    points = ctx.series[-(c.confirm_quarters + 1) :]
    if len(points) <= c.confirm_quarters or not _consecutive(points, c):
        return None
    falling: list[ItemEvidence] = []
    for address in addresses:
        if any(p.items.get(address) is None for p in points):
            continue
        item = ctx.item_evidence(address, points)
        if item.before_points is None:
            continue
        goods = [ctx.goodness(address, r.value) for r in item.path]
        below = item.before_points - item.after_points >= c.item_move_points
        if below and all(b < a for a, b in itertools.pairwise(goods)):
            falling.append(item)
    if len(falling) < c.item_run_min:
        return None
    listed = ", ".join(f"{ctx.title(i.address)} {'→'.join(_fmt_item(r.value) for r in i.path)}" for i in falling)
    sentence = (
        f"In {ctx.title(rubric)}, {len(falling)} items fell in each of the last "
        f"{_quarters(c.confirm_quarters)}: {listed}."
    )
    # Only a watch: in the backtest, promoting this to a warning caught no
    # decline the rubric score missed and added false alarms.
    return _Part(Severity.WATCH, sentence, (), tuple(falling))


# --------------------------------------------------------------------------- #
# Rule 3: band downgrade


def _band_rank(band: str) -> int:
    return Band(band).rank


def _band_downgrade(ctx: _Context) -> Finding | None:
    """A worse band than before, graded by whether it held.

    A fresh downgrade (worse than last quarter) is a watch. A warning needs the
    band to stay below the baseline band for the confirm window *and* health to
    pass the same confirmed-decline test as rule 1, so a partner sitting on a
    band threshold does not flap into alerts; landing in critical, or two bands
    down, is critical.
    """
    c = ctx.config
    if not ctx.enough_history or len(ctx.series) < 2 or not ctx.baseline_points:
        return None
    baseline_health = statistics.median(p.health for p in ctx.baseline_points)
    base_rank = statistics.median_low(_band_rank(p.band) for p in ctx.baseline_points)
    previous, last = ctx.series[-2], ctx.last
    fresh = _band_rank(last.band) > _band_rank(previous.band) and baseline_health - last.health >= c.band_min_drop
    decline = _decline(ctx, lambda p: p.health, _health_limits(c))
    held = decline is not None and decline.confirmed and all(_band_rank(p.band) > base_rank for p in ctx.recent)
    if not (fresh or held):
        return None
    base_band = _band(list(Band)[base_rank])
    if held:
        severe = last.band == Band.CRITICAL or _band_rank(last.band) - base_rank >= 2
        severity = Severity.CRITICAL if severe else Severity.WARNING
        text = (
            f"Band fell from {base_band} to {_band(last.band)} and has stayed below {base_band} for "
            f"{_quarters(len(ctx.recent))} ({', '.join(f'{p.period}: {_band(p.band)}' for p in ctx.recent)})."
        )
    else:
        severity = Severity.WATCH
        text = (
            f"Band fell from {_band(previous.band)} ({previous.period}) to {_band(last.band)} ({last.period}); "
            f"health {_fmt(previous.health)}→{_fmt(last.health)}. One quarter is not yet a trend."
        )
    moves = _moved_items(ctx, _all_addresses(ctx))
    text += _moves_sentence(ctx, moves)
    evidence = Evidence(scores=(_health_evidence(ctx, [previous, last], baseline_health),), items=tuple(moves))
    return Finding(Rule.BAND_DOWNGRADE, severity, last.period, text, _addresses(moves), evidence)


# --------------------------------------------------------------------------- #
# Rule 4: symptoms that recur or rise


def _trailing_run(ctx: _Context, address: str, threshold: float) -> list[SnapshotPoint]:
    """The consecutive points, ending with the last, where a symptom is at least ``threshold``."""
    run: list[SnapshotPoint] = []
    for point in reversed(ctx.series):
        value = point.items.get(address)
        if value is None or value < threshold:
            break
        if run and quarters_between(point.period, run[-1].period) > ctx.config.max_gap_quarters:
            break
        run.append(point)
    return run[::-1]


def _symptom_verdict(ctx: _Context, address: str) -> tuple[Severity, str, list[SnapshotPoint]] | None:
    """(severity, sentence, the quarters judged) for one symptom, or None."""
    c = ctx.config
    last = ctx.last.items.get(address)
    if last is None:
        return None
    name = ctx.title(address)
    run = _trailing_run(ctx, address, c.symptom_moderate)
    values = ", ".join(f"{p.period}: {_fmt_item(p.items[address])}" for p in run)
    if len(run) >= 2:
        severe = len(_trailing_run(ctx, address, c.symptom_severe)) >= 2
        severity = Severity.CRITICAL if severe or len(run) >= c.symptom_critical_quarters else Severity.WARNING
        return severity, f"{name} has been moderate or worse for {_quarters(len(run))} in a row ({values}).", run

    window = ctx.series[-c.symptom_recur_window :]
    hits = [p for p in window if p.items.get(address, 0.0) >= c.symptom_moderate]
    if last >= c.symptom_moderate and len(hits) >= c.symptom_recur_count:
        listed = ", ".join(f"{p.period}: {_fmt_item(p.items[address])}" for p in hits)
        sentence = (
            f"{name} keeps recurring: moderate or worse in {len(hits)} of the last {_quarters(len(window))} ({listed})."
        )
        return Severity.WARNING, sentence, hits

    rise = _rise(ctx, address)
    if len(rise) >= c.symptom_rise_points:
        steady = len(rise) >= c.symptom_rise_warning_points and last >= c.symptom_moderate
        path = "→".join(_fmt_item(p.items[address]) for p in rise)
        severity = Severity.WARNING if steady else Severity.WATCH
        return severity, f"{name} has risen for {_quarters(len(rise) - 1)} in a row ({path}).", rise
    return None


def _rise(ctx: _Context, address: str) -> list[SnapshotPoint]:
    """The strictly rising run of a symptom ending with the last point, if it rose enough."""
    run: list[SnapshotPoint] = []
    for point in reversed(ctx.series):
        value = point.items.get(address)
        if value is None or (run and value >= run[-1].items[address]):
            break
        if run and quarters_between(point.period, run[-1].period) > ctx.config.max_gap_quarters:
            break
        run.append(point)
    run.reverse()
    rose = len(run) >= 2 and run[-1].items[address] - run[0].items[address] >= ctx.config.symptom_rise_min
    return run if rose else []


def _symptom_persistent(ctx: _Context) -> Finding | None:
    verdicts = []
    for address in sorted(a for a in ctx.last.items if ctx.is_symptom(a)):
        verdict = _symptom_verdict(ctx, address)
        if verdict is not None:
            severity, sentence, path = verdict
            verdicts.append((severity, sentence, ctx.item_evidence(address, path)))
    if not verdicts:
        return None
    verdicts.sort(key=lambda v: (-v[0].rank, v[2].address))
    items = tuple(item for _, _, item in verdicts)
    return Finding(
        Rule.SYMPTOM_PERSISTENT,
        verdicts[0][0],
        ctx.last.period,
        " ".join(sentence for _, sentence, _ in verdicts),
        _addresses(items),
        Evidence(items=items),
    )


# --------------------------------------------------------------------------- #
# Rule 5: cut-bait red flags (seed 001), judged on the last point alone


def _red_flag(ctx: _Context) -> Finding | None:
    c = ctx.config
    flags = ctx.last.red_flags
    raised: list[tuple[Severity, FlagEvidence, str]] = []
    days = flags.get("days_late")
    if isinstance(days, int | float) and not isinstance(days, bool) and days > c.late_watch_days:
        if days > c.late_critical_days:
            severity = Severity.CRITICAL
        elif days > c.late_warning_days:
            severity = Severity.WARNING
        else:
            severity = Severity.WATCH
        raised.append(
            (severity, FlagEvidence("red_flags.days_late", days), f"paid {days:.0f} days beyond the agreed terms")
        )
    if flags.get("info_withheld"):
        raised.append(
            (
                Severity.WARNING,
                FlagEvidence("red_flags.info_withheld", True),
                "withholds information about its problems",
            )
        )
    if flags.get("abusive"):
        raised.append(
            (Severity.CRITICAL, FlagEvidence("red_flags.abusive", True), "rude or abusive towards our people")
        )
    if not raised:
        return None
    raised.sort(key=lambda r: -r[0].rank)
    text = f"Red flags in {ctx.last.period}: the partner " + "; ".join(r[2] for r in raised) + "."
    flagged = tuple(flag for _, flag, _ in raised)
    return Finding(
        Rule.RED_FLAG, raised[0][0], ctx.last.period, text, tuple(f.key for f in flagged), Evidence(flags=flagged)
    )


_RULES: tuple[Callable[[_Context], Finding | None], ...] = (
    _health_decline,
    _rubric_decline,
    _band_downgrade,
    _symptom_persistent,
    _red_flag,
)


def _cooling_down(finding: Finding, prior: Sequence[PriorAlert], config: TrendConfig) -> bool:
    """True when the same rule already alerted recently at this severity or higher."""
    for alert in prior:
        if alert.rule != finding.rule:
            continue
        age = quarters_between(alert.period, finding.period)
        if 0 <= age <= config.cooldown_quarters and finding.severity.rank <= Severity(alert.severity).rank:
            return True
    return False

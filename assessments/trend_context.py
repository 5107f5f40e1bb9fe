"""What every decline rule shares: the baseline, the window, values restated for a change of
raters, the noise, and the test of a confirmed decline. Pure, no ORM.

See ``assessments.trends`` and docs/TRENDS.md.
"""

from __future__ import annotations

import functools
import itertools
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from assessments.display import number
from assessments.evidence import (
    HEALTH,
    ITEM_DIGITS,
    SCORE_DIGITS,
    Baseline,
    ItemEvidence,
    Reading,
    ScoreEvidence,
)
from assessments.scoring import Band, Scale, normalise
from assessments.trend_types import SnapshotPoint, TrendConfig, quarters_between
from assessments.vocabulary import BAND_LABELS, Severity


class Context:
    def __init__(self, series: Sequence[SnapshotPoint], config: TrendConfig, titles: Mapping[str, str]):
        self.series = series
        self.config = config
        self.titles = titles
        self.last = series[-1]
        self.enough_history = len(series) >= config.min_history
        end = len(series) - config.confirm_quarters
        self.baseline_at = range(max(0, end - config.baseline_quarters), max(0, end))
        self.recent_at = range(max(0, end), len(series))
        self.baseline_points = [series[i] for i in self.baseline_at]
        # The baseline is recent enough to compare with (see ``baseline_max_age``).
        self.fresh = bool(self.baseline_points) and self.age(self.baseline_points[-1]) <= config.baseline_max_age
        self._values: dict[str, list[float | None]] = {}
        self._rating_rubrics = sorted(k for k in self.last.rubric_scores if k not in config.symptom_rubrics)

    def age(self, point: SnapshotPoint) -> int:
        """Quarters from ``point`` to the quarter judged."""
        return quarters_between(point.period, self.last.period)

    def values(self, key: str) -> list[float | None]:
        """``key`` (health, a rubric or an item) in every quarter, as this quarter's raters see it.

        Raters lean: one is harsh, another lenient. Where the raters of an
        earlier quarter differ from this quarter's, the earlier value is
        restated by the difference of the two panels' leanings
        (``_rater_leanings``), so that a change of rater neither fakes nor
        hides a decline. With the same raters in both quarters the stored
        value stands.
        """
        if key not in self._values:
            self._values[key] = [self._restated(index, key) for index in range(len(self.series))]
        return self._values[key]

    def baseline_values(self, key: str) -> list[float]:
        values = self.values(key)
        return [v for i in self.baseline_at if (v := values[i]) is not None]

    def baseline(self, key: str) -> float | None:
        history = self.baseline_values(key)
        return statistics.median(history) if history else None

    def restated(self, key: str) -> bool:
        """True when some quarter of the baseline or the window was restated for a change of raters."""
        values = self.values(key)
        return any(values[i] != _pooled(self, self.series[i], key) for i in (*self.baseline_at, *self.recent_at))

    @functools.cached_property
    def unlinked(self) -> float:
        """How far this quarter's raters are untied to the baseline's, from 0 to 1.

        The larger of two shares:

        * this quarter's raters nothing ties to the baseline's raters. A rater is
          tied when they rated a baseline quarter, or shared a quarter with a
          tied rater (so their lean is known relative to the baseline's). An
          untied rater's lean is indistinguishable from a change of level;
        * the baseline quarters rated only by raters that nothing ties to this
          quarter's raters, squared: the baseline is their median, which a
          minority of such quarters hardly moves and a majority sets (one
          rater handing over to another who never rated beside them).
        """
        now = self.last.raters
        if not now:
            return 0.0
        tied = _linked(self.series, {r for p in self.baseline_points for r in p.raters})
        untied_now = sum(r not in tied for r in now) / len(now)
        rated = [p for p in self.baseline_points if p.raters]
        if not rated:
            return untied_now
        ours = _linked(self.series, set(now))
        untied_then = sum(1 for p in rated if not ours & p.raters.keys()) / len(rated)
        return max(untied_now, untied_then**2)

    def noise_scale(self, *, symptoms: bool) -> float:
        """How noisy this partner's raters are, as a multiple of the assumed ``item_noise_prior``.

        Measured within rater: the same rater's answers in two successive
        quarters with data, each item's change less the mean change of its
        rubric (so a decline, the quarter's mood or a drift, which move a
        rubric as a whole, do not count as noise), pooled with
        ``item_noise_weight`` answers' worth of the prior. A rubric averages many
        answers, so the raters' noise is known long before a score's few
        quarter-to-quarter differences could say it.
        """
        return self._noise_scales[symptoms]

    @functools.cached_property
    def _noise_scales(self) -> dict[bool, float]:
        c = self.config
        squares: dict[bool, list[float]] = {False: [], True: []}
        for a, b in itertools.pairwise(self.series):
            for rater in a.raters.keys() & b.raters.keys():
                changes: dict[str, list[float]] = {}
                for item, value in a.raters[rater].items():
                    if item in b.raters[rater]:
                        changes.setdefault(item.partition(".")[0], []).append(b.raters[rater][item] - value)
                for rubric, moved in changes.items():
                    if len(moved) >= 2:
                        centre = statistics.fmean(moved)
                        factor = len(moved) / (len(moved) - 1) / 2
                        squares[rubric in c.symptom_rubrics] += [(m - centre) ** 2 * factor for m in moved]
        scales = {}
        for symptoms, prior in ((False, c.item_noise_prior), (True, c.symptom_item_noise_prior)):
            weight, found = c.item_noise_weight, squares[symptoms]
            # Never below 1: raters calmer than assumed may still change their panel or mood,
            # which no within-rater difference measures.
            scales[symptoms] = max(1.0, math.sqrt((weight * prior**2 + sum(found)) / (weight + len(found))) / prior)
        return scales

    def turnover_noise(self, noise: float, unit: float) -> float:
        """``noise`` widened for this quarter's untied raters: each may lean ``rater_lean_prior`` either way."""
        extra = 2 * self.unlinked * (self.config.rater_lean_prior * unit) ** 2
        return math.sqrt(noise**2 + extra)

    @functools.cached_property
    def _leanings(self) -> tuple[dict[str, float], dict[str, float]]:
        return _rater_leanings(self, symptoms=False), _rater_leanings(self, symptoms=True)

    def _shift(self, index: int, symptoms: bool) -> float:
        """How much more the raters of quarter ``index`` lean up than this quarter's raters (0 for the same panel)."""
        leanings = self._leanings[symptoms]
        then, now = self.series[index].raters, self.last.raters
        if not then or not now or then.keys() == now.keys():
            return 0.0
        return statistics.fmean(leanings.get(r, 0.0) for r in then) - statistics.fmean(
            leanings.get(r, 0.0) for r in now
        )

    def _restated(self, index: int, key: str) -> float | None:
        point = self.series[index]
        pooled = _pooled(self, point, key)
        shift = self._shift(index, symptoms=self.is_symptom(key))
        if pooled is None or shift == 0:
            return pooled
        if key == HEALTH:
            # Health is base x symptom multiplier: restate the base (the mean of the rating
            # rubrics, which weigh the same in the v1 rubrics) and keep the multiplier.
            scores = [point.rubric_scores.get(r) for r in self._rating_rubrics]
            if not scores or None in scores or statistics.fmean(scores) <= 0:  # type: ignore[arg-type]
                return pooled
            base = statistics.fmean(scores)  # type: ignore[arg-type]
            return _clamp(pooled * (base - _unit(self, key) * shift) / base, 0, 100)
        if key in self.last.rubric_scores:
            # A 0-100 score: a rating point is 25 points; a symptom point 100/3, the other way.
            sign = -1 if self.is_symptom(key) else 1
            return _clamp(pooled - sign * _unit(self, key) * shift, 0, 100)
        low, high = self.scale(key).bounds
        return _clamp(pooled - shift, low, high)

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

    def item_evidence(self, address: str, path: Sequence[int] = ()) -> ItemEvidence:
        """An item's baseline and latest value, as the rules compare them (and the quarters judged, if any)."""
        before = self.baseline(address)
        values = self.values(address)
        after = values[-1]
        return ItemEvidence(
            address=address,
            scale=self.scale(address).value,
            after=after,  # type: ignore[arg-type]
            after_points=self.goodness(address, after),  # type: ignore[arg-type]
            before=before,
            before_points=None if before is None else self.goodness(address, before),
            path=tuple(Reading(self.series[i].period, values[i]) for i in path),  # type: ignore[arg-type]
        )


def _linked(series: Sequence[SnapshotPoint], raters: set[str]) -> set[str]:
    """``raters`` and every rater a chain of shared quarters ties to them."""
    tied = set(raters)
    grew = True
    while grew:
        grew = False
        for point in series:
            if tied & point.raters.keys() and not point.raters.keys() <= tied:
                tied |= point.raters.keys()
                grew = True
    return tied


def _unit(ctx: Context, key: str) -> float:
    """How many of ``key``'s units one point of a rater's answers is worth."""
    if key == HEALTH or key in ctx.last.rubric_scores:
        low, high = ctx.scale(key).bounds
        return 100 / (high - low)
    return 1.0


def _pooled(ctx: Context, point: SnapshotPoint, key: str) -> float | None:
    """``key`` as stored: over every rater of the quarter."""
    if key == HEALTH:
        return point.health
    if key in ctx.last.rubric_scores:
        return point.rubric_scores.get(key)
    return point.items.get(key)


def _clamp(value: float, low: float, high: float) -> float:
    return min(float(high), max(float(low), value))


def _rater_leanings(ctx: Context, *, symptoms: bool) -> dict[str, float]:
    """Each rater's lean on the rating items (or the symptoms), from the quarters raters shared.

    A two-way model: a rater's mean answer in a quarter is the quarter's level
    plus the rater's lean, fitted by least squares over every quarter with two
    or more raters. Quarters link raters in chains (A with B, then B with C),
    so A and C compare though they never rated together. A lean is shrunk
    towards 0 by ``rater_shrinkage`` quarters' worth of evidence, so a rater
    seen once barely counts and one never seen beside another counts 0.
    """
    quarters = []
    for point in ctx.series:
        means = {
            rater: statistics.fmean(values)
            for rater, answers in point.raters.items()
            if (values := [v for a, v in answers.items() if ctx.is_symptom(a) == symptoms])
        }
        if len(means) >= 2:
            quarters.append(means)
    raters = sorted({r for means in quarters for r in means})
    index = {r: k for k, r in enumerate(raters)}
    matrix = [[ctx.config.rater_shrinkage if a == b else 0.0 for b in raters] for a in raters]
    rhs = [0.0] * len(raters)
    for means in quarters:
        centre = statistics.fmean(means.values())
        for rater, mean in means.items():
            row = index[rater]
            matrix[row][row] += 1
            rhs[row] += mean - centre
            for other in means:
                matrix[row][index[other]] -= 1 / len(means)
    return dict(zip(raters, _solve(matrix, rhs), strict=True))


def _solve(matrix: list[list[float]], rhs: list[float]) -> list[float]:
    """Gaussian elimination; the leaning model's matrix is symmetric positive definite, so no pivoting."""
    size = len(rhs)
    rows = [row[:] + [b] for row, b in zip(matrix, rhs, strict=True)]
    for col in range(size):
        for row in range(col + 1, size):
            factor = rows[row][col] / rows[col][col]
            for k in range(col, size + 1):
                rows[row][k] -= factor * rows[col][k]
    solution = [0.0] * size
    for row in reversed(range(size)):
        known = sum(rows[row][k] * solution[k] for k in range(row + 1, size))
        solution[row] = (rows[row][size] - known) / rows[row][row]
    return solution


def fmt_score(value: float) -> str:
    """A 0-100 score as the page and the e-mail print it too."""
    return number(value, SCORE_DIGITS)


def fmt_item(value: float) -> str:
    """An item on its own scale as the page and the e-mail print it too."""
    return number(value, ITEM_DIGITS)


def band_label(band: str) -> str:
    return BAND_LABELS[Band(band)]


def n_quarters(n: int) -> str:
    return f"{n} quarter" if n == 1 else f"{n} quarters"


def moved_items(ctx: Context, addresses: Sequence[str]) -> list[ItemEvidence]:
    """The items that worsened most against their baseline, worst first."""
    moves = []
    for address in addresses:
        item = ctx.item_evidence(address)
        if item.before_points is None:
            continue
        loss = item.before_points - item.after_points
        if loss >= ctx.move_points(address):
            moves.append((loss, item))
    moves.sort(key=lambda m: (-m[0], m[1].address))
    return [item for _, item in moves[: ctx.config.max_items_named]]


def list_moves(ctx: Context, moves: Sequence[ItemEvidence]) -> str:
    return ", ".join(f"{ctx.title(m.address)} {fmt_item(m.before)}→{fmt_item(m.after)}" for m in moves)  # type: ignore[arg-type]


def moves_sentence(ctx: Context, moves: Sequence[ItemEvidence]) -> str:
    """' Biggest drops: ... Symptoms up: ...' or '' when nothing moved enough."""
    drops = [m for m in moves if not ctx.is_symptom(m.address)]
    rises = [m for m in moves if ctx.is_symptom(m.address)]
    text = f" Biggest drops: {list_moves(ctx, drops)}." if drops else ""
    return text + (f" Symptoms up: {list_moves(ctx, rises)}." if rises else "")


def item_keys(items: Sequence[ItemEvidence]) -> tuple[str, ...]:
    return tuple(i.address for i in items)


def merge_items(*groups: Sequence[ItemEvidence]) -> tuple[ItemEvidence, ...]:
    """Each address once, the first mention kept unless a later one lists the quarters judged."""
    merged: dict[str, ItemEvidence] = {}
    for group in groups:
        for item in group:
            if item.address not in merged or (item.path and not merged[item.address].path):
                merged[item.address] = item
    return tuple(merged.values())


def within_rater_note(ctx: Context, key: str) -> str:
    return " Earlier quarters are restated for the change of raters." if ctx.restated(key) else ""


# --------------------------------------------------------------------------- #
# Rules 1-2: a decline of a score against its own baseline


@dataclass(frozen=True)
class Limits:
    watch: float
    warning: float
    warning_z: float
    critical: float
    noise_prior: float


@dataclass(frozen=True)
class Decline:
    severity: Severity
    baseline: float
    baseline_periods: tuple[str, ...]  # the quarters ``baseline`` is the median of
    window: tuple[Reading, ...]  # the recent window's values, oldest first
    confirmed: bool
    noise: float

    @property
    def values(self) -> tuple[float, ...]:
        return tuple(r.value for r in self.window)

    @property
    def judged(self) -> int:
        """How many of the window's last quarters the verdict rests on."""
        return len(self.window)

    def evidence(self, key: str) -> ScoreEvidence:
        return ScoreEvidence(key, Baseline(self.baseline, self.baseline_periods), self.window)


def health_limits(config: TrendConfig) -> Limits:
    return Limits(
        config.health_watch_drop,
        config.health_warning_drop,
        config.health_warning_z,
        config.health_critical_drop,
        config.health_noise_prior,
    )


def rubric_limits(config: TrendConfig) -> Limits:
    return Limits(
        config.rubric_watch_drop,
        config.rubric_warning_drop,
        config.rubric_warning_z,
        config.rubric_critical_drop,
        config.rubric_noise_prior,
    )


def baseline_noise(history: Sequence[float], prior: float, weight: float) -> float:
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


def _holds(
    drops: Sequence[float],
    noise: float,
    mean_noise: float,
    elapsed: int,
    limits: Limits,
    config: TrendConfig,
    sliding: bool,
) -> bool:
    """Whether the window's drops (oldest first) confirm a decline: see ``TrendConfig``.

    ``noise`` is one quarter's distance from the baseline; ``mean_noise`` the
    window mean's, surer than one quarter's (see ``score_decline``); ``elapsed``
    the calendar quarters between the window's last two quarters; ``sliding``
    whether the quarter with data just before the window already sat ``run_z``
    below the baseline (``_run_baseline``).
    """
    last, earlier = drops[-1], drops[:-1]
    # The earlier quarter least far down; a one-quarter window (``confirm_quarters`` = 1)
    # has no earlier quarter and rests on the last.
    shallowest = min(earlier, default=last)
    return (
        len(drops) == config.confirm_quarters
        and last >= max(limits.warning, config.each_quarter_z * noise)
        and shallowest >= config.earlier_quarter_z * noise
        and statistics.fmean(drops) >= max(limits.warning, limits.warning_z * mean_noise)
        and max(drops) - last <= config.recovery_z * noise
        # A last quarter far below the one before rests on itself alone, unless the
        # one before was itself clearly down, or the quarter before the window was
        # already down too (three low quarters running): then it is a decline
        # deepening. A slide deepens with every calendar quarter, so a missed
        # check-up widens the allowance.
        and (
            last - shallowest <= config.jump_z * noise * elapsed
            or shallowest >= config.each_quarter_z * noise
            or sliding
        )
    )


def _run_baseline(ctx: Context, key: str, values: Sequence[float | None], limits: Limits) -> range:
    c = ctx.config
    end = ctx.baseline_at.stop
    for _ in range(c.run_quarters):
        if end < 2:
            break
        history = [v for i in range(max(0, end - 1 - c.baseline_quarters), end - 1) if (v := values[i]) is not None]
        v = values[end - 1]
        if not history or v is None:
            break
        prior = limits.noise_prior * ctx.noise_scale(symptoms=ctx.is_symptom(key))
        if statistics.median(history) - v < c.run_z * baseline_noise(history, prior, c.noise_prior_weight):
            break
        end -= 1
    return range(max(0, end - c.baseline_quarters), end)


def score_decline(ctx: Context, key: str, limits: Limits) -> Decline | None:
    """Grade how far a score sits below its baseline, confirming over the window.

    Only a decline that lasts ``confirm_quarters`` quarters with data may be a
    warning here; one quarter is a watch however deep (seed 002: symptoms "may
    be temporary", it is their frequency that counts), and however deep: a
    one-quarter dip and the first quarter of a sudden lasting drop are not
    separable with rater noise on top, so a sudden drop is confirmed in its
    second quarter with data.
    """
    if not ctx.enough_history:
        return None
    values = ctx.values(key)
    baseline_at = _run_baseline(ctx, key, values, limits)
    known = [(ctx.series[i].period, v) for i in baseline_at if (v := values[i]) is not None]
    history = [v for _, v in known]
    window = [(ctx.series[i].period, v) for i in ctx.recent_at if (v := values[i]) is not None]
    if not history or values[-1] is None:
        return None
    baseline = statistics.median(history)
    last_drop = baseline - values[-1]  # type: ignore[operator]
    if last_drop < limits.watch:
        return None
    prior = limits.noise_prior * ctx.noise_scale(symptoms=ctx.is_symptom(key))
    one = baseline_noise(history, prior, ctx.config.noise_prior_weight)
    noise = ctx.turnover_noise(one, _unit(ctx, key))
    # The window's quarters have their own noise, which averages down, but share
    # the baseline's uncertainty and any new rater's unknown lean, which do not.
    shared = math.pi / 2 / len(history)
    own = one**2 / (1 + shared)
    mean_noise = math.sqrt(own / max(1, len(window)) + own * shared + noise**2 - one**2)
    drops = [baseline - v for _, v in window]
    elapsed = quarters_between(window[-2][0], window[-1][0]) if len(window) >= 2 else 1
    # The baseline was moved back for quarters that already sat below it: a slide under way.
    sliding = baseline_at.stop < ctx.recent_at.start
    confirmed = ctx.fresh and _holds(drops, noise, mean_noise, elapsed, limits, ctx.config, sliding)
    if not confirmed:
        severity = Severity.WATCH
    else:
        severity = Severity.CRITICAL if last_drop >= limits.critical else Severity.WARNING
    readings = tuple(Reading(period, v) for period, v in window)
    return Decline(severity, baseline, tuple(period for period, _ in known), readings, confirmed, noise)


def health_verdict(ctx: Context) -> Decline | None:
    """Rule 1's decision, which rule 3 shares."""
    return score_decline(ctx, HEALTH, health_limits(ctx.config))


def all_addresses(ctx: Context) -> list[str]:
    return sorted(ctx.last.items)


def health_evidence(ctx: Context, points: Sequence[int], baseline: float, periods: Sequence[str]) -> ScoreEvidence:
    """Health against its baseline (the median of ``periods``), with the bands, over the quarters at ``points``."""
    base_rank = statistics.median_low(Band(p.band).rank for p in ctx.baseline_points)
    values = ctx.values(HEALTH)
    return ScoreEvidence(
        key=HEALTH,
        baseline=Baseline(baseline, tuple(periods), list(Band)[base_rank].value),
        window=tuple(Reading(ctx.series[i].period, values[i], ctx.series[i].band) for i in points),  # type: ignore[arg-type]
    )

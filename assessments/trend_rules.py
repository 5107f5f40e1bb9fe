"""The five decline rules, each a function of the shared context. Pure, no ORM.

Rules 1-3 judge scores against their baseline (``trend_context.score_decline``),
rule 4 follows each symptom, rule 5 reports the cut-bait red flags of seed 001.
See ``assessments.trends`` and docs/TRENDS.md.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from assessments.evidence import HEALTH, Evidence, FlagEvidence, ItemEvidence, ScoreEvidence
from assessments.scoring import Band
from assessments.trend_context import (
    Context,
    all_addresses,
    band_label,
    fmt_item,
    fmt_score,
    health_evidence,
    health_verdict,
    item_keys,
    list_moves,
    merge_items,
    moved_items,
    moves_sentence,
    n_quarters,
    rubric_limits,
    score_decline,
    within_rater_note,
)
from assessments.trend_types import Finding, quarters_between
from assessments.vocabulary import Rule, Severity


def _health_decline(ctx: Context) -> Finding | None:
    decline = health_verdict(ctx)
    if decline is None:
        return None
    judged = {r.period for r in decline.window}
    shown = [i for i, point in enumerate(ctx.series) if point.period in judged]
    score = health_evidence(ctx, shown, decline.baseline, decline.baseline_periods)
    moves = moved_items(ctx, all_addresses(ctx))
    n = len(score.baseline.periods)
    now = fmt_score(decline.values[-1])
    if decline.confirmed:
        path = ", ".join(f"{r.period}: {fmt_score(r.value)}" for r in score.window)
        text = (
            f"Overall health fell from {fmt_score(decline.baseline)} to {now} over "
            f"{n_quarters(len(score.window))} ({path}; baseline {fmt_score(decline.baseline)}, the median of "
            f"{n_quarters(n)} before)."
        )
    else:
        below = -score.change(score.window[-1])  # type: ignore[operator]
        text = (
            f"Overall health dipped to {now} in {ctx.last.period}, "
            f"{below} points below its baseline of {fmt_score(decline.baseline)} "
            f"(median of {n_quarters(n)}); not yet a confirmed decline."
        )
    text += within_rater_note(ctx, HEALTH) + moves_sentence(ctx, moves)
    evidence = Evidence(scores=(score,), items=tuple(moves))
    return Finding(Rule.HEALTH_DECLINE, decline.severity, ctx.last.period, text, item_keys(moves), evidence)


@dataclass(frozen=True)
class _Part:
    """What rule 2 found in one rubric."""

    severity: Severity
    sentence: str
    scores: tuple[ScoreEvidence, ...] = ()
    items: tuple[ItemEvidence, ...] = ()


def _rubric_decline(ctx: Context) -> Finding | None:
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
                merge_items(part.items, falling.items),
            )
        if part is not None:
            parts.append(part)
    if not parts:
        return None
    parts.sort(key=lambda part: -part.severity.rank)
    items = merge_items(*(part.items for part in parts))
    evidence = Evidence(scores=tuple(s for part in parts for s in part.scores), items=items)
    text = " ".join(part.sentence for part in parts)
    return Finding(Rule.RUBRIC_DECLINE, parts[0].severity, ctx.last.period, text, item_keys(items), evidence)


def _rubric_score_decline(ctx: Context, rubric: str, addresses: Sequence[str]) -> _Part | None:
    limits = rubric_limits(ctx.config)
    decline = score_decline(ctx, rubric, limits)
    if decline is None:
        return None
    severity = decline.severity
    if rubric in ctx.config.symptom_rubrics:
        # The symptom rubric sits on a floor (100 = no symptoms at all), so its
        # spread says little about its noise; rule 4 follows each symptom's
        # recurrence instead, as seed 002 advises. A broad rise is a watch.
        severity = Severity.WATCH
    moves = moved_items(ctx, addresses)
    span = n_quarters(decline.judged) if decline.confirmed else "1 quarter"
    sentence = (
        f"{ctx.title(rubric)} score fell from {fmt_score(decline.baseline)} to {fmt_score(decline.values[-1])} "
        f"over {span} (baseline {fmt_score(decline.baseline)})"
    )
    if moves:
        sentence += f": {list_moves(ctx, moves)}"
    return _Part(severity, sentence + ".", (decline.evidence(rubric),), tuple(moves))


def _rubric_items_falling(ctx: Context, rubric: str, addresses: Sequence[str]) -> _Part | None:
    """Several items of one rubric worse every quarter of the window, before the
    rubric score itself has crossed its bar: the early shape of a slide."""
    c = ctx.config
    if not ctx.enough_history or not ctx.fresh or rubric in c.symptom_rubrics:
        return None
    path = range(len(ctx.series) - c.confirm_quarters - 1, len(ctx.series))
    falling: list[ItemEvidence] = []
    for address in addresses:
        values = ctx.values(address)
        if any(values[i] is None for i in path):
            continue
        item = ctx.item_evidence(address, path)
        if item.before_points is None:
            continue
        goods = [ctx.goodness(address, r.value) for r in item.path]
        below = item.before_points - item.after_points >= c.item_move_points
        if below and all(b < a for a, b in itertools.pairwise(goods)):
            falling.append(item)
    if len(falling) < c.item_run_min:
        return None
    listed = ", ".join(f"{ctx.title(i.address)} {'→'.join(fmt_item(r.value) for r in i.path)}" for i in falling)
    sentence = (
        f"In {ctx.title(rubric)}, {len(falling)} items fell in each of the last "
        f"{n_quarters(c.confirm_quarters)}: {listed}."
    )
    # Only a watch: in the backtest, promoting this to a warning caught no
    # decline the rubric score missed and added false alarms.
    return _Part(Severity.WATCH, sentence, (), tuple(falling))


# --------------------------------------------------------------------------- #
# Rule 3: band downgrade


def _band_rank(band: str) -> int:
    return Band(band).rank


def _band_downgrade(ctx: Context) -> Finding | None:
    """A worse band than before, graded by whether it held.

    A fresh downgrade (worse than the last quarter with data) is a watch. A
    warning needs the band to stay below the baseline band through the
    quarters rule 1 confirmed on *and* rule 1's decline to be confirmed, so a
    partner sitting on a band threshold does not flap into alerts; landing in
    critical, or two bands down, is critical.
    """
    c = ctx.config
    if not ctx.enough_history or not ctx.baseline_points:
        return None
    health = ctx.values(HEALTH)
    baseline_health = ctx.baseline(HEALTH)
    base_rank = statistics.median_low(_band_rank(p.band) for p in ctx.baseline_points)
    previous, last = ctx.series[-2], ctx.last
    fresh = _band_rank(last.band) > _band_rank(previous.band) and baseline_health - last.health >= c.band_min_drop  # type: ignore[operator]
    decline = health_verdict(ctx)
    judged = ctx.recent_at[-decline.judged :] if decline is not None else ()
    held = decline is not None and decline.confirmed and all(_band_rank(ctx.series[i].band) > base_rank for i in judged)
    if not (fresh or held):
        return None
    base_band = band_label(list(Band)[base_rank])
    if held:
        severe = last.band == Band.CRITICAL or _band_rank(last.band) - base_rank >= 2
        severity = Severity.CRITICAL if severe else Severity.WARNING
        listed = ", ".join(f"{ctx.series[i].period}: {band_label(ctx.series[i].band)}" for i in judged)
        text = (
            f"Band fell from {base_band} to {band_label(last.band)} and has stayed below {base_band} for "
            f"{n_quarters(len(judged))} ({listed})."
        )
    else:
        severity = Severity.WATCH
        text = (
            f"Band fell from {band_label(previous.band)} ({previous.period}) to {band_label(last.band)} ({last.period}); "
            f"health {fmt_score(health[-2])}→{fmt_score(last.health)}. One quarter is not yet a trend."  # type: ignore[arg-type]
        )
    moves = moved_items(ctx, all_addresses(ctx))
    text += moves_sentence(ctx, moves)
    evidence = Evidence(
        scores=(
            health_evidence(
                ctx,
                [len(ctx.series) - 2, len(ctx.series) - 1],
                baseline_health,
                [p.period for p in ctx.baseline_points],
            ),  # type: ignore[arg-type]
        ),
        items=tuple(moves),
    )
    return Finding(Rule.BAND_DOWNGRADE, severity, last.period, text, item_keys(moves), evidence)


# --------------------------------------------------------------------------- #
# Rule 4: symptoms that recur, rise or grow together


@dataclass(frozen=True)
class _Symptoms:
    """What "moderate" means for this partner: each symptom's usual level and the noise around it."""

    usual: Mapping[str, float]
    noise: float

    def moderate(self, ctx: Context, address: str, value: float | None) -> bool:
        c = ctx.config
        if value is None or value < c.symptom_moderate:
            return False
        return value - self.usual.get(address, 0.0) >= c.symptom_z * self.noise


def _symptom_addresses(ctx: Context) -> list[str]:
    return sorted(a for a in ctx.last.items if ctx.is_symptom(a))


def _symptom_context(ctx: Context) -> _Symptoms:
    """Each symptom's usual level is its median over up to ``baseline_quarters`` quarters before
    its latest run of moderate readings (a long run must not become "usual"); the noise is
    the root-mean-square distance of those readings from their usual level, every symptom
    pooled, with a prior scaled by the raters' own symptom noise (``noise_scale``). (Not successive differences: symptoms sit on the floor of their
    scale, where a rare "moderate" is the noise that matters.)"""
    c = ctx.config
    usual: dict[str, float] = {}
    squares: list[float] = []
    for address in _symptom_addresses(ctx):
        values = ctx.values(address)
        end = len(values)
        while end > 0 and (values[end - 1] is None or values[end - 1] >= c.symptom_moderate):  # type: ignore[operator]
            end -= 1
        before = [v for v in values[max(0, end - c.baseline_quarters) : end] if v is not None]
        if before:
            usual[address] = statistics.median(before)
            squares += [(v - usual[address]) ** 2 for v in before]
    weight = c.noise_prior_weight
    prior = c.symptom_noise_prior * ctx.noise_scale(symptoms=True)
    noise = math.sqrt((weight * prior**2 + sum(squares)) / (weight + len(squares)))
    return _Symptoms(usual, noise)


def _points_with(ctx: Context, address: str) -> list[int]:
    """Indices of the quarters with a value for ``address``, newest first, stopping at a gap
    longer than ``baseline_max_age``."""
    values = ctx.values(address)
    found: list[int] = []
    for i in range(len(values) - 1, -1, -1):
        if values[i] is None:
            continue
        if found and quarters_between(ctx.series[i].period, ctx.series[found[-1]].period) > ctx.config.baseline_max_age:
            break
        found.append(i)
    return found


def _trailing_run(ctx: Context, sym: _Symptoms, address: str, threshold: float) -> list[int]:
    """The quarters with data, ending with the last, where a symptom is moderate and at least ``threshold``."""
    values = ctx.values(address)
    run: list[int] = []
    for i in _points_with(ctx, address):
        if values[i] < threshold or not sym.moderate(ctx, address, values[i]):  # type: ignore[operator]
            break
        run.append(i)
    return run[::-1]


def _symptom_verdict(ctx: Context, sym: _Symptoms, address: str) -> tuple[Severity, str, list[int]] | None:
    """(severity, sentence, the quarters judged) for one symptom, or None."""
    c = ctx.config
    values = ctx.values(address)
    last = values[-1]
    if last is None:
        return None
    name = ctx.title(address)
    run = _trailing_run(ctx, sym, address, c.symptom_moderate)
    listed = ", ".join(f"{ctx.series[i].period}: {fmt_item(values[i])}" for i in run)  # type: ignore[arg-type]
    if len(run) >= 2:
        severe = len(_trailing_run(ctx, sym, address, c.symptom_severe)) >= 2
        severity = Severity.CRITICAL if severe or len(run) >= c.symptom_critical_quarters else Severity.WARNING
        return severity, f"{name} has been moderate or worse for {n_quarters(len(run))} in a row ({listed}).", run

    window = _points_with(ctx, address)[: c.symptom_recur_window][::-1]
    hits = [i for i in window if sym.moderate(ctx, address, values[i])]
    if sym.moderate(ctx, address, last) and len(hits) >= c.symptom_recur_count:
        listed = ", ".join(f"{ctx.series[i].period}: {fmt_item(values[i])}" for i in hits)  # type: ignore[arg-type]
        sentence = f"{name} keeps recurring: moderate or worse in {len(hits)} of the last {n_quarters(len(window))} ({listed})."
        return Severity.WARNING, sentence, hits

    rise = _rise(ctx, address)
    if len(rise) >= c.symptom_rise_points:
        path = "→".join(fmt_item(values[i]) for i in rise)  # type: ignore[arg-type]
        return Severity.WATCH, f"{name} has risen for {n_quarters(len(rise) - 1)} in a row ({path}).", rise
    return None


def _rise(ctx: Context, address: str) -> list[int]:
    """The strictly rising run of a symptom ending with the last point, if it rose enough."""
    values = ctx.values(address)
    run: list[int] = []
    for i in _points_with(ctx, address):
        if run and values[i] >= values[run[-1]]:  # type: ignore[operator]
            break
        run.append(i)
    run.reverse()
    rose = len(run) >= 2 and values[run[-1]] - values[run[0]] >= ctx.config.symptom_rise_min  # type: ignore[operator]
    return run if rose else []


def _growing_together(ctx: Context, sym: _Symptoms) -> tuple[str, list[tuple[str, list[int]]]] | None:
    """Several symptoms moderate this quarter, each already up from its usual level the quarter
    before (unless that check-up was missed: a gap is no evidence of calm)."""
    c = ctx.config
    growing = []
    for address in _symptom_addresses(ctx):
        values = ctx.values(address)
        points = _points_with(ctx, address)[:2]
        if len(points) < 2 or not sym.moderate(ctx, address, values[points[0]]):
            continue
        missed = quarters_between(ctx.series[points[1]].period, ctx.last.period) > 1
        if missed or values[points[1]] - sym.usual.get(address, 0.0) >= c.symptom_growing_z * sym.noise:  # type: ignore[operator]
            growing.append((address, points[::-1]))
    if len(growing) < c.symptom_together:
        return None
    listed = "; ".join(
        f"{ctx.title(a)} {fmt_item(sym.usual.get(a, 0.0))}→" + "→".join(fmt_item(ctx.values(a)[i]) for i in path)  # type: ignore[arg-type]
        for a, path in growing
    )
    sentence = (
        f"{len(growing)} symptoms grew to moderate or worse together in {ctx.last.period} "
        f"(usual level, then each quarter: {listed})."
    )
    return sentence, growing


def _symptom_persistent(ctx: Context) -> Finding | None:
    sym = _symptom_context(ctx)
    items: dict[str, tuple[Severity, ItemEvidence]] = {}
    sentences: list[tuple[Severity, str, str]] = []
    for address in _symptom_addresses(ctx):
        verdict = _symptom_verdict(ctx, sym, address)
        if verdict is not None:
            severity, sentence, path = verdict
            items[address] = (severity, ctx.item_evidence(address, path))
            sentences.append((severity, address, sentence))
    together = _growing_together(ctx, sym)
    if together is not None:
        sentence, growing = together
        for address, path in growing:
            if address not in items or items[address][0] == Severity.WATCH:
                items[address] = (Severity.WARNING, ctx.item_evidence(address, path))
        sentences.append((Severity.WARNING, growing[0][0], sentence))
    if not items:
        return None
    ranked = sorted(items.items(), key=lambda entry: (-entry[1][0].rank, entry[0]))
    sentences.sort(key=lambda entry: (-entry[0].rank, entry[1]))
    return Finding(
        Rule.SYMPTOM_PERSISTENT,
        ranked[0][1][0],
        ctx.last.period,
        " ".join(sentence for _, _, sentence in sentences),
        tuple(address for address, _ in ranked),
        Evidence(items=tuple(item for _, (_, item) in ranked)),
    )


# --------------------------------------------------------------------------- #
# Rule 5: cut-bait red flags (seed 001), judged on the last point alone


def _red_flag(ctx: Context) -> Finding | None:
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


RULES: tuple[Callable[[Context], Finding | None], ...] = (
    _health_decline,
    _rubric_decline,
    _band_downgrade,
    _symptom_persistent,
    _red_flag,
)

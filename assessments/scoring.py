"""The scoring engine: pure maths, no ORM.

The formula is stated, with a worked example, in docs/SCORING.md; the tests
reproduce that example exactly.

* A rating item (1-5) is normalised to 0-100: ``(value - 1) / 4 * 100``.
* A rating rubric's score is the weighted mean of its normalised items.
* A symptom item (intensity 0-3) has a load ``intensity / 3`` (0-1); the
  symptom rubric's score is ``100 * (1 - weighted mean load)``.
* The base is the weighted mean of the rating rubrics' scores. Symptoms pull it
  down in proportion to their intensity:
  ``health = base * (1 - SYMPTOM_PENALTY * symptom_load)``.
* Several raters are combined by averaging each item over the raters who
  answered it; disagreement is the mean, over items, of the population standard
  deviation of the normalised values (0-100 points).
* An answer of ``None`` is "not applicable / don't know": the item counts only
  where someone answered it, and each rubric's weights are renormalised over
  its answered items. A rubric whose answered share of weight (its coverage) is
  under ``min_coverage`` is "not enough answers" and left out; a check-up whose
  overall coverage is under it, or that leaves no rating rubric, is not scored
  (``NotScored``, which carries its ``Coverage``).

Every score decomposes into per-item contributions that add up to it exactly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

# At full intensity on every symptom the base score is halved.
SYMPTOM_PENALTY = 0.5
# The share of a rubric's weight (and of the whole check-up's) that must be answered for it to count.
MIN_RUBRIC_COVERAGE = 0.6


class Scale(StrEnum):
    RATING = "rating"  # 1 (poor) .. 5 (excellent); higher is healthier
    INTENSITY = "intensity"  # 0 none .. 3 severe; higher is sicker

    @property
    def bounds(self) -> tuple[int, int]:
        return (1, 5) if self is Scale.RATING else (0, 3)


class Band(StrEnum):
    HEALTHY = "healthy"
    WATCH = "watch"
    AT_RISK = "at_risk"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """0 for healthy, 3 for critical: a higher rank is worse."""
        return list(Band).index(self)


@dataclass(frozen=True)
class BandThresholds:
    healthy: float = 75
    watch: float = 60
    at_risk: float = 40

    def __post_init__(self) -> None:
        if not 100 >= self.healthy > self.watch > self.at_risk >= 0:
            raise ValueError("band thresholds must satisfy 100 >= healthy > watch > at_risk >= 0")

    def band_for(self, health: float) -> Band:
        if health >= self.healthy:
            return Band.HEALTHY
        if health >= self.watch:
            return Band.WATCH
        if health >= self.at_risk:
            return Band.AT_RISK
        return Band.CRITICAL


class ScoringError(ValueError):
    pass


@dataclass(frozen=True)
class ItemSpec:
    key: str
    weight: float = 1.0


@dataclass(frozen=True)
class RubricSpec:
    key: str
    scale: Scale
    items: tuple[ItemSpec, ...]
    # Share of the base score; ignored for the symptom rubric.
    weight: float = 1.0

    def __post_init__(self) -> None:
        if not self.items:
            raise ScoringError(f"rubric {self.key} has no items")
        if any(item.weight <= 0 for item in self.items) or self.weight <= 0:
            raise ScoringError(f"rubric {self.key}: weights must be positive")

    @property
    def total_weight(self) -> float:
        return sum(item.weight for item in self.items)


@dataclass(frozen=True)
class ScoringModel:
    """One rubric version, ready to score with: the rubrics and their weights."""

    rubrics: tuple[RubricSpec, ...]
    thresholds: BandThresholds = field(default_factory=BandThresholds)
    symptom_penalty: float = SYMPTOM_PENALTY
    min_coverage: float = MIN_RUBRIC_COVERAGE

    def __post_init__(self) -> None:
        if not any(r.scale is Scale.RATING for r in self.rubrics):
            raise ScoringError("a scoring model needs at least one rating rubric")
        if not 0 <= self.symptom_penalty <= 1:
            raise ScoringError("symptom_penalty must lie in 0..1")
        if not 0 < self.min_coverage <= 1:
            raise ScoringError("min_coverage must lie in 0 (exclusive) .. 1")

    def item_keys(self) -> list[str]:
        return [f"{r.key}.{i.key}" for r in self.rubrics for i in r.items]

    def bounds(self, address: str) -> tuple[int, int]:
        rubric_key, _, item_key = address.partition(".")
        for rubric in self.rubrics:
            if rubric.key == rubric_key and any(i.key == item_key for i in rubric.items):
                return rubric.scale.bounds
        raise ScoringError(f"unknown item {address!r}")


@dataclass(frozen=True)
class Score:
    health: float
    band: Band
    rubric_scores: dict[str, float]
    # Points each item adds to (or, for symptoms, takes from) the health index.
    contributions: dict[str, float]
    # Mean value of each item on its own scale, over the raters who answered it.
    item_means: dict[str, float]
    # Population standard deviation of each item across raters, in 0-100 points.
    item_spread: dict[str, float]
    disagreement: float
    rater_count: int
    # Share of the weight answered (not "not applicable"), overall and per rubric (0-1).
    coverage: float = 1.0
    rubric_coverage: dict[str, float] = field(default_factory=dict)
    # Each counted item's share of its part of health (0-1): a rating item's share of the base, a
    # symptom's share of the load. Items not applicable, or in a rubric without enough answers, are absent.
    weights: dict[str, float] = field(default_factory=dict)


class NotScoredReason(StrEnum):
    LOW_COVERAGE = "low_coverage"  # too little of the check-up's weight was answered
    NO_RATING_RUBRIC = "no_rating_rubric"  # no rating rubric has enough answers


@dataclass(frozen=True)
class Coverage:
    """How much of a check-up (or a quarter's combined check-ups) was answered."""

    overall: float
    rubrics: dict[str, float]
    # Rubrics with enough answers to count, in the model's order.
    counted: tuple[str, ...]
    min_coverage: float

    @property
    def short(self) -> tuple[str, ...]:
        """Rubrics shown as "not enough answers"."""
        return tuple(key for key in self.rubrics if key not in self.counted)

    @property
    def reason(self) -> NotScoredReason | None:
        if self.overall < self.min_coverage - 1e-9:
            return NotScoredReason.LOW_COVERAGE
        if not any(self._rating.get(key) for key in self.counted):
            return NotScoredReason.NO_RATING_RUBRIC
        return None

    @property
    def scored(self) -> bool:
        return self.reason is None

    # Which rubrics are rating rubrics (set by ``coverage``; not part of equality).
    _rating: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)


class NotScored(ScoringError):
    """Answered, but too little to score; ``coverage`` says how much and why."""

    def __init__(self, coverage: Coverage):
        self.coverage = coverage
        super().__init__(
            f"not scored ({coverage.reason}): {coverage.overall:.0%} of the weight answered, "
            f"{coverage.min_coverage:.0%} needed per rubric and overall"
        )


def normalise(scale: Scale, value: float) -> float:
    """A value on its scale as 0-100 'goodness' (symptoms are inverted)."""
    low, high = scale.bounds
    fraction = (value - low) / (high - low)
    return 100 * (fraction if scale is Scale.RATING else 1 - fraction)


def _check(model: ScoringModel, answers: Mapping[str, float | None]) -> None:
    for address, value in answers.items():
        low, high = model.bounds(address)
        if value is None:
            continue
        if not (low <= value <= high) or (isinstance(value, float) and math.isnan(value)):
            raise ScoringError(f"{address}={value} is outside {low}..{high}")


def _answered(model: ScoringModel, raters: Sequence[Mapping[str, float | None]]) -> set[str]:
    """The items someone answered (not "not applicable"); every item must at least be addressed."""
    answered = set()
    for address in model.item_keys():
        given = [answers[address] for answers in raters if address in answers]
        if not given:
            raise ScoringError(f"{address} has no answer")
        if any(value is not None for value in given):
            answered.add(address)
    return answered


def _coverage(model: ScoringModel, answered: set[str]) -> Coverage:
    rubrics = {
        r.key: max(0.0, 1 - sum(i.weight for i in r.items if f"{r.key}.{i.key}" not in answered) / r.total_weight)
        for r in model.rubrics
    }
    total = sum(r.total_weight for r in model.rubrics)
    # Counted from what is missing, so a check-up answered in full covers exactly 1.
    missing = sum(i.weight for r in model.rubrics for i in r.items if f"{r.key}.{i.key}" not in answered)
    overall = max(0.0, 1 - missing / total)
    # A hair under the minimum from floating point (3 of 5 items is 0.6) still counts.
    counted = tuple(key for key, share in rubrics.items() if share >= model.min_coverage - 1e-9)
    return Coverage(
        overall=overall,
        rubrics=rubrics,
        counted=counted,
        min_coverage=model.min_coverage,
        _rating={r.key: r.scale is Scale.RATING for r in model.rubrics},
    )


def coverage(model: ScoringModel, raters: Sequence[Mapping[str, float | None]]) -> Coverage:
    """How much of the weight the raters answered, overall and per rubric, and whether that can be scored."""
    raters = [r for r in raters if r]
    if not raters:
        raise ScoringError("no answers to score")
    for answers in raters:
        _check(model, answers)
    return _coverage(model, _answered(model, raters))


def score(model: ScoringModel, raters: Sequence[Mapping[str, float | None]]) -> Score:
    """Score one partner for one period from one or more raters' answers.

    Each mapping is one rater's answers keyed ``rubric.item``; ``None`` is "not
    applicable / don't know". Every item must be addressed by at least one
    rater. Raises ``NotScored`` when too little was answered.
    """
    raters = [r for r in raters if r]
    if not raters:
        raise ScoringError("no answers to score")
    for answers in raters:
        _check(model, answers)
    answered = _answered(model, raters)
    covered = _coverage(model, answered)
    if not covered.scored:
        raise NotScored(covered)

    means: dict[str, float] = {}
    spread: dict[str, float] = {}
    for address in model.item_keys():
        if address not in answered:
            continue
        values = [answers[address] for answers in raters if answers.get(address) is not None]
        mean = sum(values) / len(values)
        means[address] = mean
        scale = _scale_of(model, address)
        goods = [normalise(scale, v) for v in values]
        centre = sum(goods) / len(goods)
        spread[address] = math.sqrt(sum((g - centre) ** 2 for g in goods) / len(goods))

    def counted_items(rubric: RubricSpec) -> list[ItemSpec]:
        return [i for i in rubric.items if f"{rubric.key}.{i.key}" in answered]

    rubric_scores: dict[str, float] = {}
    counted = [r for r in model.rubrics if r.key in covered.counted]
    rating_rubrics = [r for r in counted if r.scale is Scale.RATING]
    symptom_rubrics = [r for r in counted if r.scale is Scale.INTENSITY]
    for rubric in counted:
        items = counted_items(rubric)
        rubric_scores[rubric.key] = sum(
            item.weight * normalise(rubric.scale, means[f"{rubric.key}.{item.key}"]) for item in items
        ) / sum(item.weight for item in items)

    rating_weight = sum(r.weight for r in rating_rubrics)
    base = sum(r.weight * rubric_scores[r.key] for r in rating_rubrics) / rating_weight

    # Symptom load: the weighted mean intensity over every answered symptom item (0-1).
    symptom_items = [(r, i) for r in symptom_rubrics for i in counted_items(r)]
    symptom_weight = sum(i.weight for _, i in symptom_items)
    loads = {
        f"{r.key}.{i.key}": (means[f"{r.key}.{i.key}"] - r.scale.bounds[0]) / (r.scale.bounds[1] - r.scale.bounds[0])
        for r, i in symptom_items
    }
    load = (
        sum(i.weight * loads[f"{r.key}.{i.key}"] for r, i in symptom_items) / symptom_weight if symptom_items else 0.0
    )
    multiplier = 1 - model.symptom_penalty * load
    health = base * multiplier

    contributions: dict[str, float] = {}
    weights: dict[str, float] = {}
    for rubric in rating_rubrics:
        items = counted_items(rubric)
        share = rubric.weight / rating_weight / sum(item.weight for item in items)
        for item in items:
            address = f"{rubric.key}.{item.key}"
            weights[address] = share * item.weight
            contributions[address] = share * item.weight * normalise(rubric.scale, means[address])
    for rubric, item in symptom_items:
        address = f"{rubric.key}.{item.key}"
        weights[address] = item.weight / symptom_weight
        contributions[address] = -base * model.symptom_penalty * item.weight * loads[address] / symptom_weight

    health = min(100.0, max(0.0, health))
    return Score(
        health=health,
        band=model.thresholds.band_for(round(health, 1)),
        rubric_scores=rubric_scores,
        contributions=contributions,
        item_means=means,
        item_spread=spread,
        disagreement=sum(spread.values()) / len(spread),
        rater_count=len(raters),
        coverage=covered.overall,
        rubric_coverage=covered.rubrics,
        weights=weights,
    )


# A move of this many points or more on an item, against the same rater's answer the quarter
# before, needs a one-line comment saying why (the evidence for a big move).
BIG_MOVE = 2


def big_moves(previous: Mapping[str, float | None], current: Mapping[str, float | None]) -> list[str]:
    """The items whose answer moved ``BIG_MOVE`` points or more; not-applicable on either side is no move."""
    return [
        address
        for address, value in current.items()
        if value is not None and previous.get(address) is not None and abs(value - previous[address]) >= BIG_MOVE
    ]


def _scale_of(model: ScoringModel, address: str) -> Scale:
    rubric_key = address.partition(".")[0]
    return next(r.scale for r in model.rubrics if r.key == rubric_key)


@dataclass(frozen=True)
class Movement:
    address: str
    # None: answered "not applicable" (or not scored) in that quarter.
    before: float | None
    after: float | None
    # The item's part in the change of health, in points (see ``health_effects``).
    effect: float


def _factors(score: Score) -> tuple[float, dict[str, float]]:
    """Health as ``base * (1 + sum of shares)``: the base (the rating items' contributions summed) and
    each symptom's share of the multiplier (its contribution over the base, never positive)."""
    symptoms = {a for a, c in score.contributions.items() if c < 0}
    base = sum(c for a, c in score.contributions.items() if a not in symptoms)
    shares = {a: score.contributions[a] / base for a in symptoms} if base > 0 else {}
    return base, shares


def health_effects(previous: Score, current: Score) -> dict[str, float]:
    """Each item's part in the change of health from ``previous`` to ``current``, in points.

    Health is ``base * multiplier``: the rating items add up to the base and the symptoms set the
    multiplier ``1 - P * load``. The change of a product splits exactly into the base's change at
    the mean multiplier plus the multiplier's change at the mean base; each half is then shared
    out item by item. So a rating that fell and a symptom that worsened always show a negative
    effect, and the effects add up to the change in health. (The change of a symptom's raw
    contribution does not read that way: it shrinks with the base, so a symptom that worsened
    while the ratings fell could show a gain.)

    Read from the stored contributions alone: a symptom is an item whose contribution is
    negative in either quarter (one at *none* in both moved nothing, whichever it is).
    """
    base_before, shares_before = _factors(previous)
    base_after, shares_after = _factors(current)
    # A base of zero hides the symptoms' shares (health is 0 whatever they are): take the other
    # quarter's, so all of that change is put down to the ratings.
    if base_before <= 0:
        shares_before = shares_after
    if base_after <= 0:
        shares_after = shares_before
    symptoms = set(shares_before) | set(shares_after)
    mean_multiplier = 1 + (sum(shares_before.values()) + sum(shares_after.values())) / 2
    mean_base = (base_before + base_after) / 2
    effects = {}
    for address in current.contributions.keys() | previous.contributions.keys():
        if address in symptoms:
            change = shares_after.get(address, 0.0) - shares_before.get(address, 0.0)
            effects[address] = change * mean_base
        else:
            change = current.contributions.get(address, 0.0) - previous.contributions.get(address, 0.0)
            effects[address] = change * mean_multiplier
    return _credit_switches(previous, current, effects)


def _credit_switches(previous: Score, current: Score, effects: dict[str, float]) -> dict[str, float]:
    """Put the reweighting a "not applicable" answer causes down to that answer.

    When an item is answered in one quarter only, its rubric's other items are renormalised, so
    an item whose answer did not move still shows an effect. Within each such rubric, that part
    is handed to the items that switched (shared evenly), so an unchanged answer moves nothing and
    the effects still add up to the change in health. With every item answered in both quarters
    nothing changes here.
    """
    switched = {a for a in effects if (a in previous.contributions) != (a in current.contributions)}
    if not switched:
        return effects
    result = dict(effects)
    for rubric in {a.partition(".")[0] for a in switched}:
        members = [a for a in effects if a.partition(".")[0] == rubric]
        still = [
            a
            for a in members
            if a not in switched
            and a in previous.item_means
            and a in current.item_means
            and abs(previous.item_means[a] - current.item_means[a]) <= 1e-9
        ]
        moved = sum(result[a] for a in still)
        for address in still:
            result[address] = 0.0
        ours = sorted(a for a in members if a in switched)
        for address in ours:
            result[address] += moved / len(ours)
    return result


def movements(previous: Score, current: Score, *, limit: int | None = None) -> list[Movement]:
    """The items that moved health most (``health_effects``), largest first."""
    effects = health_effects(previous, current)
    moved = [
        Movement(address, previous.item_means.get(address), current.item_means.get(address), effect)
        for address, effect in effects.items()
    ]
    # An answer that became (or stopped being) "not applicable" is listed even when it moved nothing.
    moved = [m for m in moved if abs(m.effect) > 1e-9 or (m.before is None) != (m.after is None)]
    moved.sort(key=lambda m: (-abs(m.effect), m.address))
    return moved[:limit] if limit is not None else moved

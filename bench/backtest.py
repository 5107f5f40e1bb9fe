"""Backtest the decline detector on a matrix of synthetic, labelled portfolios.

    python bench/backtest.py [--partners N] [--seeds 1,2] [--held-out 101,102] [--scenario NAME ...]

Each synthetic partner has a latent level per rubric item; raters (each with a
personal bias) answer every quarter with noise, rounded to whole points and
clipped to the scale, and the answers are scored with the real engine
(assessments.scoring.score). Every partner is one of five kinds:

* stable            no change beyond a slow random drift;
* one_dip           one bad quarter, then back to normal (a temporary symptom);
* gradual           some items lose 0.3-0.6 points a quarter from the onset on;
* sudden            some items drop a lot at the onset and stay down;
* symptom           two seed-002 symptoms grow to moderate and stay there.

A *scenario* changes how the check-ups are made (raters replaced, quarters
missed, short histories, a harsh rater, noisier raters), never the kinds: the
noise model is the same for declining and quiet partners. ``replay`` runs over
every partner as a quarterly scan would. For each scenario and kind the report
gives recall within 2 quarters of onset, the share of partners with a false
alarm and the median delay, marked PASS or FAIL against the targets in
docs/TRENDS.md. Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import itertools
import math
import random
import statistics
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assessments.periods import Quarter
from assessments.scoring import ItemSpec, RubricSpec, Scale, ScoringModel, score
from assessments.trends import DEFAULT_CONFIG, SnapshotPoint, TrendConfig, quarters_between, replay
from assessments.vocabulary import Severity

CHARACTERISTICS = ("quality", "flexibility", "trust", "service_team", "leadership_access", "client_first")
TRAITS = ("caring", "homework", "attention", "proactivity", "honesty", "goal_direction", "face_to_face")
SYMPTOMS = (
    "chasing_rainbows",
    "one_sided_pencil",
    "little_interaction",
    "no_mutual_respect",
    "misrepresented_solution",
)
RATING_ITEMS = tuple(f"characteristics.{k}" for k in CHARACTERISTICS) + tuple(f"traits.{k}" for k in TRAITS)
SYMPTOM_ITEMS = tuple(f"symptoms.{k}" for k in SYMPTOMS)

KINDS = ("stable", "one_dip", "gradual", "sudden", "symptom")
DECLINING = ("gradual", "sudden", "symptom")
BENIGN = ("stable", "one_dip")
LABELS = KINDS  # the name the first backtest used

# Targets, also stated in docs/TRENDS.md.
RECALL_TARGET = 0.95
FALSE_ALARM_TARGET = 0.05
DELAY_TARGET = 1.0
WITHIN_QUARTERS = 2  # an alert counts towards recall up to this many quarters after onset

MODEL = ScoringModel(
    rubrics=(
        RubricSpec("characteristics", Scale.RATING, tuple(ItemSpec(k) for k in CHARACTERISTICS)),
        RubricSpec("traits", Scale.RATING, tuple(ItemSpec(k) for k in TRAITS)),
        RubricSpec("symptoms", Scale.INTENSITY, tuple(ItemSpec(k) for k in SYMPTOMS)),
    )
)

# Noise, in native scale points. A rater's answer is latent + rater bias +
# the partner's mood that quarter + item noise, rounded and clipped.
RATER_NOISE = 0.55
SYMPTOM_NOISE = 0.45
RATER_BIAS = 0.25
QUARTER_MOOD = 0.1
DRIFT = 0.03
RESPONSE_RATE = 0.9

# The quarter-to-quarter noise (standard deviation) of the mean of the 13
# rating items, for a partner with 1, 2 or 3 raters under today's assumptions:
# measured on stable partners with ``python bench/backtest.py --calibrate``.
# Drops are stated in these units, so that a dip is about 2.5 times the
# partner's own noise and a sudden drop about 5 times (as in the portfolios
# issue 13 measured), whatever the number of raters.
MEAN_NOISE = {1: 0.19, 2: 0.18, 3: 0.15}
DIP_SIZE = (2.0, 3.0)  # a one-quarter dip, in MEAN_NOISE units on the rating mean
SUDDEN_SIZE = (4.0, 6.0)  # a sudden drop, likewise
SLOPE = (0.3, 0.6)  # points lost per quarter by each item a gradual decline hits
SPILL = (0.0, 0.2)  # ... and by the other rating items, as a share of that slope
SYMPTOM_GROWTH = (0.8, 1.2)  # intensity gained per quarter by each growing symptom
SYMPTOM_CEILING = (2.2, 2.8)  # where it settles (2 = moderate, 3 = severe)


@dataclass(frozen=True)
class Scenario:
    """How check-ups are made; the partners' kinds and effect sizes are the same in every scenario."""

    name: str
    description: str
    replace_rate: float = 0.0  # each quarter, each rater is replaced by a new one with this probability
    missing_rate: float = 0.0  # share of quarters with no check-up at all
    lead: tuple[int, int] = (4, 8)  # quarters of history before the onset
    harsh_bias: float | None = None  # an extra rater this harsh rates every other quarter
    noise: float = 1.0  # the raters' item noise, as a multiple of today's assumption


SCENARIOS = (
    Scenario("base", "today's assumptions: 1-3 raters, each answering 90% of quarters"),
    Scenario("replaced", "each rater replaced by a new one each quarter with probability 0.35", replace_rate=0.35),
    Scenario("missing", "about 20% of quarters without any check-up", missing_rate=0.2),
    Scenario("short", "only 3-4 quarters of history before the onset", lead=(3, 4)),
    Scenario("harsh", "one harsh rater (-0.8) who rates every other quarter", harsh_bias=-0.8),
    Scenario("noisy", "raters twice as noisy as today's assumption", noise=2.0),
)
SCENARIO_NAMES = {s.name: s for s in SCENARIOS}
AFTER_ONSET = (3, 5)  # quarters observed from the onset on (onset, +1, +2 at least)


@dataclass(frozen=True)
class Partner:
    key: str
    label: str
    onset: str | None  # the quarter of the first change (None for a stable partner)
    series: tuple[SnapshotPoint, ...]
    raters: int = 1  # regular raters (before any replacement; the harsh rater not counted)
    effect: float = 0.0  # the slope, the size in noise units, or the growth drawn for the change


# --------------------------------------------------------------------------- #
# Generator


def _affected(rng: random.Random) -> list[str]:
    """Items that move together: most from one rubric (say trust and honesty
    eroding together), a couple from the other."""
    theme, other = rng.sample([CHARACTERISTICS, TRAITS], 2)
    prefix = {CHARACTERISTICS: "characteristics", TRAITS: "traits"}
    return [f"{prefix[theme]}.{k}" for k in rng.sample(theme, rng.randint(4, 6))] + [
        f"{prefix[other]}.{k}" for k in rng.sample(other, rng.randint(0, 2))
    ]


def _depth(size: float, raters: int, hit: Sequence[str]) -> float:
    """The shift of each hit item that moves the rating mean by ``size`` noise units."""
    return size * MEAN_NOISE[min(raters, 3)] * len(RATING_ITEMS) / len(hit)


def _changes(
    rng: random.Random, label: str, length: int, onset: int, raters: int
) -> tuple[dict[str, list[float]], float]:
    """The per-quarter shift of each item's latent level for one kind of partner, and the effect drawn."""
    shifts = {address: [0.0] * length for address in RATING_ITEMS + SYMPTOM_ITEMS}
    effect = 0.0
    if label == "stable":
        return shifts, effect
    hit = _affected(rng)
    symptom = rng.choice(SYMPTOM_ITEMS)
    if label == "one_dip":
        effect = rng.uniform(*DIP_SIZE)
        drop = _depth(effect, raters, hit)
        for address in hit:
            shifts[address][onset] = -drop
        if rng.random() < 0.5:
            shifts[symptom][onset] = 1.5
    elif label == "gradual":
        slope = effect = rng.uniform(*SLOPE)
        spill = {a: rng.uniform(*SPILL) * slope for a in RATING_ITEMS if a not in hit}
        creeping = rng.random() < 0.5
        for t in range(onset, length):
            step = t - onset + 1
            for address in hit:
                shifts[address][t] = -slope * step
            for address, rate in spill.items():
                shifts[address][t] = -rate * step
            if creeping:
                shifts[symptom][t] = 0.25 * step
    elif label == "sudden":
        effect = rng.uniform(*SUDDEN_SIZE)
        drop = _depth(effect, raters, hit)
        flare = rng.random() < 0.5
        for t in range(onset, length):
            for address in hit:
                shifts[address][t] = -drop
            if flare:
                shifts[symptom][t] = 1.2
    elif label == "symptom":
        growing = rng.sample(SYMPTOM_ITEMS, 2)
        knock_on = rng.sample(RATING_ITEMS, rng.randint(1, 2))
        for address in growing:
            growth, ceiling = rng.uniform(*SYMPTOM_GROWTH), rng.uniform(*SYMPTOM_CEILING)
            effect = max(effect, growth)
            for t in range(onset, length):
                shifts[address][t] = min(ceiling, growth * (t - onset + 1))
        for t in range(onset, length):
            for address in knock_on:
                shifts[address][t] = -0.4
    else:
        raise ValueError(f"unknown kind {label!r}")
    return shifts, effect


@dataclass
class _Rater:
    key: str
    rating_bias: float
    symptom_bias: float
    every_other: bool = False


def _new_rater(rng: random.Random, key: str) -> _Rater:
    return _Rater(key, rng.gauss(0, RATER_BIAS), rng.gauss(0, RATER_BIAS * 0.6))


def _partner(rng: random.Random, key: str, label: str, scenario: Scenario) -> Partner:
    lead = rng.randint(*scenario.lead)
    length = lead + rng.randint(*AFTER_ONSET)
    start = Quarter(2020 + rng.randint(0, 3), rng.randint(1, 4))
    level = rng.uniform(3.3, 4.6)
    latent = {a: min(4.9, max(1.5, level + rng.gauss(0, 0.3))) for a in RATING_ITEMS}
    # Healthier partners show fewer symptoms; stable ones stay below "mild".
    latent.update({a: min(0.8, max(0.0, rng.gauss(0.25, 0.2) + 0.15 * (4.0 - level))) for a in SYMPTOM_ITEMS})
    count = rng.randint(1, 3)
    raters = [_new_rater(rng, f"{key}-r{i}") for i in range(count)]
    hired = count
    harsh = None
    if scenario.harsh_bias is not None:
        harsh = _Rater(f"{key}-harsh", scenario.harsh_bias, rng.gauss(0, RATER_BIAS * 0.6), every_other=True)
    shifts, effect = _changes(rng, label, length, lead, count)
    rating_noise, symptom_noise = RATER_NOISE * scenario.noise, SYMPTOM_NOISE * scenario.noise

    series = []
    drift = 0.0
    for t in range(length):
        drift += rng.gauss(0, DRIFT)
        mood = rng.gauss(0, QUARTER_MOOD)
        if t and scenario.replace_rate:
            for i in range(len(raters)):
                if rng.random() < scenario.replace_rate:
                    raters[i] = _new_rater(rng, f"{key}-r{hired}")
                    hired += 1
        present = [r for r in raters if rng.random() < RESPONSE_RATE] or [rng.choice(raters)]
        if harsh is not None and t % 2 == 0:
            present.append(harsh)
        answers: dict[str, dict[str, int]] = {}
        for rater in present:
            answer = {}
            for address in RATING_ITEMS:
                value = latent[address] + shifts[address][t] + drift + mood + rater.rating_bias
                answer[address] = min(5, max(1, round(value + rng.gauss(0, rating_noise))))
            for address in SYMPTOM_ITEMS:
                value = latent[address] + shifts[address][t] - mood + rater.symptom_bias
                answer[address] = min(3, max(0, round(value + rng.gauss(0, symptom_noise))))
            answers[rater.key] = answer
        if scenario.missing_rate and rng.random() < scenario.missing_rate:
            continue
        result = score(MODEL, list(answers.values()))
        series.append(
            SnapshotPoint(
                period=start.shift(t).code,
                health=result.health,
                band=str(result.band),
                rubric_scores=dict(result.rubric_scores),
                items=dict(result.item_means),
                raters=answers,
            )
        )
    onset = None if label == "stable" else start.shift(lead).code
    return Partner(key, label, onset, tuple(series), count, effect)


def generate_portfolio(n: int = 1000, seed: int = 42, scenario: Scenario | str = "base") -> list[Partner]:
    """``n`` partners, the kinds in equal shares. The same seed always gives the same portfolio."""
    if isinstance(scenario, str):
        scenario = SCENARIO_NAMES[scenario]
    rng = random.Random(f"{scenario.name}:{seed}")
    return [_partner(rng, f"P{index:05d}", KINDS[index % len(KINDS)], scenario) for index in range(n)]


# --------------------------------------------------------------------------- #
# Metrics


def alert_periods(partner: Partner, config: TrendConfig = DEFAULT_CONFIG) -> list[str]:
    """The quarters in which a quarterly scan raised a warning or worse, oldest first."""
    warning = Severity.WARNING.rank
    return sorted({f.period for f in replay(partner.series, config) if f.severity.rank >= warning})


@dataclass(frozen=True)
class KindMetrics:
    kind: str
    partners: int
    recall: float | None  # declining kinds: alerted within WITHIN_QUARTERS of onset
    false_alarms: float  # alerted before the onset (declining) or ever (stable, one_dip)
    median_delay: float | None  # declining kinds: quarters from onset to the first alert (inf if never)
    dip_alerts: int | None = None  # one_dip: partners alerted in the dip quarter or the next

    def verdicts(self) -> list[tuple[str, bool]]:
        checks = []
        if self.recall is not None:
            checks.append((f"recall >= {RECALL_TARGET:.2f}", self.recall >= RECALL_TARGET))
        if self.kind == "stable" or self.kind in DECLINING:
            checks.append((f"false alarms <= {FALSE_ALARM_TARGET:.2f}", self.false_alarms <= FALSE_ALARM_TARGET))
        if self.median_delay is not None:
            checks.append((f"median delay <= {DELAY_TARGET:g}", self.median_delay <= DELAY_TARGET))
        if self.dip_alerts is not None:
            checks.append(("a dip is never more than a watch", self.dip_alerts == 0))
        return checks


def _kind_metrics(kind: str, partners: Sequence[Partner], alerts: Sequence[list[str]]) -> KindMetrics:
    false_alarms = caught = 0
    delays: list[float] = []
    dips = 0
    for partner, periods in zip(partners, alerts, strict=True):
        if partner.onset is None:
            false_alarms += bool(periods)
            continue
        offsets = [quarters_between(partner.onset, period) for period in periods]
        if kind == "one_dip":
            false_alarms += bool(offsets)
            dips += any(0 <= o <= 1 for o in offsets)
            continue
        false_alarms += any(o < 0 for o in offsets)
        after = [o for o in offsets if o >= 0]
        delays.append(after[0] if after else math.inf)
        caught += bool(after) and after[0] <= WITHIN_QUARTERS
    n = len(partners)
    declining = kind in DECLINING
    return KindMetrics(
        kind=kind,
        partners=n,
        recall=caught / n if declining and n else None,
        false_alarms=false_alarms / n if n else 0.0,
        median_delay=statistics.median(delays) if declining and delays else None,
        dip_alerts=dips if kind == "one_dip" else None,
    )


@dataclass(frozen=True)
class ScenarioResult:
    scenario: Scenario
    seeds: tuple[int, ...]
    kinds: dict[str, KindMetrics] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(ok for m in self.kinds.values() for _, ok in m.verdicts())


def measure(
    portfolio: Sequence[Partner], config: TrendConfig = DEFAULT_CONFIG, *, scenario: Scenario = SCENARIOS[0]
) -> ScenarioResult:
    """Recall, false alarms and median delay of each kind of partner in ``portfolio``."""
    alerts = [alert_periods(p, config) for p in portfolio]
    kinds = {}
    for kind in KINDS:
        chosen = [(p, a) for p, a in zip(portfolio, alerts, strict=True) if p.label == kind]
        if chosen:
            kinds[kind] = _kind_metrics(kind, [p for p, _ in chosen], [a for _, a in chosen])
    return ScenarioResult(scenario, (), kinds)


def run_matrix(
    scenarios: Iterable[Scenario], seeds: Sequence[int], partners: int, config: TrendConfig = DEFAULT_CONFIG
) -> list[ScenarioResult]:
    """Each scenario measured on ``partners`` partners per seed, the seeds pooled."""
    results = []
    for scenario in scenarios:
        portfolio = [p for seed in seeds for p in generate_portfolio(partners, seed, scenario)]
        result = measure(portfolio, config, scenario=scenario)
        results.append(ScenarioResult(scenario, tuple(seeds), result.kinds))
    return results


# --------------------------------------------------------------------------- #
# Report


def _share(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def _delay(value: float | None) -> str:
    if value is None:
        return ""
    return "never" if math.isinf(value) else f"{value:g}"


def table(results: Sequence[ScenarioResult]) -> str:
    """The scenario table, one row per scenario and kind, as Markdown."""
    lines = [
        "| scenario | kind | partners | recall ≤2q | false alarms | median delay | dip > watch | verdict |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        for kind, m in result.kinds.items():
            failed = [text for text, ok in m.verdicts() if not ok]
            verdict = "PASS" if not failed else "FAIL: " + "; ".join(failed)
            dips = "" if m.dip_alerts is None else str(m.dip_alerts)
            lines.append(
                f"| {result.scenario.name} | {kind} | {m.partners} | {_share(m.recall)} | {_share(m.false_alarms)} "
                f"| {_delay(m.median_delay)} | {dips} | {verdict} |"
            )
    return "\n".join(lines)


def calibrate(partners: int = 600, seed: int = 1) -> dict[int, float]:
    """The quarter-to-quarter noise of the rating mean of stable base partners, by rater count."""
    rng = random.Random(f"calibrate:{seed}")
    by_count: dict[int, list[float]] = {1: [], 2: [], 3: []}
    for index in range(partners):
        partner = _partner(rng, f"C{index:05d}", "stable", SCENARIOS[0])
        means = [statistics.fmean(p.items[a] for a in RATING_ITEMS) for p in partner.series]
        by_count[partner.raters] += [(b - a) ** 2 / 2 for a, b in itertools.pairwise(means)]
    return {k: math.sqrt(statistics.fmean(v)) for k, v in by_count.items() if v}


def _seeds(text: str) -> list[int]:
    return [int(s) for s in text.split(",") if s.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--partners", type=int, default=500, help="partners per scenario and seed")
    parser.add_argument("--seeds", default="1,2", help="the seeds the thresholds were tuned on")
    parser.add_argument("--held-out", default="101,102", help="seeds never used for tuning ('' to skip)")
    parser.add_argument("--scenario", action="append", choices=sorted(SCENARIO_NAMES), help="repeat to pick several")
    parser.add_argument("--calibrate", action="store_true", help="measure MEAN_NOISE and stop")
    args = parser.parse_args(argv)

    if args.calibrate:
        for count, noise in calibrate().items():
            print(f"{count} rater(s): {noise:.3f}")
        return 0
    scenarios = [SCENARIO_NAMES[name] for name in args.scenario] if args.scenario else list(SCENARIOS)
    ok = True
    for title, seeds in (("tuning seeds", _seeds(args.seeds)), ("held-out seeds", _seeds(args.held_out))):
        if not seeds:
            continue
        started = time.perf_counter()
        results = run_matrix(scenarios, seeds, args.partners)
        print(f"\n{title} {', '.join(map(str, seeds))}: {args.partners} partners per scenario and seed\n")
        print(table(results))
        print(f"\n({time.perf_counter() - started:.0f} s)")
        ok = ok and all(r.passed for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

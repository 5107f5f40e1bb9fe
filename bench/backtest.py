"""Backtest the decline detector on a synthetic, labelled portfolio.

    python bench/backtest.py [--partners N] [--quarters Q] [--seed S] [--noise F] [--naive-drop X]

Each synthetic partner has a latent level per rubric item; raters (1-3 per
partner, each with a personal bias) answer every quarter with noise, rounded to
whole points and clipped to the scale, and the answers are scored with the real
engine (assessments.scoring.score). Partners are labelled:

* stable            no change beyond a slow random drift;
* one_dip           one bad quarter, then back to normal (a temporary symptom);
* gradual           some items slide a little every quarter from the onset on;
* sudden            some items drop a lot at the onset and stay down;
* symptom           one seed-002 symptom becomes moderate-to-severe and recurs.

``replay`` runs over every partner as a quarterly scan would, and the result is
compared with a naive rule (alert when health drops more than 10 points in one
quarter). Exit status 1 when a target in docs/TRENDS.md is missed.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assessments.periods import Quarter
from assessments.scoring import ItemSpec, RubricSpec, Scale, ScoringModel, score
from assessments.trends import DEFAULT_CONFIG, SnapshotPoint, TrendConfig, replay
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

LABELS = ("stable", "one_dip", "gradual", "sudden", "symptom")
DECLINING = frozenset({"gradual", "sudden", "symptom"})
BENIGN = frozenset({"stable", "one_dip"})

# Targets, also stated in docs/TRENDS.md.
RECALL_TARGET = 0.90
FALSE_ALARM_TARGET = 0.10
WITHIN_QUARTERS = 2  # an alert counts towards recall up to this many quarters after onset
NAIVE_DROP = 10.0  # the naive rule's quarter-over-quarter drop, in health points

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

# Effect sizes, in health points (before rater noise and clipping).
DROP_POINTS = (15.0, 30.0)  # depth of a one-quarter dip and of a sudden drop
SLOPE_POINTS = (5.0, 9.0)  # loss per quarter in a gradual decline
SYMPTOM_LEVEL = (1.9, 2.6)  # intensity a persistent symptom settles at (2 = moderate)


@dataclass(frozen=True)
class Partner:
    key: str
    label: str
    onset: int | None  # index in ``series`` of the first changed quarter
    series: tuple[SnapshotPoint, ...]


@dataclass(frozen=True)
class Metrics:
    name: str
    recall: float  # declining partners alerted within WITHIN_QUARTERS of onset
    false_alarm_rate: float  # benign partners ever alerted
    median_delay: float | None  # quarters from onset to the first alert at or after it
    declining: int
    benign: int
    by_label: dict[str, float]  # share of each label ever alerted at or after onset (any time for benign)


@dataclass(frozen=True)
class Comparison:
    ours: Metrics
    naive: Metrics


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


def _per_item(impact: float, items: Sequence[str]) -> float:
    """The latent shift per item that moves health by about ``impact`` points.

    Each of the 13 rating items carries 100 / 13 points per 4 scale points.
    """
    return impact * len(RATING_ITEMS) / (25 * len(items))


def _scenario(rng: random.Random, label: str, length: int) -> tuple[int | None, dict[str, list[float]]]:
    """The onset and the per-quarter shift of each item's latent level.

    Effect sizes are stated in health points (see docs/TRENDS.md): a one-quarter
    dip and a sudden drop are equally deep, so only persistence tells them apart.
    """
    shifts = {address: [0.0] * length for address in RATING_ITEMS + SYMPTOM_ITEMS}
    if label == "stable":
        return None, shifts
    last_onset = length - 2 if label == "one_dip" else length - 1 - WITHIN_QUARTERS
    onset = rng.randint(4, last_onset)
    hit = _affected(rng)
    symptom = rng.choice(SYMPTOM_ITEMS)
    if label == "one_dip":
        drop = _per_item(rng.uniform(*DROP_POINTS), hit)
        for address in hit:
            shifts[address][onset] = -drop
        if rng.random() < 0.5:
            shifts[symptom][onset] = 1.5
    elif label == "gradual":
        slope = _per_item(rng.uniform(*SLOPE_POINTS), hit)
        creeping = rng.random() < 0.5
        for t in range(onset, length):
            for address in hit:
                shifts[address][t] = -slope * (t - onset + 1)
            if creeping:
                shifts[symptom][t] = 0.25 * (t - onset + 1)
    elif label == "sudden":
        drop = _per_item(rng.uniform(*DROP_POINTS), hit)
        flare = rng.random() < 0.5
        for t in range(onset, length):
            for address in hit:
                shifts[address][t] = -drop
            if flare:
                shifts[symptom][t] = 1.2
    elif label == "symptom":
        level = rng.uniform(*SYMPTOM_LEVEL)
        knock_on = rng.sample(RATING_ITEMS, rng.randint(1, 2))
        for t in range(onset, length):
            shifts[symptom][t] = level
            for address in knock_on:
                shifts[address][t] = -0.4
    else:
        raise ValueError(f"unknown label {label!r}")
    return onset, shifts


def _partner(rng: random.Random, key: str, label: str, length: int, start: Quarter, noise: float) -> Partner:
    level = rng.uniform(3.3, 4.6)
    latent = {a: min(4.9, max(1.5, level + rng.gauss(0, 0.3))) for a in RATING_ITEMS}
    # Healthier partners show fewer symptoms; stable ones stay below "mild".
    latent.update({a: min(0.8, max(0.0, rng.gauss(0.25, 0.2) + 0.15 * (4.0 - level))) for a in SYMPTOM_ITEMS})
    raters = [(rng.gauss(0, RATER_BIAS), rng.gauss(0, RATER_BIAS * 0.6)) for _ in range(rng.randint(1, 3))]
    onset, shifts = _scenario(rng, label, length)

    series = []
    drift = 0.0
    for t in range(length):
        drift += rng.gauss(0, DRIFT)
        mood = rng.gauss(0, QUARTER_MOOD * noise)
        present = [r for r in raters if rng.random() < RESPONSE_RATE] or [rng.choice(raters)]
        answers = []
        for rating_bias, symptom_bias in present:
            answer = {}
            for address in RATING_ITEMS:
                value = (
                    latent[address]
                    + shifts[address][t]
                    + drift
                    + mood
                    + rating_bias
                    + rng.gauss(0, RATER_NOISE * noise)
                )
                answer[address] = min(5, max(1, round(value)))
            for address in SYMPTOM_ITEMS:
                value = latent[address] + shifts[address][t] - mood + symptom_bias + rng.gauss(0, SYMPTOM_NOISE * noise)
                answer[address] = min(3, max(0, round(value)))
            answers.append(answer)
        result = score(MODEL, answers)
        series.append(
            SnapshotPoint(
                period=start.shift(t).code,
                health=result.health,
                band=str(result.band),
                rubric_scores=dict(result.rubric_scores),
                items=dict(result.item_means),
            )
        )
    return Partner(key, label, onset, tuple(series))


def generate_portfolio(
    n: int = 1000, quarters: int | None = None, seed: int = 42, *, noise: float = 1.0
) -> list[Partner]:
    """``n`` labelled partners, the labels in equal shares.

    ``quarters`` fixes every history's length (at least 7); by default each is
    8-12 quarters long. ``noise`` scales the raters' noise and the quarterly
    mood (a sensitivity check). The same seed always gives the same portfolio.
    """
    if quarters is not None and quarters < 7:
        raise ValueError("histories need at least 7 quarters: 4 of baseline and 3 to observe a change")
    rng = random.Random(seed)
    partners = []
    for index in range(n):
        label = LABELS[index % len(LABELS)]
        length = quarters if quarters is not None else rng.randint(8, 12)
        start = Quarter(2020 + rng.randint(0, 3), rng.randint(1, 4))
        partners.append(_partner(rng, f"P{index:05d}", label, length, start, noise))
    return partners


# --------------------------------------------------------------------------- #
# Metrics


def ours_alert_indices(partner: Partner, config: TrendConfig = DEFAULT_CONFIG) -> list[int]:
    """Indices of the quarters in which the detector raised a warning or worse."""
    index = {p.period: i for i, p in enumerate(partner.series)}
    warning = Severity.WARNING.rank
    return sorted({index[f.period] for f in replay(partner.series, config) if f.severity.rank >= warning})


def naive_alert_indices(partner: Partner, drop: float = NAIVE_DROP) -> list[int]:
    health = [p.health for p in partner.series]
    return [t for t in range(1, len(health)) if health[t - 1] - health[t] > drop]


def _metrics(name: str, portfolio: Sequence[Partner], alerts: Sequence[list[int]]) -> Metrics:
    caught = declining = benign = false_alarms = 0
    delays: list[int] = []
    hits: dict[str, list[bool]] = {label: [] for label in LABELS}
    for partner, indices in zip(portfolio, alerts, strict=True):
        if partner.label in BENIGN:
            benign += 1
            false_alarms += bool(indices)
            hits[partner.label].append(bool(indices))
            continue
        declining += 1
        after = [i - partner.onset for i in indices if i >= partner.onset]  # type: ignore[operator]
        hits[partner.label].append(bool(after))
        if after:
            delays.append(after[0])
            caught += after[0] <= WITHIN_QUARTERS
    return Metrics(
        name=name,
        recall=caught / declining if declining else 0.0,
        false_alarm_rate=false_alarms / benign if benign else 0.0,
        median_delay=statistics.median(delays) if delays else None,
        declining=declining,
        benign=benign,
        by_label={label: sum(v) / len(v) for label, v in hits.items() if v},
    )


def measure(
    portfolio: Sequence[Partner], config: TrendConfig = DEFAULT_CONFIG, *, naive_drop: float = NAIVE_DROP
) -> Comparison:
    """Recall, false-alarm rate and median delay for our detector and the naive rule."""
    ours = _metrics("ours", portfolio, [ours_alert_indices(p, config) for p in portfolio])
    naive = _metrics(
        f"naive (drop > {naive_drop:g})", portfolio, [naive_alert_indices(p, naive_drop) for p in portfolio]
    )
    return Comparison(ours, naive)


def verdicts(result: Comparison) -> list[tuple[str, bool]]:
    ours, naive = result.ours, result.naive
    return [
        (f"recall >= {RECALL_TARGET:.2f} ({ours.recall:.3f})", ours.recall >= RECALL_TARGET),
        (
            f"false alarms <= {FALSE_ALARM_TARGET:.2f} ({ours.false_alarm_rate:.3f})",
            ours.false_alarm_rate <= FALSE_ALARM_TARGET,
        ),
        (f"recall beats naive ({ours.recall:.3f} > {naive.recall:.3f})", ours.recall > naive.recall),
        (
            f"false alarms beat naive ({ours.false_alarm_rate:.3f} < {naive.false_alarm_rate:.3f})",
            ours.false_alarm_rate < naive.false_alarm_rate,
        ),
    ]


# --------------------------------------------------------------------------- #
# Report


def _delay(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def report(result: Comparison, portfolio: Sequence[Partner]) -> str:
    counts = {label: sum(p.label == label for p in portfolio) for label in LABELS}
    lines = [
        f"{len(portfolio)} partners: " + ", ".join(f"{counts[label]} {label}" for label in LABELS),
        f"recall: declining partners (gradual, sudden, symptom) with a warning-or-worse alert "
        f"within {WITHIN_QUARTERS} quarters of onset",
        "false alarms: stable and one_dip partners ever alerted (warning or worse)",
        "",
        f"{'detector':<22}{'recall':>8}{'false alarms':>14}{'median delay':>14}",
    ]
    for m in (result.ours, result.naive):
        lines.append(f"{m.name:<22}{m.recall:>8.3f}{m.false_alarm_rate:>14.3f}{_delay(m.median_delay):>14}")
    lines.append(
        f"{'target':<22}{'>= ' + format(RECALL_TARGET, '.2f'):>8}{'<= ' + format(FALSE_ALARM_TARGET, '.2f'):>14}"
    )
    lines += ["", "share alerted, by label (declining: at or after onset; benign: ever)"]
    lines.append(f"{'detector':<22}" + "".join(f"{label:>10}" for label in LABELS))
    for m in (result.ours, result.naive):
        lines.append(f"{m.name:<22}" + "".join(f"{m.by_label.get(label, 0.0):>10.3f}" for label in LABELS))
    lines.append("")
    lines += [f"{'PASS' if ok else 'FAIL'}  {text}" for text, ok in verdicts(result)]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--partners", type=int, default=1000)
    parser.add_argument("--quarters", type=int, default=None, help="fixed history length (default: 8-12 at random)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--noise", type=float, default=1.0, help="scale the raters' noise (sensitivity check)")
    parser.add_argument("--naive-drop", type=float, default=NAIVE_DROP, help="the naive rule's drop, in points")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    portfolio = generate_portfolio(args.partners, args.quarters, args.seed, noise=args.noise)
    result = measure(portfolio, naive_drop=args.naive_drop)
    history = f"{args.quarters} quarters" if args.quarters else "8-12 quarters"
    print(f"Backtest, seed {args.seed}, histories of {history}, noise x{args.noise:g}")
    print(report(result, portfolio))
    print(f"\n({time.perf_counter() - started:.1f} s)")
    return 0 if all(ok for _, ok in verdicts(result)) else 1


if __name__ == "__main__":
    sys.exit(main())

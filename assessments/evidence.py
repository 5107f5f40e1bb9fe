"""The numbers behind a finding, as the detector used them: pure, no Django.

A trends ``Finding`` carries an ``Evidence``; the alert stores it (``Alert.evidence``,
JSON) and the alert page, the e-mail and every table read it back, so an alert
is told with one set of numbers: the ones that decided it. Nothing is
recomputed from snapshots later, where a different window or rounding would
tell a different story.

* ``scores``: each score the rule judged against its own baseline ("health",
  or a rubric key, 0-100), with the baseline (median value, and the quarters it
  was the median of) and the recent window, quarter by quarter.
* ``items``: each item the finding names, on its native scale (1-5 rating,
  0-3 symptom intensity) and as 0-100 health points: ``before`` is the
  baseline median, ``after`` the finding's quarter; ``path`` lists the quarters
  a rule judged one by one (a run of falling items, a recurring symptom).
* ``flags``: the cut-bait red flags raised, with their value.

``to_json`` / ``from_json`` are the stored form; ``from_json({})`` is an empty
``Evidence``, which is what alerts recorded before evidence was stored hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from assessments.display import rounded
from assessments.scoring import Scale

# Digits shown for a 0-100 score and for an item on its own scale. The
# explanation, the page and the e-mail all round with these, so they agree.
SCORE_DIGITS = 0
ITEM_DIGITS = 1

HEALTH = "health"

# What people call each cut-bait red flag (seed 001); the key stays in JSON and CSV.
FLAG_TITLES = {
    "red_flags.days_late": "Days paid beyond the agreed terms",
    "red_flags.info_withheld": "Withholds information about its problems",
    "red_flags.abusive": "Rude or abusive towards our people",
}


@dataclass(frozen=True)
class Reading:
    """One quarter's value of a score or an item (and the band, for health)."""

    period: str
    value: float
    band: str | None = None


@dataclass(frozen=True)
class Baseline:
    """The median of ``periods``: what "usual" meant for this partner."""

    value: float
    periods: tuple[str, ...]
    band: str | None = None  # for health: the median band of the same quarters


@dataclass(frozen=True)
class ScoreEvidence:
    key: str  # "health" or a rubric key
    baseline: Baseline
    window: tuple[Reading, ...]  # oldest first; the last is the finding's quarter

    def change(self, reading: Reading) -> Decimal | None:
        """A quarter's distance from the baseline, as the shown (rounded) figures differ."""
        return _difference(reading.value, self.baseline.value, SCORE_DIGITS)


@dataclass(frozen=True)
class ItemEvidence:
    address: str  # "rubric.item"
    scale: str  # scoring.Scale value: "rating" (1-5, higher is better) or "intensity" (0-3, higher is worse)
    after: float  # the finding's quarter, native scale
    after_points: float  # the same as 0-100 health points
    before: float | None = None  # the baseline median, native scale; None without a baseline
    before_points: float | None = None
    path: tuple[Reading, ...] = ()  # the quarters a rule judged one by one, oldest first

    @property
    def change(self) -> Decimal | None:
        """after - before on the native scale, as the shown (rounded) figures differ."""
        return _difference(self.after, self.before, ITEM_DIGITS)

    @property
    def worse(self) -> bool:
        """Moved the unhealthy way as shown: a rating down, a symptom up. A change of 0.0 never is."""
        change = self.change
        if change is None or change == 0:
            return False
        return change > 0 if self.scale == Scale.INTENSITY.value else change < 0


@dataclass(frozen=True)
class FlagEvidence:
    key: str  # "red_flags.days_late" | "red_flags.info_withheld" | "red_flags.abusive"
    value: float | bool


@dataclass(frozen=True)
class Evidence:
    scores: tuple[ScoreEvidence, ...] = ()
    items: tuple[ItemEvidence, ...] = ()
    flags: tuple[FlagEvidence, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.scores or self.items or self.flags)

    def score(self, key: str) -> ScoreEvidence | None:
        return next((s for s in self.scores if s.key == key), None)

    def to_json(self) -> dict:
        return {
            "scores": [
                {
                    "key": s.key,
                    "baseline": _drop_none(
                        {"value": s.baseline.value, "periods": list(s.baseline.periods), "band": s.baseline.band}
                    ),
                    "window": [_reading_json(r) for r in s.window],
                }
                for s in self.scores
            ],
            "items": [
                _drop_none(
                    {
                        "address": i.address,
                        "scale": i.scale,
                        "before": i.before,
                        "after": i.after,
                        "before_points": i.before_points,
                        "after_points": i.after_points,
                        "path": [_reading_json(r) for r in i.path] or None,
                    }
                )
                for i in self.items
            ],
            "flags": [{"key": f.key, "value": f.value} for f in self.flags],
        }

    @classmethod
    def from_json(cls, data: Mapping | None) -> Evidence:
        if not data:
            return cls()
        return cls(
            scores=tuple(
                ScoreEvidence(
                    key=s["key"],
                    baseline=Baseline(
                        value=s["baseline"]["value"],
                        periods=tuple(s["baseline"]["periods"]),
                        band=s["baseline"].get("band"),
                    ),
                    window=tuple(_reading(r) for r in s["window"]),
                )
                for s in data.get("scores", ())
            ),
            items=tuple(
                ItemEvidence(
                    address=i["address"],
                    scale=i["scale"],
                    after=i["after"],
                    after_points=i["after_points"],
                    before=i.get("before"),
                    before_points=i.get("before_points"),
                    path=tuple(_reading(r) for r in i.get("path") or ()),
                )
                for i in data.get("items", ())
            ),
            flags=tuple(FlagEvidence(f["key"], f["value"]) for f in data.get("flags", ())),
        )


def _difference(after: float | None, before: float | None, digits: int) -> Decimal | None:
    if after is None or before is None:
        return None
    return rounded(after, digits) - rounded(before, digits) + 0


def _drop_none(data: dict) -> dict:
    return {k: v for k, v in data.items() if v is not None}


def _reading_json(reading: Reading) -> dict:
    return _drop_none({"period": reading.period, "value": reading.value, "band": reading.band})


def _reading(data: Mapping) -> Reading:
    return Reading(period=data["period"], value=data["value"], band=data.get("band"))

"""Why a partner declined: the whole slide from a baseline quarter to now, item by item.

Pure (no Django). The figures are ``scoring.health_effects``: each item's part in the change of
health, read from the two quarters' stored contributions, so they add up to the change and a
worse answer always shows a loss. The selector (``selectors/decline.py``) picks the quarters
and the item titles; this module ranks and words them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from assessments.display import NOT_APPLICABLE_LABELS, SCALE_LABELS, signed, value_label
from assessments.scoring import Band, Scale, Score, health_effects

# Items listed by name; the rest are summed in one line.
TOP_ITEMS = 5
# An effect that prints as 0.0 is not worth a line of its own.
SHOWN_EFFECT = 0.05


@dataclass(frozen=True)
class ItemInfo:
    title: str
    scale: str


@dataclass(frozen=True)
class ItemEffect:
    address: str
    title: str
    scale: str
    # None: answered "not applicable / don't know" in that quarter.
    before: float | None
    after: float | None
    # Points of health this item moved, from health's side: a loss is negative.
    effect: float

    @property
    def change(self) -> str:
        """'4 · Good → 2 · Weak' for a rating; 'moderate → severe' for a symptom."""
        if self.before is None or self.after is None or self.scale != Scale.INTENSITY.value:
            return f"{self._label(self.before)} → {self._label(self.after)}"
        words = SCALE_LABELS[Scale.INTENSITY.value]
        before, after = (words[round(v + 1e-9)].lower() for v in (self.before, self.after))
        if before == after:
            return f"{before}, {self.before:.1f} → {self.after:.1f}"
        return f"{before} → {after}"

    def _label(self, value: float | None) -> str:
        if value is None:
            return NOT_APPLICABLE_LABELS[self.scale]
        if self.scale == Scale.INTENSITY.value:
            return SCALE_LABELS[self.scale][round(value + 1e-9)].lower()
        return value_label(self.scale, value)

    @property
    def line(self) -> str:
        """'Little to no interaction: moderate → severe, -6.2 health' (with a real minus sign)."""
        return f"{self.title}: {self.change}, {signed(self.effect)} health"


@dataclass(frozen=True)
class DeclineSummary:
    partner_id: int
    baseline_code: str
    current_code: str
    health_before: float
    health_after: float
    band_before: str
    band_after: str
    # Rating items, the largest part in the fall first (at most TOP_ITEMS, each a loss).
    items: tuple[ItemEffect, ...]
    # The rating items not listed, and their effect together (some may have risen).
    other_items: int
    other_effect: float
    # Every symptom that moved health, the largest loss first.
    symptoms: tuple[ItemEffect, ...]
    ratings_effect: float
    symptoms_effect: float

    @property
    def change(self) -> float:
        return self.health_after - self.health_before


def decline_summarise(
    *,
    partner_id: int,
    baseline_code: str,
    current_code: str,
    baseline: Score,
    current: Score,
    items: Mapping[str, ItemInfo],
    top: int = TOP_ITEMS,
) -> DeclineSummary:
    """Rank the items of the slide from ``baseline`` to ``current`` by their part in the fall.

    ``items`` names each item address (its title and scale); an address it does not know
    (an item of a retired rubric version) still counts in the totals, never by its key.
    """
    effects = health_effects(baseline, current)
    ratings: list[ItemEffect] = []
    symptoms: list[ItemEffect] = []
    unnamed_ratings = unnamed_symptoms = 0.0
    for address, effect in effects.items():
        info = items.get(address)
        is_symptom = (info.scale == Scale.INTENSITY.value) if info else address in _symptoms_of(baseline, current)
        if info is None:
            if is_symptom:
                unnamed_symptoms += effect
            else:
                unnamed_ratings += effect
            continue
        row = ItemEffect(
            address, info.title, info.scale, baseline.item_means.get(address), current.item_means.get(address), effect
        )
        (symptoms if is_symptom else ratings).append(row)
    ratings.sort(key=lambda row: (row.effect, row.title))
    shown = tuple(row for row in ratings if row.effect <= -SHOWN_EFFECT)[:top]
    rest = ratings[len(shown) :]
    symptoms.sort(key=lambda row: (row.effect, row.title))
    return DeclineSummary(
        partner_id=partner_id,
        baseline_code=baseline_code,
        current_code=current_code,
        health_before=baseline.health,
        health_after=current.health,
        band_before=Band(baseline.band).value,
        band_after=Band(current.band).value,
        items=shown,
        other_items=len(rest),
        other_effect=sum(row.effect for row in rest) + unnamed_ratings,
        symptoms=tuple(row for row in symptoms if abs(row.effect) >= SHOWN_EFFECT),
        ratings_effect=sum(row.effect for row in ratings) + unnamed_ratings,
        symptoms_effect=sum(row.effect for row in symptoms) + unnamed_symptoms,
    )


def _symptoms_of(*scores: Score) -> set[str]:
    return {address for score in scores for address, value in score.contributions.items() if value < 0}


def decline_baseline(
    *, scored: list[str], alerted: set[str], watched: set[str] = frozenset(), recent: int = 4
) -> str | None:
    """The quarter before an open decline, until cases land: None when there is none.

    ``scored`` are the partner's scored quarters (``YYYY-Qn``, oldest first), ``alerted`` those
    with a warning or critical alert and ``watched`` those with only a watch finding. A decline
    is open when one of the latest ``recent`` scored quarters is alerted. Its run goes back from
    the newest of them through every scored quarter with a finding of any severity: a decline's
    first quarter is usually a watch finding ("one quarter is not yet a trend"), and the slide
    started there. The baseline is the scored quarter just before the run; a quarter nobody
    scored neither breaks a run nor ends it.
    """
    window = range(max(0, len(scored) - recent), len(scored))
    latest = [index for index in window if scored[index] in alerted]
    if not latest:
        return None
    start = latest[-1]
    while start > 0 and (scored[start - 1] in alerted or scored[start - 1] in watched):
        start -= 1
    return scored[start - 1] if start > 0 else None

"""Snapshot series for the pure detector tests: scored with the real engine, no database.

A quarter is built from each rater's answers (every item at ``level`` unless
overridden), scored with ``assessments.scoring.score`` under the v1 rubric
layout (all weights 1), so health, bands and rubric scores are the ones
production would store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from assessments.periods import Quarter
from assessments.scoring import ItemSpec, RubricSpec, Scale, ScoringModel, score
from assessments.trends import SnapshotPoint

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
MODEL = ScoringModel(
    rubrics=(
        RubricSpec("characteristics", Scale.RATING, tuple(ItemSpec(k) for k in CHARACTERISTICS)),
        RubricSpec("traits", Scale.RATING, tuple(ItemSpec(k) for k in TRAITS)),
        RubricSpec("symptoms", Scale.INTENSITY, tuple(ItemSpec(k) for k in SYMPTOMS)),
    )
)

START = Quarter(2022, 1)
TITLES = {
    "characteristics.trust": "Trust",
    "characteristics.quality": "Quality",
    "symptoms.chasing_rainbows": "Chasing rainbows",
}
THEME = (
    "characteristics.quality",
    "characteristics.flexibility",
    "characteristics.trust",
    "characteristics.service_team",
)


def answers(level: float = 4.0, **overrides: float) -> dict[str, float]:
    """One rater's answers: every rating item at ``level``, every symptom at 0, then the overrides
    (keyed by address with ``__`` for the dot)."""
    values = dict.fromkeys(RATING_ITEMS, level) | dict.fromkeys(SYMPTOM_ITEMS, 0.0)
    return values | {key.replace("__", "."): value for key, value in overrides.items()}


def snapshot(
    index: int,
    *,
    level: float = 4.0,
    ratings: Mapping[str, float] | None = None,
    symptoms: Mapping[str, float] | None = None,
    red_flags: Mapping[str, object] | None = None,
    raters: Mapping[str, Mapping[str, float]] | None = None,
) -> SnapshotPoint:
    """Quarter ``index`` (counted from 2022-Q1). Without ``raters``, one anonymous rater answered
    ``level`` with the ``ratings`` and ``symptoms`` overrides; with them, each named rater's answers
    are scored together and kept on the point."""
    if raters is None:
        panel = [
            dict.fromkeys(RATING_ITEMS, level)
            | dict.fromkeys(SYMPTOM_ITEMS, 0.0)
            | dict(ratings or {})
            | dict(symptoms or {})
        ]
    else:
        panel = [dict(a) for a in raters.values()]
    result = score(MODEL, panel)
    return SnapshotPoint(
        period=START.shift(index).code,
        health=result.health,
        band=str(result.band),
        rubric_scores=dict(result.rubric_scores),
        items=dict(result.item_means),
        red_flags=dict(red_flags or {}),
        raters={name: dict(a) for name, a in (raters or {}).items()},
    )


def flat(count: int, **kwargs: object) -> list[SnapshotPoint]:
    return [snapshot(i, **kwargs) for i in range(count)]  # type: ignore[arg-type]


def theme_at(value: float) -> dict[str, float]:
    return dict.fromkeys(THEME, value)


def at(indices: Sequence[int], **kwargs: object) -> list[SnapshotPoint]:
    return [snapshot(i, **kwargs) for i in indices]  # type: ignore[arg-type]

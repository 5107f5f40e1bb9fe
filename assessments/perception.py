"""The perception gap: how the partner rates us, set against how we rate them. Pure, no Django.

Both views are scored by the same engine on the same item keys (the traits and the symptoms;
our own check-up adds the characteristics), so they line up item by item. The gap of a quarter is
**their view's health minus ours**, both as stored (0-100): positive when they think better of
us than we do of them, negative when they think worse. docs/PARTNER_VIEW.md, "Perception gap",
has a worked example.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from assessments.trend_types import SnapshotPoint

# A change of the partner's view smaller than this is noise, not a drop (one contact moving one
# trait by a step moves the view's health by about 2 points).
VIEW_DROP_POINTS = 5.0
# Gaps within this many points read as "about the same".
SAME_WITHIN = 2.5


def gap(ours: float | None, theirs: float | None) -> float | None:
    """Their view minus ours (points of health); None unless both sides scored the quarter."""
    if ours is None or theirs is None:
        return None
    return round(theirs - ours, 2)


def gap_sentence(value: float | None, *, partner: str) -> str:
    """The gap in words, never only as a signed number."""
    if value is None:
        return "No gap yet: both sides need to have scored the same quarter."
    if abs(value) < SAME_WITHIN:
        return f"{partner} and we rate each other about the same."
    points = f"{abs(value):.1f}"
    if value > 0:
        return f"{partner} rates us {points} points higher than we rate them."
    return f"{partner} rates us {points} points lower than we rate them."


@dataclass(frozen=True)
class ItemGap:
    address: str  # "traits.caring"
    ours: float | None  # mean on the native scale (1-5 rating, 0-3 symptom)
    theirs: float | None

    @property
    def gap(self) -> float | None:
        """Their mean minus ours on the item's own scale."""
        if self.ours is None or self.theirs is None:
            return None
        return round(self.theirs - self.ours, 3)


def item_gaps(addresses: Sequence[str], ours: Mapping[str, float], theirs: Mapping[str, float]) -> list[ItemGap]:
    """Each shared item's mean on both sides, in the order given."""
    return [ItemGap(address, ours.get(address), theirs.get(address)) for address in addresses]


def view_dropped(before: float | None, after: float | None, *, points: float = VIEW_DROP_POINTS) -> bool:
    """True when the partner's view of us fell by at least ``points`` from one quarter to the next."""
    return before is not None and after is not None and before - after >= points


def view_point(period: str, view: Mapping) -> SnapshotPoint:
    """The partner's view of one quarter as the decline detector reads a snapshot.

    No red flags (the survey asks none) and no per-rater answers: the contacts are compared as a
    pool, quarter by quarter.
    """
    return SnapshotPoint(
        period=period,
        health=float(view["health"]),
        band=str(view["band"]),
        rubric_scores=dict(view.get("rubric_scores") or {}),
        items=dict(view.get("item_means") or {}),
    )

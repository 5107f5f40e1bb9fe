from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from assessments.models import PartnerSnapshot, Period
from assessments.periods import Quarter
from assessments.scoring import Band, Score
from assessments.staleness import fresh_from, is_stale, stale_label


def latest_scored_period() -> Period | None:
    return Period.objects.filter(snapshots__isnull=False).order_by("-year", "-quarter").first()


def snapshot_score(snapshot: PartnerSnapshot) -> Score:
    """The scoring engine's ``Score`` as stored in a snapshot (no recomputation)."""
    return Score(
        health=snapshot.health,
        band=Band(snapshot.band),
        rubric_scores=snapshot.rubric_scores,
        contributions=snapshot.contributions,
        item_means=snapshot.item_means,
        item_spread=snapshot.item_spread,
        disagreement=snapshot.disagreement,
        rater_count=snapshot.rater_count,
    )


@dataclass(frozen=True)
class Staleness:
    stale: bool
    latest_code: str | None
    fresh_from_code: str
    after: int

    @property
    def label(self) -> str:
        return stale_label(self.latest_code) if self.stale and self.latest_code else ""


def staleness(*, latest: Quarter | None, quarter: Quarter) -> Staleness:
    """Whether a partner last scored in ``latest`` is stale in ``quarter`` (``STALE_AFTER_QUARTERS``)."""
    after = settings.STALE_AFTER_QUARTERS
    return Staleness(
        stale=is_stale(latest, current=quarter, after=after),
        latest_code=latest.code if latest else None,
        fresh_from_code=fresh_from(current=quarter, after=after).code,
        after=after,
    )

from __future__ import annotations

from assessments.models import PartnerSnapshot, Period
from assessments.scoring import Band, Score


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
        coverage=snapshot.coverage,
        rubric_coverage=snapshot.rubric_coverage,
    )

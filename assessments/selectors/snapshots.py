from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, OuterRef

from assessments.models import Answer, Checkup, PartnerSnapshot, Period
from assessments.periods import Quarter
from assessments.scoring import Band, Coverage, Score, ScoringError, coverage
from assessments.selectors.rubrics import scoring_model
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
        coverage=snapshot.coverage,
        rubric_coverage=snapshot.rubric_coverage,
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
Pair = tuple[int, int]  # (partner_id, period_id)
def quarters_not_scored(
    *,
    partner_ids: set[int] | None,
    period_ids: set[int] | None = None,
    period_codes: list[str] | None = None,
    scored: set[Pair] | None = None,
) -> dict[Pair, Coverage]:
    """Partner-quarters with submitted check-ups but no snapshot because too little was answered.
    Each maps to its ``Coverage`` (say why with ``display.not_scored_reason``). Read from the
    answers, like ``services.snapshots.snapshots_recompute``: the latest submission's rubric version.
    ``partner_ids`` None is every partner (give periods then); ``scored``, the pairs the caller knows
    have a snapshot among those asked about, spares the query for them.
    """
    checkups = Checkup.objects.filter(status=Checkup.Status.SUBMITTED)
    if partner_ids is not None:
        checkups = checkups.filter(partner_id__in=partner_ids)
    if period_ids is not None:
        checkups = checkups.filter(period_id__in=period_ids)
    if period_codes is not None:
        checkups = checkups.filter(period__code__in=period_codes)
    if scored is None:
        # An anti-join on the snapshots' unique (partner, period) index: usually no row at all.
        checkups = checkups.filter(
            ~Exists(PartnerSnapshot.objects.filter(partner_id=OuterRef("partner_id"), period_id=OuterRef("period_id")))
        )
        scored = set()
    rows = [
        row
        for row in checkups.order_by("submitted_at", "id").values_list(
            "id", "partner_id", "period_id", "rubric_version_id"
        )
        if (row[1], row[2]) not in scored
    ]
    if not rows:
        return {}
    answers: dict[int, dict[str, int | None]] = defaultdict(dict)
    for checkup_id, rubric_key, item_key, value in Answer.objects.filter(
        checkup_id__in=[row[0] for row in rows]
    ).values_list("checkup_id", "item__rubric__key", "item__key", "value"):
        answers[checkup_id][f"{rubric_key}.{item_key}"] = value
    by_pair: dict[Pair, list[tuple[int, int]]] = defaultdict(list)
    for checkup_id, partner_id, period_id, version_id in rows:
        by_pair[(partner_id, period_id)].append((checkup_id, version_id))
    found = {}
    for pair, members in by_pair.items():
        model = scoring_model(version_id=members[-1][1])
        keys = set(model.item_keys())
        try:
            covered = coverage(model, [{k: v for k, v in answers[c].items() if k in keys} for c, _ in members])
        except ScoringError:
            continue  # incomplete: not a matter of coverage
        if not covered.scored:
            found[pair] = covered
    return found

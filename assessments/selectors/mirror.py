"""The partner's view of us: its contacts' submitted mirror surveys, scored by our engine.

``partner_views`` computes the view of each (partner, period) from the submitted responses;
services/snapshots.py stores it as ``PartnerSnapshot.partner_view`` in the writing transaction.
``partner_view_series`` reads it back, quarter by quarter.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from assessments.models import PartnerSnapshot, SurveyResponse
from assessments.scoring import ScoringError, score
from assessments.selectors.rubrics import scoring_model

Pair = tuple[int, int]  # (partner_id, period_id)


def _round(mapping: dict[str, float], digits: int) -> dict[str, float]:
    return {key: round(value, digits) for key, value in mapping.items()}


def partner_views(*, pairs: Iterable[Pair]) -> dict[Pair, dict]:
    """``{(partner_id, period_id): view}`` for each pair with at least one complete submitted response.

    A view is ``{"health", "band", "rubric_scores", "item_means", "responses"}``, rounded like our
    own snapshot's figures. Each response is one rater; the latest submission's version scores the
    quarter (item keys are stable across versions, as for check-ups).
    """
    pairs = set(pairs)
    if not pairs:
        return {}
    rows = (
        SurveyResponse.objects.filter(
            status=SurveyResponse.Status.SUBMITTED,
            invitation__contact__partner_id__in={p for p, _ in pairs},
            invitation__period_id__in={q for _, q in pairs},
        )
        .order_by("submitted_at", "id")
        .values_list("invitation__contact__partner_id", "invitation__period_id", "rubric_version_id", "answers")
    )
    by_pair: dict[Pair, list[tuple[int, dict]]] = defaultdict(list)
    for partner_id, period_id, version_id, answers in rows:
        if (partner_id, period_id) in pairs:
            by_pair[(partner_id, period_id)].append((version_id, answers))

    views = {}
    for pair, responses in by_pair.items():
        model = scoring_model(version_id=responses[-1][0])
        keys = set(model.item_keys())
        raters = [{k: v for k, v in answers.items() if k in keys} for _, answers in responses]
        try:
            result = score(model, raters)
        except ScoringError:
            continue
        views[pair] = {
            "health": round(result.health, 2),
            "band": result.band.value,
            "rubric_scores": _round(result.rubric_scores, 2),
            "item_means": _round(result.item_means, 3),
            "responses": result.rater_count,
        }
    return views


def partner_view_series(partner_id: int) -> list[tuple[str, dict]]:
    """``[(period_code, partner_view), ...]`` oldest first, for each quarter the partner rated us.

    Read from the snapshots; a quarter the partner rated but we did not (so it has no snapshot)
    is scored from its responses here, so no answer of theirs is left out.
    """
    stored = {
        code: (year, quarter, view)
        for code, year, quarter, view in PartnerSnapshot.objects.filter(
            partner_id=partner_id, partner_view__isnull=False
        ).values_list("period__code", "period__year", "period__quarter", "partner_view")
    }
    rated = set(
        SurveyResponse.objects.filter(
            status=SurveyResponse.Status.SUBMITTED, invitation__contact__partner_id=partner_id
        ).values_list(
            "invitation__period_id",
            "invitation__period__code",
            "invitation__period__year",
            "invitation__period__quarter",
        )
    )
    missing = {row for row in rated if row[1] not in stored}
    if missing:
        computed = partner_views(pairs={(partner_id, period_id) for period_id, *_ in missing})
        for period_id, code, year, quarter in missing:
            view = computed.get((partner_id, period_id))
            if view is not None:
                stored[code] = (year, quarter, view)
    ordered = sorted(stored.items(), key=lambda entry: (entry[1][0], entry[1][1]))
    return [(code, view) for code, (_, _, view) in ordered]

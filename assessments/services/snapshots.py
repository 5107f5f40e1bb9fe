"""Recompute partner snapshots from submitted answers.

Callers run these inside the transaction of the write that changed the
answers, so a snapshot is never out of step with what was submitted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from assessments.infra.rollups import rollups_invalidate
from assessments.models import Answer, Checkup, PartnerSnapshot, Period
from assessments.scoring import ScoringError, score
from assessments.selectors.mirror import partner_views
from assessments.selectors.rubrics import scoring_model

Pair = tuple[int, int]  # (partner_id, period_id)


def _round(mapping: dict[str, float], digits: int = 3) -> dict[str, float]:
    return {key: round(value, digits) for key, value in mapping.items()}


def snapshots_recompute(*, pairs: Iterable[Pair]) -> int:
    """Rebuild the snapshot of each (partner, period) from its submitted check-ups.

    A pair with no complete submitted check-up loses its snapshot. Returns the
    number of snapshots written.
    """
    pairs = set(pairs)
    if not pairs:
        return 0
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("snapshots_recompute must run inside the writing transaction")

    partner_ids = {p for p, _ in pairs}
    period_ids = {q for _, q in pairs}
    assessments = (
        Checkup.objects.filter(partner_id__in=partner_ids, period_id__in=period_ids, status=Checkup.Status.SUBMITTED)
        .order_by("submitted_at", "id")
        .values(
            "id",
            "partner_id",
            "period_id",
            "rubric_version_id",
            "days_to_pay",
            "info_withheld",
            "abusive_behaviour",
            "partner__payment_terms_days",
        )
    )
    by_pair: dict[Pair, list[dict]] = defaultdict(list)
    for row in assessments:
        pair = (row["partner_id"], row["period_id"])
        if pair in pairs:
            by_pair[pair].append(row)

    # None is "not applicable / don't know": left out of the score, counted against coverage.
    answers: dict[int, dict[str, int | None]] = defaultdict(dict)
    checkup_ids = [row["id"] for rows in by_pair.values() for row in rows]
    for chunk_start in range(0, len(checkup_ids), 5000):
        chunk = checkup_ids[chunk_start : chunk_start + 5000]
        for checkup_id, rubric_key, item_key, value in Answer.objects.filter(checkup_id__in=chunk).values_list(
            "checkup_id", "item__rubric__key", "item__key", "value"
        ):
            answers[checkup_id][f"{rubric_key}.{item_key}"] = value

    views = partner_views(pairs=by_pair.keys())
    snapshots = []
    for (partner_id, period_id), rows in by_pair.items():
        # The latest submission's rubric version scores the period; item keys
        # are stable across versions, so earlier raters' answers still count.
        version_id = rows[-1]["rubric_version_id"]
        model = scoring_model(version_id=version_id)
        keys = set(model.item_keys())
        raters = [{k: v for k, v in answers[row["id"]].items() if k in keys} for row in rows]
        try:
            result = score(model, raters)
        except ScoringError:
            # Incomplete, or too little answered (NotScored): recorded, not scored, so no snapshot.
            continue
        snapshots.append(
            PartnerSnapshot(
                partner_id=partner_id,
                period_id=period_id,
                rubric_version_id=version_id,
                health=round(result.health, 2),
                band=result.band.value,
                rubric_scores=_round(result.rubric_scores, 2),
                item_means=_round(result.item_means),
                item_spread=_round(result.item_spread, 2),
                contributions=_round(result.contributions),
                red_flags=_red_flags(rows),
                rater_count=result.rater_count,
                disagreement=round(result.disagreement, 2),
                partner_view=views.get((partner_id, period_id)),
                coverage=round(result.coverage, 4),
                rubric_coverage=_round(result.rubric_coverage, 4),
            )
        )

    scored = {(s.partner_id, s.period_id) for s in snapshots}
    stale = pairs - scored
    for partner_id, period_id in stale:
        PartnerSnapshot.objects.filter(partner_id=partner_id, period_id=period_id).delete()
    PartnerSnapshot.objects.bulk_create(
        snapshots,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["partner", "period"],
        update_fields=[
            "rubric_version",
            "health",
            "band",
            "rubric_scores",
            "item_means",
            "item_spread",
            "contributions",
            "red_flags",
            "rater_count",
            "disagreement",
            "partner_view",
            "coverage",
            "rubric_coverage",
            "computed_at",
        ],
    )
    _refresh_deltas(partner_ids=partner_ids)
    rollups_invalidate()
    return len(snapshots)


def _red_flags(rows: list[dict]) -> dict:
    """The worst cut-bait signal any rater reported (001)."""
    late = [row["days_to_pay"] - row["partner__payment_terms_days"] for row in rows if row["days_to_pay"] is not None]
    return {
        "days_late": max(0, max(late)) if late else None,
        "info_withheld": any(row["info_withheld"] for row in rows),
        "abusive": any(row["abusive_behaviour"] for row in rows),
    }


def _refresh_deltas(*, partner_ids: set[int]) -> None:
    """Keep health_delta equal to the change since each partner's previous snapshot.

    One set-based UPDATE with a window function (PostgreSQL and SQLite >= 3.33
    both support UPDATE ... FROM), so importing thousands of snapshots stays fast.
    """
    table = PartnerSnapshot._meta.db_table
    period_table = Period._meta.db_table
    ids = sorted(partner_ids)
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            placeholders = ", ".join(["%s"] * len(chunk))
            # Only table names are interpolated (from model metadata); ids are parameters.
            cursor.execute(
                f"""
                UPDATE {table} SET health_delta = ordered.delta
                FROM (
                    SELECT s.id, ROUND(CAST(s.health - LAG(s.health) OVER (
                        PARTITION BY s.partner_id ORDER BY p.year, p.quarter) AS NUMERIC), 2) AS delta
                    FROM {table} s JOIN {period_table} p ON p.id = s.period_id
                    WHERE s.partner_id IN ({placeholders})
                ) AS ordered
                WHERE {table}.id = ordered.id
                """,  # noqa: S608
                chunk,
            )


def partner_views_recompute(*, pairs: Iterable[Pair]) -> int:
    """Store the partner's view of us on each (partner, period) snapshot, from its submitted mirror surveys.

    Called in the transaction that submits a response. A quarter we have not scored yet has no
    snapshot: its view is stored when our first check-up of it is (``snapshots_recompute``), and
    ``selectors.mirror.partner_view_series`` scores it from the responses meanwhile.
    Returns the number of snapshots changed.
    """
    pairs = set(pairs)
    if not pairs:
        return 0
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("partner_views_recompute must run inside the writing transaction")
    views = partner_views(pairs=pairs)
    changed = 0
    for partner_id, period_id in pairs:
        changed += PartnerSnapshot.objects.filter(partner_id=partner_id, period_id=period_id).update(
            partner_view=views.get((partner_id, period_id)), computed_at=timezone.now()
        )
    if changed:
        rollups_invalidate()
    return changed

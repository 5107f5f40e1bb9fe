"""Reads for rater calibration (docs/CALIBRATION.md): leadership's raters page, each rater's
leniency beside the rater spread, and the calibrated health of a partner-quarter.

The estimate aggregates every rating answer of the partner-quarters that two raters or more
scored (the snapshots' ``rater_count`` says which) in one query, and is kept in the
dashboard's roll-up cache (``assessments.infra.rollups``) under the same fingerprint. That
query takes seconds at 10,000 partners, so a changed estimate may be served for up to
``CALIBRATION_MAX_STALENESS_SECONDS`` while it is rebuilt in the background, at most once
every ``REFRESH_AFTER_SECONDS``; never on every page view.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q

from assessments.calibration import Calibration, Leniency, RaterQuarters, Rating, calibrated_answers, from_quarters
from assessments.infra.rollups import ROLLUP_TTL_SECONDS, rollup_read
from assessments.models import Answer, Checkup, PartnerSnapshot
from assessments.scoring import Band, Scale, score
from assessments.selectors.dashboard.page import rollup_fingerprint
from assessments.selectors.rubrics import rubric_items, scoring_model

REFRESH_AFTER_SECONDS = 300


def _addresses(version_id: int) -> dict[int, str]:
    return {item.id: item.address for item in rubric_items(version_id=version_id)}


def co_rated_ratings() -> list[Rating]:
    """Every submitted rating answer of a partner-quarter that two raters or more scored, one by one.

    The straightforward read, for the pure ``estimate``: the tests check that the aggregate the
    database computes (``quarter_statistics``) gives the same figures. Pages use the aggregate."""
    shared = PartnerSnapshot.objects.filter(
        partner_id=OuterRef("checkup__partner_id"), period_id=OuterRef("checkup__period_id"), rater_count__gte=2
    )
    rows = (
        # "Not applicable" answers say nothing about leniency: left out (docs/CALIBRATION.md).
        Answer.objects.filter(checkup__status=Checkup.Status.SUBMITTED, scale=Scale.RATING.value, value__isnull=False)
        .filter(Exists(shared))
        .values_list(
            "checkup__rater_id",
            "checkup__partner_id",
            "checkup__period_id",
            "checkup__rubric_version_id",
            "item_id",
            "value",
        )
    )
    addresses: dict[int, dict[int, str]] = {}
    found = []
    for rater, partner, period, version, item, value in rows.iterator(chunk_size=5000):
        if version not in addresses:
            addresses[version] = _addresses(version)
        found.append(Rating(rater, partner, period, addresses[version].get(item, str(item)), value))
    return found


# Steps 1 and 2 of docs/CALIBRATION.md in the database, one row per rater: how many shared
# partner-quarters, the sum and the sum of squares of their per-quarter mean differences, and the
# items compared. Items are matched by address (rubric key and item key) across rubric versions.
# At 10,000 partners with three raters each this returns three rows instead of millions of answers.
QUARTER_STATISTICS_SQL = """
WITH answers AS (
    SELECT a.rater_id, a.partner_id, a.period_id, r.key || '.' || i.key AS address, x.value
    FROM assessments_answer x
    JOIN assessments_assessment a ON a.id = x.assessment_id
    JOIN assessments_partnersnapshot s
      ON s.partner_id = a.partner_id AND s.period_id = a.period_id AND s.rater_count >= 2
    JOIN assessments_rubricitem i ON i.id = x.item_id
    JOIN assessments_rubric r ON r.id = i.rubric_id
    WHERE a.status = %s AND x.scale = %s AND x.value IS NOT NULL
),
items AS (
    SELECT rater_id, partner_id, period_id, value,
           SUM(value) OVER (PARTITION BY partner_id, period_id, address) AS total,
           COUNT(*) OVER (PARTITION BY partner_id, period_id, address) AS raters
    FROM answers
),
quarters AS (
    SELECT rater_id,
           AVG(CAST(value AS DOUBLE PRECISION)
               - CAST(total - value AS DOUBLE PRECISION) / (raters - 1)) AS difference,
           COUNT(*) AS compared
    FROM items
    WHERE raters >= 2
    GROUP BY rater_id, partner_id, period_id
)
SELECT rater_id, COUNT(*), SUM(difference), SUM(difference * difference), SUM(compared)
FROM quarters
GROUP BY rater_id
"""


def quarter_statistics() -> dict[int, RaterQuarters]:
    """Every co-rated rater's per-quarter statistics, aggregated by the database."""
    with connection.cursor() as cursor:
        cursor.execute(QUARTER_STATISTICS_SQL, [Checkup.Status.SUBMITTED.value, Scale.RATING.value])
        rows = cursor.fetchall()
    return {
        rater: RaterQuarters(shared=n, total=float(total), squares=float(squares), items=int(items))
        for rater, n, total, squares, items in rows
    }


def _build() -> Calibration:
    return from_quarters(quarter_statistics())


def rater_calibration(*, fingerprint: tuple | None = None) -> Calibration:
    """Every rater's leniency, from the roll-up cache (rebuilt after any snapshot changes)."""
    bound = settings.CALIBRATION_MAX_STALENESS_SECONDS
    return rollup_read(
        name="calibration",
        parts=(),
        fingerprint=rollup_fingerprint() if fingerprint is None else fingerprint,
        build=_build,
        max_staleness=bound,
        # One rebuild at most every REFRESH_AFTER_SECONDS while check-ups come in: it reads every
        # co-rated answer (seconds at 10,000 partners), for a figure that moves slowly.
        refresh_after=min(REFRESH_AFTER_SECONDS, bound),
        ttl=max(ROLLUP_TTL_SECONDS, 2 * bound),
    ).value


@dataclass(frozen=True)
class RaterRow:
    user_id: int
    name: str
    checkups: int
    leniency: Leniency


def _name(username: str, first: str, last: str) -> str:
    return f"{first} {last}".strip() or username


def raters_overview() -> dict:
    """Everyone who submitted a check-up, most generous first, with the evidence behind each figure."""
    calibration = rater_calibration()
    users = (
        get_user_model()
        .objects.annotate(
            submitted=Count("checkups", filter=Q(checkups__status=Checkup.Status.SUBMITTED)),
        )
        .filter(submitted__gt=0)
        .values_list("id", "username", "first_name", "last_name", "submitted")
    )
    rows = [
        RaterRow(user_id=pk, name=_name(username, first, last), checkups=n, leniency=calibration.of(pk))
        for pk, username, first, last, n in users
    ]
    rows.sort(key=lambda r: (-r.leniency.value, -r.leniency.shared, r.name))
    return {
        "rows": rows,
        "spread": calibration.spread,
        "prior_quarters": calibration.prior_quarters,
        "co_rated": sum(1 for r in rows if r.leniency.shared),
    }


@dataclass(frozen=True)
class CalibratedHealth:
    period_code: str
    as_scored: float
    as_scored_band: str
    health: float
    band: str
    # (rater's name, their leniency) for each rater of the quarter.
    raters: list[tuple[str, Leniency]]

    @property
    def change(self) -> float:
        return self.health - self.as_scored

    @property
    def adjusted(self) -> bool:
        return any(leniency.shared for _, leniency in self.raters)


def calibrated_health(*, snapshot: PartnerSnapshot, calibration: Calibration | None = None) -> CalibratedHealth | None:
    """The snapshot's quarter scored again by the same engine, each rater's leniency taken off.

    None when the quarter's answers cannot be read back (none submitted any more).
    """
    rows = (
        Answer.objects.filter(
            checkup__partner_id=snapshot.partner_id,
            checkup__period_id=snapshot.period_id,
            checkup__status=Checkup.Status.SUBMITTED,
            checkup__rubric_version_id=snapshot.rubric_version_id,
        )
        .order_by("checkup__submitted_at", "checkup_id")
        .values_list(
            "checkup__rater_id",
            "checkup__rater__username",
            "checkup__rater__first_name",
            "checkup__rater__last_name",
            "item_id",
            "value",
        )
    )
    addresses = _addresses(snapshot.rubric_version_id)
    answers: dict[int, dict[str, float]] = {}
    names: dict[int, str] = {}
    for rater, username, first, last, item, value in rows:
        names.setdefault(rater, _name(username, first, last))
        answers.setdefault(rater, {})[addresses[item]] = value
    if not answers:
        return None
    model = scoring_model(version_id=snapshot.rubric_version_id)
    calibration = calibration or rater_calibration()
    leniencies = {rater: calibration.of(rater) for rater in answers}
    try:
        result = score(model, [calibrated_answers(model, answers[r], leniencies[r].value) for r in answers])
    except ValueError:
        # Answers that no longer score on their own (an item left unanswered): no calibrated figure.
        return None
    return CalibratedHealth(
        period_code=snapshot.period.code,
        as_scored=snapshot.health,
        as_scored_band=snapshot.band,
        health=result.health,
        band=Band(result.band).value,
        raters=[(names[r], leniencies[r]) for r in answers],
    )


def partner_calibration(
    *, latest: PartnerSnapshot | None, spread_rater_ids: list[int], spread_raters: list[str]
) -> dict | None:
    """Leadership's part of the partner page: the calibrated health of the latest quarter and
    each rater's leniency beside their answers in the rater spread. None with nothing scored."""
    if latest is None:
        return None
    calibration = rater_calibration()
    columns = []
    for rater, name in zip(spread_rater_ids, spread_raters, strict=True):
        leniency = calibration.of(rater)
        columns.append(
            {
                "name": name,
                "value": leniency.value,
                "phrase": leniency.phrase,
                "shared": leniency.shared,
                "margin": leniency.margin,
            }
        )
    return {"health": calibrated_health(snapshot=latest, calibration=calibration), "spread_columns": columns}

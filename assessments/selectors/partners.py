"""Reads for the partner page, which account managers and leadership share.

Scoping comes from ``assessments.selectors.access``: a manager sees the
partners they own, leadership and admins every partner. Scores are read from
``PartnerSnapshot``; the only read of raw answers is the rater spread, which
needs each rater's own values for one period: a single query on ``Answer``.
The page costs the same number of queries whatever the partner's history,
raters or log size, so it stays cheap at 10,000 partners (004).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Prefetch, Q
from django.db.models.functions import ExtractQuarter, ExtractYear
from django.utils import timezone

from assessments.display import (
    NOT_APPLICABLE_LABELS,
    SCALE_LABELS,
    band_label,
    coverage_label,
    not_scored_reason,
    value_label,
)
from assessments.models import Answer, Checkup, Engagement, Partner, PartnerSnapshot, Period, RubricItem
from assessments.periods import Quarter, current_quarter
from assessments.scoring import Coverage, Scale, health_effects, movements
from assessments.selectors.access import (
    checkups_editable_by,
    is_leadership,
    partner_editable_by,
    partners_visible_to,
)
from assessments.selectors.actions import partner_action_plan
from assessments.selectors.alerts import alerts_for_partner
from assessments.selectors.calibration import partner_calibration
from assessments.selectors.cases import case_for_partner, on_watch
from assessments.selectors.checkups import HISTORY_QUARTERS
from assessments.selectors.decline import decline_summary
from assessments.selectors.perception import partner_perception
from assessments.selectors.rubrics import band_thresholds, rubric_items, rubric_version_current
from assessments.selectors.snapshots import quarters_not_scored, snapshot_score, staleness

# Items whose raters sit this many points apart (population standard deviation
# on the 0-100 scale) are listed under "rater spread": two raters one step
# apart on a 1-5 rating spread 12.5 points, two steps apart 25.
SPREAD_THRESHOLD = 20.0
# The radar compares the six characteristics of a good partner (000).
RADAR_RUBRIC = "characteristics"
# Proposals that never land are the symptom the joint win rate gives evidence for (002).
CHASING_RAINBOWS = "symptoms.chasing_rainbows"
# Shading of a symptom cell by intensity; the number and its word are always printed in the cell.
SYMPTOM_CLASSES = {0: "", 1: "band-watch", 2: "band-at_risk", 3: "band-critical"}
WINNING_STATUSES = (Engagement.Status.WON, Engagement.Status.ACTIVE, Engagement.Status.COMPLETED)


def _window_end(snapshots: list[PartnerSnapshot], quarter: Quarter) -> Quarter:
    # The current quarter joins the chart once someone has scored it.
    return quarter if any(s.period.value == quarter for s in snapshots) else quarter.previous()


def partner_overview(*, user, partner_id: int, today: dt.date | None = None) -> dict:
    """Everything the partner page shows, read in a fixed, small number of queries.

    Raises Partner.DoesNotExist when the partner is not visible to the user.
    Extend this context (not the view) when the page grows.
    """
    partner = (
        partners_visible_to(user)
        .select_related("executive_sponsor")
        .prefetch_related(Prefetch("owners", to_attr="owner_list"))
        .get(pk=partner_id)
    )
    # Decided from the owners already loaded: no query of its own.
    can_edit = partner_editable_by(user, owner_ids={owner.pk for owner in partner.owner_list})
    quarter = current_quarter(today=today or timezone.localdate())
    snapshots = list(
        PartnerSnapshot.objects.filter(partner=partner)
        .select_related("period")
        .order_by("-period__year", "-period__quarter")[: HISTORY_QUARTERS + 1]
    )
    # Quarters whose check-ups cover too little to score: each says why where its score would be.
    unscored = quarters_not_scored(
        partner_ids={partner.id},
        period_codes=[q.code for q in quarter.window(HISTORY_QUARTERS + 1)],
        scored={(partner.id, s.period_id) for s in snapshots},
    )
    not_scored = {period_id: covered for (_, period_id), covered in unscored.items()}
    not_scored_codes = dict(Period.objects.filter(id__in=not_scored).values_list("code", "id")) if not_scored else {}
    end = quarter if quarter.code in not_scored_codes else _window_end(snapshots, quarter)
    quarters = end.window(HISTORY_QUARTERS)
    by_code = {s.period.code: s for s in snapshots}
    window = [by_code.get(q.code) for q in quarters]
    scored = [s for s in window if s is not None]
    latest = scored[-1] if scored else None
    previous = by_code.get(latest.period.value.previous().code) if latest else None

    health_rows = _health_rows(quarters, window, {code: not_scored[pid] for code, pid in not_scored_codes.items()})
    version_id = latest.rubric_version_id if latest else rubric_version_current().id
    items = rubric_items(version_id=version_id)
    symptoms = _symptom_timeline(items, quarters, window)
    partner_alerts = alerts_for_partner(user=user, partner_id=partner.id)
    partner_case = case_for_partner(user=user, partner_id=partner.id)
    spread = _rater_spread(scored, items)
    return {
        "partner": partner,
        "can_edit": can_edit,
        # The owner's own check-up this quarter, so the page links straight to it.
        "my_checkup": (
            checkups_editable_by(user)
            .filter(partner=partner, period__year=quarter.year, period__quarter=quarter.quarter)
            .first()
            if can_edit
            else None
        ),
        "quarter": quarter,
        "latest": latest,
        "previous": previous,
        "latest_band_label": band_label(latest.band) if latest else "—",
        "health": health_rows,
        # The newest quarter, if not scored for too few answers and newer than the latest score.
        "not_scored_latest": next(
            (
                row
                for row in reversed(health_rows)
                if row["not_scored"] and (latest is None or row["code"] > latest.period.code)
            ),
            None,
        ),
        "latest_coverage": coverage_label(latest.coverage) if latest and latest.coverage < 1 else "",
        "chart": _chart_data(quarters, window),
        "rubric_history": _rubric_history(items, quarters, window),
        "comparison": _comparison(items, latest, previous),
        "radar": _radar(items, latest, previous),
        "symptoms": symptoms,
        "spread": spread,
        # Stale: the latest check-up is too old to stand for the partner's health now (docs/DASHBOARD.md).
        "stale": staleness(latest=latest.period.value if latest else None, quarter=quarter),
        # Leadership only: leniencies and the calibrated health (docs/CALIBRATION.md).
        "calibration": (
            partner_calibration(latest=latest, spread_rater_ids=spread["rater_ids"], spread_raters=spread["raters"])
            if is_leadership(user)
            else None
        ),
        # Their rating of us beside ours, trait by trait, and the gap over the quarters.
        "perception": partner_perception(
            partner=partner, snapshots=snapshots, quarters=quarters, version_id=version_id
        ),
        "partner_alerts": partner_alerts,
        "partner_case": partner_case,
        "on_watch": on_watch(partner_alerts, latest_period=latest.period.code if latest else None),
        # Why it declined, while a case is open: from the pre-decline baseline to now.
        "decline": (
            decline_summary(partner_id=partner.id, snapshots=snapshots)
            if partner_case is not None and not partner_case.is_resolved
            else None
        ),
        "actions": partner_action_plan(
            user=user, partner=partner, quarter=quarter, can_edit=can_edit, today=today or timezone.localdate()
        ),
        "engagements": _engagements(partner, symptoms),
        "interactions": _interactions(partner, quarters),
    }


def _health_rows(
    quarters: list[Quarter], window: list[PartnerSnapshot | None], not_scored: dict[str, Coverage]
) -> list[dict]:
    return [
        {
            "code": q.code,
            "snapshot": s,
            "band_label": band_label(s.band) if s else "—",
            "coverage": coverage_label(s.coverage) if s and s.coverage < 1 else "",
            "not_scored": not_scored_reason(not_scored[q.code]) if q.code in not_scored else "",
        }
        for q, s in zip(quarters, window, strict=True)
    ]


def _chart_data(quarters: list[Quarter], window: list[PartnerSnapshot | None]) -> dict:
    thresholds = band_thresholds()
    return {
        "labels": [q.code for q in quarters],
        "health": [s.health if s else None for s in window],
        "bands": [band_label(s.band) if s else None for s in window],
        "thresholds": {"healthy": thresholds.healthy, "watch": thresholds.watch, "at_risk": thresholds.at_risk},
    }


# --- rubric scores over time -----------------------------------------------------------


def _rubric_history(items: list[RubricItem], quarters: list[Quarter], window: list[PartnerSnapshot | None]) -> dict:
    """Each rubric's 0-100 score per quarter, for the line chart and the table that mirrors it."""
    rubrics = [
        {
            "key": rubric.key,
            "title": rubric.title,
            # Column headers and chart legends stay short enough for a laptop screen.
            "short": rubric.key.replace("_", " ").capitalize(),
            # A symptom score of 100 means no symptoms, so every line reads "higher is better".
            "inverted": rubric.scale == Scale.INTENSITY.value,
        }
        for rubric in {item.rubric_id: item.rubric for item in items}.values()
    ]
    rows = [
        {
            "code": q.code,
            "scored": s is not None,
            "scores": [s.rubric_scores.get(r["key"]) if s else None for r in rubrics],
        }
        for q, s in zip(quarters, window, strict=True)
    ]
    return {
        "rubrics": rubrics,
        "rows": rows,
        "chart": {
            "labels": [q.code for q in quarters],
            "series": [{**r, "values": [row["scores"][i] for row in rows]} for i, r in enumerate(rubrics)],
        },
    }


# --- item by item, and the radar of the six characteristics -----------------------------


def _comparison(items: list[RubricItem], latest: PartnerSnapshot | None, previous: PartnerSnapshot | None) -> dict:
    if latest is None:
        return {"rows": [], "latest": None, "previous": None}
    moved = (
        {m.address for m in movements(snapshot_score(previous), snapshot_score(latest), limit=3)}
        if previous is not None
        else set()
    )
    # Signed from health's side: a symptom that worsened is a loss, whatever the ratings did.
    effects = health_effects(snapshot_score(previous), snapshot_score(latest)) if previous is not None else {}
    rows = []
    for item in items:
        address = item.address
        after = latest.item_means.get(address)
        before = previous.item_means.get(address) if previous else None
        effect = effects.get(address)
        rows.append(
            {
                "item": item,
                "rubric": item.rubric,
                "before": value_label(item.rubric.scale, before),
                "after": value_label(item.rubric.scale, after),
                "change": (after - before) if after is not None and before is not None else None,
                "effect": effect,
                "moved_most": address in moved,
            }
        )
    return {"rows": rows, "latest": latest, "previous": previous}


def _radar(items: list[RubricItem], latest: PartnerSnapshot | None, previous: PartnerSnapshot | None) -> dict | None:
    """The six characteristics' mean ratings (1-5), the latest quarter against the one before."""
    characteristics = [item for item in items if item.rubric.key == RADAR_RUBRIC]
    if latest is None or not characteristics:
        return None

    def series(snapshot: PartnerSnapshot | None) -> dict | None:
        if snapshot is None:
            return None
        return {
            "code": snapshot.period.code,
            "values": [snapshot.item_means.get(item.address) for item in characteristics],
        }

    before = previous.item_means if previous else {}
    return {
        "title": characteristics[0].rubric.title,
        # The table beside the radar: the same means, readable without the chart.
        "rows": [
            {
                "title": item.title,
                "before": value_label(Scale.RATING.value, before.get(item.address)),
                "after": value_label(Scale.RATING.value, latest.item_means.get(item.address)),
            }
            for item in characteristics
        ],
        "chart": {
            "labels": [item.title for item in characteristics],
            "min": Scale.RATING.bounds[0],
            "max": Scale.RATING.bounds[1],
            "latest": series(latest),
            "previous": series(previous),
        },
    }


# --- the symptom timeline --------------------------------------------------------------


def _symptom_timeline(items: list[RubricItem], quarters: list[Quarter], window: list[PartnerSnapshot | None]) -> dict:
    """A row per symptom, a cell per quarter, and how many scored quarters in a row it has lasted.

    Persistence is what matters: judge the symptoms by their frequency over
    the long term, not by one bad quarter (002).
    """
    symptoms = [item for item in items if item.rubric.scale == Scale.INTENSITY.value]
    rows = []
    for item in symptoms:
        cells = []
        for q, s in zip(quarters, window, strict=True):
            mean = s.item_means.get(item.address) if s else None
            level = None if mean is None else round(mean + 1e-9)
            cells.append(
                {
                    "code": q.code,
                    "value": mean,
                    "label": value_label(Scale.INTENSITY.value, mean),
                    "level": level,
                    "css": SYMPTOM_CLASSES.get(level, "") if level is not None else "",
                }
            )
        rows.append({"item": item, "cells": cells, "streak": _streak(cells)})
    return {
        "quarters": [q.code for q in quarters],
        "rows": rows,
        "legend": [
            {"level": level, "label": f"{level} · {word}", "css": SYMPTOM_CLASSES[level]}
            for level, word in SCALE_LABELS[Scale.INTENSITY.value].items()
        ],
    }


def _streak(cells: list[dict]) -> int:
    """Scored quarters in a row, back from the latest scored one, at mild or worse.

    A quarter nobody scored is skipped rather than counted as a recovery.
    """
    streak = 0
    for cell in reversed(cells):
        if cell["level"] is None:
            continue
        if cell["level"] < 1:
            break
        streak += 1
    return streak


# --- rater spread ----------------------------------------------------------------------


def _rater_name(username: str, first: str, last: str) -> str:
    return f"{first} {last}".strip() or username


def _rater_spread(scored: list[PartnerSnapshot], items: list[RubricItem]) -> dict:
    """Where several raters disagree: the latest quarter with two or more raters, item by item.

    The snapshot says which items are spread wide; the raters' own values are
    one query on the answers of that partner and quarter.
    """
    empty = {"snapshot": None, "latest": None, "raters": [], "rater_ids": [], "rows": [], "threshold": SPREAD_THRESHOLD}
    if not scored:
        return empty
    latest = scored[-1]
    chosen = next((s for s in reversed(scored) if s.rater_count >= 2), latest)
    index = {item.address: item for item in items}
    order = {item.address: position for position, item in enumerate(items)}
    wide = sorted(
        (address for address, spread in chosen.item_spread.items() if spread >= SPREAD_THRESHOLD),
        key=lambda address: (-chosen.item_spread[address], order.get(address, len(order)), address),
    )

    # The partner was read through the user's scope, and checkups_visible_to shows every
    # check-up of a partner one may see, so filtering on the partner is the same scope.
    answers = (
        Answer.objects.filter(
            checkup__partner_id=chosen.partner_id,
            checkup__period_id=chosen.period_id,
            checkup__status=Checkup.Status.SUBMITTED,
        )
        .order_by("checkup__submitted_at", "checkup_id", "item_id")
        .values_list(
            "checkup_id",
            "checkup__rater_id",
            "checkup__rater__username",
            "checkup__rater__first_name",
            "checkup__rater__last_name",
            "checkup__rubric_version_id",
            "item_id",
            "value",
        )
    )
    # Item addresses come from each version's cached items, not from two more joins.
    addresses: dict[int, dict[int, str]] = {}
    raters: dict[int, str] = {}
    rater_ids: dict[int, int] = {}
    values: dict[tuple[int, str], int] = {}
    for checkup_id, rater_id, username, first, last, version_id, item_id, value in answers:
        raters.setdefault(checkup_id, _rater_name(username, first, last))
        rater_ids.setdefault(checkup_id, rater_id)
        if version_id not in addresses:
            addresses[version_id] = {item.id: item.address for item in rubric_items(version_id=version_id)}
        values[(checkup_id, addresses[version_id][item_id])] = value

    rows = []
    for address in wide:
        item = index.get(address)
        scale = item.rubric.scale if item else Scale.RATING.value
        rows.append(
            {
                "address": address,
                "title": item.title if item else address,
                "rubric": item.rubric.title if item else "",
                "values": [
                    NOT_APPLICABLE_LABELS[scale]
                    if (rater, address) in values and values[(rater, address)] is None
                    else value_label(scale, values.get((rater, address)))
                    for rater in raters
                ],
                "spread": chosen.item_spread[address],
            }
        )
    return {
        "snapshot": chosen,
        "latest": latest,
        "raters": list(raters.values()),
        "rater_ids": list(rater_ids.values()),
        "rows": rows,
        "threshold": SPREAD_THRESHOLD,
    }


# --- action items, engagements, interactions ------------------------------------------


def win_rate(statuses: list[str]) -> float | None:
    """Joint wins over decided engagements: won, active and completed win, lost loses.

    A proposal is not decided yet, so it counts for neither; with nothing
    decided there is no rate (None), not a rate of zero.
    """
    wins = sum(status in WINNING_STATUSES for status in statuses)
    losses = sum(status == Engagement.Status.LOST for status in statuses)
    return wins / (wins + losses) if wins + losses else None


def _engagements(partner: Partner, symptoms: dict) -> dict:
    rows = list(partner.engagements.order_by("-started_on", "title"))
    statuses = [e.status for e in rows]
    rate = win_rate(statuses)
    wins = sum(status in WINNING_STATUSES for status in statuses)
    lost = statuses.count(Engagement.Status.LOST)
    rainbows = next((r for r in symptoms["rows"] if r["item"].address == CHASING_RAINBOWS), None)
    scored_cells = [c for c in rainbows["cells"] if c["value"] is not None] if rainbows else []
    return {
        "rows": rows,
        "won": wins,
        "lost": lost,
        "proposed": statuses.count(Engagement.Status.PROPOSED),
        "decided": wins + lost,
        "win_rate": rate,
        "win_rate_label": "n/a" if rate is None else f"{rate:.0%}",
        # What the raters said about chasing rainbows, beside the record that backs it or not.
        "rainbows": (
            {"title": rainbows["item"].title, "latest": scored_cells[-1], "streak": rainbows["streak"]}
            if scored_cells
            else None
        ),
    }


def _interactions(partner: Partner, quarters: list[Quarter], limit: int = 50) -> dict:
    # One row past the limit says whether the log shown is the whole log.
    rows = list(partner.interactions.select_related("created_by").order_by("-occurred_on", "-id")[: limit + 1])
    if len(rows) <= limit:
        # The whole log is in hand (most partners): count it here, without another query.
        counts: dict[tuple[int, int], tuple[int, int]] = {}
        for row in rows:
            key = (row.occurred_on.year, (row.occurred_on.month - 1) // 3 + 1)
            n, face_to_face = counts.get(key, (0, 0))
            counts[key] = (n + 1, face_to_face + row.face_to_face)
    else:
        # A long log: one grouped query gives every quarter's counts and, summed, the total.
        counts = {
            (year, quarter): (n, face_to_face)
            for year, quarter, n, face_to_face in partner.interactions.annotate(
                year=ExtractYear("occurred_on"), quarter=ExtractQuarter("occurred_on")
            )
            .values("year", "quarter")
            .annotate(n=Count("id"), face_to_face=Count("id", filter=Q(face_to_face=True)))
            .order_by()
            .values_list("year", "quarter", "n", "face_to_face")
        }
    per_quarter = []
    for q in quarters:
        count, face_to_face = counts.get((q.year, q.quarter), (0, 0))
        per_quarter.append({"code": q.code, "count": count, "face_to_face": face_to_face})
    return {
        "rows": rows[:limit],
        "total": sum(n for n, _ in counts.values()),
        "limit": limit,
        "per_quarter": per_quarter,
    }

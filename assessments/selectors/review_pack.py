"""The quarterly review pack: what an account manager brings to a business review with the partner.

One read gives the print page and the PDF the same figures: the health trend (the stored snapshots),
the open case with its findings and action plan (``selectors.cases`` and ``selectors.case_plan``),
the quarter's and the last four quarters' engagements and interactions, and both views with the
gap (``selectors.perception``). Scoping is the partner page's: owners and leadership, anyone
else gets ``Partner.DoesNotExist`` (a 404).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils import timezone

from assessments.charts import line_chart
from assessments.display import band_label, number
from assessments.models import Alert, Case, Engagement, Interaction, PartnerSnapshot
from assessments.periods import Quarter, current_quarter
from assessments.scoring import Scale
from assessments.selectors.access import partners_visible_to
from assessments.selectors.case_plan import case_plan
from assessments.selectors.cases import case_unresolved
from assessments.selectors.checkups import HISTORY_QUARTERS
from assessments.selectors.perception import partner_perception
from assessments.selectors.rubrics import band_thresholds, rubric_items, rubric_version_current
from assessments.trends import worst_first

# The summary's two spans: the quarter of the review, and the year up to it.
SUMMARY_QUARTERS = 4
WINNING = (Engagement.Status.WON, Engagement.Status.ACTIVE, Engagement.Status.COMPLETED)


@dataclass(frozen=True)
class Span:
    """Engagements and interactions over a run of quarters, for the summary's two columns."""

    title: str
    first: Quarter
    last: Quarter
    engagements_started: int
    won: int
    lost: int
    proposed: int
    value_won: float
    interactions: int
    face_to_face: int
    reviews: int

    @property
    def win_rate_label(self) -> str:
        decided = self.won + self.lost
        return "n/a" if not decided else f"{self.won / decided:.0%}"

    @property
    def quarters_label(self) -> str:
        return self.first.code if self.first == self.last else f"{self.first.code} to {self.last.code}"


def _within(day: dt.date | None, first: Quarter, last: Quarter) -> bool:
    return day is not None and first.starts_on <= day <= last.ends_on


def _span(title: str, first: Quarter, last: Quarter, engagements, interactions) -> Span:
    started = [e for e in engagements if _within(e.started_on, first, last)]
    met = [i for i in interactions if _within(i.occurred_on, first, last)]
    return Span(
        title=title,
        first=first,
        last=last,
        engagements_started=len(started),
        won=sum(e.status in WINNING for e in started),
        lost=sum(e.status == Engagement.Status.LOST for e in started),
        proposed=sum(e.status == Engagement.Status.PROPOSED for e in started),
        value_won=float(sum(e.value for e in started if e.status in WINNING)),
        interactions=len(met),
        face_to_face=sum(i.face_to_face for i in met),
        reviews=sum(i.kind == Interaction.Kind.QBR for i in met),
    )


def _health(snapshots: list[PartnerSnapshot], quarter: Quarter) -> dict:
    by_code = {s.period.code: s for s in snapshots}
    # The current quarter joins the trend once someone has scored it (the partner page's rule).
    end = quarter if quarter.code in by_code else quarter.previous()
    quarters = end.window(HISTORY_QUARTERS)
    window = [by_code.get(q.code) for q in quarters]
    thresholds = band_thresholds()
    rows = [
        {"code": q.code, "snapshot": s, "band_label": band_label(s.band) if s else "—"}
        for q, s in zip(quarters, window, strict=True)
    ]
    chart = line_chart(
        [q.code for q in quarters],
        [("Health", [s.health if s else None for s in window])],
        thresholds=[
            (thresholds.healthy, f"Healthy ≥ {thresholds.healthy:g}"),
            (thresholds.watch, f"Watch ≥ {thresholds.watch:g}"),
            (thresholds.at_risk, f"At risk ≥ {thresholds.at_risk:g}"),
        ],
    )
    scored = [s for s in window if s is not None]
    return {
        "rows": rows,
        "chart": chart,
        "latest": scored[-1] if scored else None,
        "first": quarters[0],
        "quarters": quarters,
    }


def _our_view(latest: PartnerSnapshot | None) -> list[dict]:
    """Our latest rubric scores (0-100) with their titles, in rubric order."""
    if latest is None:
        return []
    rubrics = {item.rubric.key: item.rubric for item in rubric_items(version_id=latest.rubric_version_id)}
    return [
        {
            "title": rubric.title,
            "score": latest.rubric_scores.get(key),
            "inverted": rubric.scale == Scale.INTENSITY.value,
        }
        for key, rubric in rubrics.items()
    ]


def _case(user, partner_id: int, today: dt.date) -> dict | None:
    """The partner's unresolved case, its episode's findings (worst first) and its action plan."""
    case = case_unresolved(partner_id=partner_id)
    if case is None:
        return None
    case = (
        Case.objects.select_related("episode_period", "opened_period", "assignee")
        .prefetch_related(Prefetch("findings", queryset=Alert.objects.select_related("period")))
        .get(pk=case.pk)
    )
    start = case.episode_period.value
    findings = [a for a in case.findings.all() if a.period.value >= start]
    findings.sort(key=lambda a: (-a.period.year, -a.period.quarter, *worst_first(a.severity, a.rule)))
    return {
        "case": case,
        "state": case.current_state(today),
        "findings": findings,
        "plan": case_plan(case=case, user=user, today=today),
    }


def review_pack(*, user, partner_id: int, today: dt.date | None = None) -> dict:
    """Everything the review pack shows. Raises Partner.DoesNotExist outside the user's scope."""
    today = today or timezone.localdate()
    partner = (
        partners_visible_to(user)
        .select_related("executive_sponsor")
        .prefetch_related(Prefetch("owners", to_attr="owner_list"))
        .get(pk=partner_id)
    )
    quarter = current_quarter(today=today)
    snapshots = list(
        PartnerSnapshot.objects.filter(partner=partner)
        .select_related("period")
        .order_by("-period__year", "-period__quarter")[: HISTORY_QUARTERS + 1]
    )[::-1]
    health = _health(snapshots, quarter)
    latest = health["latest"]
    first = quarter.shift(1 - SUMMARY_QUARTERS)
    engagements = list(
        partner.engagements.filter(started_on__gte=first.starts_on, started_on__lte=quarter.ends_on).order_by(
            "-started_on", "title"
        )
    )
    interactions = list(
        partner.interactions.filter(occurred_on__gte=first.starts_on, occurred_on__lte=quarter.ends_on).order_by(
            "-occurred_on", "-id"
        )
    )
    version = latest.rubric_version_id if latest else rubric_version_current().id
    return {
        "partner": partner,
        "owners": sorted(partner.owner_list, key=lambda u: (u.first_name, u.last_name, u.username)),
        "quarter": quarter,
        "today": today,
        "health": health,
        "latest": latest,
        "latest_band_label": band_label(latest.band) if latest else "—",
        "latest_health_label": number(latest.health) if latest else "—",
        "our_view": _our_view(latest),
        "rubric_version_id": version,
        # Both views and the gap: the partner page's own read, so the pack shows the same figures.
        "perception": partner_perception(
            partner=partner, snapshots=snapshots, quarters=health["quarters"], version_id=version
        ),
        "case": _case(user, partner.pk, today),
        "spans": [
            _span("This quarter", quarter, quarter, engagements, interactions),
            _span(f"Last {SUMMARY_QUARTERS} quarters", first, quarter, engagements, interactions),
        ],
        "summary_quarters": SUMMARY_QUARTERS,
        "engagements": engagements,
        "interactions_this_quarter": [i for i in interactions if _within(i.occurred_on, quarter, quarter)],
    }

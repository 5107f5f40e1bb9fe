"""Reads for the check-up workflow (the partner page is in ``partners``, the partners list in ``partner_list``).

Scoping comes from ``assessments.selectors.access``: a check-up is editable
only by its rater while they own the partner; everything else is read through
``partners_visible_to`` / ``checkups_visible_to``. The result page reads
scores from ``PartnerSnapshot``, never from raw answers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import models
from django.db.models import Count, Q
from django.utils import timezone

from assessments.display import NOT_APPLICABLE_LABELS, band_label, coverage_label, not_scored_reason, value_label
from assessments.models import (
    ActionItem,
    Answer,
    Checkup,
    Partner,
    PartnerSnapshot,
    Period,
    RubricItem,
)
from assessments.periods import Quarter, current_quarter
from assessments.scoring import Movement, NotScored, Scale, ScoringError, movements, score
from assessments.selectors.access import (
    ActionOwners,
    action_owners_for,
    checkups_editable_by,
    checkups_visible_to,
    partners_editable_by,
    partners_visible_to,
)
from assessments.selectors.rubrics import rubric_items, scoring_model
from assessments.selectors.snapshots import quarters_not_scored, snapshot_score

HISTORY_QUARTERS = 8
# My check-ups lists the last two quarters; the partner page holds the longer history.
PAST_QUARTERS = 2
TOP_MOVEMENTS = 5

# --- scoping -----------------------------------------------------------------


# --- My check-ups --------------------------------------------------------------


class CheckupState(models.TextChoices):
    # "Not started" is a draft nobody has saved yet (last_saved_at is null).
    NOT_STARTED = "not_started", "Not started"
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"


def checkup_state(checkup: Checkup | None) -> str:
    if checkup is None or (not checkup.is_submitted and checkup.last_saved_at is None):
        return CheckupState.NOT_STARTED
    return CheckupState.SUBMITTED if checkup.is_submitted else CheckupState.DRAFT


@dataclass
class CheckupRow:
    partner: Partner
    period: Period | None
    checkup: Checkup | None
    state: str
    due_on: dt.date | None
    overdue: bool
    answered: int = 0
    total: int = 0
    snapshot: PartnerSnapshot | None = None
    # Submitted, but the quarter covers too little to score: why, in plain words.
    not_scored: str = ""

    @property
    def state_label(self) -> str:
        return CheckupState(self.state).label


@dataclass
class MyCheckups:
    today: dt.date
    quarter: Quarter
    period: Period | None
    current: list[CheckupRow]
    # (period, rows) for earlier quarters, newest first
    past: list[tuple[Period, list[CheckupRow]]]
    # Links to the next page of past quarters: ``?past=<code>`` of its newest quarter. ``later`` is
    # "" when the later page is the default one (no parameter), None when there is no such page.
    earlier: str | None = None
    later: str | None = None
    # Unfinished check-ups of every earlier quarter, whichever page of them is shown.
    overdue_past: int = 0

    @property
    def open_count(self) -> int:
        return sum(row.state != CheckupState.SUBMITTED for row in self.current)

    @property
    def overdue_count(self) -> int:
        return sum(row.overdue for row in self.current) + self.overdue_past


def _item_totals() -> dict[int, int]:
    return dict(
        RubricItem.objects.values_list("rubric__version_id")
        .annotate(n=Count("id"))
        .values_list("rubric__version_id", "n")
    )


def my_checkups(
    *, user, today: dt.date | None = None, past_quarters: int = PAST_QUARTERS, past_until: Quarter | None = None
) -> MyCheckups:
    """The rater's check-ups this quarter (with any owned partner not yet opened) and, a page at a
    time, earlier ones: ``past_quarters`` quarters ending with ``past_until`` (default: last quarter)."""
    today = today or timezone.localdate()
    quarter = current_quarter(today=today or timezone.localdate())
    period = Period.objects.filter(code=quarter.code).first()
    totals = _item_totals()
    newest = min(past_until or quarter.previous(), quarter.previous())
    oldest = newest.shift(-(past_quarters - 1))
    mine = (
        Checkup.objects.filter(rater=user, partner__in=partners_visible_to(user))
        .select_related("partner", "period")
        .order_by("-period__year", "-period__quarter", "partner__name")
    )
    # Only this quarter's rows show progress, so only they pay for counting answers;
    # a manager with hundreds of partners would otherwise count every past answer.
    current_rows = list(
        mine.filter(period__year=quarter.year, period__quarter=quarter.quarter).annotate(answered=Count("answers"))
    )
    past_rows = list(mine.filter(_from(oldest), _until(newest)))
    for checkup in past_rows:
        checkup.answered = totals.get(checkup.rubric_version_id, 0) if checkup.is_submitted else 0
    assessments = current_rows + past_rows
    snapshots = {
        (s.partner_id, s.period_id): s
        for s in PartnerSnapshot.objects.filter(
            partner_id__in={a.partner_id for a in assessments}, period_id__in={a.period_id for a in assessments}
        )
    }

    # A submitted check-up without a snapshot is rare: only then look for quarters not scored.
    unscored = {
        (a.partner_id, a.period_id)
        for a in assessments
        if a.is_submitted and (a.partner_id, a.period_id) not in snapshots
    }
    not_scored = (
        quarters_not_scored(
            partner_ids={p for p, _ in unscored}, period_ids={q for _, q in unscored}, scored=set(snapshots)
        )
        if unscored
        else {}
    )

    def row(checkup: Checkup) -> CheckupRow:
        state = checkup_state(checkup)
        return CheckupRow(
            partner=checkup.partner,
            period=checkup.period,
            checkup=checkup,
            state=state,
            due_on=checkup.period.due_on,
            overdue=state != CheckupState.SUBMITTED and today > checkup.period.due_on,
            answered=checkup.answered,
            total=totals.get(checkup.rubric_version_id, 0),
            snapshot=snapshots.get((checkup.partner_id, checkup.period_id)),
            not_scored=(
                not_scored_reason(covered)
                if (covered := not_scored.get((checkup.partner_id, checkup.period_id)))
                else ""
            ),
        )

    current = [row(a) for a in assessments if a.period.code == quarter.code]
    opened = {r.partner.id for r in current}
    # An owned partner without a check-up this quarter (newly assigned) still shows, ready to start.
    due_on = period.due_on if period else Period.fields_for(quarter)["due_on"]
    for partner in partners_editable_by(user).filter(is_active=True).exclude(id__in=opened).order_by("name"):
        current.append(
            CheckupRow(
                partner=partner,
                period=period,
                checkup=None,
                state=CheckupState.NOT_STARTED,
                due_on=due_on,
                overdue=today > due_on,
            )
        )
    current.sort(key=lambda r: (r.state == CheckupState.SUBMITTED, r.partner.name))

    past: dict[int, tuple[Period, list[CheckupRow]]] = {}
    for checkup in past_rows:
        past.setdefault(checkup.period.id, (checkup.period, []))[1].append(row(checkup))
    later = newest.shift(past_quarters)
    return MyCheckups(
        today=today,
        quarter=quarter,
        period=period,
        current=current,
        past=list(past.values()),
        earlier=oldest.previous().code if mine.filter(_until(oldest.previous())).exists() else None,
        overdue_past=mine.filter(_until(quarter.previous()), period__due_on__lt=today)
        .exclude(status=Checkup.Status.SUBMITTED)
        .count(),
        later=None if newest == quarter.previous() else ("" if later >= quarter.previous() else later.code),
    )


def _from(first: Quarter) -> Q:
    return Q(period__year__gt=first.year) | Q(period__year=first.year, period__quarter__gte=first.quarter)


def _until(last: Quarter) -> Q:
    return Q(period__year__lt=last.year) | Q(period__year=last.year, period__quarter__lte=last.quarter)


# --- the check-up form -------------------------------------------------------------


@dataclass(frozen=True)
class PreviousAnswers:
    """The rater's own answers in their last submitted check-up of the partner before this quarter."""

    period_code: str | None = None
    # address -> value; None is "not applicable / don't know".
    answers: dict[str, int | None] = field(default_factory=dict)


def rater_previous_answers(*, rater_id: int, partner_id: int, year: int, quarter: int) -> PreviousAnswers:
    previous = (
        Checkup.objects.filter(rater_id=rater_id, partner_id=partner_id, status=Checkup.Status.SUBMITTED)
        .filter(Q(period__year__lt=year) | Q(period__year=year, period__quarter__lt=quarter))
        .order_by("-period__year", "-period__quarter")
        .values_list("id", "period__code")
        .first()
    )
    if previous is None:
        return PreviousAnswers()
    answers = {}
    for rubric_key, item_key, value in Answer.objects.filter(checkup_id=previous[0]).values_list(
        "item__rubric__key", "item__key", "value"
    ):
        answers[f"{rubric_key}.{item_key}"] = value
    return PreviousAnswers(period_code=previous[1], answers=answers)


def raters_previous_answers(*, keys: set[tuple[int, int, int, int]]) -> dict[tuple[int, int, int, int], dict]:
    """``rater_previous_answers`` for many (partner_id, rater_id, year, quarter) at once (the CSV import)."""
    if not keys:
        return {}
    rows = Checkup.objects.filter(
        partner_id__in={k[0] for k in keys},
        rater_id__in={k[1] for k in keys},
        status=Checkup.Status.SUBMITTED,
    ).values_list("id", "partner_id", "rater_id", "period__year", "period__quarter")
    found: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    for checkup_id, partner_id, rater_id, year, quarter in rows:
        found.setdefault((partner_id, rater_id), []).append((year, quarter, checkup_id))
    chosen: dict[tuple[int, int, int, int], int] = {}
    for key in keys:
        earlier = [c for c in found.get((key[0], key[1]), []) if (c[0], c[1]) < (key[2], key[3])]
        if earlier:
            chosen[key] = max(earlier)[2]
    answers: dict[int, dict] = {checkup_id: {} for checkup_id in chosen.values()}
    ids = list(answers)
    for start in range(0, len(ids), 5000):
        for checkup_id, rubric_key, item_key, value in Answer.objects.filter(
            checkup_id__in=ids[start : start + 5000]
        ).values_list("checkup_id", "item__rubric__key", "item__key", "value"):
            answers[checkup_id][f"{rubric_key}.{item_key}"] = value
    return {key: answers[checkup_id] for key, checkup_id in chosen.items()}


@dataclass
class CheckupEditing:
    checkup: Checkup
    items: list[RubricItem]
    # What the rater saved so far, in the shape the services take back.
    saved: dict
    action_items: list[ActionItem] = field(default_factory=list)
    # Who may own an action agreed in this check-up.
    owners: ActionOwners | None = None
    # The rater's own answers last quarter, shown as hints beside each item (never pre-filled).
    previous: PreviousAnswers = field(default_factory=lambda: PreviousAnswers())

    @property
    def answered(self) -> int:
        return len(self.saved["answers"])


def checkup_for_editing(*, user, checkup_id: int) -> CheckupEditing:
    """The rater's own check-up with its rubric version's items and saved answers.

    Raises Checkup.DoesNotExist for a check-up that is not the user's to edit.
    """
    checkup = (
        checkups_editable_by(user).select_related("partner", "period", "rubric_version", "rater").get(pk=checkup_id)
    )
    answers = {}
    comments = {}
    for answer in checkup.answers.select_related("item__rubric"):
        answers[answer.item.address] = answer.value
        if answer.comment:
            comments[answer.item.address] = answer.comment
    return CheckupEditing(
        checkup=checkup,
        items=rubric_items(version_id=checkup.rubric_version_id),
        saved={
            "answers": answers,
            "comments": comments,
            "days_to_pay": checkup.days_to_pay,
            "info_withheld": checkup.info_withheld,
            "abusive_behaviour": checkup.abusive_behaviour,
            "notes": checkup.notes,
        },
        action_items=list(checkup.action_items.order_by("id")),
        owners=action_owners_for(partner_id=checkup.partner_id),
        previous=rater_previous_answers(
            rater_id=checkup.rater_id,
            partner_id=checkup.partner_id,
            year=checkup.period.year,
            quarter=checkup.period.quarter,
        ),
    )


# --- the result page ---------------------------------------------------------------


@dataclass
class MovementRow:
    item: RubricItem | None
    address: str
    before: str
    after: str
    effect: float

    @property
    def title(self) -> str:
        return self.item.title if self.item else self.address


def _movement_rows(moved: list[Movement], index: dict[str, RubricItem]) -> list[MovementRow]:
    rows = []
    for m in moved:
        item = index.get(m.address)
        scale = item.rubric.scale if item else Scale.RATING.value
        before, after = (
            NOT_APPLICABLE_LABELS[scale] if v is None else value_label(scale, v) for v in (m.before, m.after)
        )
        rows.append(MovementRow(item, m.address, before, after, m.effect))
    return rows


def _previous_snapshot(partner_id: int, period: Period) -> PartnerSnapshot | None:
    before = period.value.previous()
    return (
        PartnerSnapshot.objects.filter(partner_id=partner_id, period__year=before.year, period__quarter=before.quarter)
        .select_related("period")
        .first()
    )


def checkup_result(*, user, checkup_id: int) -> dict:
    """A submitted check-up as its rater and leadership see it: the score, what moved, the answers.

    Raises Checkup.DoesNotExist when the user may not see the check-up.
    """
    checkup = (
        checkups_visible_to(user).select_related("partner", "period", "rubric_version", "rater").get(pk=checkup_id)
    )
    items = rubric_items(version_id=checkup.rubric_version_id)
    index = {item.address: item for item in items}
    answers = {a.item_id: a for a in checkup.answers.all()}
    sections: list[dict] = []
    for item in items:
        if not sections or sections[-1]["rubric"].id != item.rubric_id:
            sections.append({"rubric": item.rubric, "rows": []})
        answer = answers.get(item.id)
        sections[-1]["rows"].append(
            {
                "item": item,
                "value": _answer_label(item.rubric.scale, answer),
                "not_applicable": bool(answer) and answer.value is None,
                "comment": answer.comment if answer else "",
            }
        )

    own_score = None
    own_not_scored = ""
    if checkup.is_submitted:
        try:
            own_score = score(
                scoring_model(version_id=checkup.rubric_version_id),
                [{item.address: answers[item.id].value for item in items if item.id in answers}],
            )
        except NotScored as error:
            own_not_scored = not_scored_reason(error.coverage)
        except ScoringError:
            own_score = None

    snapshot = (
        PartnerSnapshot.objects.filter(partner_id=checkup.partner_id, period_id=checkup.period_id)
        .select_related("period")
        .first()
    )
    # Submitted, but too little answered across the quarter's check-ups: recorded, not scored.
    quarter_not_scored = (
        quarters_not_scored(partner_ids={checkup.partner_id}, period_ids={checkup.period_id}).get(
            (checkup.partner_id, checkup.period_id)
        )
        if checkup.is_submitted and snapshot is None
        else None
    )
    previous = _previous_snapshot(checkup.partner_id, checkup.period)
    moved = (
        _movement_rows(movements(snapshot_score(previous), snapshot_score(snapshot), limit=TOP_MOVEMENTS), index)
        if snapshot and previous
        else []
    )
    terms = checkup.partner.payment_terms_days
    return {
        "checkup": checkup,
        "partner": checkup.partner,
        "state": checkup_state(checkup),
        "sections": sections,
        "own_score": own_score,
        "own_band": band_label(own_score.band.value) if own_score else "—",
        "rubric_scores": [
            {
                "rubric": section["rubric"],
                "score": own_score.rubric_scores.get(section["rubric"].key),
                "coverage": coverage_label(own_score.rubric_coverage.get(section["rubric"].key)),
            }
            for section in sections
        ]
        if own_score
        else [],
        "own_coverage": coverage_label(own_score.coverage) if own_score else "",
        "own_not_scored": own_not_scored,
        "coverage": coverage_label(snapshot.coverage) if snapshot else "",
        "not_scored": not_scored_reason(quarter_not_scored) if quarter_not_scored else "",
        "snapshot": snapshot,
        "previous": previous,
        "movements": moved,
        "days_late": max(0, checkup.days_to_pay - terms) if checkup.days_to_pay is not None else None,
        "payment_terms_days": terms,
        "action_items": list(checkup.action_items.select_related("owner").order_by("id")),
        "revisions": _revision_history(checkup, items, answers),
        "can_edit": checkups_editable_by(user).filter(pk=checkup.pk).exists(),
    }


def _answer_label(scale: str, answer) -> str:
    if answer is None:
        return "—"
    if answer.value is None:
        return NOT_APPLICABLE_LABELS[scale]
    return value_label(scale, answer.value)


def _stored_label(scale: str, stored: dict, address: str) -> str:
    """An answer kept in a revision's JSON: absent (never answered) or null ("not applicable")."""
    if address in stored and stored[address] is None:
        return NOT_APPLICABLE_LABELS[scale]
    return value_label(scale, stored.get(address))


def _revision_history(checkup: Checkup, items: list[RubricItem], answers: dict) -> list[dict]:
    """Each earlier revision with the answers the next one changed, newest first."""
    newer = {item.address: answers[item.id].value for item in items if item.id in answers}
    history = []
    for revision in checkup.revisions.select_related("amended_by").order_by("-number"):
        older = {address: entry.get("value") for address, entry in revision.answers.items()}
        changes = [
            {
                "title": item.title,
                "before": _stored_label(item.rubric.scale, older, item.address),
                "after": _stored_label(item.rubric.scale, newer, item.address),
            }
            for item in items
            if (item.address in older, older.get(item.address)) != (item.address in newer, newer.get(item.address))
        ]
        history.append({"revision": revision, "changes": changes})
        newer = older
    return history


# --- the partner list ---------------------------------------------------------------

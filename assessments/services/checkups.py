"""Writes of the quarterly check-up: drafts, submissions, amendments, its action items, interactions.

Every write here re-scopes the object to the user (a check-up to its rater, a
partner to its owners) inside the transaction, so a service called with
another manager's id changes nothing, whatever the view in front of it did.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from assessments.models import ActionItem, Answer, Checkup, CheckupRevision, Interaction
from assessments.models.audit import CHANGED, CREATED, DELETED, history_baseline, history_record_bulk
from assessments.periods import current_quarter
from assessments.scoring import BIG_MOVE, Scale, big_moves
from assessments.selectors.access import action_owners_for, checkups_editable_by, partners_editable_by
from assessments.selectors.cases import case_unresolved
from assessments.selectors.checkups import rater_previous_answers
from assessments.selectors.rubrics import rubric_item_index, rubric_version_current
from assessments.services.dispatch import evaluation_enqueue
from assessments.services.periods import period_get_or_create
from assessments.services.snapshots import snapshots_recompute
from assessments.signals import checkup_submitted

MAX_ACTION_ITEMS = 3


class CheckupError(Exception):
    """A check-up write that was refused; nothing was changed."""


class CheckupReadOnly(CheckupError):
    pass


class CheckupIncomplete(CheckupError):
    def __init__(self, missing: Sequence[str]):
        self.missing = list(missing)
        super().__init__(f"Every item needs an answer before you submit; missing: {', '.join(self.missing)}.")


class CheckupInvalid(CheckupError):
    pass


class CheckupNeedsComment(CheckupInvalid):
    """Answers that moved ``BIG_MOVE`` points or more since the rater's last quarter, without a comment."""

    def __init__(self, moves: Sequence[tuple[str, str, int, int]]):
        # (address, title, before, after)
        self.moves = list(moves)
        parts = [f"{title} ({before} → {after})" for _, title, before, after in self.moves]
        super().__init__(f"{big_move_message(len(parts))}: {'; '.join(parts)}.")


def big_move_message(count: int) -> str:
    items = "this item" if count == 1 else "these items"
    return f"Add a one-line comment saying why {items} moved {BIG_MOVE} points or more since your last check-up"


@dataclass(frozen=True)
class ActionItemInput:
    description: str
    # An owner of the partner or a leadership user (selectors.access.action_owners_for).
    owner_id: int
    due_on: dt.date


@dataclass(frozen=True)
class CheckupInput:
    """What a rater entered: answers keyed ``rubric.item``; unanswered items are absent.

    ``None`` is "not applicable / don't know": an answer, which the score leaves out.
    """

    answers: Mapping[str, int | None] = field(default_factory=dict)
    comments: Mapping[str, str] = field(default_factory=dict)
    days_to_pay: int | None = None
    info_withheld: bool = False
    abusive_behaviour: bool = False
    notes: str = ""
    action_items: Sequence[ActionItemInput] = ()


def _locked_checkup(*, user, checkup_id: int) -> Checkup:
    # The row lock serialises a double-clicked Submit and a concurrent amendment.
    checkup = (
        checkups_editable_by(user)
        .select_for_update(of=("self",))
        .select_related("partner", "period")
        .get(pk=checkup_id)
    )
    # An imported check-up has no history yet: record it as it is, so the audit trail shows what changed.
    history_baseline(Checkup, [checkup], when=checkup.submitted_at or checkup.created_at)
    checkup._history_user = user  # the author of this write in the audit trail, in a request or not
    return checkup


def _validate(checkup: Checkup, data: CheckupInput, *, complete: bool) -> dict:
    index = rubric_item_index(version_id=checkup.rubric_version_id)
    foreign = sorted(set(data.answers) - set(index))
    if foreign:
        raise CheckupInvalid(
            f"Not part of this check-up's rubric (version {checkup.rubric_version.number}): {', '.join(foreign)}."
        )
    for address, value in data.answers.items():
        low, high = Scale(index[address].rubric.scale).bounds
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise CheckupInvalid(f"{address}: {value!r} is outside {low}-{high}.")
    orphans = sorted(set(data.comments) - set(data.answers))
    if any(data.comments[a].strip() for a in orphans):
        raise CheckupInvalid(f"A comment needs an answer for its item: {', '.join(orphans)}.")
    if data.days_to_pay is not None and not 0 <= data.days_to_pay <= 3650:
        raise CheckupInvalid("Days to pay must lie between 0 and 3650.")
    if len(data.action_items) > MAX_ACTION_ITEMS:
        raise CheckupInvalid(f"At most {MAX_ACTION_ITEMS} action items per check-up.")
    owner_ids = {item.owner_id for item in data.action_items}
    if owner_ids and owner_ids - action_owners_for(partner_id=checkup.partner_id).ids:
        raise CheckupInvalid("Choose each action's owner from the partner's owners or leadership.")
    if complete:
        missing = [address for address in index if address not in data.answers]
        if missing:
            raise CheckupIncomplete([index[a].title for a in missing])
        _require_comments_on_big_moves(checkup, data, index)
    return index


def _require_comments_on_big_moves(checkup: Checkup, data: CheckupInput, index: dict) -> None:
    """A submission that moves an item 2 points or more from the rater's own last answer says why."""
    previous = rater_previous_answers(
        rater_id=checkup.rater_id,
        partner_id=checkup.partner_id,
        year=checkup.period.year,
        quarter=checkup.period.quarter,
    ).answers
    moved = [
        (address, index[address].title, previous[address], data.answers[address])
        for address in big_moves(previous, data.answers)
        if not data.comments.get(address, "").strip()
    ]
    if moved:
        raise CheckupNeedsComment(moved)


def _write(checkup: Checkup, data: CheckupInput, index: dict, *, now: dt.datetime, user, reason: str = "") -> None:
    """Write only the answers that changed, and record each change in the audit trail."""
    existing = {answer.item_id: answer for answer in checkup.answers.all()}
    wanted = [
        Answer(
            checkup=checkup,
            item=index[address],
            scale=index[address].rubric.scale,
            value=value,
            comment=data.comments.get(address, "").strip(),
        )
        for address, value in data.answers.items()
    ]
    kept = {answer.item_id for answer in wanted}
    removed = [answer for item_id, answer in existing.items() if item_id not in kept]
    changed = [
        answer
        for answer in wanted
        if (old := existing.get(answer.item_id)) is None
        or (old.value, old.comment, old.scale) != (answer.value, answer.comment, answer.scale)
    ]
    history_baseline(
        Answer,
        [*removed, *(existing[a.item_id] for a in changed if a.item_id in existing)],
        when=checkup.submitted_at or checkup.last_saved_at or now,
    )
    if removed:
        Answer.objects.filter(id__in=[answer.id for answer in removed]).delete()
        history_record_bulk(Answer, removed, kind=DELETED, user=user, reason=reason, when=now)
    # An upsert, so a concurrent first save of the same item cannot fail on the unique constraint.
    Answer.objects.bulk_create(
        changed,
        update_conflicts=True,
        unique_fields=["checkup", "item"],
        update_fields=["value", "comment", "scale"],
    )
    added = [answer for answer in changed if answer.item_id not in existing]
    updated = [answer for answer in changed if answer.item_id in existing]
    history_record_bulk(Answer, added, kind=CREATED, user=user, reason=reason, when=now)
    history_record_bulk(Answer, updated, kind=CHANGED, user=user, reason=reason, when=now)
    checkup.days_to_pay = data.days_to_pay
    checkup.info_withheld = data.info_withheld
    checkup.abusive_behaviour = data.abusive_behaviour
    checkup.notes = data.notes.strip()
    checkup.last_saved_at = now
    _action_items_replace(checkup, data.action_items)


def _action_items_replace(checkup: Checkup, wanted: Sequence[ActionItemInput]) -> None:
    """Update the check-up's action items slot by slot, so one already marked done stays done."""
    existing = list(checkup.action_items.order_by("id"))
    for row, item in zip(existing, wanted, strict=False):
        row.description, row.owner_id, row.due_on = item.description.strip(), item.owner_id, item.due_on
        row.save(update_fields=["description", "owner", "due_on"])
    added = wanted[len(existing) :]
    # Agreed while the partner's case is unresolved: part of that case (docs/ACTIONS.md).
    case = case_unresolved(partner_id=checkup.partner_id) if added else None
    ActionItem.objects.bulk_create(
        ActionItem(
            partner_id=checkup.partner_id,
            checkup=checkup,
            period_id=checkup.period_id,
            description=item.description.strip(),
            owner_id=item.owner_id,
            due_on=item.due_on,
            # Agreed in this check-up: its quarter is the plan's starting point.
            baseline_period_id=checkup.period_id,
            created_by_id=checkup.rater_id,
            case=case,
        )
        for item in added
    )
    ActionItem.objects.filter(id__in=[row.id for row in existing[len(wanted) :]]).delete()


@transaction.atomic
def checkup_save_draft(*, user, checkup_id: int, data: CheckupInput) -> Checkup:
    """Keep whatever the rater has answered so far; nothing is scored until submission."""
    checkup = _locked_checkup(user=user, checkup_id=checkup_id)
    if checkup.is_submitted:
        raise CheckupReadOnly("This check-up has been submitted; amend it to change an answer.")
    index = _validate(checkup, data, complete=False)
    _write(checkup, data, index, now=timezone.now(), user=user)
    checkup.save(update_fields=["days_to_pay", "info_withheld", "abusive_behaviour", "notes", "last_saved_at"])
    return checkup


def _score_and_queue(checkup: Checkup) -> None:
    # The snapshot is recomputed in this transaction so dashboards never show a
    # submission without its score; decline detection runs after commit.
    snapshots_recompute(pairs={(checkup.partner_id, checkup.period_id)})
    evaluation_enqueue(checkup_id=checkup.id)


@transaction.atomic
def checkup_submit(*, user, checkup_id: int, data: CheckupInput) -> Checkup:
    """Save every answer, lock the check-up, rescore the quarter and queue trend evaluation."""
    checkup = _locked_checkup(user=user, checkup_id=checkup_id)
    if checkup.is_submitted:
        raise CheckupReadOnly("This check-up has already been submitted; amend it to change an answer.")
    index = _validate(checkup, data, complete=True)
    now = timezone.now()
    checkup.status = Checkup.Status.SUBMITTED
    return _submit_answers(checkup, data, index, now=now, user=user, also=["status"], reason="Submitted")


def _submit_answers(checkup: Checkup, data: CheckupInput, index, *, now, user, also: list[str], reason: str) -> Checkup:
    """Write the answers as submitted now, rescore the quarter and queue trend evaluation."""
    _write(checkup, data, index, now=now, user=user, reason=reason)
    checkup._change_reason = reason
    checkup.submitted_at = now
    checkup.evaluated_at = None
    checkup.save(
        update_fields=[
            "days_to_pay",
            "info_withheld",
            "abusive_behaviour",
            "notes",
            "last_saved_at",
            "submitted_at",
            "evaluated_at",
            *also,
        ]
    )
    _score_and_queue(checkup)
    # Listeners (webhooks) record their rows in this transaction, after the quarter was rescored.
    checkup_submitted.send(sender=Checkup, checkup=checkup, amended="revision" in also)
    return checkup


def _revision_of(checkup: Checkup) -> CheckupRevision:
    # A value of null is "not applicable / don't know"; an item never answered is absent.
    answers = {
        f"{rubric_key}.{item_key}": {"value": value, "comment": comment}
        for rubric_key, item_key, value, comment in checkup.answers.values_list(
            "item__rubric__key", "item__key", "value", "comment"
        )
    }
    return CheckupRevision(
        checkup=checkup,
        number=checkup.revision,
        answers=answers,
        red_flags={
            "days_to_pay": checkup.days_to_pay,
            "info_withheld": checkup.info_withheld,
            "abusive_behaviour": checkup.abusive_behaviour,
        },
        notes=checkup.notes,
        submitted_at=checkup.submitted_at,
    )


@transaction.atomic
def checkup_amend(*, user, checkup_id: int, data: CheckupInput) -> Checkup:
    """Correct a submitted check-up in one step, keeping the answers it replaces as a revision.

    The check-up never goes back to draft: a half-finished correction would
    otherwise drop this rater from the quarter's score until resubmitted.
    """
    checkup = _locked_checkup(user=user, checkup_id=checkup_id)
    if not checkup.is_submitted:
        raise CheckupInvalid("Only a submitted check-up can be amended; this one is still a draft.")
    index = _validate(checkup, data, complete=True)
    revision = _revision_of(checkup)
    revision.amended_by = user
    revision.save()
    now = timezone.now()
    checkup.revision += 1
    return _submit_answers(
        checkup, data, index, now=now, user=user, also=["revision"], reason=f"Amended (revision {checkup.revision})"
    )


@transaction.atomic
def checkup_open(*, user, partner_id: int, today: dt.date | None = None) -> Checkup:
    """Open (or return) the rater's check-up of an owned partner for the current quarter."""
    partner = partners_editable_by(user).get(pk=partner_id)
    period = period_get_or_create(quarter=current_quarter(today=today or timezone.localdate()))
    checkup, _ = Checkup.objects.get_or_create(
        partner=partner, period=period, rater=user, defaults={"rubric_version": rubric_version_current()}
    )
    return checkup


def interaction_create(
    *,
    user,
    partner_id: int,
    occurred_on: dt.date,
    kind: str,
    face_to_face: bool,
    summary: str = "",
) -> Interaction:
    """Log a meeting, call or review: how often and whether in person are evidence (001, 002, 003)."""
    partner = partners_editable_by(user).get(pk=partner_id)
    if kind not in Interaction.Kind.values:
        raise CheckupInvalid(f"{kind!r} is not a kind of interaction.")
    if occurred_on > timezone.localdate():
        raise CheckupInvalid("An interaction cannot be logged before it happens.")
    return Interaction.objects.create(
        partner=partner,
        occurred_on=occurred_on,
        kind=kind,
        face_to_face=face_to_face,
        summary=summary.strip(),
        created_by=user,
    )

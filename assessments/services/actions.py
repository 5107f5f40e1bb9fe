"""Writes of the action plan: add, edit, complete, reopen and delete an action item.

Every write re-scopes the action to the user inside its transaction (editing to
whoever may edit the partner; completing and reopening also to the action's own
owner), so a call with another manager's id changes nothing: it raises
``DoesNotExist``, which views turn into a 404. Refused input raises
``ActionItemInvalid`` with one line saying what to change; nothing is written.

A new action is part of a case: the one it was added from (``case_id``), else the
partner's unresolved case if it has one (docs/ACTIONS.md, "Actions and cases").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from assessments.models import ActionItem, Case, PartnerSnapshot
from assessments.periods import current_quarter
from assessments.selectors.access import (
    action_items_completable_by,
    action_items_editable_by,
    action_owners_for,
    partners_editable_by,
)
from assessments.selectors.cases import case_unresolved
from assessments.selectors.rubrics import rubric_items, rubric_version_current
from assessments.services.periods import period_get_or_create

DESCRIPTION_MAX = 300
NOTE_MAX = 2000


class ActionItemInvalid(Exception):
    """An action item write that was refused; nothing was changed. ``field`` names the part at fault
    (description, owner, due_on, items, note), so a form can show the message beside it."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ActionItemData:
    description: str
    owner_id: int
    due_on: dt.date
    item_ids: tuple[int, ...] = ()
    note: str = ""


def action_owner_check(*, partner_id: int, owner_ids: Iterable[int]) -> None:
    """Refuse an owner who is neither an owner of the partner nor a leadership user."""
    if set(owner_ids) - action_owners_for(partner_id=partner_id).ids:
        raise ActionItemInvalid("Choose the owner from the partner's owners or leadership.", field="owner")


def _clean(data: ActionItemData, *, partner_id: int, today: dt.date, linked_ids: set[int], due_on_was=None) -> dict:
    description = data.description.strip()
    if not description:
        raise ActionItemInvalid("Describe the action: what will be done.", field="description")
    if len(description) > DESCRIPTION_MAX:
        raise ActionItemInvalid(f"Keep the description to {DESCRIPTION_MAX} characters.", field="description")
    note = data.note.strip()
    if len(note) > NOTE_MAX:
        raise ActionItemInvalid(f"Keep the note to {NOTE_MAX} characters.", field="note")
    action_owner_check(partner_id=partner_id, owner_ids=[data.owner_id])
    # A due date already in the past may stay (an overdue action is edited); a new one may not be.
    if data.due_on < today and data.due_on != due_on_was:
        raise ActionItemInvalid(f"Pick a due date from today ({today.day} {today:%b %Y}) on.", field="due_on")
    allowed = {item.id for item in rubric_items(version_id=rubric_version_current().id)} | linked_ids
    if set(data.item_ids) - allowed:
        raise ActionItemInvalid("Link the action only to items of the current rubric.", field="items")
    return {"description": description, "note": note, "owner_id": data.owner_id, "due_on": data.due_on}


def _case_for(partner_id: int, case_id: int | None) -> Case | None:
    """The case a new action joins: the one named (it must be this partner's and unresolved), else the open one."""
    if case_id is None:
        return case_unresolved(partner_id=partner_id)
    case = Case.objects.filter(pk=case_id, partner_id=partner_id).select_related("resolved_period").first()
    if case is None:
        raise ActionItemInvalid("Add the action from this partner's own case.")
    if case.is_resolved:
        when = f" in {case.resolved_period.code}" if case.resolved_period else ""
        raise ActionItemInvalid(f"This case was resolved{when}: add the action on the partner page instead.")
    return case


@transaction.atomic
def action_item_create(
    *, user, partner_id: int, data: ActionItemData, case_id: int | None = None, today: dt.date | None = None
) -> ActionItem:
    """Add an action to a partner the user may edit, agreed this quarter.

    Its baseline is the partner's latest scored quarter now: "did the plan work" compares later
    quarters with it (selectors.actions). It joins the case ``case_id`` (added from the case page),
    else the partner's unresolved case, if any.
    """
    partner = partners_editable_by(user).get(pk=partner_id)
    today = today or timezone.localdate()
    fields = _clean(data, partner_id=partner.pk, today=today, linked_ids=set())
    case = _case_for(partner.pk, case_id)
    baseline = (
        PartnerSnapshot.objects.filter(partner=partner)
        .order_by("-period__year", "-period__quarter")
        .values_list("period_id", flat=True)
        .first()
    )
    action = ActionItem.objects.create(
        partner=partner,
        period=period_get_or_create(quarter=current_quarter(today=today)),
        baseline_period_id=baseline,
        case=case,
        created_by=user,
        **fields,
    )
    action.items.set(data.item_ids)
    return action


@transaction.atomic
def action_item_update(*, user, action_item_id: int, data: ActionItemData, today: dt.date | None = None) -> ActionItem:
    """Change an action's description, owner, due date, linked items or note; done or not stays as it is."""
    action = action_items_editable_by(user).select_for_update(of=("self",)).get(pk=action_item_id)
    linked = set(action.items.values_list("id", flat=True))
    fields = _clean(
        data,
        partner_id=action.partner_id,
        today=today or timezone.localdate(),
        linked_ids=linked,
        due_on_was=action.due_on,
    )
    for name, value in fields.items():
        setattr(action, name, value)
    action.save(update_fields=list(fields))
    action.items.set(data.item_ids)
    return action


def action_item_complete(*, user, action_item_id: int) -> ActionItem:
    """Mark an action done; marking it twice keeps the first time and person."""
    action = action_items_completable_by(user).get(pk=action_item_id)
    # Conditional update: two people clicking at once record one completion.
    ActionItem.objects.filter(pk=action.pk, done_at__isnull=True).update(done_at=timezone.now(), done_by=user)
    action.refresh_from_db(fields=["done_at", "done_by"])
    return action


def action_item_reopen(*, user, action_item_id: int) -> ActionItem:
    """Open a done action again (it was not finished after all); reopening an open one changes nothing."""
    action = action_items_completable_by(user).get(pk=action_item_id)
    ActionItem.objects.filter(pk=action.pk).update(done_at=None, done_by=None)
    action.refresh_from_db(fields=["done_at", "done_by"])
    return action


@transaction.atomic
def action_item_delete(*, user, action_item_id: int) -> ActionItem:
    """Delete an action (with its reminders); returns the deleted row, its fields still readable."""
    action = action_items_editable_by(user).select_for_update(of=("self",)).get(pk=action_item_id)
    # A queryset delete leaves the object's pk in place for the caller's message and redirect.
    ActionItem.objects.filter(pk=action.pk).delete()
    return action

"""Reads of the action plan: a partner's actions, an owner's open ones, and whether the plan worked.

Scoping comes from ``assessments.selectors.access`` (and ``action_items_editable_by``): another
manager's action item is not in the queryset, so its page is a 404. The progress selectors take
ids the caller has already scoped (the partner page, a case page) and cost two queries whatever
the number of actions: the actions with their linked items, and the partners' snapshots.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from assessments.models import ActionItem, Checkup, Partner, PartnerSnapshot, RubricItem
from assessments.periods import Quarter
from assessments.progress import ItemProgress, Point, Recovery, linked_items_recovered
from assessments.selectors.access import (
    ActionOwners,
    action_items_editable_by,
    action_owners_for,
    partners_editable_by,
    partners_visible_to,
)
from assessments.selectors.rubrics import rubric_items, rubric_version_current

__all__ = [
    "ActionEditing",
    "Recovery",
    "action_item_for_editing",
    "action_item_new",
    "action_progress",
    "action_progress_for_partner",
    "item_means_at",
    "linked_items_recovered",
    "my_open_actions",
    "partner_action_plan",
]


def _linked_items() -> Prefetch:
    return Prefetch(
        "items", queryset=RubricItem.objects.select_related("rubric").order_by("rubric__position", "position")
    )


def agreed(queryset: QuerySet[ActionItem]) -> QuerySet[ActionItem]:
    """Actions agreed on: made outside a check-up, or in a submitted one (a draft's are still being written)."""
    return queryset.filter(Q(checkup__isnull=True) | Q(checkup__status=Checkup.Status.SUBMITTED))


# --- did the plan work -----------------------------------------------------------------


def _progress(actions: Iterable[ActionItem]) -> dict[int, list[ItemProgress]]:
    """Each action's linked items, valued when it started and at each later scored quarter (one query).

    The start is the partner's latest snapshot at or before the action's baseline quarter; later
    check-ups are the snapshots after it. Actions need ``items`` (with rubrics) and ``baseline_period``.
    """
    actions = [action for action in actions if action.items.all()]
    if not actions:
        return {}
    history: dict[int, list[tuple[Quarter, str, dict]]] = {}
    rows = (
        PartnerSnapshot.objects.filter(partner_id__in={a.partner_id for a in actions})
        .order_by("partner_id", "period__year", "period__quarter")
        .values_list("partner_id", "period__year", "period__quarter", "period__code", "item_means")
    )
    for partner_id, year, quarter, code, means in rows:
        history.setdefault(partner_id, []).append((Quarter(year, quarter), code, means))
    progress = {}
    for action in actions:
        snapshots = history.get(action.partner_id, [])
        anchor = action.baseline_period.value if action.baseline_period else None
        before = [s for s in snapshots if anchor is not None and s[0] <= anchor]
        after = [s for s in snapshots if anchor is None or s[0] > anchor]
        start = before[-1] if before else None
        progress[action.id] = [
            ItemProgress(
                action_id=action.id,
                address=item.address,
                title=item.title,
                scale=item.rubric.scale,
                start=Point(start[1], start[2][item.address]) if start and item.address in start[2] else None,
                later=tuple(Point(code, means[item.address]) for _, code, means in after if item.address in means),
            )
            for item in action.items.all()
        ]
    return progress


def action_progress(*, action_ids: Iterable[int]) -> dict[int, list[ItemProgress]]:
    """``{action id: [ItemProgress, ...]}`` for the actions among ``action_ids`` that are linked to items."""
    actions = ActionItem.objects.filter(pk__in=list(action_ids)).select_related("baseline_period")
    return _progress(actions.prefetch_related(_linked_items()))


def action_progress_for_partner(*, partner_id: int, since: dt.datetime | None = None) -> dict[int, list[ItemProgress]]:
    """The same for a partner's agreed actions, only those created at or after ``since`` when given (a case)."""
    actions = agreed(ActionItem.objects.filter(partner_id=partner_id))
    if since is not None:
        actions = actions.filter(created_at__gte=since)
    return _progress(actions.select_related("baseline_period").prefetch_related(_linked_items()))


def item_means_at(*, partner_id: int, period_code: str) -> dict[str, float]:
    """A partner's item means in one quarter (e.g. before a decline, for ``linked_items_recovered``)."""
    means = (
        PartnerSnapshot.objects.filter(partner_id=partner_id, period__code=period_code)
        .values_list("item_means", flat=True)
        .first()
    )
    return means or {}


# --- the partner page --------------------------------------------------------------------


def partner_action_plan(*, user, partner: Partner, quarter: Quarter, can_edit: bool, today: dt.date) -> dict:
    """The partner page's action items: grouped by the quarter agreed, each with its progress.

    Three queries whatever the number of actions: the actions (owner, period, done_by joined), their
    linked items, and, when any is linked, the partner's snapshots.
    """
    last = quarter.previous()
    rows = list(
        agreed(ActionItem.objects.filter(partner=partner))
        .select_related("period", "done_by", "owner", "baseline_period")
        .prefetch_related(_linked_items())
        .order_by("due_on", "id")
    )
    progress = _progress(rows)
    for action in rows:
        action.progress = progress.get(action.id, [])
        action.overdue = action.done_at is None and action.due_on < today
        action.can_edit = can_edit
        action.can_complete = can_edit or action.owner_id == user.pk
    return {
        "last_code": last.code,
        "current_code": quarter.code,
        "last": [a for a in rows if a.period.value == last],
        "earlier_open": [a for a in rows if a.period.value < last and a.done_at is None],
        "current": [a for a in rows if a.period.value == quarter],
        "can_add": can_edit,
    }


# --- My check-ups ------------------------------------------------------------------------


def my_open_actions(*, user, today: dt.date | None = None) -> list[ActionItem]:
    """The user's open, agreed action items on partners they may see, soonest due first; one query."""
    today = today or timezone.localdate()
    if not user.is_authenticated:
        return []
    rows = list(
        agreed(ActionItem.objects.filter(owner=user, done_at__isnull=True, partner__in=partners_visible_to(user)))
        .select_related("partner")
        .order_by("due_on", "partner__name", "id")
    )
    for action in rows:
        action.overdue = action.due_on < today
        action.days_overdue = (today - action.due_on).days
    return rows


# --- the action item form ----------------------------------------------------------------


@dataclass
class ActionEditing:
    partner: Partner
    owners: ActionOwners
    # Rubric items an action may be linked to: the current version's, and any already linked.
    items: list[RubricItem]
    action: ActionItem | None = None


def _linkable(action: ActionItem | None) -> list[RubricItem]:
    items = list(rubric_items(version_id=rubric_version_current().id))
    if action is not None:
        ids = {item.id for item in items}
        items += [item for item in action.items.all() if item.id not in ids]
    return items


def action_item_new(*, user, partner_id: int) -> ActionEditing:
    """What the form needs to add an action to a partner. Raises Partner.DoesNotExist unless the user may edit it."""
    partner = partners_editable_by(user).get(pk=partner_id)
    return ActionEditing(partner=partner, owners=action_owners_for(partner_id=partner.pk), items=_linkable(None))


def action_item_for_editing(*, user, action_item_id: int) -> ActionEditing:
    """An action item the user may edit, with the form's choices. Raises ActionItem.DoesNotExist otherwise."""
    action = (
        action_items_editable_by(user)
        .select_related("partner", "owner", "period", "baseline_period")
        .prefetch_related(_linked_items())
        .get(pk=action_item_id)
    )
    action.progress = _progress([action]).get(action.id, [])
    return ActionEditing(
        partner=action.partner,
        owners=action_owners_for(partner_id=action.partner_id),
        items=_linkable(action),
        action=action,
    )

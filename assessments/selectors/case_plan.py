"""A case's action plan and whether it worked: the case page's two panels and the resolution summary.

An action is part of a case when ``ActionItem.case`` points at it (the rule is in docs/ACTIONS.md,
"Actions and cases"). Each linked item is judged by the rule of ``assessments.progress`` against its
value **before the decline**: the partner's item mean in the scored quarter just before the run of
findings that opened the case's current episode (``selectors.decline.pre_decline_quarter``, the
quarter "why it declined" starts from). The caller has checked the user may see the case.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from assessments.models import ActionItem, Case
from assessments.progress import ItemProgress, Recovery, linked_items_recovered, resolution_summary, verdict
from assessments.selectors.actions import case_actions, item_means_at
from assessments.selectors.decline import pre_decline_quarter


@dataclass(frozen=True)
class ItemOutcome:
    """One line of "did it work": a linked item's progress, its value before the decline and the verdict."""

    progress: ItemProgress
    pre_decline: float | None
    verdict: str  # "recovered", "not yet" or "no check-up since"

    @property
    def text(self) -> str:
        return self.progress.text


@dataclass
class CasePlan:
    # The case's agreed actions, soonest due first; each carries ``progress``, ``outcomes`` and the page's flags.
    actions: list[ActionItem] = field(default_factory=list)
    can_add: bool = False
    pre_decline_code: str | None = None
    pre_decline: dict[str, float] = field(default_factory=dict)
    # None when no action of the case is linked to a rubric item.
    recovery: Recovery | None = None

    @property
    def linked(self) -> list[ActionItem]:
        """The actions linked to rubric items: the "did it work" panel."""
        return [action for action in self.actions if action.outcomes]

    @property
    def summary(self) -> str:
        """What a resolution adds to its note: the linked items that recovered and those that did not ("" if none)."""
        if self.recovery is None:
            return ""
        return resolution_summary(self.recovery, pre_decline=self.pre_decline, pre_decline_code=self.pre_decline_code)


def case_plan(*, case: Case, user=None, can_edit: bool = False, today: dt.date | None = None) -> CasePlan:
    """The case's actions with their progress and verdicts; three queries, five when any action is linked.

    ``case`` needs its ``episode_period``. ``can_edit``: the user may add, edit and delete the partner's
    actions (an owner); the action's own owner may also mark it done or reopen it.
    """
    actions = case_actions(case_id=case.pk)
    plan = CasePlan(actions=actions, can_add=can_edit and not case.is_resolved)
    if any(action.progress for action in actions):
        plan.pre_decline_code = pre_decline_quarter(partner_id=case.partner_id, declined_in=case.episode_period.code)
        if plan.pre_decline_code is not None:
            plan.pre_decline = item_means_at(partner_id=case.partner_id, period_code=plan.pre_decline_code)
        rows = [row for action in actions for row in action.progress]
        plan.recovery = linked_items_recovered(rows, pre_decline=plan.pre_decline)
    user_id = getattr(user, "pk", None)
    for action in actions:
        action.outcomes = [
            ItemOutcome(
                progress=row,
                pre_decline=plan.pre_decline.get(row.address),
                verdict=verdict(row, pre_decline=plan.pre_decline.get(row.address)),
            )
            for row in action.progress
        ]
        action.overdue = today is not None and action.done_at is None and action.due_on < today
        action.can_edit = can_edit
        action.can_complete = can_edit or (user_id is not None and action.owner_id == user_id)
    return plan

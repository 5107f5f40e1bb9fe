"""Writes of the action plan: who may own, edit, complete, reopen and delete an action, and what is refused."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import transaction

from assessments.models import ActionItem, ActionItemReminder, Partner
from assessments.selectors.access import action_owners_for
from assessments.services.actions import (
    ActionItemData,
    ActionItemInvalid,
    action_item_complete,
    action_item_create,
    action_item_delete,
    action_item_reopen,
    action_item_update,
)
from assessments.services.rubrics import rubric_version_publish
from assessments.services.snapshots import snapshots_recompute
from assessments.tests.factories import (
    ActionItemFactory,
    PartnerFactory,
    PeriodFactory,
    UserFactory,
    answers_for,
    submitted_checkup,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 20)


@pytest.fixture(autouse=True)
def _in_q4_2026():
    with time_machine.travel(dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def ana():
    return UserFactory(username="ana", first_name="Ana", last_name="Alvarez", role="account_manager")


@pytest.fixture
def ben():
    return UserFactory(username="ben", first_name="Ben", last_name="Okafor", role="account_manager")


@pytest.fixture
def lena():
    return UserFactory(username="lena", first_name="Lena", last_name="Fischer", role="leadership")


@pytest.fixture
def partner(ana):
    return PartnerFactory(name="Northwind Systems", owners=[ana])


def data(owner, *, due_on=dt.date(2026, 12, 15), description="Run a joint workshop", **kwargs) -> ActionItemData:
    return ActionItemData(description=description, owner_id=owner.pk, due_on=due_on, **kwargs)


def test_an_owner_adds_an_action_agreed_this_quarter_from_the_latest_scored_quarter(ana, partner, items):
    for code in ("2026-Q2", "2026-Q3"):
        period = PeriodFactory.of(code)
        submitted_checkup(items=items, answers=answers_for(items), partner=partner, period=period, rater=ana)
        with transaction.atomic():
            snapshots_recompute(pairs={(partner.id, period.id)})

    action = action_item_create(
        user=ana,
        partner_id=partner.id,
        data=data(
            ana,
            description="  Run a joint workshop ",
            item_ids=(items["characteristics.trust"].id,),
            note=" Bring the CTO ",
        ),
    )

    action.refresh_from_db()
    assert (action.description, action.owner, action.due_on, action.note) == (
        "Run a joint workshop",
        ana,
        dt.date(2026, 12, 15),
        "Bring the CTO",
    )
    assert (action.period.code, action.baseline_period.code, action.created_by) == ("2026-Q4", "2026-Q3", ana)
    assert action.created_at.date() == TODAY and action.done_at is None
    assert [item.address for item in action.items.all()] == ["characteristics.trust"]


def test_an_action_on_a_partner_never_scored_has_no_baseline_yet(ana, partner):
    assert action_item_create(user=ana, partner_id=partner.id, data=data(ana)).baseline_period is None


def test_the_owner_may_be_an_owner_of_the_partner_or_leadership_and_nobody_else(ana, ben, lena, partner):
    assert [u.username for u in action_owners_for(partner_id=partner.id).users] == ["ana", "lena"]
    assert action_item_create(user=ana, partner_id=partner.id, data=data(lena)).owner == lena

    for stranger in (ben, UserFactory(username="gone", role="leadership", is_active=False)):
        with pytest.raises(ActionItemInvalid, match=r"^Choose the owner from the partner's owners or leadership\.$"):
            action_item_create(user=ana, partner_id=partner.id, data=data(stranger))
    assert ActionItem.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"description": "   "}, r"^Describe the action: what will be done\.$"),
        ({"description": "x" * 301}, r"^Keep the description to 300 characters\.$"),
        ({"due_on": dt.date(2026, 11, 19)}, r"^Pick a due date from today \(20 Nov 2026\) on\.$"),
        ({"note": "x" * 2001}, r"^Keep the note to 2000 characters\.$"),
        ({"item_ids": (999999,)}, r"^Link the action only to items of the current rubric\.$"),
    ],
)
def test_bad_input_is_refused_in_one_line_and_nothing_is_written(ana, partner, change, message):
    with pytest.raises(ActionItemInvalid, match=message):
        action_item_create(user=ana, partner_id=partner.id, data=data(ana, **change))
    assert not ActionItem.objects.exists()


def test_a_due_date_of_today_is_accepted(ana, partner):
    assert action_item_create(user=ana, partner_id=partner.id, data=data(ana, due_on=TODAY)).due_on == TODAY


def test_only_whoever_may_edit_the_partner_adds_edits_or_deletes_its_actions(ana, ben, lena, partner):
    action = ActionItemFactory(partner=partner, period=PeriodFactory.of("2026-Q3"), owner=ana)
    for user in (ben, lena, UserFactory(username="root", role="admin")):
        with pytest.raises(Partner.DoesNotExist):
            action_item_create(user=user, partner_id=partner.id, data=data(ana))
        with pytest.raises(ActionItem.DoesNotExist):
            action_item_update(user=user, action_item_id=action.id, data=data(ana, description="Hijacked"))
        with pytest.raises(ActionItem.DoesNotExist):
            action_item_delete(user=user, action_item_id=action.id)
    action.refresh_from_db()
    assert action.description != "Hijacked"


def test_editing_changes_what_was_asked_and_keeps_a_past_due_date_and_a_completion(ana, lena, partner, items):
    action = ActionItemFactory(
        partner=partner,
        period=PeriodFactory.of("2026-Q3"),
        owner=ana,
        due_on=dt.date(2026, 10, 31),
        items=[items["characteristics.trust"]],
    )
    action_item_complete(user=ana, action_item_id=action.id)

    action_item_update(
        user=ana,
        action_item_id=action.id,
        data=data(
            lena,
            description="Escalate to their COO",
            due_on=dt.date(2026, 10, 31),
            item_ids=(items["traits.face_to_face"].id,),
        ),
    )

    action.refresh_from_db()
    assert (action.description, action.owner, action.due_on, action.done_by) == (
        "Escalate to their COO",
        lena,
        dt.date(2026, 10, 31),
        ana,
    )
    assert [item.address for item in action.items.all()] == ["traits.face_to_face"]
    with pytest.raises(ActionItemInvalid, match="Pick a due date from today"):
        action_item_update(user=ana, action_item_id=action.id, data=data(lena, due_on=dt.date(2026, 11, 1)))


def test_an_item_of_an_older_rubric_version_stays_linkable_once_linked(ana, partner, items, rubric_version):
    action = ActionItemFactory(partner=partner, owner=ana, items=[items["characteristics.trust"]])
    rubric_version_publish(based_on=rubric_version, weights={"characteristics.trust": 2})
    with pytest.raises(ActionItemInvalid):
        action_item_create(user=ana, partner_id=partner.id, data=data(ana, item_ids=(items["traits.caring"].id,)))

    action_item_update(
        user=ana, action_item_id=action.id, data=data(ana, item_ids=(items["characteristics.trust"].id,))
    )
    assert [item.id for item in action.items.all()] == [items["characteristics.trust"].id]


def test_completing_and_reopening_are_open_to_editors_and_to_the_actions_own_owner(ana, ben, lena, partner):
    action = ActionItemFactory(partner=partner, owner=lena)

    done = action_item_complete(user=lena, action_item_id=action.id)
    assert done.done_by == lena and done.done_at is not None
    again = action_item_complete(user=ana, action_item_id=action.id)
    assert (again.done_by, again.done_at) == (lena, done.done_at)

    with pytest.raises(ActionItem.DoesNotExist):
        action_item_reopen(user=ben, action_item_id=action.id)
    reopened = action_item_reopen(user=ana, action_item_id=action.id)
    assert (reopened.done_at, reopened.done_by) == (None, None)

    # An owner who no longer sees the partner cannot close the action from afar.
    ActionItem.objects.filter(pk=action.pk).update(owner=ben)
    with pytest.raises(ActionItem.DoesNotExist):
        action_item_complete(user=ben, action_item_id=action.id)


def test_deleting_an_action_removes_it_with_its_reminders(ana, partner):
    action = ActionItemFactory(partner=partner, owner=ana)
    ActionItemReminder.objects.create(
        action_item=action,
        kind="due_soon",
        due_on=action.due_on,
        recipient=ana,
        next_attempt_at=dt.datetime.now(dt.UTC),
    )

    deleted = action_item_delete(user=ana, action_item_id=action.id)

    assert (deleted.pk, deleted.partner_id) == (action.pk, partner.pk)
    assert not ActionItem.objects.exists() and not ActionItemReminder.objects.exists()

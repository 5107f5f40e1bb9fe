import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from assessments.models import (
    ActionItem,
    Answer,
    Checkup,
    CheckupRevision,
    Interaction,
    PartnerSnapshot,
    RubricItem,
)
from assessments.services.actions import action_item_complete
from assessments.services.checkups import (
    ActionItemInput,
    CheckupIncomplete,
    CheckupInput,
    CheckupInvalid,
    CheckupReadOnly,
    checkup_amend,
    checkup_open,
    checkup_save_draft,
    checkup_submit,
    interaction_create,
)
from assessments.services.rubrics import rubric_version_publish
from assessments.task_names import TaskName
from assessments.tests.factories import (
    ActionItemFactory,
    CheckupFactory,
    PartnerFactory,
    PeriodFactory,
    UserFactory,
    answers_for,
    submitted_checkup,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return UserFactory(username="ana", role="account_manager")


@pytest.fixture
def checkup(manager):
    partner = PartnerFactory(owners=[manager], payment_terms_days=30)
    return CheckupFactory(partner=partner, rater=manager, period=PeriodFactory.of("2026-Q3"))


def full(items, **overrides) -> CheckupInput:
    return CheckupInput(answers=answers_for(items, **overrides))


def stored_answers(checkup) -> dict[str, int]:
    return {a.item.address: a.value for a in checkup.answers.select_related("item__rubric")}


def test_saving_a_draft_keeps_partial_answers_and_marks_the_checkup_started(manager, checkup):
    assert checkup.last_saved_at is None
    data = CheckupInput(
        answers={"characteristics.trust": 2, "symptoms.chasing_rainbows": 3},
        comments={"characteristics.trust": "They went around us to the client"},
        days_to_pay=75,
        notes="Tense quarter",
    )

    checkup_save_draft(user=manager, checkup_id=checkup.id, data=data)

    checkup.refresh_from_db()
    assert checkup.status == Checkup.Status.DRAFT
    assert checkup.last_saved_at is not None
    assert checkup.submitted_at is None
    assert (checkup.days_to_pay, checkup.notes) == (75, "Tense quarter")
    assert stored_answers(checkup) == {"characteristics.trust": 2, "symptoms.chasing_rainbows": 3}
    assert checkup.answers.get(item__key="trust").comment == "They went around us to the client"
    assert not PartnerSnapshot.objects.exists()


def test_saving_a_draft_again_updates_changed_answers_and_drops_cleared_ones(manager, checkup):
    first = CheckupInput(answers={"characteristics.trust": 2, "traits.caring": 4})
    checkup_save_draft(user=manager, checkup_id=checkup.id, data=first)

    second = CheckupInput(answers={"characteristics.trust": 5, "traits.honesty": 1})
    checkup_save_draft(user=manager, checkup_id=checkup.id, data=second)

    assert stored_answers(checkup) == {"characteristics.trust": 5, "traits.honesty": 1}


def test_submitting_requires_every_rubric_item_and_changes_nothing_when_one_is_missing(manager, checkup, items):
    answers = answers_for(items)
    del answers["traits.face_to_face"]

    with pytest.raises(CheckupIncomplete) as refused:
        checkup_submit(user=manager, checkup_id=checkup.id, data=CheckupInput(answers=answers))

    assert refused.value.missing == ["Meeting face to face"]
    checkup.refresh_from_db()
    assert checkup.status == Checkup.Status.DRAFT
    assert checkup.last_saved_at is None
    assert not checkup.answers.exists()


def test_submitting_a_checkup_recomputes_the_quarter_snapshot(manager, checkup, items):
    checkup_submit(
        user=manager,
        checkup_id=checkup.id,
        data=CheckupInput(answers=answers_for(items, rating=5), days_to_pay=127, abusive_behaviour=True),
    )

    checkup.refresh_from_db()
    assert checkup.status == Checkup.Status.SUBMITTED
    assert checkup.submitted_at is not None
    assert checkup.evaluated_at is None
    snapshot = PartnerSnapshot.objects.get(partner=checkup.partner, period=checkup.period)
    assert snapshot.health == 100.0
    assert snapshot.band == "healthy"
    assert snapshot.rater_count == 1
    assert snapshot.red_flags == {"days_late": 97, "info_withheld": False, "abusive": True}


def test_a_failed_snapshot_recompute_rolls_back_the_whole_submission(manager, checkup, items):
    with (
        mock.patch("assessments.services.checkups.snapshots_recompute", side_effect=RuntimeError("boom")),
        pytest.raises(RuntimeError),
    ):
        checkup_submit(user=manager, checkup_id=checkup.id, data=full(items))

    checkup.refresh_from_db()
    assert checkup.status == Checkup.Status.DRAFT
    assert checkup.submitted_at is None
    assert not checkup.answers.exists()


def test_evaluation_is_published_only_after_the_submission_commits(
    manager, checkup, items, django_capture_on_commit_callbacks
):
    with mock.patch("assessments.services.dispatch.publish") as publish:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            checkup_submit(user=manager, checkup_id=checkup.id, data=full(items))
        publish.assert_not_called()

        for callback in callbacks:
            callback()

    publish.assert_called_once_with(TaskName.EVALUATE_ASSESSMENT, args=(checkup.id,))


def test_a_refused_submission_queues_no_evaluation(manager, checkup, django_capture_on_commit_callbacks):
    with (
        mock.patch("assessments.services.dispatch.publish") as publish,
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(CheckupIncomplete),
    ):
        checkup_submit(user=manager, checkup_id=checkup.id, data=CheckupInput(answers={"traits.caring": 3}))
    publish.assert_not_called()


def test_a_submitted_checkup_is_read_only(manager, checkup, items):
    checkup_submit(user=manager, checkup_id=checkup.id, data=full(items, rating=4))

    with pytest.raises(CheckupReadOnly):
        checkup_save_draft(user=manager, checkup_id=checkup.id, data=full(items, rating=1))
    with pytest.raises(CheckupReadOnly):
        checkup_submit(user=manager, checkup_id=checkup.id, data=full(items, rating=1))

    assert set(stored_answers(checkup).values()) == {4, 0}


def test_an_amendment_keeps_the_previous_answers_as_a_revision_and_rescores(manager, checkup, items):
    checkup_submit(
        user=manager,
        checkup_id=checkup.id,
        data=CheckupInput(
            answers=answers_for(items, rating=4), comments={"characteristics.trust": "solid"}, notes="v0"
        ),
    )
    first_submitted_at = Checkup.objects.get(pk=checkup.pk).submitted_at

    checkup_amend(
        user=manager,
        checkup_id=checkup.id,
        data=CheckupInput(answers=answers_for(items, rating=4, characteristics__trust=1), notes="corrected"),
    )

    checkup.refresh_from_db()
    assert checkup.revision == 1
    assert checkup.status == Checkup.Status.SUBMITTED
    assert checkup.notes == "corrected"
    assert stored_answers(checkup)["characteristics.trust"] == 1
    revision = CheckupRevision.objects.get(checkup=checkup)
    assert revision.number == 0
    assert revision.answers["characteristics.trust"] == {"value": 4, "comment": "solid"}
    assert revision.notes == "v0"
    assert revision.submitted_at == first_submitted_at
    assert revision.amended_by == manager
    assert revision.red_flags == {"days_to_pay": None, "info_withheld": False, "abusive_behaviour": False}
    assert PartnerSnapshot.objects.get(partner=checkup.partner).item_means["characteristics.trust"] == 1.0


def test_amending_a_draft_is_refused(manager, checkup, items):
    with pytest.raises(CheckupInvalid):
        checkup_amend(user=manager, checkup_id=checkup.id, data=full(items))
    assert not CheckupRevision.objects.exists()


def test_an_answer_outside_its_scale_is_refused_and_nothing_changes(manager, checkup, items):
    for address, value in [("characteristics.trust", 6), ("symptoms.chasing_rainbows", 4), ("traits.caring", 0)]:
        with pytest.raises(CheckupInvalid):
            checkup_save_draft(
                user=manager, checkup_id=checkup.id, data=CheckupInput(answers={"traits.honesty": 3, address: value})
            )
    checkup.refresh_from_db()
    assert checkup.last_saved_at is None
    assert not checkup.answers.exists()


def test_an_item_from_another_rubric_version_is_refused(manager, checkup, rubric_version):
    newer = rubric_version_publish(based_on=rubric_version)
    RubricItem.objects.create(
        rubric=newer.rubrics.get(key="characteristics"),
        key="responsiveness",
        title="Responsiveness",
        question="How fast do they answer?",
        guidance_low="Days.",
        guidance_high="Minutes.",
        position=9,
    )

    with pytest.raises(CheckupInvalid, match=r"characteristics\.responsiveness"):
        checkup_save_draft(
            user=manager,
            checkup_id=checkup.id,
            data=CheckupInput(answers={"characteristics.trust": 3, "characteristics.responsiveness": 3}),
        )
    assert not checkup.answers.exists()


def test_answers_are_stored_against_the_checkups_own_rubric_version(manager, checkup, rubric_version):
    newer = rubric_version_publish(based_on=rubric_version, weights={"characteristics.trust": 2})

    checkup_save_draft(
        user=manager, checkup_id=checkup.id, data=CheckupInput(answers={"characteristics.trust": 3})
    )

    answer = Answer.objects.get(checkup=checkup)
    assert answer.item.rubric.version_id == rubric_version.id != newer.id


def test_another_managers_checkup_cannot_be_written_through_the_service(checkup, items):
    other = UserFactory(username="ben", role="account_manager")
    leadership = UserFactory(username="lena", role="leadership")

    for user in (other, leadership):
        with pytest.raises(Checkup.DoesNotExist):
            checkup_submit(user=user, checkup_id=checkup.id, data=full(items))
    assert not checkup.answers.exists()


def test_a_co_owner_cannot_write_the_other_owners_checkup(manager, checkup, items):
    co_owner = UserFactory(username="ben", role="account_manager")
    checkup.partner.owners.add(co_owner)

    with pytest.raises(Checkup.DoesNotExist):
        checkup_save_draft(user=co_owner, checkup_id=checkup.id, data=full(items))


def test_a_comment_without_an_answer_is_refused(manager, checkup):
    with pytest.raises(CheckupInvalid):
        checkup_save_draft(
            user=manager, checkup_id=checkup.id, data=CheckupInput(comments={"characteristics.trust": "hmm"})
        )


def test_action_items_are_rewritten_slot_by_slot_and_one_already_done_stays_done(manager, checkup):
    due = dt.date(2026, 12, 31)
    ben = UserFactory(username="ben", role="account_manager")
    checkup.partner.owners.add(ben)
    data = CheckupInput(
        action_items=(
            ActionItemInput("Book a QBR in person", manager.id, due),
            ActionItemInput("Share the pipeline", ben.id, due),
        )
    )
    checkup_save_draft(user=manager, checkup_id=checkup.id, data=data)
    first = ActionItem.objects.get(description="Book a QBR in person")
    ActionItem.objects.filter(pk=first.pk).update(done_at=timezone.now())

    checkup_save_draft(
        user=manager,
        checkup_id=checkup.id,
        data=CheckupInput(action_items=(ActionItemInput("Book a QBR in person", ben.id, due),)),
    )

    rows = list(checkup.action_items.all())
    assert [(r.description, r.owner, r.period_id, r.partner_id) for r in rows] == [
        ("Book a QBR in person", ben, checkup.period_id, checkup.partner_id)
    ]
    assert rows[0].pk == first.pk and rows[0].done_at is not None


def test_more_than_three_action_items_are_refused(manager, checkup):
    due = dt.date(2026, 12, 31)
    data = CheckupInput(action_items=tuple(ActionItemInput(f"Step {n}", manager.id, due) for n in range(4)))
    with pytest.raises(CheckupInvalid):
        checkup_save_draft(user=manager, checkup_id=checkup.id, data=data)
    assert not ActionItem.objects.exists()


def test_an_action_in_a_check_up_is_owned_by_an_owner_of_the_partner_or_leadership(manager, checkup):
    due = dt.date(2026, 12, 31)
    lena = UserFactory(username="lena", role="leadership")
    stranger = UserFactory(username="zoe", role="account_manager")

    with pytest.raises(CheckupInvalid, match="Choose each action's owner from the partner's owners or leadership"):
        checkup_save_draft(
            user=manager,
            checkup_id=checkup.id,
            data=CheckupInput(action_items=(ActionItemInput("Call their CFO", stranger.id, due),)),
        )
    assert not ActionItem.objects.exists()

    checkup_save_draft(
        user=manager,
        checkup_id=checkup.id,
        data=CheckupInput(action_items=(ActionItemInput("Call their CFO", lena.id, due),)),
    )
    action = ActionItem.objects.get()
    assert (action.owner, action.created_by, action.baseline_period) == (lena, manager, checkup.period)


def test_marking_an_action_item_done_twice_keeps_the_first_completion(manager):
    partner = PartnerFactory(owners=[manager])
    item = ActionItemFactory(partner=partner)
    co_owner = UserFactory(username="ben", role="account_manager")
    partner.owners.add(co_owner)

    first = action_item_complete(user=manager, action_item_id=item.id)
    second = action_item_complete(user=co_owner, action_item_id=item.id)

    assert second.done_at == first.done_at
    assert second.done_by == manager


def test_only_owners_can_mark_an_action_item_done(manager):
    item = ActionItemFactory(partner=PartnerFactory(owners=[manager]))
    for username, role in [("ben", "account_manager"), ("lena", "leadership")]:
        with pytest.raises(ActionItem.DoesNotExist):
            action_item_complete(user=UserFactory(username=username, role=role), action_item_id=item.id)
    item.refresh_from_db()
    assert item.done_at is None


def test_interactions_are_logged_by_owners_only_and_never_in_the_future(manager):
    partner = PartnerFactory(owners=[manager])
    today = timezone.localdate()

    interaction = interaction_create(
        user=manager, partner_id=partner.id, occurred_on=today, kind="qbr", face_to_face=True, summary=" QBR "
    )
    assert (interaction.created_by, interaction.summary, interaction.face_to_face) == (manager, "QBR", True)

    with pytest.raises(CheckupInvalid):
        interaction_create(
            user=manager,
            partner_id=partner.id,
            occurred_on=today + dt.timedelta(days=1),
            kind="call",
            face_to_face=False,
        )
    with pytest.raises(CheckupInvalid):
        interaction_create(user=manager, partner_id=partner.id, occurred_on=today, kind="lunch", face_to_face=True)
    leadership = UserFactory(username="lena", role="leadership")
    with pytest.raises(type(partner).DoesNotExist):
        interaction_create(user=leadership, partner_id=partner.id, occurred_on=today, kind="call", face_to_face=False)
    assert Interaction.objects.count() == 1


def test_opening_a_checkup_for_an_owned_partner_creates_one_for_the_current_quarter_once(manager, rubric_version):
    partner = PartnerFactory(owners=[manager])

    first = checkup_open(user=manager, partner_id=partner.id, today=dt.date(2026, 11, 5))
    again = checkup_open(user=manager, partner_id=partner.id, today=dt.date(2026, 11, 20))

    assert first.pk == again.pk
    assert (first.period.code, first.rubric_version_id, first.last_saved_at) == ("2026-Q4", rubric_version.id, None)
    with pytest.raises(type(partner).DoesNotExist):
        checkup_open(user=UserFactory(username="ben", role="account_manager"), partner_id=partner.id)


def test_a_second_raters_submission_is_combined_into_the_snapshot(manager, checkup, items):
    other = UserFactory(username="ben", role="account_manager")
    checkup.partner.owners.add(other)
    submitted_checkup(
        items=items, answers=answers_for(items, rating=5), partner=checkup.partner, period=checkup.period, rater=other
    )

    checkup_submit(user=manager, checkup_id=checkup.id, data=full(items, rating=3))

    snapshot = PartnerSnapshot.objects.get(partner=checkup.partner, period=checkup.period)
    assert snapshot.rater_count == 2
    assert snapshot.health == 75.0

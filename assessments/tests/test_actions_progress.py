"""Did the plan work: linked items valued when an action started and at each later check-up, and the recovery rule."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from assessments.progress import ItemProgress, Point, linked_items_recovered
from assessments.selectors.actions import action_progress, action_progress_for_partner, item_means_at
from assessments.services.snapshots import snapshots_recompute
from assessments.tests.factories import (
    ActionItemFactory,
    CheckupFactory,
    PartnerFactory,
    PeriodFactory,
    UserFactory,
    answers_for,
    submitted_checkup,
)

TRUST = "characteristics.trust"
PENCIL = "symptoms.one_sided_pencil"


def rating(start: float | None, *later: tuple[str, float], address: str = TRUST, action_id: int = 1) -> ItemProgress:
    return ItemProgress(
        action_id=action_id,
        address=address,
        title="Trust between the organisations" if address == TRUST else "One-sided pencil",
        scale="rating" if address == TRUST else "intensity",
        start=Point("2026-Q3", start) if start is not None else None,
        later=tuple(Point(code, value) for code, value in later),
    )


# --- the pure rule ----------------------------------------------------------------------


def test_the_progress_line_names_the_item_and_each_later_quarter():
    row = rating(2.0, ("2026-Q4", 3.0), ("2027-Q1", 3.5))
    assert row.text == "Trust between the organisations: 2.0 when the plan started → 3.0 in 2026-Q4 → 3.5 in 2027-Q1"


def test_the_progress_line_says_when_nothing_was_scored_before_or_since():
    assert rating(2.0).text == "Trust between the organisations: 2.0 when the plan started; no check-up since"
    assert (
        rating(None, ("2026-Q4", 3.0)).text
        == "Trust between the organisations: — when the plan started → 3.0 in 2026-Q4"
    )


def test_an_item_recovers_one_point_above_its_start_but_not_just_under():
    assert rating(2.0, ("2027-Q1", 3.0)).recovered() is True
    assert rating(2.0, ("2027-Q1", 2.9)).recovered() is False
    assert rating(2.0).recovered() is None


def test_an_item_recovers_within_half_a_point_of_its_value_before_the_decline():
    # Fell from 4.0 to 3.0, the plan started at 3.0, now 3.5: half a point short of 4.0 is back.
    assert rating(3.0, ("2027-Q1", 3.5)).recovered(4.0) is True
    assert rating(3.0, ("2027-Q1", 3.4)).recovered(4.0) is False
    assert rating(3.0, ("2027-Q1", 3.4)).recovered() is False


def test_a_symptom_recovers_as_it_falls():
    pencil = rating(2.0, ("2027-Q1", 1.0), address=PENCIL)
    assert pencil.text == "One-sided pencil: 2.0 when the plan started → 1.0 in 2027-Q1"
    assert pencil.recovered() is True
    assert rating(2.0, ("2027-Q1", 3.0), address=PENCIL).recovered() is False
    # Before the decline: none (0); now mild (0.5) is within half a point.
    assert rating(2.0, ("2027-Q1", 0.5), address=PENCIL).recovered(0.0) is True


def test_linked_items_recovered_sorts_items_and_judges_an_item_linked_twice_from_the_first_action():
    rows = [
        rating(2.0, ("2027-Q1", 3.5), action_id=1),
        # A later action on the same item started from 3.0: on its own it has not recovered.
        ItemProgress(
            2, TRUST, "Trust between the organisations", "rating", Point("2026-Q4", 3.0), (Point("2027-Q1", 3.5),)
        ),
        rating(2.0, ("2027-Q1", 2.5), address=PENCIL, action_id=2),
        ItemProgress(3, "traits.caring", "Caring", "rating", Point("2026-Q4", 3.0), ()),
    ]

    recovery = linked_items_recovered(rows)

    assert [row.title for row in recovery.recovered] == ["Trust between the organisations"]
    assert recovery.recovered[0].action_id == 1
    assert [row.title for row in recovery.not_recovered] == ["One-sided pencil"]
    assert [row.title for row in recovery.unknown] == ["Caring"]
    assert recovery.summary == (
        "Recovered: Trust between the organisations. Not yet: One-sided pencil. "
        "No check-up since the plan started: Caring."
    )
    with_baseline = linked_items_recovered(rows, pre_decline={PENCIL: 0.0, TRUST: 4.0})
    assert [row.title for row in with_baseline.recovered] == ["Trust between the organisations"]
    assert linked_items_recovered([]).summary == "No action is linked to a rubric item."


# --- read from the database -------------------------------------------------------------


def score(items, partner, code: str, *ratings: dict) -> None:
    period = PeriodFactory.of(code)
    for n, overrides in enumerate(ratings):
        rater = UserFactory(username=f"rater-{partner.pk}-{code}-{n}")
        submitted_checkup(
            items=items, answers=answers_for(items, **overrides), partner=partner, period=period, rater=rater
        )
    with transaction.atomic():
        snapshots_recompute(pairs={(partner.id, period.id)})


@pytest.fixture
def sliding(items):
    """Trust 4 in 2026-Q2, 2 in Q3 (the plan starts), 3 in Q4, 3.5 in 2027-Q1 (two raters: 3 and 4)."""
    partner = PartnerFactory(name="Northwind Systems")
    score(items, partner, "2026-Q2", {})
    score(items, partner, "2026-Q3", {"characteristics__trust": 2, "symptoms__one_sided_pencil": 2})
    score(items, partner, "2026-Q4", {"characteristics__trust": 3, "symptoms__one_sided_pencil": 1})
    score(items, partner, "2027-Q1", {"characteristics__trust": 3}, {"characteristics__trust": 4})
    return partner


@pytest.mark.django_db
def test_an_actions_progress_starts_at_its_baseline_quarter_and_lists_every_later_one(sliding, items):
    action = ActionItemFactory(partner=sliding, period=PeriodFactory.of("2026-Q3"), items=[items[TRUST], items[PENCIL]])
    unlinked = ActionItemFactory(partner=sliding, period=PeriodFactory.of("2026-Q3"))

    progress = action_progress(action_ids=[action.id, unlinked.id])

    assert list(progress) == [action.id]
    assert [row.text for row in progress[action.id]] == [
        "Trust between the organisations: 2.0 when the plan started → 3.0 in 2026-Q4 → 3.5 in 2027-Q1",
        "Sharpening one side of the pencil: 2.0 when the plan started → 1.0 in 2026-Q4 → 0.0 in 2027-Q1",
    ]
    recovery = linked_items_recovered(
        progress[action.id], pre_decline=item_means_at(partner_id=sliding.id, period_code="2026-Q2")
    )
    # Trust: 3.5 is within half a point of 4.0 before the decline; the symptom fell two points.
    assert [row.title for row in recovery.recovered] == [
        "Trust between the organisations",
        "Sharpening one side of the pencil",
    ]


@pytest.mark.django_db
def test_a_baseline_quarter_nobody_scored_starts_from_the_latest_one_before_it(sliding, items):
    # Agreed in 2026-Q3's check-up, but say that check-up was never scored: 2026-Q2 stood then.
    action = ActionItemFactory(partner=sliding, period=PeriodFactory.of("2026-Q3"), items=[items[TRUST]])
    action.baseline_period = PeriodFactory.of("2026-Q1")
    action.save()
    assert action_progress(action_ids=[action.id])[action.id][0].text.startswith(
        "Trust between the organisations: — when the plan started → 4.0 in 2026-Q2 → 2.0 in 2026-Q3"
    )

    action.baseline_period = None
    action.save()
    assert action_progress(action_ids=[action.id])[action.id][0].later[0] == Point("2026-Q2", 4.0)


@pytest.mark.django_db
def test_progress_for_a_partner_counts_agreed_actions_created_since_a_time(sliding, items):
    q3 = PeriodFactory.of("2026-Q3")
    old = ActionItemFactory(partner=sliding, period=q3, items=[items[TRUST]])
    old.created_at = dt.datetime(2026, 8, 1, tzinfo=dt.UTC)
    old.save()
    new = ActionItemFactory(partner=sliding, period=q3, items=[items[TRUST]])
    new.created_at = dt.datetime(2026, 10, 20, tzinfo=dt.UTC)
    new.save()
    draft = CheckupFactory(partner=sliding, period=PeriodFactory.of("2027-Q1"))
    ActionItemFactory(partner=sliding, period=q3, checkup=draft, items=[items[TRUST]])

    assert set(action_progress_for_partner(partner_id=sliding.id)) == {old.id, new.id}
    since = action_progress_for_partner(partner_id=sliding.id, since=dt.datetime(2026, 10, 1, tzinfo=dt.UTC))
    assert set(since) == {new.id}


@pytest.mark.django_db
def test_action_progress_reads_in_two_queries_whatever_the_number_of_actions(sliding, items, django_assert_num_queries):
    q3 = PeriodFactory.of("2026-Q3")
    ids = [ActionItemFactory(partner=sliding, period=q3, items=[items[TRUST], items[PENCIL]]).id for _ in range(6)]
    other = PartnerFactory()
    score(items, other, "2026-Q3", {})
    ids.append(ActionItemFactory(partner=other, period=q3, items=[items[TRUST]]).id)

    # The actions, their linked items, the partners' snapshots.
    with django_assert_num_queries(3):
        progress = action_progress(action_ids=ids)
    assert len(progress) == 7


def test_the_worked_example_of_docs_actions():
    def item(address, title, scale, start, latest):
        return ItemProgress(7, address, title, scale, Point("2026-Q3", start), (Point("2027-Q1", latest),))

    rows = [
        item(TRUST, "Trust between the organisations", "rating", 2.0, 3.5),
        item("characteristics.quality", "Quality of product or service", "rating", 3.0, 3.5),
        item(PENCIL, "Sharpening one side of the pencil", "intensity", 2.0, 1.0),
        item("traits.face_to_face", "Meeting face to face", "rating", 3.0, 3.0),
    ]
    before = {TRUST: 4.0, "characteristics.quality": 4.0, PENCIL: 0.0, "traits.face_to_face": 4.0}

    recovery = linked_items_recovered(rows, pre_decline=before)

    assert recovery.summary == (
        "Recovered: Trust between the organisations, Quality of product or service, "
        "Sharpening one side of the pencil. Not yet: Meeting face to face."
    )
    # Quality recovered only by the first clause, the symptom only by the second.
    assert rows[1].recovered() is False and rows[1].recovered(4.0) is True
    assert rows[2].recovered(0.0) is True and rows[2].better_by(1.0, 0.0) == -1.0

"""What people do to a case: acknowledge, snooze (and its end), assign, resolve by hand; each one a recorded row."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from assessments.models import Case, CaseEvent
from assessments.services.case_triage import (
    case_acknowledge,
    case_assign,
    case_resolve,
    case_snooze,
    cases_wake,
)
from assessments.services.cases import CaseActionError
from assessments.tests.alerting import leader, manager
from assessments.tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 20)


@pytest.fixture
def people():
    return {
        "ana": manager("ana", first_name="Ana", last_name="Alvarez"),
        "ben": manager("ben", first_name="Ben", last_name="Berg"),
        "lena": leader("lena", first_name="Lena", last_name="Lund"),
    }


@pytest.fixture
def case(people):
    return CaseFactory(partner__name="Oakline Logistics", partner__owners=[people["ana"]])


def test_acknowledging_records_who_when_and_the_note_and_cannot_be_repeated(case, people):
    acknowledged = case_acknowledge(case_id=case.pk, user=people["ana"], note="  Called their COO  ")

    assert (acknowledged.state, acknowledged.acknowledged_by, acknowledged.acknowledged_note) == (
        "acknowledged",
        people["ana"],
        "Called their COO",
    )
    event = CaseEvent.objects.get(case=case, kind="acknowledged")
    assert (event.user, event.from_state, event.to_state, event.note) == (
        people["ana"],
        "open",
        "acknowledged",
        "Called their COO",
    )
    with pytest.raises(CaseActionError, match=re.escape("Oakline Logistics: already acknowledged by Ana Alvarez.")):
        case_acknowledge(case_id=case.pk, user=people["lena"])
    assert CaseEvent.objects.filter(case=case, kind="acknowledged").count() == 1


def test_a_snooze_needs_a_reason_and_a_date_within_180_days(case, people):
    with pytest.raises(CaseActionError, match=re.escape("Say why this case can wait.")):
        case_snooze(case_id=case.pk, user=people["ana"], until=TODAY + dt.timedelta(days=7), note=" ", today=TODAY)
    with pytest.raises(CaseActionError, match=re.escape("Snooze until a date after today.")):
        case_snooze(case_id=case.pk, user=people["ana"], until=TODAY, note="QBR booked", today=TODAY)
    with pytest.raises(CaseActionError, match=re.escape("Snooze for at most 180 days.")):
        case_snooze(case_id=case.pk, user=people["ana"], until=TODAY + dt.timedelta(days=181), note="x", today=TODAY)
    case.refresh_from_db()
    assert case.state == "open" and not case.events.exists()


def test_a_snoozed_case_returns_to_its_earlier_state_the_day_after_on_read_and_by_the_periodic_task(case, people):
    case_acknowledge(case_id=case.pk, user=people["ana"], note="On it")
    until = TODAY + dt.timedelta(days=14)
    snoozed = case_snooze(case_id=case.pk, user=people["ana"], until=until, note="QBR booked", today=TODAY)
    assert (snoozed.state, snoozed.state_before_snooze, snoozed.snoozed_until) == ("snoozed", "acknowledged", until)

    assert snoozed.current_state(until) == "snoozed", "a snooze runs through its date"
    assert snoozed.current_state(until + dt.timedelta(days=1)) == "acknowledged", "read as woken at once"
    assert cases_wake(today=until) == 0
    assert cases_wake(today=until + dt.timedelta(days=1)) == 1
    assert cases_wake(today=until + dt.timedelta(days=1)) == 0, "once"

    case.refresh_from_db()
    assert (case.state, case.snoozed_until, case.state_before_snooze) == ("acknowledged", None, "")
    woke = case.events.get(kind="woke")
    assert (woke.user, woke.from_state, woke.to_state) == (None, "snoozed", "acknowledged")


def test_a_snooze_renewed_while_it_runs_still_returns_to_the_state_before_the_first(case, people):
    case_snooze(case_id=case.pk, user=people["ana"], until=TODAY + dt.timedelta(days=7), note="a", today=TODAY)
    renewed = case_snooze(
        case_id=case.pk, user=people["ana"], until=TODAY + dt.timedelta(days=30), note="b", today=TODAY
    )

    assert renewed.state_before_snooze == "open"


def test_acknowledging_a_snoozed_case_ends_the_snooze(case, people):
    case_snooze(case_id=case.pk, user=people["ana"], until=timezone.localdate() + dt.timedelta(days=7), note="a")

    acknowledged = case_acknowledge(case_id=case.pk, user=people["ana"])

    assert (acknowledged.state, acknowledged.snoozed_until) == ("acknowledged", None)


def test_a_case_is_assigned_to_an_owner_or_leadership_never_to_another_manager(case, people):
    assert case_assign(case_id=case.pk, user=people["lena"], assignee=people["ana"]).assignee == people["ana"]
    assert (
        case_assign(case_id=case.pk, user=people["ana"], assignee=people["lena"], note="Needs their CEO").assignee
        == people["lena"]
    )
    with pytest.raises(
        CaseActionError, match=re.escape("Ben Berg is neither an owner of this partner nor in leadership.")
    ):
        case_assign(case_id=case.pk, user=people["lena"], assignee=people["ben"])

    assigned = list(case.events.filter(kind="assigned").values_list("user__username", "assignee__username", "note"))
    assert assigned == [("lena", "ana", ""), ("ana", "lena", "Needs their CEO")]
    assert case_assign(case_id=case.pk, user=people["ana"], assignee=None).assignee is None


@pytest.mark.parametrize(
    ("reason", "label"),
    [("recovered", "Recovered"), ("partnership_ended", "Partnership ended"), ("false_alarm", "False alarm")],
)
def test_resolving_by_hand_records_the_reason_who_and_the_quarter(case, people, reason, label):
    resolved = case_resolve(case_id=case.pk, user=people["lena"], resolution=reason, note="Agreed at the QBR")

    assert (resolved.state, resolved.resolution, resolved.resolved_by) == ("resolved", reason, people["lena"])
    assert resolved.get_resolution_display() == label
    assert resolved.resolved_period == case.last_finding_period, "no snapshot yet: its last finding's quarter"
    event = case.events.get(kind="resolved")
    assert (event.user, event.resolution, event.note, event.from_state) == (
        people["lena"],
        reason,
        "Agreed at the QBR",
        "open",
    )


def test_a_resolution_needs_one_of_the_three_reasons(case, people):
    with pytest.raises(CaseActionError, match="Choose why the case is resolved"):
        case_resolve(case_id=case.pk, user=people["lena"], resolution="bored")
    assert Case.objects.get(pk=case.pk).state == "open"


def test_a_resolved_case_refuses_every_other_transition(case, people):
    case_resolve(case_id=case.pk, user=people["ana"], resolution="false_alarm")

    for act in (
        lambda: case_acknowledge(case_id=case.pk, user=people["ana"]),
        lambda: case_snooze(
            case_id=case.pk, user=people["ana"], until=TODAY + dt.timedelta(days=3), note="x", today=TODAY
        ),
        lambda: case_assign(case_id=case.pk, user=people["ana"], assignee=people["ana"]),
        lambda: case_resolve(case_id=case.pk, user=people["ana"], resolution="recovered"),
    ):
        with pytest.raises(CaseActionError, match=re.escape("Oakline Logistics: this case is resolved.")):
            act()
    assert list(case.events.values_list("kind", flat=True)) == ["resolved"]

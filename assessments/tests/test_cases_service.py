"""Cases from findings: opening, joining, escalating, resolving by itself, reopening, and the one-case rule."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from assessments.models import Alert, Case, CaseEvent
from assessments.periods import Quarter
from assessments.selectors.alerts import partner_snapshot_series
from assessments.services import cases as case_service
from assessments.services.alerts import partner_evaluate, trends_scan
from assessments.tests.alerting import (
    CRASH,
    DECLINING,
    ONE_DIP,
    SLIP,
    SLIPPING,
    STEADY,
    ensure_rubric_v1,
    history,
    leader,
    manager,
    partner_with_history,
)
from assessments.tests.factories import CaseFactory, PeriodFactory
from conftest import service_missing

pytestmark = pytest.mark.django_db

LAST = Quarter(2026, 3)


def codes(start: Quarter, count: int) -> list[str]:
    return [start.shift(i).code for i in range(count)]


def events(case: Case) -> list[str]:
    return list(case.events.order_by("at", "id").values_list("kind", flat=True))


@pytest.fixture
def ana(db):
    leader("lena")
    return manager("ana", first_name="Ana")


def test_the_first_warning_opens_a_case_and_later_findings_of_any_rule_or_quarter_join_it(items, ana):
    partner = partner_with_history(items=items, name="Cedar", owners=[ana], levels=SLIPPING, last=LAST)
    partner_evaluate(partner_id=partner.id)
    case = Case.objects.get(partner=partner)
    first = set(case.findings.values_list("rule", "period__code"))
    assert (case.state, case.severity, case.opened_period.code) == ("open", "warning", LAST.code)
    assert first and all(code == LAST.code for _, code in first)

    # Two more quarters, still slipping then far worse: new rules, a new quarter, the same case, now critical.
    history(items=items, partner=partner, raters=[ana], levels=[SLIP, CRASH], last=LAST.shift(2))
    partner_evaluate(partner_id=partner.id)

    assert Case.objects.filter(partner=partner).count() == 1
    case.refresh_from_db()
    later = set(case.findings.values_list("rule", "period__code")) - first
    assert {code for _, code in later} == {LAST.shift(2).code}
    assert case.severity == "critical" and case.last_finding_period.code == LAST.shift(2).code
    assert events(case)[0] == "opened" and "escalated" in events(case)
    escalated = case.events.get(kind="escalated")
    assert escalated.note == f"Severity rose from warning to critical in {LAST.shift(2).code}."
    assert not Alert.objects.filter(partner=partner, severity__in=["warning", "critical"], case__isnull=True).exists()


def test_watch_findings_open_no_case_and_join_none(items, ana):
    partner = partner_with_history(items=items, name="Meridian", owners=[ana], levels=ONE_DIP, last=LAST)

    trends_scan(all_periods=True)

    assert Alert.objects.filter(partner=partner, severity="watch").exists()
    assert not Case.objects.exists()
    assert not Alert.objects.filter(case__isnull=False).exists()


def test_a_watch_finding_of_a_partner_with_an_open_case_stays_out_of_it(items, ana):
    partner = partner_with_history(items=items, name="Oakline", owners=[ana], levels=DECLINING, last=LAST)
    partner_evaluate(partner_id=partner.id)

    watch = Alert.objects.filter(partner=partner, severity="watch")
    assert Case.objects.filter(partner=partner).count() == 1
    assert all(alert.case_id is None for alert in watch)


def test_the_database_allows_one_unresolved_case_per_partner(ana):
    case = CaseFactory(partner__owners=[ana])

    later = PeriodFactory.of("2026-Q4")

    constraint = r"one_unresolved_case_per_partner|assessments_case\.partner_id"
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        CaseFactory(partner=case.partner, opened_period=later)

    Case.objects.filter(pk=case.pk).update(state="resolved", resolution="recovered", resolved_at=case.opened_at)
    assert CaseFactory(partner=case.partner, opened_period=later).state == "open"


def test_a_worker_that_loses_the_race_to_open_a_case_joins_the_winners(items, ana, monkeypatch):
    partner = partner_with_history(items=items, name="Oakline", owners=[ana], levels=DECLINING, last=LAST)
    winner = CaseFactory(partner=partner, opened_period=PeriodFactory.of(LAST.code))
    # The winner committed after this worker looked for an unresolved case and found none.
    real = case_service._unresolved
    calls = []
    monkeypatch.setattr(
        case_service, "_unresolved", lambda pid: real(pid) if calls.append(1) or len(calls) > 1 else None
    )

    partner_evaluate(partner_id=partner.id)

    assert list(Case.objects.filter(partner=partner)) == [winner]
    serious = Alert.objects.filter(partner=partner, period__code=LAST.code, severity__in=["warning", "critical"])
    assert serious.count() > 1 and {a.case_id for a in serious} == {winner.pk}


@pytest.fixture
def rubric_reloaded(transactional_db):
    ensure_rubric_v1()


@pytest.mark.django_db(transaction=True)
def test_two_connections_opening_a_case_for_one_partner_at_once_end_with_one_case(rubric_reloaded, items):
    if connection.vendor != "postgresql":
        service_missing("racing inserts against a partial unique index need PostgreSQL (DATABASE_URL=postgres://…)")
    ana = manager("ana")
    partner = partner_with_history(items=items, name="Oakline", owners=[ana], levels=DECLINING, last=LAST)
    period = PeriodFactory.of(LAST.code)
    series = partner_snapshot_series(partner_id=partner.id)
    alert = Alert.objects.create(
        partner=partner, period=period, rule="health_decline", severity="critical", explanation="Fell."
    )
    barrier, opened, errors = threading.Barrier(2), [], []

    def open_case() -> None:
        try:
            with transaction.atomic():
                barrier.wait(10)
                outcome = case_service.CaseOutcome()
                case = case_service._open(
                    partner, period, [alert], series, notify=False, now=timezone.now(), outcome=outcome
                )
                opened.append((case.pk, outcome.opened))
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=open_case) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert Case.objects.filter(partner=partner).count() == 1
    assert {pk for pk, _ in opened} == {Case.objects.get(partner=partner).pk}, "the loser joined the winner's case"
    assert sorted(n for _, n in opened) == [0, 1]


# A slip, then a collapse from it (a decline deepening, confirmed at once), then two quarters back to normal.
RECOVERS = [STEADY] * 6 + [SLIP, CRASH] + [STEADY] * 2


def test_a_case_resolves_by_itself_once_health_is_back_and_two_quarters_with_data_are_quiet(items, ana):
    partner = partner_with_history(items=items, name="Lumen", owners=[ana], levels=RECOVERS, last=LAST)

    trends_scan(all_periods=True)

    case = Case.objects.get(partner=partner)
    assert (case.state, case.resolution, case.resolved_by) == ("resolved", "recovered", None)
    assert case.resolved_period.code == LAST.code
    assert case.opened_period.code == LAST.shift(-2).code
    assert case.baseline_health == 75
    resolved = case.events.get(kind="resolved")
    assert resolved.user is None and (resolved.from_state, resolved.to_state) == ("open", "resolved")
    assert resolved.note.startswith(f"Recovered: health 75 in {LAST.code} is back within its noise")
    assert "and no warning or critical finding for 2 quarters with data." in resolved.note


def test_a_partner_still_down_stays_open_while_the_cooldown_silences_its_rules(items, ana):
    partner = partner_with_history(
        items=items, name="Lumen", owners=[ana], levels=[STEADY] * 6 + [CRASH] * 3, last=LAST
    )

    trends_scan(all_periods=True)

    # A collapse is critical once it held a second quarter; the cooldown silences the next.
    case = Case.objects.get(partner=partner)
    assert case.state == "open" and case.last_finding_period.code == LAST.shift(-1).code, "no new finding since"


def test_a_decline_within_four_quarters_of_recovery_reopens_the_same_case_with_its_history(items, ana):
    partner = partner_with_history(
        items=items, name="Lumen", owners=[ana], levels=RECOVERS + [CRASH] * 2, last=LAST.shift(2)
    )

    trends_scan(all_periods=True)

    case = Case.objects.get(partner=partner)
    assert (case.state, case.episode, case.resolution) == ("open", 2, "")
    assert case.opened_period.code == LAST.shift(-2).code and case.episode_period.code == LAST.shift(2).code
    assert events(case)[:1] == ["opened"] and "resolved" in events(case) and events(case).count("reopened") == 1
    reopened = case.events.get(kind="reopened")
    assert reopened.note == (
        f"Declined again in {LAST.shift(2).code}, within 4 quarters of its resolution in {LAST.code}."
    )


def test_a_decline_more_than_four_quarters_after_recovery_opens_a_new_case(items, ana):
    partner = partner_with_history(
        items=items, name="Lumen", owners=[ana], levels=RECOVERS + [STEADY] * 4 + [CRASH] * 2, last=LAST.shift(6)
    )

    trends_scan(all_periods=True)

    first, second = Case.objects.filter(partner=partner).order_by("id")
    assert (first.state, first.episode, first.resolved_period.code) == ("resolved", 1, LAST.code)
    assert (second.state, second.episode, second.opened_period.code) == ("open", 1, LAST.shift(6).code)


def test_replaying_history_again_changes_no_case_and_records_no_event(items, ana):
    partner_with_history(items=items, name="Lumen", owners=[ana], levels=RECOVERS + [CRASH] * 2, last=LAST.shift(2))
    partner_with_history(
        items=items, name="Cedar", owners=[ana], levels=[STEADY] * 6 + [SLIP] * 2 + [CRASH] * 2, last=LAST
    )
    trends_scan(all_periods=True)
    before = (
        list(Case.objects.order_by("id").values_list("state", "severity", "episode", "changed_at")),
        CaseEvent.objects.count(),
    )

    trends_scan(all_periods=True)
    trends_scan()

    after = (
        list(Case.objects.order_by("id").values_list("state", "severity", "episode", "changed_at")),
        CaseEvent.objects.count(),
    )
    assert after == before

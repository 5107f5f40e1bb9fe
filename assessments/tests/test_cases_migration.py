"""Migration 0007: the alerts recorded before cases existed become cases, with nothing lost."""

from __future__ import annotations

import datetime as dt
import io
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from assessments.models import Alert, AlertAction, Case, CaseEvent, Partner
from assessments.services.alerts import alert_acknowledge, alert_snooze
from assessments.services.demo import demo_plan
from assessments.services.demo_mirror import falling_partner
from assessments.tests.alerting import ensure_rubric_v1

MIGRATION = import_module("assessments.migrations.0009_cases")
SERIOUS = ["warning", "critical"]
# Withheld information (the evidence cross-checks' demo partner) is a warning red flag (001): a case too.
DECLINING = {"gradual_decline", "sudden_drop", "persistent_symptom", "cut_bait", "withholding"}


def carry_over() -> None:
    MIGRATION.cases_from_alerts(django_apps, None)


@pytest.fixture
def demo_before_cases(rubric_version):
    """seed_demo replayed through detection, as before the upgrade: alerts, no cases."""
    call_command("seed_demo", "--i-know-this-is-not-production", stdout=io.StringIO())
    call_command("scan_trends", "--all-periods", stdout=io.StringIO(), stderr=io.StringIO())
    live = {
        c.partner.name: (c.opened_period.code, c.severity, set(c.findings.values_list("pk", flat=True)))
        for c in Case.objects.select_related("partner", "opened_period")
    }
    Case.objects.all().delete()  # alerts keep their rows; their case becomes null
    assert not Alert.objects.filter(case__isnull=False).exists()
    return live


def _serious(name: str):
    return Alert.objects.filter(partner__name=name, severity__in=SERIOUS).order_by("period__year", "period__quarter")


@pytest.mark.django_db
def test_on_the_demo_data_every_decline_becomes_one_case_with_every_acknowledgement_snooze_and_note(
    demo_before_cases,
):
    live = demo_before_cases
    plan = {p.name: p.pattern for p in demo_plan()}
    # ... and the steady partner whose view of us falls in the mirror survey (docs/PARTNER_VIEW.md).
    falling = falling_partner(demo_plan())
    declining = sorted(name for name, pattern in plan.items() if pattern in DECLINING or name == falling)
    ana = Partner.objects.get(name=declining[0]).owners.first()
    today = timezone.localdate()
    # Triage done on alerts before the upgrade:
    acked, snoozed, legacy, raised, split = declining[:5]
    for n, alert in enumerate(_serious(acked)):
        alert_acknowledge(alert=alert, user=ana, note=f"Handled #{n}")
    for alert in _serious(snoozed):
        alert_snooze(alert=alert, user=ana, reason="QBR booked", until=today + dt.timedelta(days=20))
    legacy_alert = _serious(legacy).last()
    Alert.objects.filter(pk=legacy_alert.pk).update(
        status="acknowledged", acknowledged_by=ana, acknowledged_at=timezone.now(), note="Ack before the trail"
    )
    raised_alert = _serious(raised).last()
    AlertAction.objects.create(alert=raised_alert, kind="reopened", note="Severity rose to critical.")
    first = _serious(split).first()
    old_period = first.period.value.shift(-6)
    from assessments.services.periods import period_get_or_create

    old = Alert.objects.create(
        partner=first.partner,
        period=period_get_or_create(quarter=old_period),
        rule="red_flag",
        severity="warning",
        explanation="Red flags: paid 45 days late.",
    )
    actions = {a.pk: a for a in AlertAction.objects.filter(alert__severity__in=SERIOUS)}

    carry_over()

    assert not Alert.objects.filter(severity__in=SERIOUS, case__isnull=True).exists(), "every finding joined"
    assert not Alert.objects.filter(severity="watch", case__isnull=False).exists(), "watch findings join none"
    unresolved = dict(Case.objects.exclude(state="resolved").values_list("partner__name", "state"))
    assert sorted(unresolved) == declining, "one open case per declining partner, none for a dip"
    for name, (opened, severity, findings) in live.items():
        if name == split:
            continue
        case = Case.objects.get(partner__name=name)
        assert (case.opened_period.code, case.severity) == (opened, severity), f"{name}: as the live code opens it"
        assert set(case.findings.values_list("pk", flat=True)) == findings, name

    assert unresolved[acked] == "acknowledged"
    case = Case.objects.get(partner__name=acked)
    assert (case.acknowledged_by, case.acknowledged_note) == (ana, f"Handled #{_serious(acked).count() - 1}")
    case = Case.objects.get(partner__name=snoozed)
    assert (case.state, case.snoozed_until, case.state_before_snooze) == (
        "snoozed",
        today + dt.timedelta(days=20),
        "open",
    )
    assert unresolved[legacy] == "open", "its other alerts are still open"
    kept = CaseEvent.objects.get(alert=legacy_alert, kind="acknowledged")
    assert (kept.user, kept.note) == (ana, "Ack before the trail")
    assert CaseEvent.objects.get(alert=raised_alert, kind="finding_raised").note == "Severity rose to critical."

    # Every action on a finding is an event with its user, time and note.
    for action in actions.values():
        event = CaseEvent.objects.get(alert_id=action.alert_id, at=action.created_at, note=action.note)
        assert event.user_id == action.user_id
        assert event.snoozed_until == action.snoozed_until

    older, newer = Case.objects.filter(partner__name=split).order_by("opened_period__year", "opened_period__quarter")
    assert list(older.findings.all()) == [old]
    assert (older.state, older.resolution, older.resolved_period.code) == ("resolved", "recovered", old_period.code)
    assert "No warning or critical alert for more than 4 quarters after" in older.events.get(kind="resolved").note
    assert newer.state == "open" and newer.opened_period == first.period

    counts = (Case.objects.count(), CaseEvent.objects.count())
    carry_over()
    assert (Case.objects.count(), CaseEvent.objects.count()) == counts, "running it again adds nothing"


@pytest.mark.django_db(transaction=True)
def test_the_migration_itself_runs_forward_from_0005_on_existing_alerts():
    ensure_rubric_v1()
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    before = [("assessments", "0005_dashboard_snapshot_covering_index")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    try:
        User = old.get_model("auth", "User")
        Partner, Period = old.get_model("assessments", "Partner"), old.get_model("assessments", "Period")
        OldAlert, OldAction = old.get_model("assessments", "Alert"), old.get_model("assessments", "AlertAction")
        ana = User.objects.create(username="ana")
        partner = Partner.objects.create(name="Oakline")
        periods = [
            Period.objects.create(
                code=f"2026-Q{q}",
                year=2026,
                quarter=q,
                starts_on=dt.date(2026, 3 * q - 2, 1),
                ends_on=dt.date(2026, 3 * q, 28),
                due_on=dt.date(2026, 3 * q, 28),
            )
            for q in (1, 2, 3)
        ]
        OldAlert.objects.create(
            partner=partner, period=periods[0], rule="health_decline", severity="watch", explanation="Dipped."
        )
        warning = OldAlert.objects.create(
            partner=partner,
            period=periods[1],
            rule="health_decline",
            severity="warning",
            explanation="Fell.",
            status="acknowledged",
            acknowledged_by=ana,
            acknowledged_at=timezone.now(),
            note="Called them",
        )
        OldAction.objects.create(alert=warning, kind="acknowledged", user=ana, note="Called them")
        OldAlert.objects.create(
            partner=partner, period=periods[2], rule="band_downgrade", severity="critical", explanation="Band fell."
        )

        executor = MigrationExecutor(connection)
        executor.migrate(latest)

        case = Case.objects.get()
        assert (case.state, case.severity, case.opened_period.code) == ("open", "critical", "2026-Q2")
        assert sorted(case.findings.values_list("period__code", flat=True)) == ["2026-Q2", "2026-Q3"]
        assert list(case.events.order_by("at", "id").values_list("kind", flat=True)) == [
            "opened",
            "joined",
            "acknowledged",
            "joined",
            "escalated",
        ]
        assert case.events.get(kind="acknowledged").note == "Called them"
        assert Alert.objects.get(severity="watch").case is None
    finally:
        MigrationExecutor(connection).migrate(latest)

"""Decline detection against stored snapshots: alerts, the case e-mails they cause, cooldown, idempotence."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.db.models import F

from assessments.models import Alert, AlertAction, AlertDelivery, Case, CaseDelivery, CaseEvent, Checkup
from assessments.periods import Quarter
from assessments.services.alerts import checkup_evaluate, evaluations_pending_run, partner_evaluate, trends_scan
from assessments.services.snapshots import snapshots_recompute
from assessments.tests.alerting import (
    CRASH,
    DECLINING,
    ONE_DIP,
    SLIP,
    SLIPPING,
    STEADY,
    history,
    leader,
    manager,
    partner_with_history,
)
from assessments.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LAST = Quarter(2026, 3)


def _alerts(partner, period: str = LAST.code) -> set[tuple[str, str]]:
    return set(Alert.objects.filter(partner=partner, period__code=period).values_list("rule", "severity"))


def _recipients(partner) -> list[str]:
    """Who is e-mailed about the partner's case (per-alert e-mails are no longer written)."""
    assert not AlertDelivery.objects.exists()
    return sorted(CaseDelivery.objects.filter(case__partner=partner).values_list("recipient__username", flat=True))


def test_a_confirmed_critical_decline_opens_a_case_emailed_once_to_the_owners_and_once_to_leadership(items):
    ana, ben = manager("ana"), manager("ben")
    leader("lena")
    UserFactory(username="admin", is_superuser=True)  # an admin is not leadership for e-mail
    partner = partner_with_history(items=items, name="Oakline", owners=[ana, ben], levels=DECLINING, last=LAST)

    report = partner_evaluate(partner_id=partner.id)

    assert ("health_decline", "critical") in _alerts(partner)
    critical = Alert.objects.filter(partner=partner, severity="critical").count()
    assert report.alerts_created == Alert.objects.filter(partner=partner).count()
    assert critical > 1, "several rules fired"
    assert _recipients(partner) == ["ana", "ben", "lena"], "one e-mail each, however many rules fired"
    alert = Alert.objects.get(partner=partner, rule="health_decline", period__code=LAST.code)
    assert "75" in alert.explanation and "25" in alert.explanation, "the explanation says how health moved"


def test_a_warning_case_goes_to_the_owners_only(items):
    ana = manager("ana")
    leader("lena")
    partner = partner_with_history(items=items, name="Cedar", owners=[ana], levels=SLIPPING, last=LAST)

    partner_evaluate(partner_id=partner.id)

    assert ("health_decline", "warning") in _alerts(partner)
    assert "critical" not in {severity for _, severity in _alerts(partner)}
    assert set(_recipients(partner)) == {"ana"}


def test_a_single_bad_quarter_is_only_on_watch_and_emails_nobody(items):
    ana = manager("ana")
    leader("lena")
    partner = partner_with_history(items=items, name="Quartz", owners=[ana], levels=[STEADY] * 6 + [SLIP], last=LAST)

    partner_evaluate(partner_id=partner.id)

    assert _alerts(partner) and {severity for _, severity in _alerts(partner)} == {"watch"}
    assert not Case.objects.exists() and _recipients(partner) == []


def test_too_little_history_gives_no_decline_verdict(items):
    ana = manager("ana")
    partner = partner_with_history(items=items, name="Newcomer", owners=[ana], levels=[STEADY, CRASH], last=LAST)

    partner_evaluate(partner_id=partner.id)

    assert not Alert.objects.filter(partner=partner).exclude(rule__in=["red_flag", "symptom_persistent"]).exists()


def test_evaluating_twice_or_scanning_again_changes_nothing(items):
    ana = manager("ana")
    leader("lena")
    partner = partner_with_history(items=items, name="Oakline", owners=[ana], levels=DECLINING, last=LAST)
    partner_evaluate(partner_id=partner.id)
    before = (Alert.objects.count(), CaseDelivery.objects.count(), Case.objects.count(), CaseEvent.objects.count())
    assert before[1] and before[2] == 1

    again = partner_evaluate(partner_id=partner.id)
    scan = trends_scan()
    replayed = trends_scan(all_periods=True)

    assert (again.alerts_created, again.deliveries_created) == (0, 0)
    assert (scan.alerts_created, scan.deliveries_created) == (0, 0)
    assert replayed.deliveries_created == 0
    assert (
        Alert.objects.count(),
        CaseDelivery.objects.count(),
        Case.objects.count(),
        CaseEvent.objects.count(),
    ) == before


def test_the_cooldown_keeps_a_rule_quiet_next_quarter_while_nothing_changes(items):
    ana = manager("ana")
    partner = partner_with_history(items=items, name="Oakline", owners=[ana], levels=DECLINING, last=LAST)
    partner_evaluate(partner_id=partner.id)
    assert ("health_decline", "critical") in _alerts(partner)

    sent = _recipients(partner)

    # Next quarter is just as bad: the alert was raised already, nobody is told again.
    history(items=items, partner=partner, raters=[ana], levels=[CRASH], last=LAST.next())
    partner_evaluate(partner_id=partner.id)

    assert ("health_decline", "critical") not in _alerts(partner, LAST.next().code)
    assert _recipients(partner) == sent


def test_all_periods_replays_history_oldest_first_and_emails_only_the_latest_quarter(items):
    ana = manager("ana")
    partner = partner_with_history(
        items=items, name="Lumen", owners=[ana], levels=[STEADY] * 5 + [CRASH] * 2 + [STEADY], last=LAST
    )

    trends_scan(all_periods=True)

    # A collapse is a watch in its first quarter and confirmed in its second (docs/TRENDS.md, rule 1).
    assert ("health_decline", "watch") in _alerts(partner, LAST.shift(-2).code)
    crash_held = LAST.shift(-1).code
    assert ("health_decline", "critical") in _alerts(partner, crash_held), "the past decline is on record"
    assert _recipients(partner) == [], "but old news is not e-mailed"


def test_a_one_quarter_dip_never_alerts_beyond_watch_over_its_whole_history(items):
    ana = manager("ana")
    partner = partner_with_history(items=items, name="Meridian", owners=[ana], levels=ONE_DIP, last=LAST)

    trends_scan(all_periods=True)

    assert set(Alert.objects.filter(partner=partner).values_list("severity", flat=True)) <= {"watch"}


def test_submissions_are_marked_evaluated_unless_amended_while_being_evaluated(items, monkeypatch):
    ana = manager("ana")
    partner = partner_with_history(items=items, name="Oakline", owners=[ana], levels=DECLINING, last=LAST)
    assert Checkup.objects.filter(evaluated_at__isnull=True).count() == 8
    amended = Checkup.objects.filter(partner=partner, period__code=LAST.code).get()

    # An amendment commits between reading and marking: its revision no longer matches.
    original = Checkup.objects.filter
    calls = []

    def racing_filter(*args, **kwargs):
        if "revision" in kwargs and kwargs.get("pk") == amended.pk and not calls:
            calls.append(1)
            Checkup.objects.filter(pk=amended.pk).update(revision=1)
        return original(*args, **kwargs)

    monkeypatch.setattr(Checkup.objects, "filter", racing_filter)
    report = checkup_evaluate(checkup_id=amended.pk)
    monkeypatch.undo()

    assert report.checkups_evaluated == 7
    assert list(Checkup.objects.filter(evaluated_at__isnull=True).values_list("pk", flat=True)) == [amended.pk]
    assert evaluations_pending_run().checkups_evaluated == 1


def _report_flags(partner, **flags) -> None:
    checkup = Checkup.objects.get(partner=partner, period__code=LAST.code)
    Checkup.objects.filter(pk=checkup.pk).update(evaluated_at=None, revision=F("revision") + 1, **flags)
    with transaction.atomic():
        snapshots_recompute(pairs={(partner.id, checkup.period_id)})


def test_worse_news_for_the_same_quarter_raises_the_alert_reopens_it_and_tells_leadership(items):
    ana = manager("ana")
    leader("lena")
    partner = partner_with_history(items=items, name="Cedar", owners=[ana], levels=[STEADY] * 8, last=LAST)
    _report_flags(partner, info_withheld=True)
    partner_evaluate(partner_id=partner.id)
    alert = Alert.objects.get(partner=partner, rule="red_flag", period__code=LAST.code)
    assert alert.severity == "warning"
    assert alert.evidence["flags"] == [{"key": "red_flags.info_withheld", "value": True}]
    assert _recipients(partner) == ["ana"]
    Alert.objects.filter(pk=alert.pk).update(status=Alert.Status.ACKNOWLEDGED)
    Case.objects.filter(partner=partner).update(state=Case.State.ACKNOWLEDGED)

    # The check-up is amended: the partner was also abusive (001: time to cut bait).
    _report_flags(partner, abusive_behaviour=True)
    report = checkup_evaluate(checkup_id=Checkup.objects.get(partner=partner, period__code=LAST.code).pk)

    alert.refresh_from_db()
    assert report.alerts_raised == 1 and report.alerts_created == 0
    assert (alert.severity, alert.status) == ("critical", "open")
    assert "abusive" in alert.explanation
    assert [f["key"] for f in alert.evidence["flags"]] == ["red_flags.abusive", "red_flags.info_withheld"], (
        "the numbers are replaced with the explanation"
    )
    assert AlertAction.objects.get(alert=alert, kind="reopened").note == "Severity rose to Critical."
    case = Case.objects.get(partner=partner)
    assert (case.severity, case.state) == ("critical", "open"), "the case escalated and needs a fresh look"
    assert list(
        CaseDelivery.objects.filter(case=case)
        .order_by("recipient__username")
        .values_list("recipient__username", "kind")
    ) == [("ana", "opened"), ("lena", "escalated")]


def test_an_inactive_partner_is_not_alerted_but_its_check_ups_are_marked_evaluated(items):
    ana = manager("ana")
    partner = partner_with_history(items=items, name="Gone", owners=[ana], levels=DECLINING, last=LAST, is_active=False)

    evaluations_pending_run()

    assert not Alert.objects.filter(partner=partner).exists()
    assert not Checkup.objects.filter(partner=partner, evaluated_at__isnull=True).exists()

"""Recurring check-ups and reminders: opened once, chased at most once per kind, escalated, caught up once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from assessments.models import Checkup, Partner, Reminder
from assessments.periods import Quarter
from assessments.services.outbox import outbox_send_due
from assessments.services.schedule import checkups_open, monthly_kind_due, reminder_kinds_due, reminders_queue
from assessments.tests.alerting import leader, manager
from assessments.tests.factories import CheckupFactory, PartnerFactory, PeriodFactory, UserFactory

pytestmark = pytest.mark.django_db

Q3 = Quarter(2026, 3)  # ends 30 September; due 14 October; escalated from 28 October


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _kinds() -> list[tuple[str, str]]:
    return sorted(Reminder.objects.values_list("kind", "recipient__username"))


def test_opening_check_ups_creates_one_per_owner_of_each_active_partner_exactly_once(rubric_version):
    ana, ben = manager("ana"), manager("ben")
    PartnerFactory(name="Oakline", owners=[ana, ben])
    PartnerFactory(name="Cedar", owners=[ana])
    PartnerFactory(name="Gone", owners=[ana], is_active=False)
    gone_user = UserFactory(username="left", is_active=False)
    PartnerFactory(name="Orphan", owners=[gone_user])

    first = checkups_open(today=dt.date(2026, 7, 1))
    second = checkups_open(today=dt.date(2026, 8, 15))

    assert (first, second) == (3, 0)
    rows = Checkup.objects.filter(period__code=Q3.code)
    assert sorted(rows.values_list("partner__name", "rater__username")) == [
        ("Cedar", "ana"),
        ("Oakline", "ana"),
        ("Oakline", "ben"),
    ]
    assert set(rows.values_list("status", flat=True)) == {"draft"}


def test_an_owner_added_mid_quarter_gets_their_check_up_at_the_next_run(rubric_version):
    ana, ben = manager("ana"), manager("ben")
    partner = PartnerFactory(name="Oakline", owners=[ana])
    checkups_open(today=dt.date(2026, 7, 1))
    partner.owners.add(ben)

    assert checkups_open(today=dt.date(2026, 7, 2)) == 1
    assert Checkup.objects.filter(partner=partner, period__code=Q3.code).count() == 2


@pytest.mark.parametrize(
    ("today", "kinds"),
    [
        (dt.date(2026, 10, 6), []),
        (dt.date(2026, 10, 7), ["due_soon"]),
        (dt.date(2026, 10, 13), ["due_soon"]),
        (dt.date(2026, 10, 14), ["overdue"]),
        (dt.date(2026, 10, 27), ["overdue"]),
        (dt.date(2026, 10, 28), ["overdue", "escalation"]),
    ],
)
def test_which_reminders_a_check_up_due_on_14_october_has_earned(today, kinds):
    assert [str(k) for k in reminder_kinds_due(due_on=dt.date(2026, 10, 14), today=today)] == kinds


def test_reminders_go_before_the_due_date_when_overdue_and_then_to_leadership_each_at_most_once(rubric_version):
    ana = manager("ana")
    leader("lena")
    leader("leo")
    CheckupFactory(partner=PartnerFactory(name="Oakline", owners=[ana]), period=PeriodFactory.of(Q3.code), rater=ana)

    assert reminders_queue(now=at(dt.date(2026, 10, 1))) == 0
    assert reminders_queue(now=at(dt.date(2026, 10, 8))) == 1
    assert reminders_queue(now=at(dt.date(2026, 10, 9))) == 0
    assert reminders_queue(now=at(dt.date(2026, 10, 14))) == 1
    assert reminders_queue(now=at(dt.date(2026, 10, 20))) == 0
    assert reminders_queue(now=at(dt.date(2026, 10, 28))) == 2
    assert reminders_queue(now=at(dt.date(2026, 11, 20))) == 0

    assert _kinds() == [("due_soon", "ana"), ("escalation", "lena"), ("escalation", "leo"), ("overdue", "ana")]


def test_a_scheduler_down_for_weeks_catches_up_once_and_skips_the_reminder_whose_moment_has_passed(rubric_version):
    ana = manager("ana")
    leader("lena")
    CheckupFactory(partner=PartnerFactory(name="Oakline", owners=[ana]), period=PeriodFactory.of(Q3.code), rater=ana)

    # Beat last ran on 1 October; it comes back on 3 November, past the due date and the escalation.
    created = reminders_queue(now=at(dt.date(2026, 11, 3)))
    again = reminders_queue(now=at(dt.date(2026, 11, 3), hour=10))

    assert (created, again) == (2, 0)
    assert _kinds() == [("escalation", "lena"), ("overdue", "ana")]


def test_submitted_check_ups_and_inactive_partners_are_not_chased(rubric_version):
    ana = manager("ana")
    period = PeriodFactory.of(Q3.code)
    CheckupFactory(
        partner=PartnerFactory(name="Done", owners=[ana]),
        period=period,
        rater=ana,
        status="submitted",
        submitted_at=timezone.now(),
    )
    CheckupFactory(partner=PartnerFactory(name="Gone", owners=[ana], is_active=False), period=period, rater=ana)

    assert reminders_queue(now=at(dt.date(2026, 10, 20))) == 0


def test_check_ups_older_than_last_quarter_are_not_chased_when_the_scheduler_first_runs(rubric_version):
    ana = manager("ana")
    CheckupFactory(partner=PartnerFactory(owners=[ana]), period=PeriodFactory.of("2025-Q1"), rater=ana)

    assert reminders_queue(now=at(dt.date(2026, 10, 20))) == 0


def test_the_reminder_emails_say_which_check_up_is_due_and_link_to_it(rubric_version):
    ana = manager("ana", first_name="Ana")
    leader("lena", first_name="Lena")
    checkup = CheckupFactory(
        partner=PartnerFactory(name="Oakline Logistics", owners=[ana]), period=PeriodFactory.of(Q3.code), rater=ana
    )
    reminders_queue(now=at(dt.date(2026, 10, 28)))

    outbox_send_due(now=at(dt.date(2026, 10, 28)))

    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects == [
        "[Partner Health] Escalation: check-up of Oakline Logistics for 2026-Q3 is 14 days overdue",
        "[Partner Health] Overdue: check-up of Oakline Logistics for 2026-Q3",
    ]
    overdue = next(m for m in mail.outbox if "Overdue" in m.subject)
    assert overdue.to == ["ana@example.com"]
    assert "was due on Wednesday 14 October 2026" in overdue.body
    assert f"/checkups/{checkup.pk}/" in overdue.body
    escalation = next(m for m in mail.outbox if "Escalation" in m.subject)
    assert escalation.to == ["lena@example.com"] and "Hello Lena," in escalation.body


@pytest.mark.parametrize(
    ("today", "kind"),
    [(dt.date(2026, 7, 31), None), (dt.date(2026, 8, 1), "month_2"), (dt.date(2026, 9, 30), "month_3")],
)
def test_a_monthly_partner_gets_one_review_nudge_in_each_later_month_of_the_quarter(today, kind):
    assert monthly_kind_due(quarter=Q3, today=today) == kind


def test_strategic_partners_on_a_monthly_cadence_are_nudged_each_month_even_once_submitted(rubric_version):
    ana = manager("ana")
    period = PeriodFactory.of(Q3.code)
    strategic = PartnerFactory(name="Northwind", owners=[ana], cadence=Partner.Cadence.MONTHLY, segment="strategic")
    quarterly = PartnerFactory(name="Cedar", owners=[ana])
    CheckupFactory(partner=strategic, period=period, rater=ana, status="submitted", submitted_at=timezone.now())
    CheckupFactory(partner=quarterly, period=period, rater=ana)

    assert reminders_queue(now=at(dt.date(2026, 7, 15))) == 0
    assert reminders_queue(now=at(dt.date(2026, 8, 3))) == 1
    assert reminders_queue(now=at(dt.date(2026, 8, 20))) == 0
    assert reminders_queue(now=at(dt.date(2026, 9, 1))) == 1

    assert sorted(Reminder.objects.values_list("checkup__partner__name", "kind")) == [
        ("Northwind", "month_2"),
        ("Northwind", "month_3"),
    ]
    outbox_send_due(now=at(dt.date(2026, 9, 1)))
    assert (
        mail.outbox[0].subject == "[Partner Health] Monthly review: bring your 2026-Q3 check-up of Northwind up to date"
    )
    assert "amend it if anything changed" in mail.outbox[0].body

"""Action item reminders: due soon and overdue, to the action's owner, through the outbox, each at most once."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone

from assessments import tasks
from assessments.models import ActionItem, ActionItemReminder
from assessments.models.alerts import OutboxStatus
from assessments.services.outbox import outbox_send_due
from assessments.services.schedule import action_reminder_kinds_due, action_reminders_queue
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

pytestmark = pytest.mark.django_db

DUE = dt.date(2026, 11, 27)  # a Friday


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def day(n: int) -> dt.date:
    return dt.date(2026, 11, n)


@pytest.fixture
def ana():
    return UserFactory(username="ana", first_name="Ana", last_name="Alvarez", role="account_manager")


@pytest.fixture
def action(ana, items):
    partner = PartnerFactory(name="Northwind Systems", owners=[ana])
    for code, trust in (("2026-Q3", 2), ("2026-Q4", 3)):
        period = PeriodFactory.of(code)
        submitted_checkup(
            items=items,
            answers=answers_for(items, characteristics__trust=trust),
            partner=partner,
            period=period,
            rater=ana,
        )
        with transaction.atomic():
            snapshots_recompute(pairs={(partner.id, period.id)})
    return ActionItemFactory(
        partner=partner,
        period=PeriodFactory.of("2026-Q3"),
        owner=ana,
        description="Run a joint workshop",
        due_on=DUE,
        items=[items["characteristics.trust"]],
    )


def rows() -> list[tuple[str, dt.date, str, str]]:
    return sorted(ActionItemReminder.objects.values_list("kind", "due_on", "recipient__username", "status"))


@pytest.mark.parametrize(
    ("today", "kinds"),
    [
        (day(23), []),
        (day(24), ["due_soon"]),
        (day(27), ["due_soon"]),
        (day(28), ["overdue"]),
        (dt.date(2026, 12, 25), ["overdue"]),
        (dt.date(2026, 12, 26), []),
    ],
)
def test_which_reminder_an_action_due_on_27_november_has_earned(today, kinds):
    assert [str(kind) for kind in action_reminder_kinds_due(due_on=DUE, today=today)] == kinds


def test_the_owner_is_reminded_three_days_before_and_the_day_after_each_once(action):
    counts = [action_reminders_queue(now=at(day(n))) for n in range(22, 30)]

    assert counts == [0, 0, 1, 0, 0, 0, 1, 0]
    assert rows() == [("due_soon", DUE, "ana", "pending"), ("overdue", DUE, "ana", "pending")]


def test_the_beat_task_queues_and_the_outbox_sends_the_due_soon_e_mail_with_the_plans_progress(action):
    with time_machine.travel(at(day(24)), tick=False):
        tasks.queue_action_reminders()
        tasks.send_outbox()
        tasks.queue_action_reminders()
        tasks.send_outbox()

    (message,) = mail.outbox
    assert message.to == ["ana@example.com"]
    assert message.subject == "[Partner Health] Due in 3 days: Run a joint workshop (Northwind Systems)"
    assert message.body == (
        "Hello Ana,\n\n"
        "The action you own for Northwind Systems is due in 3 days, on Friday 27 November 2026:\n\n"
        "  Run a joint workshop\n\n"
        "What it should improve, so far:\n"
        "- Trust between the organisations: 2.0 when the plan started → 3.0 in 2026-Q4\n\n"
        "When it is done, mark it done on the partner page; if it needs more time, give it a new due date there.\n\n"
        f"The action: http://127.0.0.1:8000/partners/{action.partner_id}/#action-{action.pk}\n"
        "Your open action items: http://127.0.0.1:8000/checkups/\n"
    )
    html = message.alternatives[0][0]
    assert "<strong>in 3 days</strong>, on Friday 27 November 2026" in html
    assert "characteristics.trust" not in message.body + html
    assert message.extra_headers["Message-ID"].startswith("<action-reminder-")
    assert rows() == [("due_soon", DUE, "ana", "sent")]


def test_the_overdue_e_mail_says_how_late_the_action_is(action):
    action_reminders_queue(now=at(day(30)))
    outbox_send_due(now=at(day(30)))

    (message,) = mail.outbox
    assert message.subject == "[Partner Health] Overdue: Run a joint workshop (Northwind Systems)"
    assert (
        "The action you own for Northwind Systems was due on Friday 27 November 2026, 3 days ago, and is not marked done:"
        in message.body
    )


def test_tomorrow_and_today_are_said_in_words(action):
    for when, words in ((day(26), "tomorrow"), (day(27), "today")):
        ActionItemReminder.objects.all().delete()
        mail.outbox.clear()
        action_reminders_queue(now=at(when))
        outbox_send_due(now=at(when))
        assert mail.outbox[0].subject == f"[Partner Health] Due {words}: Run a joint workshop (Northwind Systems)"


def test_an_action_done_while_its_reminder_waited_is_not_e_mailed(action, ana):
    action_reminders_queue(now=at(day(25)))
    ActionItem.objects.filter(pk=action.pk).update(done_at=at(day(25)), done_by=ana)

    report = outbox_send_due(now=at(day(25), hour=10))

    assert (report.sent, report.skipped, mail.outbox) == (0, 1, [])
    assert rows() == [("due_soon", DUE, "ana", OutboxStatus.SKIPPED)]
    assert action_reminders_queue(now=at(day(28))) == 0


def test_a_new_due_date_or_a_new_owner_earns_its_own_reminder_and_the_stale_one_is_skipped(action, ana):
    lena = UserFactory(username="lena", first_name="Lena", role="leadership")
    action_reminders_queue(now=at(day(25)))
    ActionItem.objects.filter(pk=action.pk).update(due_on=dt.date(2026, 11, 28))
    assert action_reminders_queue(now=at(day(25), hour=10)) == 1
    ActionItem.objects.filter(pk=action.pk).update(owner=lena)
    assert action_reminders_queue(now=at(day(25), hour=11)) == 1

    report = outbox_send_due(now=at(day(25), hour=12))

    assert (report.sent, report.skipped) == (1, 2)
    assert [m.to for m in mail.outbox] == [["lena@example.com"]]
    assert (
        "Hello Lena," in mail.outbox[0].body and "is due in 3 days, on Saturday 28 November 2026" in mail.outbox[0].body
    )


def test_done_drafts_long_overdue_inactive_and_unreachable_actions_are_not_chased(action, ana):
    partner = action.partner
    q3 = PeriodFactory.of("2026-Q3")
    ActionItem.objects.filter(pk=action.pk).update(done_at=at(day(20)))
    draft = CheckupFactory(partner=partner, period=PeriodFactory.of("2027-Q1"), rater=ana)
    ActionItemFactory(partner=partner, period=q3, owner=ana, checkup=draft, due_on=DUE)
    # Overdue for longer than the look-back when the scheduler first sees it: shown on the pages, not e-mailed.
    ActionItemFactory(partner=partner, period=q3, owner=ana, due_on=dt.date(2026, 10, 30))
    ActionItemFactory(partner=PartnerFactory(owners=[ana], is_active=False), period=q3, owner=ana, due_on=DUE)
    silent = UserFactory(username="silent", email="")
    partner.owners.add(silent)
    ActionItemFactory(partner=partner, period=q3, owner=silent, due_on=DUE)

    assert action_reminders_queue(now=at(day(28))) == 0
    assert not ActionItemReminder.objects.exists()
